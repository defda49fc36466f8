"""plot_history: History objects, dicts and metrics.csv; loss and accuracy panels."""

from __future__ import annotations

import numpy as np
import pytest

from convlens.lens import load_history, plot_history

METRICS = {"loss": [0.9, 0.5, 0.3], "accuracy": [0.7, 0.85, 0.9],
           "val_loss": [1.0, 0.6, 0.5], "val_accuracy": [0.65, 0.8, 0.86]}


class History:
    def __init__(self, history):
        self.history = history


def panels(fig):
    return {ax.get_title(): ax for ax in fig.axes}


def test_all_three_sources_give_the_same_curves(tmp_path):
    csv = tmp_path / "metrics.csv"
    csv.write_text("epoch,accuracy,loss,val_accuracy,val_loss\n" + "".join(
        f"{e},{METRICS['accuracy'][e]},{METRICS['loss'][e]},{METRICS['val_accuracy'][e]},{METRICS['val_loss'][e]}\n"
        for e in range(3)))
    for source in (METRICS, History(METRICS), csv, str(csv)):
        assert load_history(source) == {k: pytest.approx(v) for k, v in METRICS.items()}
        fig = plot_history(source)
        by_title = panels(fig)
        assert list(by_title) == ["Loss", "Accuracy"]
        loss = by_title["Loss"]
        assert [line.get_label() for line in loss.get_lines()] == ["training", "validation"]
        np.testing.assert_allclose(loss.get_lines()[1].get_ydata(), METRICS["val_loss"])
        np.testing.assert_array_equal(loss.get_lines()[0].get_xdata(), [1, 2, 3])  # epochs count from 1
        assert loss.get_xlabel() == "epoch"


def test_training_only_and_other_metrics():
    fig = plot_history({"loss": [1.0], "mae": [0.5], "val_mae": [0.6]})
    by_title = panels(fig)
    assert list(by_title) == ["Loss", "Mae"]
    assert len(by_title["Loss"].get_lines()) == 1 and len(by_title["Mae"].get_lines()) == 2


def test_bad_histories_are_refused(tmp_path):
    with pytest.raises(TypeError, match="History"):
        plot_history(42)
    with pytest.raises(ValueError, match="one value per epoch"):
        plot_history({"loss": [1, 2], "val_loss": [1]})
    empty = tmp_path / "empty.csv"
    empty.write_text("epoch\n")
    with pytest.raises(ValueError, match="no epochs"):
        plot_history(empty)


def test_a_run_folder_reads_its_metrics_csv(tmp_path):
    from convlens.lens.history import load_history

    (tmp_path / "metrics.csv").write_text("epoch,loss,val_loss\n0,0.5,0.6\n1,0.3,0.4\n")
    assert load_history(tmp_path) == {"loss": [0.5, 0.3], "val_loss": [0.6, 0.4]}
