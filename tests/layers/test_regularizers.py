"""Regularizers against Keras 3.15 (torch backend): penalties, configs, ``layer.losses`` and training with them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convlens.keras as ck
from convlens.layers import regularizers

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
W = RNG.normal(size=(6, 4)).astype("float32")


@pytest.mark.parametrize("make", [
    lambda lib: lib.L1(0.3), lambda lib: lib.L2(0.1), lambda lib: lib.L1L2(l1=0.01, l2=0.02),
    lambda lib: lib.L1L2(l1=None, l2=0.5), lambda lib: lib.OrthogonalRegularizer(0.2, "rows"),
    lambda lib: lib.OrthogonalRegularizer(0.2, "columns"), lambda lib: lib.get("l2"), lambda lib: lib.get("l1"),
    lambda lib: lib.get("orthogonal_regularizer"), lambda lib: lib.get("l1l2"),
])
def test_penalty_and_config_match_keras(make):
    ours, theirs = make(ck.regularizers), make(keras.regularizers)
    assert float(ours(torch.tensor(W))) == pytest.approx(float(theirs(keras.ops.convert_to_tensor(W))), rel=1e-6)
    assert ck.regularizers.serialize(ours) == keras.regularizers.serialize(theirs)
    again = ck.regularizers.deserialize(keras.regularizers.serialize(theirs))
    assert type(again).__name__ == type(theirs).__name__ and again.get_config() == theirs.get_config()


def test_get_and_errors():
    assert ck.regularizers.get(None) is None
    assert isinstance(ck.regularizers.get(regularizers.L2), regularizers.L2)
    assert ck.regularizers.l1_l2 is regularizers.L1L2
    custom = lambda w: w.sum()  # noqa: E731 - a plain callable is a regularizer too, as in Keras
    assert ck.regularizers.get(custom) is custom
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier"):
        ck.regularizers.get("l3")
    with pytest.raises(ValueError, match="Invalid value for argument l2"):
        ck.regularizers.L2(-1.0)
    with pytest.raises(ValueError, match="mode"):
        ck.regularizers.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="rank 2"):
        ck.regularizers.OrthogonalRegularizer()(torch.ones(2, 2, 2))


def test_layer_losses_as_keras_docs():
    # Keras's Regularizer docstring: kernel term 0.25 + activity term 5.0 (divided by the batch of 5).
    kwargs = dict(kernel_initializer="ones", input_shape=(5,))
    ours = ck.layers.Dense(5, kernel_regularizer=ck.regularizers.L1(0.01),
                           activity_regularizer=ck.regularizers.L2(0.01), **kwargs)
    ours(np.ones((5, 5), "float32") * 2.0)
    assert sum(x.item() for x in ours.losses) == pytest.approx(5.25, rel=1e-6)
    ours(np.ones((1, 5), "float32"))  # a new call replaces the activity term
    assert len(ours.losses) == 2 and ours.losses[0].item() == pytest.approx(1.25, rel=1e-6)  # 0.01·5·5², batch 1


def test_sublayers_frozen_layers_and_add_loss():
    model = ck.Sequential([ck.Input((3,)), ck.layers.Dense(2, kernel_regularizer="l2", name="a"),
                           ck.layers.Dense(1, bias_regularizer=ck.regularizers.L1(1.0), bias_initializer="ones")])
    assert len(model.losses) == 2
    kernel = model.layers[0].get_weights()[0]
    assert model.losses[0].item() == pytest.approx(0.01 * float((kernel**2).sum()), rel=1e-6)
    model.layers[0].trainable = False  # Keras: only trainable weights are regularized
    assert [x.item() for x in model.losses] == [1.0]

    class Penalised(ck.layers.Layer):
        def call(self, x):
            self.add_loss(x.sum())
            return x

    outer = ck.Sequential([ck.Input((2,)), Penalised()])
    outer(np.ones((1, 2), "float32"))
    outer(np.ones((1, 2), "float32"))  # each outer call starts afresh
    assert [x.item() for x in outer.losses] == [2.0]
    with pytest.raises(ValueError, match="add_loss"):
        Penalised().add_loss(1.0)


def test_config_round_trips_with_keras():
    ours = ck.layers.Conv2D(2, 3, kernel_regularizer="l2", bias_regularizer=ck.regularizers.L1L2(0.1, 0.2),
                            activity_regularizer="l1")
    theirs = keras.layers.Conv2D.from_config(ours.get_config())
    for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer"):
        assert keras.regularizers.serialize(getattr(theirs, key)) == ours.get_config()[key]
    back = ck.layers.Conv2D.from_config(theirs.get_config())
    assert back.bias_regularizer.get_config() == {"l1": 0.1, "l2": 0.2}


def _small_model(lib):
    return lib.Sequential([
        lib.Input((6, 6, 1)),
        lib.layers.Conv2D(3, 3, activation="relu", kernel_regularizer=lib.regularizers.L2(0.01),
                          kernel_constraint=lib.constraints.MaxNorm(0.5, axis=[0, 1, 2])),
        lib.layers.Flatten(),
        lib.layers.Dense(4, activation="relu", kernel_regularizer=lib.regularizers.L1(0.01),
                         bias_regularizer=lib.regularizers.L1L2(0.01, 0.01), activity_regularizer="l2"),
        lib.layers.Dense(3, activation="softmax", kernel_constraint=lib.constraints.max_norm(1.0)),
    ])


def test_training_with_regularizers_and_max_norm_matches_keras():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 3, size=40)
    theirs, ours = _small_model(keras), _small_model(ck)
    ours.set_weights(theirs.get_weights())
    results = []
    for model in (theirs, ours):
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results.append((history.history["loss"], model.get_weights(), model.evaluate(x, y, verbose=0)))
    (k_loss, k_weights, k_eval), (c_loss, c_weights, c_eval) = results
    np.testing.assert_allclose(c_loss, k_loss, rtol=1e-5)
    assert c_eval == pytest.approx(k_eval, rel=1e-5)  # evaluate reports the penalties too, as Keras
    for a, b in zip(c_weights, k_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert np.linalg.norm(c_weights[0].reshape(-1, 3), axis=0).max() <= 0.5 + 1e-6  # the constraint held


def _archived_model(lib):
    regularizers, constraints = lib.regularizers, lib.constraints
    return lib.Sequential([
        lib.Input((8, 8, 3)),
        lib.layers.Conv2D(4, 3, kernel_regularizer=regularizers.L2(0.02), activity_regularizer="l1",
                          kernel_constraint=constraints.MaxNorm(2.0, axis=[0, 1, 2])),
        lib.layers.BatchNormalization(gamma_regularizer="l2", beta_constraint="non_neg"),
        lib.layers.SeparableConv2D(2, 3, pointwise_regularizer=regularizers.L1L2(0.01, 0.03)),
        lib.layers.Flatten(),
        lib.layers.Dense(3, kernel_regularizer=regularizers.OrthogonalRegularizer(0.1, "columns"),
                         bias_constraint="unit_norm"),
    ])


def test_keras_archives_with_regularizers_and_constraints_round_trip_both_ways(tmp_path):
    import json
    import zipfile

    from convlens.models import saving

    from ..models.test_saving import without_shared_ids

    theirs = _archived_model(keras)
    theirs.save(tmp_path / "keras.keras")
    ours = saving.load_model(tmp_path / "keras.keras")
    x = np.random.default_rng(4).normal(size=(2, 8, 8, 3)).astype("float32")
    theirs(x), ours(x)  # the activity term of this call
    np.testing.assert_allclose([t.item() for t in ours.losses],
                               [float(keras.ops.convert_to_numpy(t)) for t in theirs.losses], rtol=1e-5)
    saving.save_model(ours, tmp_path / "ours.keras")
    with zipfile.ZipFile(tmp_path / "keras.keras") as a, zipfile.ZipFile(tmp_path / "ours.keras") as b:
        assert json.loads(b.read("config.json")) == without_shared_ids(json.loads(a.read("config.json")))
    again = keras.models.load_model(tmp_path / "ours.keras")
    assert [layer.get_config() for layer in again.layers] == [layer.get_config() for layer in theirs.layers]
    assert saving.load_model(tmp_path / "ours.keras").layers[0].kernel_constraint.get_config() == \
        {"max_value": 2.0, "axis": [0, 1, 2]}
