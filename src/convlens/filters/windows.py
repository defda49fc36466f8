"""Windows ("lenses"): which neighbours of a pixel a filter looks at.

A window is a boolean footprint of odd height and width, centred on the
pixel it computes, with an optional weight per neighbour (a weighted sum,
i.e. a correlation kernel). Odd sizes keep the centre unambiguous, so an
even-sized footprint or kernel is refused rather than silently shifted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import limits
from . import _args

FOOTPRINTS = ("square", "disc", "cross")


def footprint(kind: str = "square", *, size: Any = None, radius: Any = None) -> np.ndarray:
    """A named footprint as a boolean array.

    Args:
        kind: ``"square"`` (every pixel of a ``size`` × ``size`` box),
            ``"disc"`` (pixels within Euclidean distance ``radius`` of the
            centre) or ``"cross"`` (the 4-neighbour plus, each arm ``radius``
            long).
        size: odd window width, ``2 * radius + 1``; a ``(rows, cols)`` pair
            is allowed for squares.
        radius: window radius >= 0 (``radius=1`` is 3 × 3); a pair is allowed
            for squares. Give ``size`` or ``radius``, not both; with neither,
            ``radius=1``.

    Returns:
        A ``(2 * radius + 1, 2 * radius + 1)`` boolean array.

    Raises:
        ValueError: unknown ``kind``, a negative ``radius``, an even ``size``,
            or both ``size`` and ``radius``.

    Example:
        >>> footprint("cross", radius=1).astype(int)
        array([[0, 1, 0],
               [1, 1, 1],
               [0, 1, 0]])
        >>> int(footprint("disc", radius=2).sum())
        13
    """
    _args.choice("footprint", kind, FOOTPRINTS)
    if size is not None and radius is not None:
        raise ValueError(f"Give `size` or `radius`, not both. Received: size={size!r}, radius={radius!r}")
    if size is not None:
        ry, rx = (s // 2 for s in _args.int_pair("size", size, minimum=1, odd=True))
    else:
        ry, rx = _args.int_pair("radius", 1 if radius is None else radius, minimum=0)
    check_window_pixels((2 * ry + 1, 2 * rx + 1), describe(size=size, radius=radius))
    if kind == "square":
        return np.ones((2 * ry + 1, 2 * rx + 1), dtype=bool)
    if ry != rx:
        raise ValueError(
            f"A {kind!r} footprint takes one radius (or size), not a pair. "
            f"Received: size={size!r}, radius={radius!r}"
        )
    dy, dx = np.mgrid[-ry : ry + 1, -rx : rx + 1]
    if kind == "disc":
        return dy * dy + dx * dx <= ry * ry
    return (dy == 0) | (dx == 0)


@dataclass(frozen=True, eq=False)
class Window:
    """A footprint with optional weights: everything a sliding filter needs to know.

    Attributes:
        mask: ``(kh, kw)`` boolean array, True where the window takes a pixel;
            ``kh`` and ``kw`` are odd.
        weights: ``(kh, kw)`` float64 array for weighted sums (zero where
            ``mask`` is False), or None for plain windows.
        counts: ``(kh, kw)`` how many times each pixel counts (a median's
            multiplicity), where a window folded to a small image merged
            pixels (see ``reach``); None: once each.
        origin: the arguments that made the window, for error messages.

    Example:
        >>> Window(footprint("square", size=3)).radius
        (1, 1)
    """

    mask: np.ndarray
    weights: np.ndarray | None = None
    counts: np.ndarray | None = None
    origin: str = "the window"

    @property
    def shape(self) -> tuple[int, int]:
        return self.mask.shape

    @property
    def radius(self) -> tuple[int, int]:
        return self.mask.shape[0] // 2, self.mask.shape[1] // 2

    @property
    def taps(self) -> list[tuple[int, int]]:
        """``(row, col)`` offsets of the pixels in the window, from its top-left corner."""
        return [(int(r), int(c)) for r, c in np.argwhere(self.mask)]

    @property
    def merged(self) -> bool:
        """Whether some pixel counts more than once (a folded window)."""
        return self.counts is not None and bool((self.counts > 1).any())

    def tap_counts(self) -> np.ndarray:
        """How many times each pixel counts: ``counts``, or 1 on the footprint."""
        return self.mask.astype(np.float64) if self.counts is None else self.counts

    def weight_array(self) -> np.ndarray:
        """The weights, or each pixel's count for plain windows (a sum)."""
        return self.tap_counts() if self.weights is None else self.weights


