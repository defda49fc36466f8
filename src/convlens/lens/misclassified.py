"""The model's worst mistakes: the misclassified examples with the highest loss.

The loss of an example is the cross-entropy ``−log p(true class)``, so the
first panels are the mistakes the model was most sure about.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..models import Model
from .confusion import as_labels
from .figures import grid_shape, new_figure, show_image, styled
from .images import as_model_input
from .scores import predict_proba

PANEL_INCHES = 1.5


def worst_mistakes(probabilities: np.ndarray, labels: Any, k: int) -> np.ndarray:
    """Indices of the ``k`` misclassified examples with the highest cross-entropy, worst first.

    Example:
        >>> p = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]])
        >>> worst_mistakes(p, [0, 0, 0], 5).tolist()  # example 2 gave the true class 0.2
        [2, 1]
    """
    true = as_labels(labels, "y")
    if len(true) != len(probabilities):
        raise ValueError(f"y: expected one label per example ({len(probabilities)}); received {len(true)}.")
    loss = -np.log(np.clip(probabilities[np.arange(len(true)), true], 1e-12, None))
    wrong = np.flatnonzero(probabilities.argmax(axis=1) != true)
    return wrong[np.argsort(-loss[wrong], kind="stable")][:k]


@styled
def plot_misclassified(model: Model, x: Any, y: Any, k: int = 16, class_names: Sequence[str] | None = None,
                       *, batch_size: int = 256) -> Figure:
    """The ``k`` highest-loss misclassified images, each titled ``pred X (p) / true Y``.

    Args:
        model: the classifier.
        x: images (N, H, W[, C]), uint8 or float.
        y: true labels (N,) or one-hot (N, K).
        k: how many mistakes to show.
        class_names: names for the class numbers.
        batch_size: images per forward pass.
        save: path(s) ending in ``.png`` / ``.svg`` to write the figure to.

    Example:
        >>> from convlens import zoo
        >>> images = np.random.default_rng(0).integers(0, 255, (8, 28, 28), dtype=np.uint8)
        >>> fig = plot_misclassified(zoo.create("mnist-convnet"), images, np.zeros(8, int), k=4)
        >>> len([ax for ax in fig.axes if ax.images]) <= 4
        True
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int; received k={k!r}.")
    batch, _ = as_model_input(model, x)
    probabilities = predict_proba(model, batch, batch_size)
    names = list(class_names) if class_names is not None else [str(i) for i in range(probabilities.shape[1])]
    if len(names) != probabilities.shape[1]:
        raise ValueError(f"class_names: the model has {probabilities.shape[1]} classes; received {len(names)} names.")
    true = as_labels(y, "y")
    chosen = worst_mistakes(probabilities, true, k)
    total_wrong = int((probabilities.argmax(axis=1) != true).sum())
    if not len(chosen):
        fig = new_figure(5, 1.6)
        fig.text(0.5, 0.5, f"No misclassified examples among {len(true):,}.", ha="center", va="center", fontsize=12)
        return fig
    rows, cols = grid_shape(len(chosen), 8)
    fig = new_figure(0.3 + cols * PANEL_INCHES, 0.6 + rows * (PANEL_INCHES + 0.35))
    axes = fig.subplots(rows, cols, squeeze=False)
    images = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x)
    for ax, index in zip(axes.flat, chosen):
        predicted = int(probabilities[index].argmax())
        show_image(ax, images[index])
        pred_text = f"pred {names[predicted]} ({probabilities[index, predicted]:.2f})"
        true_text = f"/ true {names[true[index]]}"
        joint = "\n" if len(pred_text) + len(true_text) > 22 else " "
        ax.set_title(pred_text + joint + true_text, fontsize=8, color="#b2182b", pad=3)
        ax.set_xlabel(f"#{index}", fontsize=7, color="0.4", labelpad=2)
    for ax in axes.flat[len(chosen):]:
        ax.set_visible(False)
    fig.suptitle(f"Most confident mistakes: {len(chosen)} of {total_wrong:,} misclassified "
                 f"(of {len(true):,}), highest loss first")
    return fig
