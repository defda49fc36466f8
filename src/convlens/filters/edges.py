"""Edge and detail lenses: gradients (Prewitt, Sobel, Scharr), the Laplacian,
line detectors and sharpening. All are weighted sums over 3 x 3 windows.

Normalisation: the gradients use the unnormalised kernels of
scipy.ndimage.prewitt / sobel (smoothing ``[1, 1, 1]``, ``[1, 2, 1]`` or
``[3, 10, 3]`` across, central difference ``[-1, 0, 1]`` along the axis), so
``sobel(x, axis=0)`` equals ``scipy.ndimage.sobel(x, axis=0)``. The
magnitude (``axis=None``) is ``sqrt(gx**2 + gy**2)`` of those; scikit-image
scales its kernels to unit smoothing weight and divides by ``sqrt(2)``, so
``skimage.filters.sobel(x) == sobel(x) / (4 * sqrt(2))`` (Prewitt: ``3 * sqrt(2)``,
Scharr: ``16 * sqrt(2)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from . import _args, layout
from .kernels import (
    LAPLACIAN,
    LINE_ANTIDIAGONAL,
    LINE_DIAGONAL,
    LINE_HORIZONTAL,
    LINE_VERTICAL,
    PREWITT,
    SCHARR,
    SHARPEN,
    SOBEL,
)
from .sliding import check_options, filter_batch, slide
from .windows import weights_window

LINES = {
    "horizontal": LINE_HORIZONTAL,
    "vertical": LINE_VERTICAL,
    "diagonal": LINE_DIAGONAL,
    "antidiagonal": LINE_ANTIDIAGONAL,
}


def prewitt(image: Any, axis: int | None = None, *, border: str = "reflect", cval: float = 0.0, times: int = 1) -> Any:
    """Prewitt gradient along ``axis`` (0: down the rows, 1: across the columns), or its magnitude.

    Args:
        image: ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``, NumPy or torch.
        axis: 0, 1, or None (default) for the magnitude ``sqrt(g0**2 + g1**2)``.
        border: ``"reflect"`` (default), ``"constant"``, ``"mirror"``,
            ``"nearest"``, ``"wrap"`` or ``"ignore"`` (outside pixels add
            nothing, like zero padding).
        cval: the value outside the image for ``border="constant"``.
        times: apply the filter this many times.

    Example:
        >>> import numpy as np
        >>> step = np.array([[0, 0, 1, 1]] * 3)  # a vertical edge
        >>> prewitt(step, axis=1)
        array([[0., 3., 3., 0.],
               [0., 3., 3., 0.],
               [0., 3., 3., 0.]], dtype=float32)
    """
    return _gradient(image, PREWITT, axis, border=border, cval=cval, times=times)


def sobel(image: Any, axis: int | None = None, *, border: str = "reflect", cval: float = 0.0, times: int = 1) -> Any:
    """Sobel gradient along ``axis``, or its magnitude; arguments as in :func:`prewitt`.

    Example:
        >>> import numpy as np
        >>> step = np.array([[0, 0, 1, 1]] * 3)
        >>> sobel(step)[1].tolist()  # magnitude: 4 on both sides of the edge
        [0.0, 4.0, 4.0, 0.0]
    """
    return _gradient(image, SOBEL, axis, border=border, cval=cval, times=times)


def scharr(image: Any, axis: int | None = None, *, border: str = "reflect", cval: float = 0.0, times: int = 1) -> Any:
    """Scharr gradient along ``axis``, or its magnitude; arguments as in :func:`prewitt`.

    Scharr's smoothing ``[3, 10, 3]`` makes the magnitude nearly rotation invariant.

    Example:
        >>> import numpy as np
        >>> step = np.array([[0, 0, 1, 1]] * 3)
        >>> scharr(step, axis=1)[1].tolist()
        [0.0, 16.0, 16.0, 0.0]
    """
    return _gradient(image, SCHARR, axis, border=border, cval=cval, times=times)


def laplacian(image: Any, *, border: str = "reflect", cval: float = 0.0, times: int = 1) -> Any:
    """The 5-point Laplacian (``LAPLACIAN``), as scipy.ndimage.laplace.

    Zero on flat areas and ramps, large on either side of an edge and at
    single-pixel details. Arguments as in :func:`prewitt`.

    Example:
        >>> import numpy as np
        >>> dot = np.zeros((3, 3)); dot[1, 1] = 1
        >>> laplacian(dot, border="constant")
        array([[ 0.,  1.,  0.],
               [ 1., -4.,  1.],
               [ 0.,  1.,  0.]])
    """
    return slide(image, LAPLACIAN, border=border, cval=cval, times=times)


def line(
    image: Any, direction: str = "horizontal", *, border: str = "reflect", cval: float = 0.0, times: int = 1
) -> Any:
    """The ``-1 2 -1`` line detector for one-pixel-wide lines in one direction.

    Args:
        image: ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``, NumPy or torch.
        direction: ``"horizontal"`` (---), ``"vertical"`` (|), ``"diagonal"``
            (\\, top-left to bottom-right) or ``"antidiagonal"`` (/).
        border, cval, times: as in :func:`prewitt`.

    Example:
        >>> import numpy as np
        >>> lines = np.zeros((5, 5)); lines[2] = 1  # one horizontal line
        >>> line(lines, "horizontal")[:, 2].tolist()
        [0.0, -3.0, 6.0, -3.0, 0.0]
        >>> line(lines, "vertical")[:, 2].tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0]
    """
    weights = LINES[_args.choice("direction", direction, LINES)]
    return slide(image, weights, border=border, cval=cval, times=times)


def sharpen(image: Any, *, border: str = "reflect", cval: float = 0.0, times: int = 1) -> Any:
    """Sharpening with ``SHARPEN`` (identity minus the Laplacian): details stand out.

    Flat areas are unchanged; the result can leave the input's range, so clip
    it before showing. Arguments as in :func:`prewitt`.

    Example:
        >>> import numpy as np
        >>> float(sharpen(np.full((3, 3), 7.0))[1, 1])
        7.0
    """
    return slide(image, SHARPEN, border=border, cval=cval, times=times)


def _gradient(image: Any, along_x: np.ndarray, axis: Any, *, border: str, cval: Any, times: int) -> Any:
    """The gradient of a derivative-along-x kernel, along one axis or as a magnitude."""
    axis = _args.axis(axis, (0, 1, None))
    options = check_options(border=border, cval=cval)
    windows = (weights_window(along_x.T), weights_window(along_x))  # per axis 0, 1

    def magnitude(x: torch.Tensor) -> torch.Tensor:
        return torch.hypot(*(filter_batch(x, "sum", w, **options) for w in windows))

    def one_axis(x: torch.Tensor) -> torch.Tensor:
        return filter_batch(x, "sum", windows[axis], **options)

    return layout.apply(image, magnitude if axis is None else one_axis, times=times)
