"""Every metric class against real Keras 3 (torch backend): two weighted updates, result, reset, variables, configs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens.training import metrics

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(1)
N, C = 12, 4
PROBS = RNG.dirichlet(np.ones(C), N).astype(np.float32)
ONE_HOT = np.eye(C, dtype=np.float32)[RNG.integers(0, C, N)]
IDS = RNG.integers(0, C, N)
BINARY = RNG.integers(0, 2, (N, C)).astype(np.float32)
SCORES = RNG.uniform(0, 1, (N, C)).astype(np.float32)
REAL = RNG.normal(0, 2, (N, C)).astype(np.float32)
POSITIVE = RNG.uniform(0.1, 3, (N, C)).astype(np.float32)
WEIGHTS = RNG.uniform(0, 2, N).astype(np.float32)

CASES = [
    ("Accuracy", {}, IDS.astype(np.float32), PROBS.argmax(-1).astype(np.float32)),
    ("BinaryAccuracy", {"threshold": 0.4}, BINARY, SCORES),
    ("CategoricalAccuracy", {}, ONE_HOT, PROBS),
    ("SparseCategoricalAccuracy", {}, IDS, PROBS),
    ("SparseCategoricalAccuracy", {}, IDS[:, None], PROBS),  # (N, 1) labels are squeezed
    ("TopKCategoricalAccuracy", {"k": 2}, ONE_HOT, PROBS),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, IDS, PROBS),
    ("Precision", {}, BINARY, SCORES),
    ("Precision", {"thresholds": [0.2, 0.7], "class_id": 2}, BINARY, SCORES),
    ("Recall", {"top_k": 2}, BINARY, SCORES),
    ("Recall", {"thresholds": 0.3}, BINARY, SCORES),
    ("AUC", {}, BINARY, SCORES),
    ("AUC", {"curve": "PR"}, BINARY, SCORES),
    ("AUC", {"num_thresholds": 11, "summation_method": "majoring"}, BINARY, SCORES),
    ("AUC", {"curve": "PR", "summation_method": "minoring", "from_logits": True}, BINARY, REAL),
    ("MeanSquaredError", {}, REAL, POSITIVE),
    ("MeanAbsoluteError", {}, REAL, POSITIVE),
    ("MeanAbsolutePercentageError", {}, REAL, POSITIVE),
    ("MeanSquaredLogarithmicError", {}, POSITIVE, REAL),
    ("RootMeanSquaredError", {}, REAL, POSITIVE),
    ("LogCoshError", {}, REAL, POSITIVE),
    ("CosineSimilarity", {}, REAL, POSITIVE),
    ("Hinge", {}, BINARY, REAL),
    ("SquaredHinge", {}, BINARY, REAL),
    ("CategoricalHinge", {}, ONE_HOT, REAL),
    ("KLDivergence", {}, ONE_HOT, PROBS),
    ("Poisson", {}, POSITIVE, PROBS),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, BINARY, SCORES),
    ("CategoricalCrossentropy", {"from_logits": True}, ONE_HOT, REAL),
    ("SparseCategoricalCrossentropy", {}, IDS, PROBS),
]


def keras_numpy(value):
    return keras.ops.convert_to_numpy(value)


@pytest.mark.parametrize("name,kwargs,y_true,y_pred", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_metric_matches_keras_over_weighted_updates_and_reset(name, kwargs, y_true, y_pred):
    ours, ref = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    half = N // 2
    for weight in (None, WEIGHTS):
        for part in (slice(0, half), slice(half, N)):
            w = None if weight is None else weight[part]
            ours.update_state(torch.tensor(y_true[part]), torch.tensor(y_pred[part]), sample_weight=w)
            ref.update_state(y_true[part], y_pred[part], sample_weight=w)
        np.testing.assert_allclose(ours.result().numpy(), keras_numpy(ref.result()), rtol=2e-5, atol=1e-6,
                                   err_msg=f"weights={weight is not None}")
        assert len(ours.variables) == len(ref.variables)
        ours.reset_state()
        ref.reset_state()
        np.testing.assert_allclose(ours.result().numpy(), keras_numpy(ref.result()), atol=1e-7)


@pytest.mark.parametrize("name,kwargs,y_true,y_pred", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_keras_configs_rebuild_the_same_metric(name, kwargs, y_true, y_pred):
    ref = getattr(keras.metrics, name)(name="custom", **kwargs)
    ours = metrics.get({"class_name": name, "config": ref.get_config()})
    assert type(ours).__name__ == name and ours.name == "custom"
    ours.update_state(torch.tensor(y_true), torch.tensor(y_pred))
    ref.update_state(y_true, y_pred)
    np.testing.assert_allclose(ours.result().numpy(), keras_numpy(ref.result()), rtol=2e-5, atol=1e-6)


def test_mean_and_sum_with_weights_of_several_ranks_match_keras():
    values = RNG.normal(0, 1, (N, 3)).astype(np.float32)
    for name in ("Mean", "Sum"):
        for weight in (None, WEIGHTS, WEIGHTS[:, None], np.float32(2.0) * np.ones((N, 3), np.float32)):
            ours, ref = getattr(metrics, name)(), getattr(keras.metrics, name)()
            ours.update_state(torch.tensor(values), sample_weight=None if weight is None else torch.tensor(weight))
            ref.update_state(values, sample_weight=weight)
            np.testing.assert_allclose(ours.result().numpy(), keras_numpy(ref.result()), rtol=2e-5)


def test_mean_metric_wrapper_with_a_custom_function_matches_keras():
    def error(y_true, y_pred):
        return (y_true - y_pred).abs().amax(dim=-1) if isinstance(y_pred, torch.Tensor) else \
            keras.ops.max(keras.ops.abs(y_true - y_pred), axis=-1)

    ours, ref = metrics.MeanMetricWrapper(error, name="max_error"), keras.metrics.MeanMetricWrapper(error)
    ours.update_state(torch.tensor(REAL), torch.tensor(POSITIVE), sample_weight=torch.tensor(WEIGHTS))
    ref.update_state(REAL, POSITIVE, sample_weight=WEIGHTS)
    assert ours.result().item() == pytest.approx(float(keras_numpy(ref.result())), rel=2e-5)


def test_invalid_arguments_follow_keras_wording():
    with pytest.raises(ValueError, match="Invalid AUC curve value"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="Threshold values must be in"):
        metrics.Precision(thresholds=[1.5])
    with pytest.raises(ValueError, match="Received: k=0"):
        metrics.TopKCategoricalAccuracy(k=0)
