"""Every loss class against real Keras 3 (torch backend) on the same inputs: values, reductions, sample weights, configs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens.training import losses

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
N, C = 6, 4
PROBS = RNG.dirichlet(np.ones(C), N).astype(np.float32)
LOGITS = RNG.normal(0, 2, (N, C)).astype(np.float32)
ONE_HOT = np.eye(C, dtype=np.float32)[RNG.integers(0, C, N)]
BINARY = RNG.integers(0, 2, (N, C)).astype(np.float32)
SIGNED = 2 * BINARY - 1
REAL = RNG.normal(0, 2, (N, C)).astype(np.float32)
POSITIVE = RNG.uniform(0.1, 3, (N, C)).astype(np.float32)
WEIGHTS = np.array([1.0, 0.0, 2.0, 0.5, 1.0, 3.0], np.float32)

# (class name, constructor kwargs, y_true, y_pred)
CASES = [
    ("MeanSquaredError", {}, REAL, POSITIVE),
    ("MeanAbsoluteError", {}, REAL, POSITIVE),
    ("MeanAbsolutePercentageError", {}, REAL, POSITIVE),
    ("MeanSquaredLogarithmicError", {}, POSITIVE, REAL),
    ("Huber", {"delta": 0.7}, REAL, POSITIVE),
    ("LogCosh", {}, REAL, POSITIVE),
    ("CosineSimilarity", {"axis": -1}, REAL, POSITIVE),
    ("KLDivergence", {}, ONE_HOT, PROBS),
    ("Poisson", {}, POSITIVE, PROBS),
    ("Hinge", {}, BINARY, REAL),
    ("Hinge", {}, SIGNED, REAL),
    ("SquaredHinge", {}, BINARY, REAL),
    ("CategoricalHinge", {}, ONE_HOT, REAL),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, BINARY, PROBS),
    ("BinaryCrossentropy", {"from_logits": True}, BINARY, LOGITS),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, ONE_HOT, PROBS),
    ("CategoricalCrossentropy", {"from_logits": True, "axis": 0}, ONE_HOT, LOGITS),
    ("BinaryFocalCrossentropy", {"gamma": 1.5}, BINARY, PROBS),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.3, "from_logits": True,
                                 "label_smoothing": 0.1}, BINARY, LOGITS),
    ("CategoricalFocalCrossentropy", {}, ONE_HOT, PROBS),
    ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 3.0, "from_logits": True, "label_smoothing": 0.1},
     ONE_HOT, LOGITS),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


def keras_value(loss, *args, **kwargs):
    return keras.ops.convert_to_numpy(loss(*args, **kwargs))


@pytest.mark.parametrize("name,kwargs,y_true,y_pred", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_loss_matches_keras_in_every_reduction_with_and_without_weights(name, kwargs, y_true, y_pred):
    for reduction in REDUCTIONS:
        ours = getattr(losses, name)(reduction=reduction, **kwargs)
        ref = getattr(keras.losses, name)(reduction=reduction, **kwargs)
        # Classes on axis 0 leave one loss per column: weights per sample do not apply.
        for weight in (None,) if kwargs.get("axis") == 0 else (None, WEIGHTS, WEIGHTS[:, None]):
            got = ours(torch.tensor(y_true), torch.tensor(y_pred), sample_weight=weight).numpy()
            expected = keras_value(ref, y_true, y_pred, sample_weight=weight)
            np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6, err_msg=f"{reduction} {weight}")


@pytest.mark.parametrize("name,kwargs,y_true,y_pred", CASES[:13], ids=[c[0] for c in CASES[:13]])
def test_loss_function_matches_keras_per_sample(name, kwargs, y_true, y_pred):
    fn = losses.get(name).fn
    expected = keras_value(getattr(keras.losses, fn.__name__), y_true, y_pred, **kwargs)
    np.testing.assert_allclose(fn(torch.tensor(y_true), torch.tensor(y_pred), **kwargs).numpy(), expected, rtol=2e-5,
                               atol=1e-6)


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_crossentropy_ignore_class_and_axis_match_keras(from_logits):
    y_pred = (LOGITS if from_logits else PROBS)
    labels = np.array([0, 3, 1, 3, 2, 0])
    for reduction in REDUCTIONS:
        for weight in (None, WEIGHTS):
            ours = losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=3, reduction=reduction)
            ref = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=3, reduction=reduction)
            np.testing.assert_allclose(ours(torch.tensor(labels), torch.tensor(y_pred), sample_weight=weight).numpy(),
                                       keras_value(ref, labels, y_pred, sample_weight=weight), rtol=2e-5, atol=1e-6)
    # Classes on axis 1 of (N, C, L) scores, labels (N, L).
    scores = RNG.dirichlet(np.ones(C), (2, 5)).astype(np.float32).transpose(0, 2, 1)  # (2, C, 5)
    ids = RNG.integers(0, C, (2, 5))
    ours = losses.SparseCategoricalCrossentropy(axis=1)(torch.tensor(ids), torch.tensor(scores))
    ref = keras.losses.SparseCategoricalCrossentropy(axis=1)(ids, scores)
    assert ours.item() == pytest.approx(float(keras.ops.convert_to_numpy(ref)), rel=2e-5)


def test_integer_targets_and_predictions_in_mse_mae():
    y_true, y_pred = np.array([[1, 2], [3, 4]]), np.array([[0, 2], [5, 1]])
    for name in ("MeanSquaredError", "MeanAbsoluteError"):
        got = getattr(losses, name)()(y_true, y_pred).item()
        assert got == pytest.approx(float(keras_value(getattr(keras.losses, name)(), y_true, y_pred)))


def test_binary_crossentropy_raises_on_mismatched_shapes_as_keras():
    y_true, y_pred = np.zeros((4, 3), np.float32), np.full((4, 2), 0.5, np.float32)
    with pytest.raises(ValueError, match="must have the same shape"):
        keras.losses.BinaryCrossentropy()(y_true, y_pred)
    with pytest.raises(ValueError, match="must have the same shape"):
        losses.BinaryCrossentropy()(torch.tensor(y_true), torch.tensor(y_pred))


def test_rank_one_labels_against_column_predictions_as_keras():
    y_true, y_pred = BINARY[:, 0], PROBS[:, :1]
    for name in ("BinaryCrossentropy", "MeanSquaredError", "Hinge"):
        got = getattr(losses, name)(reduction=None)(torch.tensor(y_true), torch.tensor(y_pred)).numpy()
        np.testing.assert_allclose(got, keras_value(getattr(keras.losses, name)(reduction=None), y_true, y_pred),
                                   rtol=2e-5)


@pytest.mark.parametrize("name", sorted(losses.CLASSES))
def test_configs_round_trip_both_ways_with_keras(name):
    keras_loss = getattr(keras.losses, name)(name="custom", reduction="sum")
    ours = losses.CLASSES[name].from_config(keras_loss.get_config())
    config = ours.get_config()
    assert {k: v for k, v in config.items() if k in keras_loss.get_config()} == keras_loss.get_config()
    assert getattr(keras.losses, name).from_config(config).get_config() == keras_loss.get_config()
    assert losses.get({"class_name": name, "config": config}).get_config() == config


def test_bad_reduction_names_the_allowed_values():
    with pytest.raises(ValueError, match="mean_with_sample_weight.*Received: reduction='avg'"):
        losses.Huber(reduction="avg")
