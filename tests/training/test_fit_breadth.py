"""fit/evaluate/train_on_batch with sample and class weights, penalties and frozen models, against real Keras 3 (torch)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convlens
from convlens import layers

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(3)
X = RNG.normal(0, 1, (40, 5)).astype(np.float32)
Y = RNG.integers(0, 3, 40)
SW = RNG.uniform(0.2, 2.0, 40).astype(np.float32)
XV, YV, SWV = X[:12] * 0.5, Y[:12][::-1].copy(), SW[:12][::-1].copy()
CLASS_WEIGHT = {0: 0.5, 1: 2.0, 2: 1.5}


def twin_models():
    """The same two-layer classifier in convlens and in Keras, with the same weights."""
    ours = convlens.Sequential([layers.Input((5,)), layers.Dense(4, activation="relu"), layers.Dense(3, activation="softmax")])
    ref = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"),
                            keras.layers.Dense(3, activation="softmax")])
    ours.set_weights([w.copy() for w in ref.get_weights()])
    ours.compile(optimizer=convlens.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ref.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return ours, ref


def assert_same_training(ours, ref, h_ours, h_ref):
    assert sorted(h_ours.history) == sorted(h_ref.history)
    for key in h_ref.history:
        np.testing.assert_allclose(h_ours.history[key], h_ref.history[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("weights", ["sample", "class"])
def test_fit_with_sample_and_class_weights_and_weighted_validation_matches_keras(weights):
    ours, ref = twin_models()
    kwargs = {"sample_weight": SW if weights != "class" else None,
              "class_weight": CLASS_WEIGHT if weights != "sample" else None}
    common = {"batch_size": 16, "epochs": 2, "shuffle": False, "verbose": 0, "validation_data": (XV, YV, SWV)}
    h_ours = ours.fit(X, Y, **common, **kwargs)
    h_ref = ref.fit(X, Y, **common, **kwargs)
    assert_same_training(ours, ref, h_ours, h_ref)
    np.testing.assert_allclose(ours.evaluate(XV, YV, sample_weight=SWV, verbose=0),
                               ref.evaluate(XV, YV, sample_weight=SWV, verbose=0), rtol=1e-5)


def test_validation_split_splits_the_sample_weights_too():
    ours, ref = twin_models()
    common = {"batch_size": 8, "epochs": 2, "shuffle": False, "verbose": 0, "validation_split": 0.25, "sample_weight": SW}
    assert_same_training(ours, ref, ours.fit(X, Y, **common), ref.fit(X, Y, **common))


def test_dataset_of_weighted_batches_trains_as_keras_arrays():
    ours, ref = twin_models()
    batches = [(X[i:i + 10], Y[i:i + 10], SW[i:i + 10]) for i in range(0, 40, 10)]
    h_ours = ours.fit(batches, epochs=2, verbose=0)
    h_ref = ref.fit(X, Y, sample_weight=SW, batch_size=10, epochs=2, shuffle=False, verbose=0)
    assert_same_training(ours, ref, h_ours, h_ref)


def test_train_on_batch_with_weights_matches_keras():
    ours, ref = twin_models()
    for _ in range(2):
        got = ours.train_on_batch(X[:16], Y[:16], sample_weight=SW[:16])
        expected = ref.train_on_batch(X[:16], Y[:16], sample_weight=SW[:16])
        np.testing.assert_allclose(got, expected, rtol=1e-5)
        got = ours.train_on_batch(X[16:32], Y[16:32], class_weight=CLASS_WEIGHT)
        expected = ref.train_on_batch(X[16:32], Y[16:32], class_weight=CLASS_WEIGHT)
        np.testing.assert_allclose(got, expected, rtol=1e-5)
    np.testing.assert_allclose(ours.test_on_batch(XV, YV, sample_weight=SWV), ref.test_on_batch(XV, YV, sample_weight=SWV),
                               rtol=1e-5)


class Penalized(convlens.Sequential):
    """A model whose `losses` are an L2 penalty on the first kernel, as `kernel_regularizer=l2(0.01)` makes in Keras."""

    @property
    def losses(self):
        return [0.01 * self.layers[0].kernel.square().sum()]


def test_layer_penalties_are_added_to_the_loss_as_keras_regularizers():
    ours = Penalized([layers.Input((5,)), layers.Dense(4, activation="relu"), layers.Dense(3, activation="softmax")])
    ref = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu",
                                                                  kernel_regularizer=keras.regularizers.L2(0.01)),
                            keras.layers.Dense(3, activation="softmax")])
    ours.set_weights([w.copy() for w in ref.get_weights()])
    ours.compile(optimizer=convlens.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    ref.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    common = {"batch_size": 16, "epochs": 2, "shuffle": False, "verbose": 0, "validation_data": (XV, YV)}
    assert_same_training(ours, ref, ours.fit(X, Y, **common), ref.fit(X, Y, **common))


def test_model_without_trainable_weights_trains_as_a_no_op_like_keras():
    ours = convlens.Sequential([layers.Input((5,)), layers.Dense(3, activation="softmax")])
    ref = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    ours.set_weights([w.copy() for w in ref.get_weights()])
    ours.trainable, ref.trainable = False, False
    ours.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    ref.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in ours.get_weights()]
    assert_same_training(ours, ref, ours.fit(X, Y, epochs=2, verbose=0), ref.fit(X, Y, epochs=2, verbose=0))
    assert all(np.array_equal(a, b) for a, b in zip(before, ours.get_weights()))


def test_bad_weights_are_refused_with_clear_errors():
    ours, _ = twin_models()
    with pytest.raises(ValueError, match="Data cardinality"):
        ours.fit(X, Y, sample_weight=SW[:5], verbose=0)
    with pytest.raises(ValueError, match="class_weight"):
        ours.fit(X, Y, class_weight=[1.0, 2.0], verbose=0)
    with pytest.raises(ValueError, match="sample_weight"):
        ours.fit([(X, Y)], sample_weight=SW, verbose=0)
    with pytest.raises(ValueError, match="cannot be specified at the same time"):
        ours.fit(X, Y, sample_weight=SW, class_weight=CLASS_WEIGHT, verbose=0)


@pytest.mark.parametrize("weights", ["sample", "class"])
def test_weighted_metrics_of_one_output_match_keras(weights):
    """``weighted_metrics`` see the sample (or class) weights, the plain metrics do not, as in Keras."""
    models = twin_models()
    for model, lib in zip(models, (convlens, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], weighted_metrics=["accuracy", "sparse_categorical_crossentropy"])
    ours, ref = models
    kwargs = {"sample_weight": SW} if weights == "sample" else {"class_weight": CLASS_WEIGHT}
    common = {"batch_size": 16, "epochs": 2, "shuffle": False, "verbose": 0, "validation_data": (XV, YV, SWV)}
    assert_same_training(ours, ref, ours.fit(X, Y, **common, **kwargs), ref.fit(X, Y, **common, **kwargs))
    assert sorted(ours.evaluate(XV, YV, sample_weight=SWV, verbose=0, return_dict=True)) == [
        "accuracy", "loss", "sparse_categorical_crossentropy", "weighted_accuracy"]
