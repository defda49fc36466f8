"""plot_misclassified: the highest-loss mistakes, titled with prediction, confidence and truth."""

from __future__ import annotations

import numpy as np
import pytest

from convlens import Sequential, layers
from convlens.lens import plot_misclassified, predict_proba
from convlens.lens.misclassified import worst_mistakes


def test_worst_mistakes_are_sorted_by_cross_entropy():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=200)
    y = rng.integers(0, 4, 200)
    wrong = np.flatnonzero(p.argmax(1) != y)
    loss = -np.log(p[np.arange(200), y])
    expected = wrong[np.argsort(-loss[wrong])][:7]
    np.testing.assert_array_equal(worst_mistakes(p, y, 7), expected)
    assert len(worst_mistakes(p, p.argmax(1), 5)) == 0


def model_and_data():
    model = Sequential([layers.Input((5, 5, 1)), layers.Flatten(), layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(3).integers(0, 256, (60, 5, 5), dtype=np.uint8)
    y = np.random.default_rng(4).integers(0, 3, 60)
    return model, x, y


def test_panels_show_the_worst_mistakes_with_their_titles():
    model, x, y = model_and_data()
    p = predict_proba(model, x)
    chosen = worst_mistakes(p, y, 6)
    fig = plot_misclassified(model, x, y, k=6, class_names=["a", "b", "c"])
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 6
    for ax, index in zip(panels, chosen):
        pred = p[index].argmax()
        assert ax.get_title() == f"pred {'abc'[pred]} ({p[index, pred]:.2f}) / true {'abc'[y[index]]}"
        np.testing.assert_array_equal(ax.images[0].get_array(), x[index].astype(np.float32))


def test_no_mistakes_and_bad_arguments():
    model, x, _ = model_and_data()
    fig = plot_misclassified(model, x, predict_proba(model, x).argmax(1))
    assert not [ax for ax in fig.axes if ax.images] and "No misclassified" in fig.texts[0].get_text()
    with pytest.raises(ValueError, match="k must be"):
        plot_misclassified(model, x, np.zeros(60, int), k=0)
    with pytest.raises(ValueError, match="one label per example"):
        plot_misclassified(model, x, np.zeros(5, int))
