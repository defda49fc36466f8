"""Constraints against Keras 3.15 (torch backend): projections, configs, and their place in an optimizer step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convlens.keras as ck

keras = pytest.importorskip("keras")

W = np.random.default_rng(0).normal(size=(3, 3, 2, 4)).astype("float32")


@pytest.mark.parametrize("make", [
    lambda lib: lib.MaxNorm(1.5), lambda lib: lib.MaxNorm(1.0, axis=[0, 1, 2]), lambda lib: lib.NonNeg(),
    lambda lib: lib.UnitNorm(axis=-1), lambda lib: lib.MinMaxNorm(0.5, 1.2, rate=0.7, axis=[0, 1, 2]),
    lambda lib: lib.get("max_norm"), lambda lib: lib.get("non_neg"), lambda lib: lib.get("unit_norm"),
    lambda lib: lib.get("min_max_norm"),
])
def test_projection_and_config_match_keras(make):
    ours, theirs = make(ck.constraints), make(keras.constraints)
    expected = keras.ops.convert_to_numpy(theirs(keras.ops.convert_to_tensor(W)))
    np.testing.assert_allclose(ours(torch.tensor(W)).numpy(), expected, rtol=1e-6, atol=1e-7)
    assert ck.constraints.serialize(ours) == keras.constraints.serialize(theirs)
    again = ck.constraints.deserialize(keras.constraints.serialize(theirs))
    assert type(again).__name__ == type(theirs).__name__ and again.get_config() == theirs.get_config()


def test_get_and_errors():
    assert ck.constraints.get(None) is None
    assert ck.constraints.non_neg is ck.constraints.NonNeg
    with pytest.raises(ValueError, match="Could not interpret constraint identifier"):
        ck.constraints.get("positive")


@pytest.mark.parametrize("layer_kwargs, holds", [
    (dict(kernel_constraint="non_neg"), lambda weights: weights[0].min() >= 0),
    (dict(bias_constraint=ck.constraints.MaxNorm(0.01)), lambda weights: np.linalg.norm(weights[1]) <= 0.01 + 1e-7),
])
def test_applied_after_each_step_in_keras_layout(layer_kwargs, holds):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    models = []
    for lib in (keras, ck):
        kwargs = {k: (v if isinstance(v, str) else lib.constraints.deserialize(ck.constraints.serialize(v)))
                  for k, v in layer_kwargs.items()}
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, bias_initializer="ones", **kwargs)])
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    for model in models:
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(models[1].get_weights(), models[0].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert holds(models[1].get_weights())


def test_max_norm_axis_is_keras_layout_for_a_dense_kernel():
    dense = ck.layers.Dense(3, kernel_constraint=ck.constraints.MaxNorm(1.0, axis=0))
    dense.build_from_shape((None, 5))
    (weight, project), = dense.constrained_weights()
    with torch.no_grad():
        weight.mul_(10)
        weight.copy_(project(weight))
    kernel = dense.get_weights()[0]  # Keras (in, out): axis 0 is each unit's incoming weights
    np.testing.assert_allclose(np.linalg.norm(kernel, axis=0), np.ones(3), rtol=1e-5)
