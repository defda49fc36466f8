"""The classic lenses side by side: what each hand-made sliding-window filter does to one image.

These are the filters a CNN's first layer learns variants of: smoothing,
edges in each direction, the Laplacian, and the min/max of morphology.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from matplotlib.figure import Figure

from .. import filters
from .figures import IMAGE_CMAP, MAP_CMAP, SIGNED_CMAP, bare, new_figure, styled
from .images import LUMA

# (title, filter, how to colour it): "image" keeps the original's grey scale,
# "signed" is centred at 0 (edges, Laplacian), "magnitude" runs from 0.
Lens = tuple[str, Callable[[np.ndarray], np.ndarray] | None, str]


def lenses(size: int = 3, sigma: float = 2.0) -> list[Lens]:
    """The classic lenses of the notes, in display order.

    Example:
        >>> [title for title, _, _ in lenses()][:4]
        ['original', 'mean 3×3', 'median 3×3', 'Gaussian σ = 2']
    """
    return [
        ("original", None, "image"),
        (f"mean {size}×{size}", lambda im: filters.mean(im, size=size), "image"),
        (f"median {size}×{size}", lambda im: filters.median(im, size=size), "image"),
        (f"Gaussian σ = {sigma:g}", lambda im: filters.gaussian(im, sigma=sigma), "image"),
        ("Sobel: horizontal edges (↓)", lambda im: filters.sobel(im, axis=0), "signed"),
        ("Sobel: vertical edges (→)", lambda im: filters.sobel(im, axis=1), "signed"),
        ("Prewitt: horizontal edges (↓)", lambda im: filters.prewitt(im, axis=0), "signed"),
        ("Prewitt: vertical edges (→)", lambda im: filters.prewitt(im, axis=1), "signed"),
        ("Sobel magnitude", lambda im: filters.sobel(im), "magnitude"),
        ("Laplacian", filters.laplacian, "signed"),
        (f"dilation {size}×{size} (max)", lambda im: filters.dilate(im, size=size), "image"),
        (f"erosion {size}×{size} (min)", lambda im: filters.erode(im, size=size), "image"),
    ]


@styled
def plot_lenses(image: Any, *, size: int = 3, sigma: float = 2.0) -> Figure:
    """The image through each classic lens: smoothing, edges, Laplacian, dilation, erosion.

    Colour images are turned to grey (ITU-R 601-2 luma) first. Smoothing and
    morphology keep the original's grey scale, so brightness compares across
    panels; edge and Laplacian responses are signed (red positive, blue
    negative, white zero).

    Args:
        image: ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``, uint8 or float.
        size: window of the mean, median, dilation and erosion.
        sigma: the Gaussian's standard deviation in pixels.
        save: path(s) ending in ``.png`` / ``.svg`` to write the figure to.

    Example:
        >>> fig = plot_lenses(np.random.default_rng(0).random((32, 32)))
        >>> len([ax for ax in fig.axes if ax.images])
        12
    """
    gray = gray_image(image)
    chosen = apply_lenses(gray, size=size, sigma=sigma)
    cols = 4
    rows = -(-len(chosen) // cols)
    aspect = gray.shape[0] / gray.shape[1]
    fig = new_figure(cols * 2.6, rows * (2.6 * aspect + 0.35) + 0.7)
    axes = fig.subplots(rows, cols, squeeze=False)
    low, high = float(gray.min()), float(gray.max())
    for ax, (title, out, kind) in zip(axes.flat, chosen):
        if kind == "image":
            ax.imshow(out, cmap=IMAGE_CMAP, vmin=low, vmax=high if high > low else low + 1)
        elif kind == "signed":
            limit = _robust_max(np.abs(out))
            ax.imshow(out, cmap=SIGNED_CMAP, vmin=-limit, vmax=limit)
        else:
            ax.imshow(out, cmap=MAP_CMAP, vmin=0, vmax=_robust_max(out))
        bare(ax)
        ax.set_title(title, fontsize=9)
    for ax in axes.flat[len(chosen):]:
        ax.set_visible(False)
    fig.suptitle(f"Classic lenses on a {gray.shape[0]}×{gray.shape[1]} image")
    fig.supxlabel("edges and Laplacian: red positive, blue negative, white 0; each on its own scale, "
                  "saturated at the 99.5th percentile",
                  fontsize=8, color="0.35")
    return fig


def apply_lenses(image: Any, *, size: int = 3, sigma: float = 2.0) -> list[tuple[str, np.ndarray, str]]:
    """``(title, filtered image, colouring)`` for each of :func:`lenses` on the grey version of ``image``.

    Example:
        >>> [(title, out.shape) for title, out, _ in apply_lenses(np.zeros((8, 8)))][:2]
        [('original', (8, 8)), ('mean 3×3', (8, 8))]
    """
    gray = gray_image(image)
    return [(title, gray if fn is None else np.asarray(fn(gray)), kind) for title, fn, kind in lenses(size, sigma)]


def gray_image(image: Any) -> np.ndarray:
    """``image`` as one ``(H, W)`` float32 grey image (colour by ITU-R 601-2 luma).

    Example:
        >>> gray_image(np.ones((2, 3, 3), np.uint8) * 10).shape
        (2, 3)
    """
    array = np.asarray(image.detach().cpu() if hasattr(image, "detach") else image, dtype=np.float32)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    elif array.ndim == 3 and array.shape[-1] in (3, 4):
        array = array[..., :3] @ np.array(LUMA, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"image: expected (H, W), (H, W, 1) or (H, W, 3); received shape {array.shape}.")
    return array


def _robust_max(values: np.ndarray) -> float:
    """The 99.5th percentile: a few extreme responses (photo edges) must not wash out the rest."""
    return float(np.percentile(values, 99.5)) or float(values.max()) or 1.0
