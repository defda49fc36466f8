"""Correlation and convolution with any kernel.

Correlation multiplies each pixel of the window by the kernel entry at the
same place; convolution first flips the kernel (rows and columns). They
differ only for asymmetric kernels (an edge kernel changes sign). The
"convolution" layers of deep learning (Keras Conv2D, torch.nn.Conv2d)
compute a correlation, so a kernel copied into a Conv2D matches
:func:`correlate`.
"""

from __future__ import annotations

from typing import Any

from .sliding import run_window
from .windows import Window, weights_window


def correlate(image: Any, kernel: Any, *, stride: Any = 1, padding: str = "same",
              border: str = "reflect", cval: float = 0.0, times: int = 1) -> Any:
    """Correlates the image with ``kernel``: ``out[i, j] = sum K[a, b] * x[i + a - r, j + b - r]``.

    Args:
        image: ``(H, W)``, ``(H, W, C)`` (each channel with the same kernel)
            or ``(N, H, W, C)``, NumPy or torch.
        kernel: 2D array with odd sides, e.g. ``PREWITT`` or ``kernel("sobel")``.
        stride: step between window positions, int or ``(rows, cols)``.
        padding: ``"same"`` or ``"valid"`` (only windows inside the image).
        border: ``"reflect"`` (default), ``"constant"``, ``"mirror"``,
            ``"nearest"``, ``"wrap"`` or ``"ignore"`` (outside pixels add nothing).
        cval: the value outside the image for ``border="constant"``.
        times: apply the filter this many times.

    Returns:
        As scipy.ndimage.correlate for the same ``border`` (its ``mode``);
        float32, or float64 for float64 input.

    Example:
        >>> import numpy as np
        >>> ramp = np.tile(np.arange(4.0), (3, 1))
        >>> correlate(ramp, [[-1, 0, 1]], padding="valid")
        array([[2., 2.],
               [2., 2.],
               [2., 2.]])
    """
    window = weights_window(kernel, "kernel")
    return run_window(image, window, ("sum",), stride=stride, padding=padding, border=border, cval=cval, times=times)


def convolve(image: Any, kernel: Any, *, stride: Any = 1, padding: str = "same",
             border: str = "reflect", cval: float = 0.0, times: int = 1) -> Any:
    """Convolves the image with ``kernel``: correlation with the kernel flipped in both axes.

    This is the convolution of mathematics and of scipy.ndimage.convolve.
    Deep-learning "convolution" layers such as Conv2D actually compute a
    correlation: to reproduce one, use :func:`correlate`. Arguments as in
    :func:`correlate`.

    Example:
        >>> import numpy as np
        >>> ramp = np.tile(np.arange(4.0), (3, 1))
        >>> convolve(ramp, [[-1, 0, 1]], padding="valid")  # flipped: the sign changes
        array([[-2., -2.],
               [-2., -2.],
               [-2., -2.]])
    """
    window = weights_window(kernel, "kernel")
    flipped = Window(window.mask[::-1, ::-1].copy(), window.weights[::-1, ::-1].copy())
    return run_window(image, flipped, ("sum",), stride=stride, padding=padding, border=border, cval=cval, times=times)
