"""The activation, noise, normalisation and rearranging layers against Keras's own, weights shared by set_weights.

Each case builds the Keras layer and the convlens layer with the same
arguments, copies Keras's weights (drawn at random) into convlens, and compares
the inference outputs, the output shapes and the configs both ways.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from convlens import layers

CASES = [
    ("LeakyReLU", {}, (2, 5, 3)),
    ("LeakyReLU", {"negative_slope": 0.1}, (2, 5, 3)),
    ("ELU", {"alpha": 0.7}, (2, 5, 3)),
    ("PReLU", {}, (2, 4, 4, 3)),
    ("PReLU", {"shared_axes": [1, 2]}, (2, 4, 4, 3)),
    ("PReLU", {"alpha_initializer": "ones", "shared_axes": 1}, (2, 4, 3)),
    ("Permute", {"dims": (2, 1)}, (2, 5, 3)),
    ("Permute", {"dims": (3, 1, 2)}, (2, 4, 5, 3)),
    ("RepeatVector", {"n": 3}, (2, 5)),
    ("SpatialDropout1D", {"rate": 0.3}, (2, 5, 3)),
    ("SpatialDropout2D", {"rate": 0.3}, (2, 4, 4, 3)),
    ("SpatialDropout3D", {"rate": 0.3}, (2, 3, 3, 3, 2)),
    ("GaussianNoise", {"stddev": 0.2}, (2, 5, 3)),
    ("Dropout", {"rate": 0.4, "noise_shape": (None, 1, 3)}, (2, 5, 3)),
    ("LayerNormalization", {}, (2, 5, 3)),
    ("LayerNormalization", {"axis": [2, 3], "epsilon": 1e-5}, (2, 4, 4, 3)),
    ("LayerNormalization", {"axis": -1, "center": False}, (2, 4, 3)),
    ("LayerNormalization", {"scale": False}, (2, 3)),
    ("GroupNormalization", {"groups": 2}, (2, 4, 4, 6)),
    ("GroupNormalization", {"groups": -1, "epsilon": 1e-5}, (2, 5, 3)),
    ("GroupNormalization", {"groups": 1, "center": False}, (2, 3, 3, 2, 4)),
    ("GroupNormalization", {"groups": 3, "axis": 1}, (2, 6, 5)),
]


def _pair(name, kwargs, shape):
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build(shape)
    rng = np.random.default_rng(len(name))
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours = getattr(layers, name)(**kwargs)
    ours.build_from_shape((None, *shape[1:]))
    ours.set_weights(weights)
    return theirs, ours


@pytest.mark.parametrize("name,kwargs,shape", CASES)
def test_inference_output_matches_keras(name, kwargs, shape):
    theirs, ours = _pair(name, kwargs, shape)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    expected = keras.ops.convert_to_numpy(theirs(x, training=False))
    np.testing.assert_allclose(ours(torch.as_tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    assert ours.compute_output_shape((None, *shape[1:])) == (None, *theirs.compute_output_shape(shape)[1:])


@pytest.mark.parametrize("name,kwargs,shape", CASES)
def test_config_round_trips_both_ways_with_keras(name, kwargs, shape):
    theirs, ours = _pair(name, kwargs, shape)
    from_ours = type(theirs).from_config(ours.get_config())
    from_theirs = type(ours).from_config(theirs.get_config())
    assert from_ours.get_config() == theirs.get_config() | {"name": ours.name}
    assert from_theirs.get_config() == ours.get_config() | {"name": theirs.name}


def test_layer_normalization_over_leading_axes_matches_numpy():
    # Keras's torch backend normalises trailing axes only, so leading ones are checked against NumPy.
    x = np.random.default_rng(1).standard_normal((2, 4, 5, 3)).astype(np.float32)
    layer = layers.LayerNormalization(axis=[1, 2])
    layer.build_from_shape((None, 4, 5, 3))
    gamma, beta = (np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32) for _ in range(2))
    layer.set_weights([gamma, beta])
    mean, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma[..., None] + beta[..., None]
    np.testing.assert_allclose(layer(torch.as_tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-5)


def test_spatial_dropout_drops_whole_channels_at_the_rate():
    layer = layers.SpatialDropout2D(0.25)
    y = layer(torch.ones(400, 3, 3, 8), training=True)  # (N, H, W, C)
    per_map = y.amax(dim=(1, 2))
    assert torch.equal(per_map, y.amin(dim=(1, 2)))  # a map is all kept or all dropped
    assert set(per_map.unique().tolist()) == {0.0, float(np.float32(1 / 0.75))}
    assert abs((per_map == 0).float().mean().item() - 0.25) < 0.03


def test_dropout_noise_shape_broadcasts_one_mask():
    layer = layers.Dropout(0.5, noise_shape=(None, 1, 4))
    y = layer(torch.ones(64, 6, 4), training=True)  # one mask per sample and feature, shared over the 6 steps
    assert torch.equal(y, y[:, :1].expand_as(y))
    for bad in ("abc", (None, 0), (2.5, 1)):
        with pytest.raises(ValueError, match="Invalid value received for argument `noise_shape`"):
            layers.Dropout(0.5, noise_shape=bad)


def test_gaussian_noise_has_the_stddev_while_training():
    y = layers.GaussianNoise(0.3)(torch.zeros(20000), training=True)
    assert abs(y.std().item() - 0.3) < 0.01 and abs(y.mean().item()) < 0.01


@pytest.mark.parametrize("make,message", [
    (lambda: layers.Permute((1, 3)), "must be consecutive and start from 1"),
    (lambda: layers.RepeatVector(0), "should be a positive integer"),
    (lambda: layers.GroupNormalization(groups=0), "expected a positive integer"),
    (lambda: layers.LeakyReLU(-1), "cannot be None or negative"),
    (lambda: layers.GaussianNoise(2.0), "Expected a float value between 0 and 1"),
    (lambda: layers.GroupNormalization(groups=4)(torch.zeros(1, 6)), r"must be a multiple"),
    (lambda: layers.GroupNormalization(groups=8)(torch.zeros(1, 6)), "cannot be more than"),
])
def test_invalid_arguments_raise_in_keras_words(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()
