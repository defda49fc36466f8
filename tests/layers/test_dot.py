"""Dot against Keras's own layer."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from convlens import layers


@pytest.mark.parametrize("axes,normalize,shape1,shape2", [
    (1, False, (2, 4), (2, 4)), (-1, True, (2, 4), (2, 4)), ((2, 1), False, (2, 3, 4), (2, 4, 5)),
    ((1, 1), False, (2, 3, 4), (2, 3, 2)), (2, True, (2, 3, 4), (2, 5, 4)), ((1, 2), False, (2, 3, 4), (2, 5, 3)),
])
def test_matches_keras(axes, normalize, shape1, shape2):
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal(shape1).astype(np.float32), rng.standard_normal(shape2).astype(np.float32)
    theirs = keras.layers.Dot(axes, normalize=normalize)
    ours = layers.Dot(axes, normalize=normalize)
    expected = keras.ops.convert_to_numpy(theirs([x1, x2]))
    np.testing.assert_allclose(ours([torch.as_tensor(x1), torch.as_tensor(x2)]).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert ours.compute_output_shape([(None, *shape1[1:]), (None, *shape2[1:])]) == (
        None, *theirs.compute_output_shape([shape1, shape2])[1:])
    assert keras.layers.Dot.from_config(ours.get_config()).get_config()["axes"] == theirs.get_config()["axes"]


@pytest.mark.parametrize("axes,error,message", [
    ("x", TypeError, "should be a list or an int"), ((1, 2, 3), ValueError, "should contain two elements"),
    ((1, 1.5), ValueError, "list elements should be integers"),
])
def test_invalid_axes_raise_as_keras(axes, error, message):
    with pytest.raises(error, match=message):
        layers.Dot(axes)


def test_mismatched_axes_raise():
    with pytest.raises(ValueError, match="Incompatible input shapes"):
        layers.Dot(1)([torch.ones(2, 3), torch.ones(2, 4)])
