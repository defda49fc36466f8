"""Losses against NumPy re-computations of Keras's formulas (float32, probabilities clipped at 1e-7)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens.training import losses

F32 = np.float32
EPS = F32(1e-7)


def np_log_softmax(z: np.ndarray) -> np.ndarray:
    z = z.astype(np.float64)
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


# Rows: ordinary, a probability of exactly 0 and 1 (both clipped), and an
# unnormalised row (Keras divides by the sum first).
PROBS = np.array([[0.7, 0.2, 0.1], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [2.0, 1.0, 1.0]], F32)
LABELS = np.array([0, 0, 0, 2])


def test_sparse_crossentropy_from_probabilities_clips_like_keras():
    p = PROBS / PROBS.sum(-1, keepdims=True)
    expected = -np.log(np.clip(p[np.arange(4), LABELS], EPS, F32(1) - EPS))  # float32 arithmetic, as Keras
    got = losses.sparse_categorical_crossentropy(torch.tensor(LABELS), torch.tensor(PROBS)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert got[1] == pytest.approx(-np.log(1e-7), rel=1e-6)  # p[y] = 0 → clipped at 1e-7: 16.118
    assert got[2] == pytest.approx(1.1920929e-07, rel=1e-5)  # p[y] = 1 → clipped at float32(1 - 1e-7)
    mean = losses.SparseCategoricalCrossentropy()(torch.tensor(LABELS), torch.tensor(PROBS))
    assert mean.item() == pytest.approx(expected.mean(), rel=1e-6)


def test_sparse_crossentropy_labels_may_be_column_or_float():
    probs = torch.tensor(PROBS)
    ref = losses.sparse_categorical_crossentropy(torch.tensor(LABELS), probs)
    column = losses.sparse_categorical_crossentropy(torch.tensor(LABELS[:, None]), probs)
    floats = losses.sparse_categorical_crossentropy(torch.tensor(LABELS, dtype=torch.float32), probs)
    assert torch.equal(ref, column) and torch.equal(ref, floats)


def test_sparse_crossentropy_from_logits():
    z = np.random.default_rng(0).normal(0, 3, (5, 4)).astype(F32)
    y = np.array([0, 3, 1, 2, 2])
    expected = -np_log_softmax(z)[np.arange(5), y]
    got = losses.SparseCategoricalCrossentropy(from_logits=True)(torch.tensor(y), torch.tensor(z))
    assert got.item() == pytest.approx(expected.mean(), rel=1e-6)


def test_clipped_probability_stops_the_gradient_as_keras_clip_does():
    probs = torch.tensor([[1e-9, 1.0 - 1e-9], [0.5, 0.5]], requires_grad=True)
    losses.sparse_categorical_crossentropy(torch.tensor([0, 0]), probs).sum().backward()
    assert torch.all(probs.grad[0] == 0) and probs.grad[1, 0] != 0


def test_categorical_crossentropy_probabilities_logits_and_label_smoothing():
    onehot = np.eye(3, dtype=F32)[LABELS]
    p = np.clip(PROBS / PROBS.sum(-1, keepdims=True), EPS, F32(1) - EPS)
    expected = -(onehot * np.log(p)).sum(-1)
    got = losses.categorical_crossentropy(torch.tensor(onehot), torch.tensor(PROBS)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6)

    z = np.random.default_rng(1).normal(size=(4, 3)).astype(F32)
    smoothed = onehot * 0.9 + 0.1 / 3
    expected = -(smoothed * np_log_softmax(z)).sum(-1)
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    assert loss(torch.tensor(onehot), torch.tensor(z)).item() == pytest.approx(expected.mean(), rel=1e-6)


def test_binary_crossentropy_probabilities_and_logits():
    y = np.array([[1.0], [0.0], [1.0], [0.0]], F32)
    p = np.array([[0.8], [0.3], [1.0], [0.0]], F32)
    pc = np.clip(p, EPS, F32(1) - EPS)
    expected = -(y * np.log(pc) + (1 - y) * np.log(1 - pc)).mean(-1)
    got = losses.binary_crossentropy(torch.tensor(y), torch.tensor(p)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    # Labels of shape (N,) against predictions (N, 1), as Keras accepts.
    flat = losses.BinaryCrossentropy()(torch.tensor(y[:, 0]), torch.tensor(p))
    assert flat.item() == pytest.approx(expected.mean(), rel=1e-5)

    z = np.array([[2.0], [-1.0], [30.0], [-30.0]], F32)
    sig = 1 / (1 + np.exp(-z.astype(np.float64)))
    expected = -(y * np.log(sig) + (1 - y) * np.log1p(-sig)).mean()
    got = losses.BinaryCrossentropy(from_logits=True)(torch.tensor(y), torch.tensor(z)).item()
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-9)


def test_mse_mae_and_reductions():
    y = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    p = torch.tensor([[0.0, 0.0], [1.0, 3.0]])
    assert losses.mean_squared_error(y, p).tolist() == [2.5, 5.0]
    assert losses.mae(y, p).tolist() == [1.5, 2.0]
    assert losses.get("mse")(y, p).item() == 3.75
    assert losses.MeanAbsoluteError(reduction="sum")(y, p).item() == 3.5
    assert losses.MeanSquaredError(reduction=None)(y, p).tolist() == [2.5, 5.0]


def test_get_by_name_class_name_object_and_function():
    assert isinstance(losses.get("sparse_categorical_crossentropy"), losses.SparseCategoricalCrossentropy)
    assert isinstance(losses.get("BinaryCrossentropy"), losses.BinaryCrossentropy)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    assert losses.get(loss) is loss
    custom = losses.get(lambda y_true, y_pred: (y_true - y_pred).abs().sum(-1))
    assert custom(torch.zeros(2, 2), torch.ones(2, 2)).item() == 2.0
    config = {"class_name": "SparseCategoricalCrossentropy",
              "config": {"from_logits": True, "ignore_class": None, "reduction": "sum_over_batch_size", "name": "scce"}}
    assert losses.get(config).from_logits is True


def test_unknown_loss_lists_the_allowed_names():
    with pytest.raises(ValueError, match="Unknown loss: loss='crossentropy'.*sparse_categorical_crossentropy"):
        losses.get("crossentropy")
    with pytest.raises(TypeError, match="Could not interpret loss"):
        losses.get(3)


def test_shape_errors_say_which_kind_of_labels_is_expected():
    with pytest.raises(ValueError, match="integer class ids"):
        losses.sparse_categorical_crossentropy(torch.eye(3), torch.rand(3, 3))
    with pytest.raises(ValueError, match="one-hot labels"):
        losses.categorical_crossentropy(torch.tensor([0, 1]), torch.rand(2, 3))
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="avg")
