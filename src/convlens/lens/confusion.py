"""The confusion matrix: which classes the model takes for which.

Cells show counts; the colour is the row-normalised fraction (the share of
each true class that went to each prediction), so rare and common classes are
equally readable.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..models import Model
from .figures import RATIO_CMAP, new_figure, styled
from .scores import predict_proba

MAX_ANNOTATED = 30  # beyond this many classes the counts no longer fit in the cells


def as_labels(y: Any, arg: str) -> np.ndarray:
    """Integer class labels from labels ``(N,)``, one-hot rows or probabilities ``(N, K)``.

    Example:
        >>> as_labels([[0.1, 0.9], [0.8, 0.2]], "y_pred").tolist()
        [1, 0]
    """
    array = np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)
    if array.ndim == 2:
        return array.argmax(axis=1)
    if array.ndim != 1:
        raise ValueError(f"{arg}: expected class labels (N,) or scores (N, K); received shape {array.shape}.")
    if array.size and not np.allclose(array, np.round(array)):
        raise ValueError(f"{arg}: class labels must be whole numbers; received values like {array[:3].tolist()}.")
    return array.astype(np.int64)


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts ``C[i, j]`` of examples of true class ``i`` predicted as ``j``.

    Example:
        >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2]).tolist()
        [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    true, pred = as_labels(y_true, "y_true"), as_labels(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ValueError(f"y_true and y_pred need one label per example; received {true.shape[0]} and {pred.shape[0]}.")
    k = num_classes or int(max(true.max(initial=-1), pred.max(initial=-1)) + 1)
    if true.size and (min(true.min(), pred.min()) < 0 or max(true.max(), pred.max()) >= k):
        raise ValueError(f"labels must lie in 0..{k - 1} for num_classes={k}; received "
                         f"{int(min(true.min(), pred.min()))}..{int(max(true.max(), pred.max()))}.")
    return np.bincount(true * k + pred, minlength=k * k).reshape(k, k)


@styled
def plot_confusion_matrix(model: Model | None, x: Any, y: Any, class_names: Sequence[str] | None = None, *,
                          y_pred: Any = None, batch_size: int = 256) -> Figure:
    """Counts in the cells, row-normalised colour, the accuracy in the title.

    Args:
        model: the classifier; may be None when ``y_pred`` is given.
        x: the images (any form :func:`~convlens.lens.images.as_model_input` takes);
            ignored when ``y_pred`` is given.
        y: true labels ``(N,)`` or one-hot ``(N, K)``.
        class_names: one name per class (default: the class numbers).
        y_pred: precomputed predictions, labels or scores.
        batch_size: images per forward pass.
        save: path(s) ending in ``.png`` / ``.svg`` to write the figure to.

    Example:
        >>> fig = plot_confusion_matrix(None, None, [0, 1, 1], y_pred=[0, 1, 0], class_names=["cat", "dog"])
        >>> fig.axes[0].get_title()
        'Confusion matrix: accuracy 66.7% (2 of 3)'
    """
    if y_pred is None:
        if model is None or x is None:
            raise ValueError("plot_confusion_matrix needs a model and x, or precomputed predictions y_pred=.")
        y_pred = predict_proba(model, x, batch_size)
    true, pred = as_labels(y, "y"), as_labels(y_pred, "y_pred")
    k = max(len(class_names) if class_names is not None else 0,
            int(max(true.max(initial=-1), pred.max(initial=-1)) + 1),
            np.asarray(y_pred).shape[1] if np.ndim(y_pred) == 2 else 0)
    names = [str(n) for n in class_names] if class_names is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise ValueError(f"class_names: expected {k} names (one per class); received {len(names)}.")
    counts = confusion_matrix(true, pred, k)
    rows = counts.sum(axis=1, keepdims=True)
    fractions = np.divide(counts, rows, out=np.zeros(counts.shape, dtype=float), where=rows > 0)

    side = min(12.0, 2.2 + 0.5 * k)
    fig = new_figure(side + 1.2, side)
    ax = fig.subplots()
    image = ax.imshow(fractions, cmap=RATIO_CMAP, vmin=0, vmax=1)
    if k <= MAX_ANNOTATED:
        for i, j in np.ndindex(k, k):
            if counts[i, j]:
                ax.text(j, i, f"{counts[i, j]:,}", ha="center", va="center", fontsize=8 if k <= 12 else 6,
                        color="white" if fractions[i, j] > 0.55 else "black")
    step = max(1, k // MAX_ANNOTATED)
    rotate = max(len(n) for n in names) > 3
    ax.set_xticks(range(0, k, step), names[::step], rotation=45 if rotate else 0, ha="right" if rotate else "center")
    ax.set_yticks(range(0, k, step), names[::step])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    correct, total = int(np.trace(counts)), int(counts.sum())
    accuracy = correct / total if total else float("nan")
    ax.set_title(f"Confusion matrix: accuracy {accuracy:.1%} ({correct:,} of {total:,})", fontsize=11, fontweight="bold")
    fig.colorbar(image, ax=ax, shrink=0.8, label="fraction of the true class")
    return fig
