"""Conv1D/2D/3DTranspose against Keras's own layers, over a grid of strides, kernels, paddings and output paddings."""

from __future__ import annotations

import itertools
import warnings

import keras
import numpy as np
import pytest
import torch

from convlens import layers

GRID = [
    (k, s, padding, op)
    for k, s, padding in itertools.product((1, 2, 3, 4, 5), (1, 2, 3), ("same", "valid"))
    for op in (None, *range(s))
]


def _compare(name, shape, **args):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns about cross-backend differences it does not have here
        theirs = getattr(keras.layers, name)(**args)
        expected_shape = theirs.compute_output_shape(x.shape)
        theirs.build(x.shape)
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours = getattr(layers, name)(**args)
    ours.build_from_shape((None, *x.shape[1:]))
    ours.set_weights(weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = keras.ops.convert_to_numpy(theirs(x))
    assert ours.compute_output_shape((None, *x.shape[1:])) == (None, *expected_shape[1:])
    np.testing.assert_allclose(ours(torch.as_tensor(x)).detach().numpy(), reference, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("k,s,padding,output_padding", GRID)
def test_conv2d_transpose_matches_keras(k, s, padding, output_padding):
    _compare("Conv2DTranspose", (2, 4, 5, 3), filters=2, kernel_size=k, strides=s, padding=padding,
             output_padding=output_padding)


@pytest.mark.parametrize("k,s,padding,output_padding", GRID)
def test_conv1d_transpose_matches_keras(k, s, padding, output_padding):
    _compare("Conv1DTranspose", (2, 5, 3), filters=2, kernel_size=k, strides=s, padding=padding,
             output_padding=output_padding)


@pytest.mark.parametrize("k,s,padding,output_padding", [
    ((3, 2, 1), (2, 1, 3), "same", None), ((3, 2, 1), (2, 1, 3), "same", (1, 0, 2)), (3, 2, "valid", None),
    (2, (1, 2, 2), "valid", (0, 1, 1)), (3, 1, "same", None),
])
def test_conv3d_transpose_matches_keras(k, s, padding, output_padding):
    _compare("Conv3DTranspose", (1, 3, 4, 3, 2), filters=2, kernel_size=k, strides=s, padding=padding,
             output_padding=output_padding)


def test_dilated_transpose_matches_keras():
    _compare("Conv1DTranspose", (2, 6, 2), filters=3, kernel_size=3, dilation_rate=2, padding="same")


def test_the_issue_example_first_row():
    layer = layers.Conv2DTranspose(1, 3, strides=2, padding="same", output_padding=1, use_bias=False,
                                   kernel_initializer="ones")
    y = layer(torch.arange(9.0).reshape(1, 3, 3, 1))
    assert y[0, 0, :, 0].tolist() == [0, 0, 1, 1, 3, 2]
