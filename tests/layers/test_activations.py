"""Every activation of Keras 3's list, with its arguments, against ``keras.activations`` itself."""

from __future__ import annotations

import keras
from keras.src.activations import ALL_OBJECTS_DICT
import numpy as np
import pytest
import torch

from convlens import layers
from convlens.layers import activations

X = np.linspace(-7, 7, 80, dtype=np.float32).reshape(4, 20)  # even axes: glu halves one
X[0, :5] = [-1.0, 0.0, 1.0, 0.5, 5.0]  # the corners: the kinks of the piecewise activations


def _keras(fn, x, **kwargs):
    return keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(x), **kwargs))


@pytest.mark.parametrize("name", sorted(ALL_OBJECTS_DICT))
def test_every_keras_activation_by_name_matches_keras(name):
    if name == "threshold":  # its arguments have no defaults
        ours = activations.get(name)(torch.tensor(X), 0.5, -2.0)
        theirs = _keras(keras.activations.get(name), X, threshold=0.5, default_value=-2.0)
    else:
        ours = activations.get(name)(torch.tensor(X))
        theirs = _keras(keras.activations.get(name), X)
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs", [
    {}, {"negative_slope": 0.5}, {"max_value": 6.0}, {"max_value": 3.0}, {"threshold": 1.0},
    {"threshold": 1.0, "negative_slope": 0.2}, {"threshold": -1.0, "max_value": 2.0},
    {"threshold": 0.5, "negative_slope": 0.1, "max_value": 4.0}, {"negative_slope": 0.3, "max_value": 6.0},
])
def test_relu_arguments_match_keras(kwargs):
    ours = activations.relu(torch.tensor(X), **kwargs).numpy()
    np.testing.assert_allclose(ours, _keras(keras.activations.relu, X, **kwargs), rtol=1e-6, atol=1e-6)


def test_relu_zeroes_the_threshold_itself_as_keras():
    x = torch.tensor([4.0, 5.0, 6.0])
    assert activations.relu(x, threshold=5.0).tolist() == [0.0, 0.0, 6.0]
    assert layers.ReLU(threshold=5.0)(x).tolist() == [0.0, 0.0, 6.0]


@pytest.mark.parametrize("fn,kwargs", [
    ("gelu", {"approximate": True}), ("gelu", {"approximate": False}), ("softmax", {"axis": 0}),
    ("log_softmax", {"axis": 0}), ("elu", {"alpha": 0.5}), ("celu", {"alpha": 2.0}),
    ("leaky_relu", {"negative_slope": 0.05}), ("soft_shrink", {"threshold": 1.0}),
    ("hard_shrink", {"threshold": 1.0}), ("squareplus", {"b": 2}), ("sparsemax", {"axis": 0}), ("glu", {"axis": 0}),
])
def test_keyword_arguments_match_keras(fn, kwargs):
    ours = getattr(activations, fn)(torch.tensor(X), **kwargs).numpy()
    np.testing.assert_allclose(ours, _keras(getattr(keras.activations, fn), X, **kwargs), rtol=1e-5, atol=1e-6)


def test_aliases_serialize_to_the_canonical_name():
    assert activations.serialize(activations.get("swish")) == "silu"
    assert activations.serialize(activations.get("hard_swish")) == "hard_silu"
    assert activations.serialize(activations.get("sparsemax")) == "sparsemax"


@pytest.mark.parametrize("kwargs,message", [
    ({"max_value": -1.0}, "max_value of a ReLU layer cannot be a negative value"),
    ({"negative_slope": -0.1}, "negative_slope of a ReLU layer cannot be None or a negative value"),
    ({"threshold": -1.0}, "threshold of a ReLU layer cannot be None or a negative value"),
])
def test_relu_layer_rejects_what_keras_rejects(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.ReLU(**kwargs)
    with pytest.raises(ValueError, match=message):
        keras.layers.ReLU(**kwargs)
