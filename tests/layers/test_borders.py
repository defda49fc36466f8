"""ZeroPadding, Cropping and UpSampling in 1D, 2D and 3D against Keras's own layers and configs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from convlens import layers

CASES = [
    ("ZeroPadding1D", {"padding": 2}, (2, 5, 3)),
    ("ZeroPadding1D", {"padding": (1, 3)}, (2, 5, 3)),
    ("ZeroPadding2D", {"padding": ((1, 2), (0, 3))}, (2, 4, 5, 3)),
    ("ZeroPadding2D", {"padding": (2, 1)}, (2, 4, 5, 3)),
    ("ZeroPadding3D", {"padding": 1}, (2, 3, 4, 2, 2)),
    ("ZeroPadding3D", {"padding": ((0, 1), (2, 0), (1, 1))}, (2, 3, 4, 2, 2)),
    ("Cropping1D", {"cropping": (1, 2)}, (2, 6, 3)),
    ("Cropping1D", {"cropping": 2}, (2, 6, 3)),
    ("Cropping2D", {"cropping": ((1, 0), (2, 1))}, (2, 5, 6, 3)),
    ("Cropping3D", {"cropping": 1}, (2, 4, 5, 3, 2)),
    ("Cropping3D", {"cropping": ((0, 1), (2, 1), (1, 0))}, (2, 4, 5, 3, 2)),
    ("UpSampling1D", {"size": 3}, (2, 4, 3)),
    ("UpSampling2D", {"size": (2, 3)}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": 2, "interpolation": "bilinear"}, (2, 3, 4, 2)),
    ("UpSampling3D", {"size": (1, 2, 3)}, (2, 2, 3, 2, 2)),
]


@pytest.mark.parametrize("name,kwargs,shape", CASES)
def test_output_and_shape_match_keras(name, kwargs, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    theirs = getattr(keras.layers, name)(**kwargs)
    ours = getattr(layers, name)(**kwargs)
    expected = keras.ops.convert_to_numpy(theirs(x))
    np.testing.assert_allclose(ours(torch.as_tensor(x)).numpy(), expected, rtol=1e-6, atol=1e-6)
    assert ours.compute_output_shape((None, *shape[1:])) == (None, *theirs.compute_output_shape(shape)[1:])


@pytest.mark.parametrize("name,kwargs,shape", CASES)
def test_configs_build_the_same_layer_both_ways(name, kwargs, shape):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    theirs = getattr(keras.layers, name)(**kwargs)
    ours = getattr(layers, name)(**kwargs)
    from_ours = type(theirs).from_config(ours.get_config())
    from_theirs = type(ours).from_config(theirs.get_config())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(from_ours(x)), ours(torch.as_tensor(x)).numpy())
    np.testing.assert_allclose(from_theirs(torch.as_tensor(x)).numpy(), keras.ops.convert_to_numpy(theirs(x)))


@pytest.mark.parametrize("name,cropping,shape", [
    ("Cropping1D", (3, 3), (1, 6, 1)), ("Cropping2D", 2, (1, 4, 4, 1)), ("Cropping3D", ((0, 0), (1, 1), (0, 0)), (1, 2, 2, 2, 1)),
])
def test_cropping_everything_raises_as_keras(name, cropping, shape):
    message = "must be smaller than the input length" if name == "Cropping1D" else "should be smaller than the corre"
    with pytest.raises(ValueError, match=message):
        getattr(layers, name)(cropping)(torch.ones(shape))
    with pytest.raises(ValueError, match=message):
        getattr(keras.layers, name)(cropping).compute_output_shape(shape)


def test_a_built_cropping_refuses_a_smaller_input_later():
    crop = layers.Cropping2D(1)
    crop(torch.ones(1, 5, 5, 1))
    with pytest.raises(ValueError, match="cropping"):
        crop(torch.ones(1, 2, 5, 1))


@pytest.mark.parametrize("make", [
    lambda: layers.ZeroPadding2D(-1), lambda: layers.Cropping3D((1, 2)), lambda: layers.ZeroPadding1D((1, 2, 3)),
])
def test_bad_padding_forms_name_the_argument(make):
    with pytest.raises(ValueError, match="padding|cropping"):
        make()
