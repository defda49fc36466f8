"""Training curves: loss and accuracy per epoch, training next to validation.

Accepts what training leaves behind: a ``History`` (``.history`` dict), the
dict itself, or the ``metrics.csv`` a run folder holds (Keras's CSVLogger
columns: ``epoch`` counted from 0, then one column per metric).
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any, Mapping

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from .figures import new_figure, styled

TRAIN_COLOUR = "#1f77b4"
VAL_COLOUR = "#ff7f0e"


def load_history(history: Any) -> dict[str, list[float]]:
    """``{metric: [value per epoch]}`` from a History, a dict, a metrics.csv path or a run folder.

    Raises:
        ValueError: for a CSV without metric columns or columns of different lengths.
        TypeError: for anything else.

    Example:
        >>> load_history({"loss": [0.5, 0.3], "val_loss": [0.6, 0.4]})["val_loss"]
        [0.6, 0.4]
    """
    if isinstance(history, (str, os.PathLike)):
        path = Path(history)
        return _read_csv(path / "metrics.csv" if path.is_dir() else path)  # a run folder: its metrics.csv
    data = getattr(history, "history", history)
    if not isinstance(data, Mapping):
        raise TypeError(
            f"history: expected a History (with .history), a dict of metric lists or a metrics.csv path; "
            f"received {type(history).__name__}."
        )
    metrics = {str(k): [float(v) for v in values] for k, values in data.items() if k != "epoch"}
    lengths = {len(v) for v in metrics.values()}
    if len(lengths) > 1:
        raise ValueError(f"history: every metric needs one value per epoch; received lengths "
                         f"{ {k: len(v) for k, v in metrics.items()} }.")
    return metrics


def _read_csv(path: Path) -> dict[str, list[float]]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"history: {str(path)!r} holds no epochs.")
    names = [name for name in rows[0] if name and name != "epoch"]
    if not names:
        raise ValueError(f"history: {str(path)!r} has no metric columns, only {list(rows[0])}.")
    return {name: [float(row[name]) if row[name] not in ("", None) else math.nan for row in rows] for name in names}


@styled
def plot_history(history: Any) -> Figure:
    """Loss and accuracy per epoch: one panel each, training and validation curves.

    Other metrics (``val_`` pairs included) get a panel each after these.

    Args:
        history: a ``History``, its ``.history`` dict, or a ``metrics.csv`` path.
        save: path(s) ending in ``.png`` / ``.svg`` to write the figure to.

    Example:
        >>> fig = plot_history({"loss": [0.9, 0.4], "accuracy": [0.7, 0.9],
        ...                     "val_loss": [0.8, 0.5], "val_accuracy": [0.75, 0.85]})
        >>> [ax.get_title() for ax in fig.axes]
        ['Loss', 'Accuracy']
    """
    metrics = load_history(history)
    bases = [name for name in metrics if not name.startswith("val_")]
    bases += [name[4:] for name in metrics if name.startswith("val_") and name[4:] not in metrics]
    bases = [b for b in bases if b != "lr" and b != "learning_rate"]
    if not bases:
        raise ValueError(f"history: no metrics to plot; received keys {sorted(metrics)}.")
    # Loss first, then accuracy, then the rest as they came.
    bases.sort(key=lambda b: (b != "loss", "acc" not in b))
    fig = new_figure(4.2 * len(bases) + 0.4, 3.4)
    axes = fig.subplots(1, len(bases), squeeze=False)[0]
    epochs = max(len(v) for v in metrics.values())
    for ax, base in zip(axes, bases):
        _panel(ax, base, metrics.get(base), metrics.get(f"val_{base}"))
    fig.suptitle(f"Training history ({epochs} epoch{'s' * (epochs != 1)})")
    return fig


def _panel(ax: Axes, base: str, train: list[float] | None, val: list[float] | None) -> None:
    for values, label, colour in ((train, "training", TRAIN_COLOUR), (val, "validation", VAL_COLOUR)):
        if values:
            ax.plot(range(1, len(values) + 1), values, marker="o", markersize=4, linewidth=1.8, color=colour, label=label)
    ax.set_xlim(0.5, max(len(train or []), len(val or [])) + 0.5)  # whole epochs, even for one
    title = base.replace("_", " ").capitalize()
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel(base.replace("_", " "))
    ax.grid(True, alpha=0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    if "acc" in base and max(train or val or [0]) <= 1:
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
    ax.legend(frameon=False)
