"""The chain rule as a picture: each factor of ``∂L/∂W`` as a grid of its numbers, with its shape."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .chain_rule import Backprop, _matrix
from .figures import SIGNED_CMAP, annotate_values, bare, new_figure, styled

CELL_INCHES = 0.42  # one matrix entry, big enough for a number like −2.62


@styled
def plot_chain(result: Backprop, weight: str | None = None) -> Figure:
    """Draw ``∂L/∂W = ∂Z/∂W · ∂A/∂Z · ∂L/∂A`` with every factor's numbers and shape (e.g. ``3×5``).

    Args:
        result: what :func:`~convlens.lens.backprop` returned.
        weight: the weight to follow, ``"W¹"`` by default.
        save: path(s) ending in ``.png`` / ``.svg`` to write the figure to.

    Example:
        >>> from convlens.lens.chain_rule import backprop, notes_example
        >>> fig = plot_chain(backprop(*notes_example()))
        >>> len([ax for ax in fig.axes if ax.images])
        4
    """
    weight = weight or next(iter(result.gradients))
    if weight not in result.gradients:
        raise ValueError(f"weight: expected one of {list(result.gradients)}; received weight={weight!r}.")
    factors = [(name, _matrix(m)) for name, m in result.chain(weight)]
    factors.append((f"∂L/∂{weight}", result.gradients[weight].reshape(factors[0][1].shape[0], -1)))
    widths = [m.shape[1] for _, m in factors]
    height = max(m.shape[0] for _, m in factors)
    fig = new_figure(CELL_INCHES * (sum(widths) + 1.2 * len(factors)) + 0.6, CELL_INCHES * height + 1.4)
    axes = fig.subplots(1, len(factors), width_ratios=widths)
    limit = max(float(np.abs(m).max()) for _, m in factors) or 1.0
    for i, (ax, (name, m)) in enumerate(zip(axes, factors)):
        ax.imshow(m, cmap=SIGNED_CMAP, vmin=-limit, vmax=limit)
        ax.set_ylim(height - 0.5, -0.5)  # every matrix hangs from the same top line
        annotate_values(ax, m, limit)
        bare(ax)
        ax.set_title(f"{name}\n{m.shape[0]}×{m.shape[1]}", fontsize=10)
        if i:
            ax.text(-0.5 - 0.6, (m.shape[0] - 1) / 2, "=" if i == len(factors) - 1 else "·", ha="center",
                    va="center", fontsize=16, transform=ax.transData, clip_on=False)
    agree = "equal to" if result.max_difference < 1e-9 else "DIFFERENT from"
    fig.suptitle(f"The chain rule for {weight}: {agree} PyTorch autograd (max |difference| "
                 f"{result.max_difference:.0e})", fontsize=10)
    return fig
