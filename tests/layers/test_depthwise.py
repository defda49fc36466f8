"""DepthwiseConv1D/2D and SeparableConv1D/2D against Keras's own layers, weights shared by set_weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from convlens import layers

CASES = [
    ("DepthwiseConv1D", dict(kernel_size=3), (2, 7, 3)),
    ("DepthwiseConv1D", dict(kernel_size=4, strides=2, padding="same", depth_multiplier=2), (2, 9, 3)),
    ("DepthwiseConv1D", dict(kernel_size=3, dilation_rate=2, padding="same", use_bias=False), (2, 9, 2)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3), (2, 7, 3)),
    ("SeparableConv1D", dict(filters=2, kernel_size=2, strides=2, padding="same", depth_multiplier=3), (2, 9, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2), (2, 7, 6, 3)),
    ("SeparableConv2D", dict(filters=3, kernel_size=(3, 2), padding="same"), (2, 5, 6, 2)),
]


@pytest.mark.parametrize("name,kwargs,shape", CASES)
def test_matches_keras(name, kwargs, shape):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape).astype(np.float32)
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build(shape)
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours = getattr(layers, name)(**kwargs)
    ours.build_from_shape((None, *shape[1:]))
    ours.set_weights(weights)
    np.testing.assert_allclose(ours(torch.as_tensor(x)).detach().numpy(), keras.ops.convert_to_numpy(theirs(x)),
                               rtol=1e-4, atol=1e-5)
    assert ours.compute_output_shape((None, *shape[1:])) == (None, *theirs.compute_output_shape(shape)[1:])
    rebuilt = type(ours).from_config(theirs.get_config())
    rebuilt.build_from_shape((None, *shape[1:]))
    rebuilt.set_weights(weights)
    np.testing.assert_allclose(rebuilt(torch.as_tensor(x)).detach().numpy(), ours(torch.as_tensor(x)).detach().numpy())
    again = type(theirs).from_config(ours.get_config())
    again.build(shape)
    again.set_weights(weights)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again(x)), keras.ops.convert_to_numpy(theirs(x)))
