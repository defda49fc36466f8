"""confusion_matrix against NumPy, and the plot's counts, colours and title."""

from __future__ import annotations

import numpy as np
import pytest

from convlens import Sequential, layers
from convlens.lens import confusion_matrix, plot_confusion_matrix


def reference(true, pred, k):
    counts = np.zeros((k, k), int)
    np.add.at(counts, (true, pred), 1)
    return counts


def test_counts_match_numpy():
    rng = np.random.default_rng(0)
    true, pred = rng.integers(0, 7, 500), rng.integers(0, 7, 500)
    np.testing.assert_array_equal(confusion_matrix(true, pred), reference(true, pred, 7))
    scores = np.eye(7)[pred] + 0.01  # probabilities or one-hot rows are reduced by argmax
    np.testing.assert_array_equal(confusion_matrix(np.eye(7)[true], scores, 9), reference(true, pred, 9))
    with pytest.raises(ValueError, match="one label per example"):
        confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match="0..1"):
        confusion_matrix([0, 2], [0, 1], num_classes=2)


def test_plot_shows_counts_row_fractions_and_accuracy():
    true = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 2])
    pred = np.array([0, 0, 1, 1, 1, 2, 2, 2, 0, 1])
    fig = plot_confusion_matrix(None, None, true, ["cat", "dog", "fox"], y_pred=pred)
    ax = fig.axes[0]
    assert ax.get_title() == "Confusion matrix: accuracy 70.0% (7 of 10)"
    assert ax.get_xlabel() == "predicted label" and ax.get_ylabel() == "true label"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "fox"]
    fractions = ax.images[0].get_array()
    np.testing.assert_allclose(fractions[2], [0.2, 0.2, 0.6])
    np.testing.assert_allclose(fractions.sum(axis=1), 1)
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): int(t.get_text()) for t in ax.texts}
    counts = reference(true, pred, 3)
    assert cells == {(i, j): counts[i, j] for i, j in zip(*np.nonzero(counts))}


def test_plot_from_a_model_equals_precomputed_predictions():
    model = Sequential([layers.Input((4, 4, 1)), layers.Flatten(), layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(1).random((40, 4, 4)).astype(np.float32)
    y = np.random.default_rng(2).integers(0, 3, 40)
    pred = model.predict(x[..., None]).argmax(1)
    title = plot_confusion_matrix(model, x, y).axes[0].get_title()
    assert title == plot_confusion_matrix(None, None, y, y_pred=pred).axes[0].get_title()
    with pytest.raises(ValueError, match="class_names"):
        plot_confusion_matrix(model, x, y, class_names=["a", "b"])
    with pytest.raises(ValueError, match="needs a model and x"):
        plot_confusion_matrix(None, None, y)
