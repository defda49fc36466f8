"""What every lens picture shares: the house style, new figures, image panels and atomic saving.

Figures are built with ``matplotlib.figure.Figure`` directly rather than
``pyplot``, so no global figure registry grows while a training run writes
pictures, and rendering goes through Agg for PNG (and the SVG backend for SVG)
whatever interactive backend the user has selected.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from .._io import atomic_write

# Colour maps, one per kind of quantity, used by every plot.
IMAGE_CMAP = "gray"  # input images
SIGNED_CMAP = "RdBu_r"  # weights and other signed values, centred at 0 (white)
MAP_CMAP = "magma"  # non-negative activations: 0 is black, so an empty map looks empty
HEAT_CMAP = "inferno"  # attribution heat maps overlaid on images
RATIO_CMAP = "Blues"  # fractions (confusion matrix rows)

# The house style: readable sizes at 100-150 dpi, no grid, light spines.
STYLE: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.titlesize": 12,
    "figure.titleweight": "bold",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.interpolation": "nearest",  # pixels stay pixels: a 3x3 filter is 9 squares
}

SAVE_FORMATS = {".png": "png", ".svg": "svg"}
DPI = 150

F = TypeVar("F", bound=Callable[..., Figure])
SavePaths = str | os.PathLike | Sequence[str | os.PathLike] | None


def styled(fn: F) -> F:
    """Build the figure of ``fn`` under :data:`STYLE`, then save it where ``save=`` says.

    Every plotting function takes ``save=`` (one path or several, ``.png`` or
    ``.svg``) and returns the :class:`~matplotlib.figure.Figure`.

    Example:
        >>> @styled
        ... def blank() -> Figure:
        ...     return new_figure(2, 1)
        >>> blank(save=None).get_size_inches().tolist()
        [2.0, 1.0]
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, save: SavePaths = None, **kwargs: Any) -> Figure:
        paths = _save_paths(save)  # checked before any work, so a bad name costs nothing
        with matplotlib.rc_context(STYLE):
            fig = fn(*args, **kwargs)
            for path in paths:
                save_figure(fig, path)
        return fig

    return wrapper  # type: ignore[return-value]


def new_figure(width: float, height: float, **kwargs: Any) -> Figure:
    """A free-standing figure (inches) with constrained layout, so labels never overlap.

    Example:
        >>> new_figure(4, 3).get_layout_engine().__class__.__name__
        'ConstrainedLayoutEngine'
    """
    return Figure(figsize=(width, height), layout="constrained", **kwargs)


def save_figure(fig: Figure, path: str | os.PathLike, *, dpi: int = DPI) -> Path:
    """Write ``fig`` to ``path`` (PNG or SVG by suffix) atomically: the file is complete or absent.

    Missing parent folders are created.

    Raises:
        ValueError: for a suffix other than ``.png`` or ``.svg``.

    Example:
        >>> fig = new_figure(2, 2)
        >>> save_figure(fig, "picture.svg")  # doctest: +SKIP
        PosixPath('picture.svg')
    """
    (path,) = _save_paths(path)
    with atomic_write(path) as out:  # creates missing folders
        fig.savefig(out, format=SAVE_FORMATS[path.suffix.lower()], dpi=dpi)
    return path


def _save_paths(save: SavePaths) -> list[Path]:
    if save is None:
        return []
    paths = [Path(save)] if isinstance(save, (str, os.PathLike)) else [Path(p) for p in save]
    for path in paths:
        if path.suffix.lower() not in SAVE_FORMATS:
            raise ValueError(
                f"save: cannot write {str(path)!r}; the file name must end in one of {sorted(SAVE_FORMATS)}."
            )
    return paths


def show_image(ax: Axes, image: np.ndarray, title: str | None = None) -> AxesImage:
    """Draw an (H, W), (H, W, 1) or (H, W, 3) image, grayscale or colour, without ticks.

    Colour images are scaled to 0..1 for display (0..255 when their values
    exceed 1); grayscale keeps its values with the ``gray`` map stretched to
    the image's own range.

    Example:
        >>> ax = new_figure(2, 2).subplots()
        >>> show_image(ax, np.zeros((28, 28, 1))).get_array().shape
        (28, 28)
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 3:
        shown = ax.imshow(np.clip(image / (255.0 if image.max() > 1 else 1.0), 0, 1))
    else:
        shown = ax.imshow(image, cmap=IMAGE_CMAP)
    bare(ax, title)
    return shown


def bare(ax: Axes, title: str | None = None) -> None:
    """An image panel: no ticks, a thin frame, an optional short title.

    Example:
        >>> ax = new_figure(2, 2).subplots(); bare(ax, "7"); ax.get_title(), list(ax.get_xticks())
        ('7', [])
    """
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_linewidth(0.4)
        spine.set_color("0.6")
    if title is not None:
        ax.set_title(title, fontsize=8, pad=2)


def numbered_panels(axes: np.ndarray, n: int, draw: Callable[[Axes, int], Any]) -> Any:
    """Draw panel ``i`` with ``draw(ax, i)`` and title it ``i`` for the first ``n`` axes; hide the rest.

    Returns what the last ``draw`` returned (e.g. the image a colour bar follows), or ``None`` when ``n`` is 0.

    Example:
        >>> axes = new_figure(3, 2).subplots(1, 3, squeeze=False)
        >>> numbered_panels(axes, 2, lambda ax, i: i), axes[0, 1].get_title(), axes[0, 2].get_visible()
        (1, '1', False)
    """
    last = None
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.set_visible(False)
            continue
        last = draw(ax, i)
        bare(ax, str(i))
    return last


def grid_shape(n: int, max_columns: int = 8) -> tuple[int, int]:
    """(rows, columns) for ``n`` panels: as few rows as ``max_columns`` allows, then balanced.

    Example:
        >>> grid_shape(32), grid_shape(10), grid_shape(6)
        ((4, 8), (2, 5), (1, 6))
    """
    rows = max(1, -(-n // max_columns))
    return rows, max(1, -(-n // rows))


def annotate_values(ax: Axes, matrix: np.ndarray, limit: float, *, fontsize: float = 7, digits: int = 2) -> None:
    """Write each entry of a matrix drawn with a ±``limit`` diverging map on its cell, white on the dark ones."""
    for (r, c), v in np.ndenumerate(matrix):
        ax.text(c, r, f"{v:.{digits}f}", ha="center", va="center", fontsize=fontsize,
                color="white" if abs(v) > 0.6 * limit else "black")
