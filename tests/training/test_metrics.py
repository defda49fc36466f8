"""Metrics: Keras's per-sample definitions, "accuracy" resolution, and on-device running means."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens.training import metrics


def test_accuracy_functions_match_numpy():
    rng = np.random.default_rng(0)
    scores = rng.random((50, 6)).astype(np.float32)
    y = rng.integers(0, 6, 50)
    expected = (scores.argmax(-1) == y).astype(np.float32)
    assert np.array_equal(metrics.sparse_categorical_accuracy(torch.tensor(y), torch.tensor(scores)).numpy(), expected)
    onehot = np.eye(6, dtype=np.float32)[y]
    assert np.array_equal(metrics.categorical_accuracy(torch.tensor(onehot), torch.tensor(scores)).numpy(), expected)
    top3 = np.array([label in np.argsort(-row)[:3] for row, label in zip(scores, y)], np.float32)
    got = metrics.sparse_top_k_categorical_accuracy(torch.tensor(y), torch.tensor(scores), k=3).numpy()
    assert np.array_equal(got, top3)
    assert np.array_equal(metrics.top_k_categorical_accuracy(torch.tensor(onehot), torch.tensor(scores), k=3).numpy(), top3)


def test_top_k_ties_count_for_the_true_class_as_keras_in_top_k():
    scores = torch.tensor([[0.5, 0.5, 0.5, 0.1]])
    assert metrics.sparse_top_k_categorical_accuracy(torch.tensor([2]), scores, k=1).item() == 1.0


def test_binary_accuracy_threshold():
    y = torch.tensor([1.0, 0.0, 1.0, 0.0])
    p = torch.tensor([[0.6], [0.6], [0.4], [0.5]])
    assert metrics.binary_accuracy(y, p).flatten().tolist() == [1.0, 0.0, 0.0, 1.0]
    assert metrics.binary_accuracy(y, p, threshold=0.3).flatten().tolist() == [1.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize("y_shape, p_shape, expected", [
    ((32,), (32, 10), metrics.SparseCategoricalAccuracy),   # sparse CE labels
    ((32, 1), (32, 10), metrics.SparseCategoricalAccuracy),
    ((32, 10), (32, 10), metrics.CategoricalAccuracy),      # categorical CE, one-hot labels
    ((32, 1), (32, 1), metrics.BinaryAccuracy),             # binary CE, one sigmoid unit
    ((32,), (32, 1), metrics.BinaryAccuracy),
])
def test_accuracy_is_resolved_as_keras_does(y_shape, p_shape, expected):
    metric = metrics.get("accuracy", y_shape, p_shape)
    assert type(metric) is expected and metric.name == "accuracy"
    assert metrics.get("acc", y_shape, p_shape).name == "acc"


def test_running_mean_is_weighted_by_samples_and_stays_on_device():
    tracker = metrics.CompiledMetrics(["accuracy", "sparse_top_k_categorical_accuracy"])
    tracker.update(torch.tensor(1.0), torch.tensor([0, 1, 2]), torch.eye(3))  # 3 samples, loss 1
    tracker.update(torch.tensor(4.0), torch.tensor([1]), torch.tensor([[1.0, 0.0, 0.0]]))  # 1 sample, loss 4
    assert isinstance(tracker.loss.total, torch.Tensor)  # a device tensor, not a Python float
    logs = tracker.result()
    assert list(logs) == ["accuracy", "loss", "sparse_top_k_categorical_accuracy"]  # sorted, as Keras's logs
    assert logs["loss"] == pytest.approx((3 * 1 + 4) / 4)
    assert logs["accuracy"] == pytest.approx(3 / 4)
    assert logs["sparse_top_k_categorical_accuracy"] == 1.0
    assert tracker.names == ["loss", "accuracy", "sparse_top_k_categorical_accuracy"]
    tracker.reset()
    assert tracker.result() == {}


def test_one_loss_sample_weighting_matches_keras_mean():
    m = metrics.Mean()
    m.update_state(torch.tensor(2.0), sample_weight=32)
    m.update_state(torch.tensor(5.0), sample_weight=8)
    assert m.result().item() == pytest.approx((2 * 32 + 5 * 8) / 40)


def test_loss_names_work_as_metrics_and_unknown_names_are_listed():
    mae = metrics.get("mae")
    mae.update_state(torch.tensor([[1.0], [3.0]]), torch.zeros(2, 1))
    assert mae.result().item() == 2.0 and mae.direction == "down"
    with pytest.raises(ValueError, match="Unknown metric: 'accuracyy'.*sparse_categorical_accuracy"):
        metrics.CompiledMetrics(["accuracyy"])
    # A repeated name is numbered, as Keras's CompileMetrics does; 'loss' is taken.
    tracker = metrics.CompiledMetrics(["mae", "mae"])
    tracker.update(torch.tensor(0.0), torch.zeros(2, 1), torch.ones(2, 1))
    assert tracker.result() == {"loss": 0.0, "mae": 1.0, "mae_1": 1.0}
    with pytest.raises(ValueError, match="cannot be named 'loss'"):
        metrics.CompiledMetrics([metrics.Mean(name="loss")]).build(torch.zeros(2, 1), torch.zeros(2, 1))


def test_keras_serialized_metrics_are_accepted():
    metric = metrics.get({"module": "keras.metrics", "class_name": "BinaryAccuracy",
                          "config": {"name": "bin_acc", "dtype": "float32", "threshold": 0.7}})
    assert isinstance(metric, metrics.BinaryAccuracy) and metric.name == "bin_acc"
    metric.update_state(torch.tensor([[1.0]]), torch.tensor([[0.6]]))  # 0.6 is below the 0.7 threshold
    assert metric.result().item() == 0.0
    with pytest.raises(ValueError, match="Unknown metric class 'F1Score'"):
        metrics.get({"class_name": "F1Score", "config": {}})
