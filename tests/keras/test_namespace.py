"""``convlens.keras`` re-exports convlens's own objects under Keras 3's module tree."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import convlens
import convlens.keras as ckeras

keras = pytest.importorskip("keras")


@pytest.mark.parametrize("module", ["activations", "applications", "backend", "callbacks", "config", "constraints",
                                    "datasets", "distribution", "initializers", "layers", "losses", "metrics", "models",
                                    "ops", "optimizers", "regularizers", "saving", "utils"])
def test_every_submodule_imports_and_lists_what_it_has(module):
    sub = importlib.import_module(f"convlens.keras.{module}")
    assert sub.__all__ and all(hasattr(sub, name) for name in sub.__all__)


def test_names_are_convlens_objects_not_copies():
    assert ckeras.layers.Conv2D is convlens.layers.Conv2D and ckeras.Sequential is convlens.Sequential
    assert ckeras.losses.SparseCategoricalCrossentropy is convlens.losses.SparseCategoricalCrossentropy
    assert ckeras.optimizers.Adam is convlens.optimizers.Adam and ckeras.callbacks.EarlyStopping is \
        convlens.callbacks.EarlyStopping
    assert ckeras.datasets.mnist is convlens.datasets.mnist
    from convlens import distribution

    assert ckeras.distribution.DataParallel is distribution.DataParallel
    assert ckeras.distribution.set_distribution is distribution.set_distribution


def test_every_name_is_one_keras_has():
    # Nothing invented: each public layer, loss, metric, optimizer and callback name exists in Keras 3 itself.
    for module in ("layers", "losses", "metrics", "optimizers", "callbacks"):
        # Shared base classes (BaseConv, BasePooling, ...) and convlens's own helpers are not Keras names.
        ours = {n for n in getattr(ckeras, module).__all__ if not n.startswith("Base")} - {
            "KerasTensor", "deserialize", "EPSILON", "LossFunctionWrapper", "get_learning_rate", "set_learning_rate"}
        theirs = getattr(keras, module)
        # A name absent from Keras's module must still be one its `get` resolves ("mse", "mae").
        extra = {n for n in ours - set(dir(theirs)) if not _resolves(theirs, n)}
        assert extra == set(), module


def _resolves(module, name):
    try:
        return module.get(name) is not None
    except (ValueError, AttributeError):
        return False


def test_ops_agree_with_keras_ops():
    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    for name, args in [("softmax", (x,)), ("sigmoid", (x,)), ("argmax", (x,)), ("expand_dims", (x, 1)),
                       ("mean", (x,)), ("max", (x,)), ("squeeze", (x[:1],)), ("one_hot", (np.array([0, 2]), 3))]:
        ours = ckeras.ops.convert_to_numpy(getattr(ckeras.ops, name)(*args, **({"axis": -1} if name == "argmax" else {})))
        theirs = keras.ops.convert_to_numpy(getattr(keras.ops, name)(*args, **({"axis": -1} if name == "argmax" else {})))
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7, err_msg=name)


def test_clear_session_restarts_names():
    ckeras.backend.clear_session()
    assert ckeras.layers.Dense(2).name == "dense" and ckeras.layers.Dense(2).name == "dense_1"
    assert ckeras.backend.image_data_format() == keras.backend.image_data_format()


def test_vgg16_preprocess_input_matches_keras():
    images = np.random.default_rng(1).uniform(0, 255, size=(2, 4, 4, 3)).astype("float32")
    ours = ckeras.applications.vgg16.preprocess_input(images.copy())
    theirs = keras.applications.vgg16.preprocess_input(images.copy())
    np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(theirs), rtol=1e-6)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4, 5)])
def test_vgg16_preprocess_input_channels_first_matches_keras(shape):
    images = np.random.default_rng(2).uniform(0, 255, size=shape).astype("float32")
    ours = ckeras.applications.vgg16.preprocess_input(images.copy(), data_format="channels_first")
    theirs = keras.applications.vgg16.preprocess_input(images.copy(), data_format="channels_first")
    np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(theirs), rtol=1e-6)


def test_vgg16_without_weights_has_keras_layer_names_and_refuses_downloads():
    ours = ckeras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    theirs = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert [l.name for l in ours.layers][1:] == [l.name for l in theirs.layers][1:]
    assert ours.count_params() == theirs.count_params()
    with pytest.raises(ValueError, match="never does"):
        ckeras.applications.VGG16()


def test_json_round_trip_with_keras():
    model = ckeras.Sequential([ckeras.Input((8, 8, 1)), ckeras.layers.Conv2D(2, 3), ckeras.layers.Flatten(),
                               ckeras.layers.Dense(3)])
    text = model.to_json()
    assert keras.models.model_from_json(text).count_params() == model.count_params()
    again = ckeras.models.model_from_json(keras.models.model_from_json(text).to_json())
    assert again.output_shape == model.output_shape and again.count_params() == model.count_params()
    clone = ckeras.models.clone_model(model)
    assert clone.layers[0] is not model.layers[0] and clone.output_shape == model.output_shape
