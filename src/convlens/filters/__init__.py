"""The classic sliding-window filters ("lenses").

A window slides over the image and one operation (sum, max, min, mean,
median, weighted sum) turns each neighbourhood into one output pixel.
:func:`slide` is the one general mechanism; every named filter is a few
lines over it.

Images: 2D ``(H, W)`` is one image, 3D ``(H, W, C)`` one colour image
(channels filtered separately), 4D ``(N, H, W, C)`` a batch. NumPy in →
NumPy out, torch in → torch out on the same device. Results are float32
(float64 for float64 input). Named filters default to ``border="reflect"``
(scipy.ndimage's default); :func:`slide` defaults to zero padding
(``border="constant"``), like a Conv2D with ``padding="same"``. A window
that holds a NaN gives NaN, whatever the operation (for weighted sums: under
a non-zero weight).

Example:
    >>> import numpy as np
    >>> from convlens import filters
    >>> image = np.random.default_rng(0).random((32, 32), dtype=np.float32)
    >>> filters.gaussian(image, sigma=2, times=3).shape
    (32, 32)
    >>> filters.slide(image, "max", footprint="disc", radius=2, stride=2).shape
    (16, 16)
"""

from .borders import BORDERS
from .edges import LINES, laplacian, line, prewitt, scharr, sharpen, sobel
from .kernels import (
    DERIVATIVE,
    KERNELS,
    LAPLACIAN,
    LINE_ANTIDIAGONAL,
    LINE_DIAGONAL,
    LINE_HORIZONTAL,
    LINE_VERTICAL,
    PREWITT,
    PREWITT_SMOOTH,
    SCHARR,
    SCHARR_SMOOTH,
    SHARPEN,
    SOBEL,
    SOBEL_SMOOTH,
    gaussian_1d,
    kernel,
)
from .linear import convolve, correlate
from .morphology import closing, dilate, erode, opening
from .sliding import OPS, PADDINGS, slide
from .smoothing import gaussian, mean, median
from .windows import FOOTPRINTS, footprint

__all__ = [
    "BORDERS",
    "DERIVATIVE",
    "FOOTPRINTS",
    "KERNELS",
    "LAPLACIAN",
    "LINES",
    "LINE_ANTIDIAGONAL",
    "LINE_DIAGONAL",
    "LINE_HORIZONTAL",
    "LINE_VERTICAL",
    "OPS",
    "PADDINGS",
    "PREWITT",
    "PREWITT_SMOOTH",
    "SCHARR",
    "SCHARR_SMOOTH",
    "SHARPEN",
    "SOBEL",
    "SOBEL_SMOOTH",
    "closing",
    "convolve",
    "correlate",
    "dilate",
    "erode",
    "footprint",
    "gaussian",
    "gaussian_1d",
    "kernel",
    "laplacian",
    "line",
    "mean",
    "median",
    "opening",
    "prewitt",
    "scharr",
    "sharpen",
    "slide",
    "sobel",
]
