"""Grey-level morphology: dilation (max), erosion (min), opening and closing.

``dilate`` is the max filter over the footprint and ``erode`` the min
filter, as scipy.ndimage.grey_dilation / grey_erosion for the symmetric
footprints ("square", "disc", "cross"). For an asymmetric boolean footprint
scipy's grey_dilation reflects it first; ``dilate`` does not (it is
``maximum_filter``), so opening stays ``dilate(erode(x))`` with one footprint.
"""

from __future__ import annotations

from typing import Any

from .sliding import run_window
from .windows import build_window


def dilate(image: Any, size: Any = None, *, radius: Any = None, footprint: Any = "square",
           border: str = "reflect", cval: float = 0.0, times: int = 1) -> Any:
    """Dilation: each pixel becomes the maximum of its window; bright regions grow.

    Args:
        image: ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``, NumPy or torch.
        size: odd window side (or ``(rows, cols)``); default 3.
        radius: window radius instead of ``size``.
        footprint: ``"square"``, ``"disc"``, ``"cross"`` or a boolean array.
        border: ``"reflect"`` (default), ``"constant"``, ``"mirror"``,
            ``"nearest"``, ``"wrap"`` or ``"ignore"`` (only pixels that exist).
        cval: the value outside the image for ``border="constant"``.
        times: apply the filter this many times (a larger dilation).

    Returns:
        The dilated image (float32, float64 for float64 input); a NaN in a
        window gives NaN.

    Example:
        >>> import numpy as np
        >>> dot = np.zeros((3, 5)); dot[1, 2] = 1
        >>> dilate(dot, footprint="cross").astype(int)
        array([[0, 0, 1, 0, 0],
               [0, 1, 1, 1, 0],
               [0, 0, 1, 0, 0]])
    """
    return _morphology(image, ("max",), size, radius, footprint, border, cval, times)


def erode(image: Any, size: Any = None, *, radius: Any = None, footprint: Any = "square",
          border: str = "reflect", cval: float = 0.0, times: int = 1) -> Any:
    """Erosion: each pixel becomes the minimum of its window; dark regions grow.

    Arguments as in :func:`dilate`.

    Example:
        >>> import numpy as np
        >>> block = np.zeros((5, 5)); block[1:4, 1:4] = 1
        >>> int(erode(block, size=3).sum())  # only the centre survives
        1
    """
    return _morphology(image, ("min",), size, radius, footprint, border, cval, times)


def opening(image: Any, size: Any = None, *, radius: Any = None, footprint: Any = "square",
            border: str = "reflect", cval: float = 0.0, times: int = 1) -> Any:
    """Opening, ``dilate(erode(x))``: removes bright details smaller than the window.

    Arguments as in :func:`dilate`.

    Example:
        >>> import numpy as np
        >>> speck = np.zeros((5, 5)); speck[2, 2] = 1
        >>> float(opening(speck, size=3).max())
        0.0
    """
    return _morphology(image, ("min", "max"), size, radius, footprint, border, cval, times)


def closing(image: Any, size: Any = None, *, radius: Any = None, footprint: Any = "square",
            border: str = "reflect", cval: float = 0.0, times: int = 1) -> Any:
    """Closing, ``erode(dilate(x))``: fills dark details smaller than the window.

    Arguments as in :func:`dilate`.

    Example:
        >>> import numpy as np
        >>> hole = np.ones((5, 5)); hole[2, 2] = 0
        >>> float(closing(hole, size=3).min())
        1.0
    """
    return _morphology(image, ("max", "min"), size, radius, footprint, border, cval, times)


def _morphology(image, ops: tuple[str, ...], size, radius, footprint, border, cval, times) -> Any:
    window = build_window(size=size, radius=radius, kind=footprint)
    return run_window(image, window, ops, border=border, cval=cval, times=times)
