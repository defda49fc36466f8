"""The named kernels, as correlation weights: the pixel at row ``i``, column
``j`` of the window is multiplied by ``K[i, j]``, no flip.

``kernel(name, ...)`` returns a fresh float32 copy, ready to initialise a
convolution layer (see its docstring for a Conv2D set to Prewitt).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _args
from .windows import check_window_pixels


def _constant(rows) -> np.ndarray:
    array = np.array(rows, dtype=np.float64)
    array.flags.writeable = False  # shared module constants must not change under a caller
    return array


# Central difference as correlation weights: out[i] = x[i + 1] - x[i - 1].
DERIVATIVE = _constant([-1, 0, 1])
# Smoothing across the derivative direction, one per edge operator.
PREWITT_SMOOTH = _constant([1, 1, 1])
SOBEL_SMOOTH = _constant([1, 2, 1])
SCHARR_SMOOTH = _constant([3, 10, 3])

# Derivatives along axis 1 (left to right, x): they respond to vertical edges.
# The transpose (``PREWITT.T``) differentiates along axis 0 (top to bottom).
PREWITT = _constant(np.outer(PREWITT_SMOOTH, DERIVATIVE))  # [[-1, 0, 1]] * 3 rows
SOBEL = _constant(np.outer(SOBEL_SMOOTH, DERIVATIVE))  # rows [-1, 0, 1], [-2, 0, 2], [-1, 0, 1]
SCHARR = _constant(np.outer(SCHARR_SMOOTH, DERIVATIVE))  # rows [-3, 0, 3], [-10, 0, 10], [-3, 0, 3]

# The 5-point Laplacian, scipy.ndimage.laplace's: the sum of [1, -2, 1] along both axes.
LAPLACIAN = _constant([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
# Identity minus the Laplacian: the centre pixel gains its difference from its neighbours.
SHARPEN = _constant([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])

# Line detectors: -1 2 -1 across the line, repeated along it. Each responds
# most to a one-pixel-wide bright line in its direction.
LINE_HORIZONTAL = _constant([[-1, -1, -1], [2, 2, 2], [-1, -1, -1]])  # ---
LINE_VERTICAL = _constant(LINE_HORIZONTAL.T)  # |
LINE_DIAGONAL = _constant(3 * np.eye(3) - 1)  # \  (the main diagonal, top-left to bottom-right)
LINE_ANTIDIAGONAL = _constant(np.fliplr(LINE_DIAGONAL))  # /

_NAMED = {
    "prewitt": PREWITT,
    "sobel": SOBEL,
    "scharr": SCHARR,
    "laplacian": LAPLACIAN,
    "sharpen": SHARPEN,
    "line_horizontal": LINE_HORIZONTAL,
    "line_vertical": LINE_VERTICAL,
    "line_diagonal": LINE_DIAGONAL,
    "line_antidiagonal": LINE_ANTIDIAGONAL,
}
KERNELS = (*_NAMED, "mean", "gaussian")


def gaussian_1d(sigma: float, truncate: float = 4.0) -> np.ndarray:
    """scipy.ndimage.gaussian_filter's 1-D weights: radius ``int(truncate * sigma + 0.5)``, sum 1.

    Example:
        >>> gaussian_1d(1.0).size
        9
    """
    radius = int(truncate * sigma + 0.5)
    check_window_pixels((1, 2 * radius + 1), f"sigma={sigma:g}, truncate={truncate:g}")
    x = np.arange(-radius, radius + 1)
    phi = np.exp(-0.5 / sigma**2 * x**2)
    return phi / phi.sum()


def kernel(
    name: str,
    *,
    axis: int = 1,
    size: int = 3,
    sigma: float = 1.0,
    truncate: float = 4.0,
    dtype: Any = np.float32,
) -> np.ndarray:
    """A named kernel as a new NumPy array ``(kh, kw)``, float32 unless ``dtype`` says otherwise.

    Args:
        name: one of ``KERNELS``: ``"prewitt"``, ``"sobel"``, ``"scharr"``,
            ``"laplacian"``, ``"sharpen"``, ``"line_horizontal"``,
            ``"line_vertical"``, ``"line_diagonal"``, ``"line_antidiagonal"``,
            ``"mean"`` (``size`` x ``size`` box, sum 1) or ``"gaussian"``
            (``sigma``, ``truncate``, sum 1).
        axis: for the edge kernels, the axis they differentiate along: 1
            (x, the constants as printed) or 0 (y, the transpose).
        size: odd side of the ``"mean"`` box, or ``(rows, cols)``.
        sigma: standard deviation of the ``"gaussian"``, > 0.
        truncate: the Gaussian's radius in sigmas.
        dtype: the array's dtype.

    Raises:
        ValueError: an unknown ``name``, or an ``axis``/``size``/``sigma``
            out of range.

    Example:
        >>> kernel("sobel", axis=0)
        array([[-1., -2., -1.],
               [ 0.,  0.,  0.],
               [ 1.,  2.,  1.]], dtype=float32)

    A Conv2D initialised with the Prewitt kernel: a Conv2D kernel is laid out
    ``(kh, kw, in, out)``, so a one-filter layer over grayscale images
    ``(N, H, W, 1)`` takes ``kernel("prewitt")[:, :, None, None]``::

        conv = convlens.layers.Conv2D(1, 3, use_bias=False)
        conv(images)  # the first call builds the (3, 3, 1, 1) kernel
        conv.set_weights([filters.kernel("prewitt")[:, :, None, None]])
        conv(images)  # == filters.correlate(images, filters.PREWITT, padding="valid")

    The layer matches :func:`~convlens.filters.correlate`, not ``convolve``:
    deep-learning "convolution" layers compute a correlation. For colour
    input and two filters, stack along the last two axes:
    ``np.stack([np.stack([k] * 3, -1) for k in (PREWITT, PREWITT.T)], -1)``
    has shape ``(3, 3, 3, 2)``.
    """
    _args.choice("name", name, KERNELS)
    if name == "mean":
        kh, kw = _args.int_pair("size", size, minimum=1, odd=True)
        return np.full((kh, kw), 1.0 / (kh * kw), dtype=dtype)
    if name == "gaussian":
        sy, sx = _args.float_pair("sigma", sigma)
        truncate = _args.positive_float("truncate", truncate)
        check_window_pixels(tuple(2 * int(truncate * s + 0.5) + 1 for s in (sy, sx)), f"sigma={sigma!r}")
        return np.outer(gaussian_1d(sy, truncate), gaussian_1d(sx, truncate)).astype(dtype)
    weights = _NAMED[name]
    if name in ("prewitt", "sobel", "scharr"):
        weights = weights if _args.axis(axis, (0, 1)) == 1 else weights.T
    return weights.astype(dtype)  # a copy: the caller may write to it
