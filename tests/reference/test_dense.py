"""reference.dense against convlens's Dense and Flatten layers and torch autograd."""

import numpy as np
import pytest
import torch

from convlens import layers, reference


@pytest.mark.parametrize("n,units,inputs", [(1, 1, 1), (4, 3, 5), (7, 10, 2)])
def test_dense_equals_layer_and_autograd(n, units, inputs):
    rng = np.random.default_rng(units)
    x, kernel, bias = rng.normal(size=(n, inputs)), rng.normal(size=(inputs, units)), rng.normal(size=units)
    layer = layers.Dense(units)
    layer.build_from_shape((None, inputs))
    layer.set_weights([kernel, bias])
    layer.double()
    kernel, bias = layer.get_weights()  # the float32-rounded weights the layer holds
    xt = torch.tensor(x, requires_grad=True)
    y = layer(xt)
    g = rng.normal(size=(n, units))
    (y * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(reference.dense_forward(x, kernel, bias), y.detach().numpy(), rtol=1e-12)
    dx, dk, db = reference.dense_backward(x, kernel, g)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dk, layer.kernel.grad.numpy().reshape(dk.shape) if layer.kernel.grad.shape == dk.shape
                               else layer.kernel.grad.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(db, layer.bias.grad.numpy(), rtol=1e-12)


def test_flatten_equals_layer_order_and_round_trips():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    np.testing.assert_array_equal(reference.flatten_forward(x), layers.Flatten()(torch.tensor(x)).numpy())
    np.testing.assert_array_equal(reference.flatten_backward(x, reference.flatten_forward(x)), x)


def test_dense_shape_errors():
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        reference.dense_forward(np.zeros((2, 4)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"expected x \(N, in\)"):
        reference.dense_forward(np.zeros(4), np.zeros((4, 1)))
