"""Dense, Dropout, activations, Rescaling, BatchNormalization and the reshaping layers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import special

from convlens import layers
from convlens.layers import activations

rng = np.random.default_rng(2)


def test_dense_applies_to_last_axis_with_keras_layout():
    dense = layers.Dense(3, activation="relu")
    dense.build_from_shape((None, 2, 4))
    kernel = rng.standard_normal((4, 3)).astype(np.float32)
    bias = rng.standard_normal(3).astype(np.float32)
    dense.set_weights([kernel, bias])
    x = rng.standard_normal((5, 2, 4)).astype(np.float32)
    np.testing.assert_allclose(dense(torch.as_tensor(x)).detach().numpy(), np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    assert dense.compute_output_shape((None, 2, 4)) == (None, 2, 3)


@pytest.mark.parametrize("name,reference", [
    ("relu", lambda x: np.maximum(x, 0)),
    ("sigmoid", special.expit),
    ("tanh", np.tanh),
    ("softmax", lambda x: special.softmax(x, axis=-1)),
    ("gelu", lambda x: x * 0.5 * (1 + special.erf(x / np.sqrt(2)))),
    ("elu", lambda x: np.where(x > 0, x, np.expm1(x))),
    ("selu", lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    ("leaky_relu", lambda x: np.where(x > 0, x, 0.2 * x)),
    ("swish", lambda x: x * special.expit(x)),
    ("linear", lambda x: x),
])
def test_activation_by_name(name, reference):
    x = rng.standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(layers.Activation(name)(torch.as_tensor(x)).numpy(), reference(x), rtol=1e-5, atol=1e-6)


def test_activation_callable_and_unknown():
    assert layers.Dense(2, activation=torch.tanh).activation is torch.tanh
    with pytest.raises(ValueError, match=r"activation='reluu'.*allowed names"):
        layers.Dense(2, activation="reluu")
    assert activations.serialize(activations.get("swish")) == "silu"


def test_dropout_only_while_training():
    drop = layers.Dropout(0.5)
    x = torch.ones(1000)
    assert torch.equal(drop(x), x)
    y = drop(x, training=True)
    assert set(y.unique().tolist()) <= {0.0, 2.0} and 300 < int((y == 0).sum()) < 700
    assert not drop.training  # the per-call override does not stick
    with pytest.raises(ValueError, match="rate=1.5"):
        layers.Dropout(1.5)


@pytest.mark.parametrize("rate", [0.5, 0.25, 0.875, 0.3, 0.1])
def test_dropout_drops_at_its_rate_and_scales_the_rest_exactly(rate):
    # 0.5, 0.25 and 0.875 come from 1, 2 and 4-bit chunks (exact rates); 0.3 and 0.1 from 16-bit chunks.
    torch.manual_seed(0)
    x = torch.as_tensor(rng.standard_normal(1_000_003).astype(np.float32) + 5).requires_grad_()  # never 0
    y = layers.Dropout(rate)(x, training=True)
    dropped = (y == 0).double().mean().item()
    assert abs(dropped - rate) < 5 * np.sqrt(rate * (1 - rate) / x.numel())  # 5 standard deviations
    kept = y != 0
    assert torch.equal(y[kept], x[kept] * np.float32(1 / (1 - rate)))  # Keras's scale, no extra rounding
    y.backward(torch.ones_like(y))
    assert torch.equal(x.grad, torch.where(kept, np.float32(1 / (1 - rate)), 0.0))


def test_dropout_masks_differ_between_calls_and_follow_the_seed():
    drop, x = layers.Dropout(0.5), torch.ones(4, 64)
    torch.manual_seed(3)
    first, second = drop(x, training=True), drop(x, training=True)
    assert not torch.equal(first, second)
    torch.manual_seed(3)
    assert torch.equal(drop(x, training=True), first)
    # every position is dropped sometimes and kept sometimes: no bit of the random words is stuck
    masks = torch.stack([drop(x, training=True) for _ in range(200)])
    assert bool(((masks == 0).any(0) & (masks != 0).any(0)).all())


def test_relu_layer_options_and_softmax_axis():
    x = torch.tensor([-2.0, 0.5, 3.0, 8.0])
    np.testing.assert_allclose(layers.ReLU(max_value=6, negative_slope=0.1, threshold=1.0)(x).numpy(), [-0.3, -0.05, 3.0, 6.0], rtol=1e-6)
    z = rng.standard_normal((2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(layers.Softmax(axis=1)(torch.as_tensor(z)).numpy(), special.softmax(z, axis=1), rtol=1e-5)


def test_rescaling_casts_uint8():
    y = layers.Rescaling(1 / 127.5, offset=-1)(torch.tensor([[0, 255]], dtype=torch.uint8))
    assert y.dtype == torch.float32
    np.testing.assert_allclose(y.numpy(), [[-1.0, 1.0]], rtol=1e-6)


def test_batchnorm_training_step_follows_keras_rule():
    bn = layers.BatchNormalization(momentum=0.9)
    x = rng.standard_normal((8, 3, 3, 2)).astype(np.float32) * 3 + 1
    bn.build_from_shape((None, 3, 3, 2))
    y = bn(torch.as_tensor(x), training=True).detach().numpy()
    mean = x.mean(axis=(0, 1, 2)); var = x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    gamma, beta, moving_mean, moving_var = bn.get_weights()
    np.testing.assert_allclose(moving_mean, 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(moving_var, 0.9 + 0.1 * var, rtol=1e-5)  # biased batch variance, as Keras
    assert bn.count_params() == 8 and len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2


def test_batchnorm_gradients_match_the_formula_and_a_single_value_per_channel_works():
    x64 = torch.tensor(rng.standard_normal((4, 5, 3)) * 2 + 1, requires_grad=True)  # axis=1: 5 channels
    bn = layers.BatchNormalization(axis=1, gamma_initializer="random_normal", beta_initializer="random_normal")
    bn.build_from_shape((None, 5, 3))
    x = x64.detach().float().requires_grad_(True)
    weights = torch.randn(4, 5, 3, dtype=torch.float64)
    (bn(x, training=True) * weights.float()).sum().backward()
    gamma, beta = (torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in bn.get_weights()[:2])
    mean, var = x64.mean(dim=(0, 2), keepdim=True), x64.var(dim=(0, 2), keepdim=True, correction=0)
    expected = (x64 - mean) / torch.sqrt(var + 1e-3) * gamma.view(1, 5, 1) + beta.view(1, 5, 1)
    (expected * weights).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x64.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.gamma.grad.numpy(), gamma.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.beta.grad.numpy(), beta.grad.numpy(), rtol=1e-5)
    single = layers.BatchNormalization(momentum=0.5, beta_initializer="ones")
    y = single(torch.tensor([[2.0, -4.0]]), training=True)  # one sample: batch variance 0, output = beta
    np.testing.assert_allclose(y.detach().numpy(), [[1.0, 1.0]], atol=1e-6)
    np.testing.assert_allclose(single.get_weights()[2:], [[1.0, -2.0], [0.5, 0.5]], rtol=1e-6)


def test_flatten_is_hwc_order():
    x = torch.arange(24.0).reshape(1, 2, 3, 4)
    assert layers.Flatten()(x).tolist()[0] == list(range(24))


def test_reshape_padding_cropping_upsampling():
    x = torch.arange(32.0).reshape(2, 16)
    assert layers.Reshape((4, -1, 1))(x).shape == (2, 4, 4, 1)
    with pytest.raises(ValueError, match="target_shape"):
        layers.Reshape((-1, -1))
    img = torch.ones(1, 4, 4, 2)
    padded = layers.ZeroPadding2D(((1, 2), (0, 3)))(img)
    assert padded.shape == (1, 7, 7, 2) and padded.sum() == 32 and padded[0, 0].sum() == 0
    cropped = layers.Cropping2D(((1, 2), (0, 3)))(padded)
    assert torch.equal(cropped, img)
    up = layers.UpSampling2D((2, 3))(torch.arange(4.0).reshape(1, 2, 2, 1))
    assert up.shape == (1, 4, 6, 1) and up[0, :, :, 0].tolist()[0] == [0, 0, 0, 1, 1, 1]
    with pytest.raises(ValueError, match="should be smaller than the corresponding spatial dimension"):
        layers.Cropping2D(2)(torch.ones(1, 4, 4, 1))


def test_unknown_and_unsupported_arguments():
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        layers.Dense(3, unitz=4)
    with pytest.raises(ValueError, match="Received: data_format=channels_middle"):
        layers.Conv2D(3, 3, data_format="channels_middle")
    with pytest.raises(ValueError, match="units=0"):
        layers.Dense(0)