def build_window(*, size: Any = None, radius: Any = None, kind: Any = "square", weights: Any = None) -> Window:
    """The window of ``slide``'s arguments: a named footprint, a boolean array, or weights.

    Raises:
        ValueError: conflicting arguments, or an array that is not 2D with odd
            sides and at least one pixel (or, for weights, not finite).

    Example:
        >>> build_window(kind="disc", radius=2).shape
        (5, 5)
    """
    if weights is not None:
        if size is not None or radius is not None or not (isinstance(kind, str) and kind == "square"):
            raise ValueError(
                "`weights` define the window by their shape; leave `size`, `radius` and `footprint` unset. "
                f"Received: size={size!r}, radius={radius!r}, footprint={_brief(kind)}"
            )
        return weights_window(weights)
    if isinstance(kind, str):
        return Window(footprint(kind, size=size, radius=radius), origin=describe(kind, size, radius))
    if size is not None or radius is not None:
        raise ValueError(
            "A footprint array defines the window by its shape; leave `size` and `radius` unset. "
            f"Received: size={size!r}, radius={radius!r}"
        )
    mask = _odd_2d("footprint", kind)
    if mask.dtype != bool and not np.isin(mask, (0, 1)).all():
        raise ValueError(
            f"`footprint` must be one of {FOOTPRINTS} or a boolean array. Received: footprint={_brief(kind)}"
        )
    if not mask.any():
        raise ValueError("`footprint` must contain at least one True pixel. Received: an all-False footprint")
    return Window(mask.astype(bool), origin=f"footprint={_brief(kind)}")


def weights_window(weights: Any, arg: str = "weights") -> Window:
    """The window of a weights array (a correlation kernel); ``arg`` names it in errors.

    Example:
        >>> int(weights_window([[0, 1, 0], [1, -4, 1], [0, 1, 0]]).mask.sum())
        5
    """
    w = _odd_2d(arg, weights).astype(np.float64)
    if not np.isfinite(w).all() or not w.any():
        raise ValueError(f"`{arg}` must be finite and not all zero. Received: {arg}={_brief(weights)}")
    return Window(w != 0, w, origin=f"{arg}={_brief(weights)}")


def describe(kind: Any = "square", size: Any = None, radius: Any = None) -> str:
    """The window arguments as a user gave them, e.g. ``"size=2001"`` or ``"footprint='disc', radius=9"``."""
    given = [f"size={size!r}"] if size is not None else [f"radius={radius!r}"] if radius is not None else []
    return ", ".join(([f"footprint={kind!r}"] if kind != "square" else []) + given) or "the default 3x3 window"


def check_window_pixels(shape: tuple[int, int], origin: str) -> None:
    """Refuse a window of ``shape`` over ``CONVLENS_MAX_WINDOW_PIXELS`` pixels before it is built."""
    limits.check_count(
        shape[0] * shape[1], "CONVLENS_MAX_WINDOW_PIXELS", f"the window of {origin} ({shape[0]}x{shape[1]})",
        "pixels", "use a smaller window, or raise",
    )


def _odd_2d(arg: str, value: Any) -> np.ndarray:
    array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"`{arg}` must be a numeric 2D array. Received: {arg}={_brief(value)}")
    if array.ndim != 2 or array.shape[0] % 2 == 0 or array.shape[1] % 2 == 0:
        raise ValueError(
            f"`{arg}` must be a 2D array with odd height and width, so that it has a centre pixel. "
            f"Received: {arg} of shape {array.shape}"
        )
    return array


def _brief(value: Any) -> str:
    """A short description of an argument for error messages (arrays by shape)."""
    shape = getattr(value, "shape", None)
    return f"array of shape {tuple(shape)}" if shape is not None else repr(value)
