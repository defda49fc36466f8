"""reference.pooling against convlens's pooling layers and torch autograd."""

import itertools

import numpy as np
import pytest
import torch

from convlens import layers, reference

CLASSES = {("max", 2): layers.MaxPooling2D, ("average", 2): layers.AveragePooling2D,
           ("max", 1): layers.MaxPooling1D, ("average", 1): layers.AveragePooling1D}


@pytest.mark.parametrize("mode,pool,strides,padding", list(itertools.product(
    ("max", "average"), (2, 3), (None, 1, 2), ("valid", "same"))))
@pytest.mark.parametrize("rank", [1, 2])
def test_pooling_equals_layer_and_autograd(rank, mode, pool, strides, padding):
    rng = np.random.default_rng(pool)
    x = rng.normal(size=(2, 7, 2) if rank == 1 else (2, 7, 8, 3))  # continuous values: no max ties
    layer = CLASSES[mode, rank](pool, strides, padding)
    xt = torch.tensor(x, requires_grad=True)
    y = layer(xt)
    g = rng.normal(size=tuple(y.shape))
    (y * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(reference.pool_forward(x, mode, pool, strides, padding), y.detach().numpy(),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(reference.pool_backward(x, g, mode, pool, strides, padding), xt.grad.numpy(),
                               rtol=1e-12, atol=1e-12)


def test_average_same_counts_only_real_pixels():
    # 3×3 of ones, pool 2 "same": every window averages ones only, corners included (Keras), so all 1
    np.testing.assert_array_equal(reference.average_pool2d_forward(np.ones((1, 3, 3, 1)), padding="same"),
                                  np.ones((1, 2, 2, 1)))


def test_max_gradient_equals_finite_differences():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1, 5, 5, 2))
    g = rng.normal(size=(1, 3, 3, 2))
    dx = reference.max_pool2d_backward(x, g, padding="same")
    h = 1e-6
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        up = (reference.max_pool2d_forward(x + step, padding="same") * g).sum()
        down = (reference.max_pool2d_forward(x - step, padding="same") * g).sum()
        assert dx[index] == pytest.approx((up - down) / (2 * h), abs=1e-8)


def test_bad_input_raises_the_layers_errors():
    with pytest.raises(ValueError, match="pool_size=.*is larger than the input"):
        reference.max_pool2d_forward(np.zeros((1, 2, 2, 1)), pool_size=3)
    with pytest.raises(ValueError, match="x: expected"):
        reference.max_pool2d_forward(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="mode"):
        reference.pool_forward(np.zeros((1, 4, 4, 1)), "min")
