"""A learned filter's journey as pictures: frames from random to target, the loss curve, an animated GIF."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from .._io import atomic_write
from .figures import SIGNED_CMAP, annotate_values, bare, new_figure, styled
from .learning import LearnedFilter

FRAMES = 6  # panels in the strip, the first and last epochs included


@styled
def plot_learning(result: LearnedFilter) -> Figure:
    """The kernel at a few epochs from random to learned, the target, and the loss per epoch (log scale).

    Args:
        result: what :func:`~convlens.lens.learn_filter` returned.
        save: path(s) ending in ``.png`` / ``.svg`` to write the figure to.

    Example:
        >>> from convlens.lens.learning import LearnedFilter
        >>> k = np.eye(3)
        >>> fig = plot_learning(LearnedFilter(k, k, k, "eye", [k, k], [1.0]))
        >>> len([ax for ax in fig.axes if ax.images])
        3
    """
    epochs = sorted(set(np.linspace(0, len(result.history) - 1, FRAMES).round().astype(int)))
    panels = [(f"epoch {e}" if e else "random start", result.history[e]) for e in epochs]
    panels.append((f"target: {result.target_name}", result.target))
    limit = max(float(np.abs(k).max()) for _, k in panels) or 1.0
    fig = new_figure(1.5 * len(panels) + 3.2, 2.4)
    grid = fig.add_gridspec(1, len(panels) + 2, width_ratios=[1] * len(panels) + [0.3, 2.2])
    for i, (title, kernel) in enumerate(panels):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(kernel, cmap=SIGNED_CMAP, vmin=-limit, vmax=limit)
        annotate_values(ax, kernel, limit, digits=1)
        bare(ax)
        ax.set_title(title, fontsize=8)
    curve = fig.add_subplot(grid[0, -1])
    curve.semilogy(np.arange(1, len(result.loss) + 1), result.loss)
    curve.set_xlabel("epoch")
    curve.set_title("training loss (MSE)", fontsize=8)
    fig.suptitle(f"A 3×3 filter learned by gradient descent: max |learned − target| = {result.max_error:.3f}",
                 fontsize=10)
    return fig


def save_learning_gif(result: LearnedFilter, path: str | Path, *, frames: int = 20, ms_per_frame: int = 150) -> Path:
    """An animated GIF (Pillow) of the kernel moving from random to learned, one frame per few epochs.

    Example:
        >>> from convlens.lens.learning import LearnedFilter
        >>> k = np.eye(3)
        >>> import tempfile; p = Path(tempfile.mkdtemp()) / "k.gif"
        >>> save_learning_gif(LearnedFilter(k, k, k, "eye", [k, k], [1.0]), p).exists()
        True
    """
    from PIL import Image

    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path: expected a file name ending in .gif; received {str(path)!r}.")
    limit = max(float(np.abs(k).max()) for k in [*result.history, result.target]) or 1.0
    images = []
    for e in sorted(set(np.linspace(0, len(result.history) - 1, frames).round().astype(int))):
        fig = new_figure(2.2, 2.4)
        ax = fig.add_subplot()
        ax.imshow(result.history[e], cmap=SIGNED_CMAP, vmin=-limit, vmax=limit)
        annotate_values(ax, result.history[e], limit, fontsize=9, digits=1)
        bare(ax)
        ax.set_title(f"epoch {e}", fontsize=9)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        images.append(Image.open(io.BytesIO(buffer.getvalue())).convert("P", palette=Image.ADAPTIVE))
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=ms_per_frame, loop=0)
    with atomic_write(path) as file:  # no half-written GIF if anything fails
        file.write(out.getvalue())
    return path
