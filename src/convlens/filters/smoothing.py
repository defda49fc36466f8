"""Smoothing lenses: mean (box), median and Gaussian.

Named filters default to ``border="reflect"``, scipy.ndimage's default, so
repeated smoothing does not darken the edges the way zero padding does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _args, reach
from .borders import BORDERS
from .kernels import kernel
from .sliding import run_window, slide
from .windows import Window, check_window_pixels


def mean(
    image: Any,
    size: Any = None,
    *,
    radius: Any = None,
    footprint: Any = "square",
    border: str = "reflect",
    cval: float = 0.0,
    times: int = 1,
) -> Any:
    """The mean (box) filter: each pixel becomes the average of its window.

    Args:
        image: ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``, NumPy or torch.
        size: odd window side (or ``(rows, cols)``); default 3.
        radius: window radius instead of ``size``.
        footprint: ``"square"``, ``"disc"``, ``"cross"`` or a boolean array.
        border: ``"reflect"`` (default), ``"constant"``, ``"mirror"``,
            ``"nearest"``, ``"wrap"`` or ``"ignore"`` (average over the pixels
            that exist).
        cval: the value outside the image for ``border="constant"``.
        times: apply the filter this many times ("mean 10 times").

    Returns:
        The smoothed image (float32, float64 for float64 input); NaN spreads
        to every window that holds it.

    Example:
        >>> import numpy as np
        >>> mean(np.eye(3), size=3, border="constant") * 9
        array([[2., 2., 1.],
               [2., 3., 2.],
               [1., 2., 2.]])
    """
    return slide(
        image, "mean", size=size, radius=radius, footprint=footprint, border=border, cval=cval, times=times
    )


def median(
    image: Any,
    size: Any = None,
    *,
    radius: Any = None,
    footprint: Any = "square",
    border: str = "reflect",
    cval: float = 0.0,
    times: int = 1,
) -> Any:
    """The median filter: each pixel becomes the median of its window.

    Removes salt-and-pepper noise while keeping edges. Arguments as in
    :func:`mean`. With an even number of pixels in the window (a boolean
    footprint, or ``border="ignore"`` near the edges) the upper of the two
    middle values is taken, as scipy.ndimage.median_filter does, so every
    output value is one of the input's. A window holding a NaN gives NaN.

    Example:
        >>> import numpy as np
        >>> noisy = np.zeros((3, 3)); noisy[1, 1] = 255  # one hot pixel
        >>> float(median(noisy, size=3)[1, 1])
        0.0
    """
    return slide(
        image, "median", size=size, radius=radius, footprint=footprint, border=border, cval=cval, times=times
    )


def gaussian(
    image: Any,
    sigma: Any = 1.0,
    *,
    truncate: float = 4.0,
    border: str = "reflect",
    cval: float = 0.0,
    times: int = 1,
) -> Any:
    """The Gaussian blur, scipy.ndimage.gaussian_filter's kernel and borders.

    The kernel has radius ``int(truncate * sigma + 0.5)`` and sums to 1; it is
    separable, so it runs as one pass down the columns and one along the rows.
    A kernel wider than the image is folded to what the image can use
    (``convlens.filters.reach``) without being built, so ``sigma=1e8`` on a
    small image gives scipy's result at once (a blur that wide is, for
    ``"reflect"``, the image's mean).

    Args:
        image: ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``, NumPy or torch.
        sigma: standard deviation in pixels, > 0, or ``(rows, cols)``.
        truncate: kernel radius in sigmas.
        border: as in :func:`mean`; with ``"ignore"`` each output is the
            weighted average of the pixels that exist (weights renormalised).
        cval: the value outside the image for ``border="constant"``.
        times: apply the filter this many times (``times=2`` at ``sigma``
            is close to once at ``sigma * sqrt(2)``).

    Example:
        >>> import numpy as np
        >>> impulse = np.zeros((9, 9)); impulse[4, 4] = 1
        >>> round(float(gaussian(impulse, sigma=1).sum()), 6)
        1.0
    """
    sy, sx = _args.float_pair("sigma", sigma)
    truncate = _args.positive_float("truncate", truncate)
    _args.choice("border", border, BORDERS)
    origin = f"sigma={sigma!r}"

    def window(shape: tuple[int, int] | None) -> Window:
        if shape is None:
            weights = kernel("gaussian", sigma=(sy, sx), truncate=truncate, dtype=float)
        else:
            col, row = (reach.gaussian_taps(s, truncate, n, border) for s, n in zip((sy, sx), shape))
            check_window_pixels((col.size, row.size), origin)
            weights = np.outer(col, row)
        return Window(weights != 0, weights, origin=origin)

    # A weighted mean: with full windows it is the weighted sum (the weights
    # sum to 1), with border="ignore" it renormalises over the pixels inside.
    return run_window(image, window, ("mean",), border=border, cval=cval, times=times)
