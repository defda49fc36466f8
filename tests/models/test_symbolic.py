"""Symbolic ``layer.input`` / ``layer.output`` and ``model.inputs`` / ``model.outputs``, checked against Keras."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convlens
from convlens import layers

keras = pytest.importorskip("keras")


def _pair():
    ours = convlens.Sequential([layers.Input((10, 10, 1)), layers.Conv2D(3, 3, activation="relu"),
                                layers.MaxPooling2D(), layers.Flatten(), layers.Dense(4)])
    theirs = keras.Sequential([keras.Input((10, 10, 1)), keras.layers.Conv2D(3, 3, activation="relu"),
                               keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(4)])
    ours.set_weights([w for w in theirs.get_weights()])
    return ours, theirs


def test_feature_map_model_from_layer_outputs_matches_keras():
    # The notes' recipe: Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers]).
    ours, theirs = _pair()
    x = np.random.default_rng(0).normal(size=(2, 10, 10, 1)).astype("float32")
    maps = convlens.Model(inputs=ours.inputs, outputs=[layer.output for layer in ours.layers])
    reference = keras.Model(inputs=theirs.inputs, outputs=[layer.output for layer in theirs.layers])
    assert maps.output_shape == [tuple(t.shape) for t in reference.outputs]
    for a, b in zip(maps.predict(x, verbose=0), reference.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # The weights are shared, not copied: changing the original changes the feature-map model.
    ours.layers[-1].set_weights([np.zeros((48, 4), "float32"), np.ones(4, "float32")])
    np.testing.assert_array_equal(maps.predict(x, verbose=0)[-1], np.ones((2, 4), "float32"))


def test_layer_symbolic_attributes_match_keras():
    ours, theirs = _pair()
    for a, b in zip(ours.layers, theirs.layers):
        assert a.input.shape == tuple(b.input.shape) and a.output.shape == tuple(b.output.shape)
        assert a.output_shape == tuple(b.output.shape)
    assert len(ours.inputs) == 1 and ours.inputs[0].shape == tuple(theirs.inputs[0].shape)
    assert ours.outputs[0] is ours.layers[-1].output and ours.get_layer(index=1) is ours.layers[1]


def test_sequential_built_on_first_call_gets_an_input_layer():
    model = convlens.Sequential([layers.Dense(3), layers.Dense(2)])
    with pytest.raises(AttributeError):
        model.inputs
    model(np.zeros((1, 5)))
    assert model.inputs[0].shape == (None, 5) and model.layers[1].output.shape == (None, 2)
    sub = convlens.Model(model.inputs, model.layers[0].output)
    assert sub.predict(np.ones((2, 5)), verbose=0).shape == (2, 3)


def test_functional_layer_output_is_its_first_call():
    x = layers.Input((3,))
    dense = layers.Dense(3)
    y = dense(x)
    z = dense(y)
    assert dense.output is y and dense.input is x and z is not y


def test_direct_calls_take_numpy_and_lists_and_cast_float64():
    dense = layers.Dense(2, kernel_initializer="ones")
    out = dense(np.ones((1, 3), dtype=np.float64))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.tolist() == [[3.0, 3.0]]
    assert dense([[1.0, 2.0, 3.0]]).tolist() == [[6.0, 6.0]]
    theirs = keras.layers.Dense(2, kernel_initializer="ones")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs(np.ones((1, 3)))), out.detach().numpy())


def test_unbuilt_layer_has_no_output():
    with pytest.raises(AttributeError):
        layers.Dense(2).output
