"""reference.activations against torch's functions and autograd."""

import numpy as np
import pytest
import torch

from convlens import reference

TORCH = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
         "softmax": lambda z: torch.softmax(z, dim=-1)}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_activation_equals_torch_and_autograd(name):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 6)) * 3
    g = rng.normal(size=z.shape)
    zt = torch.tensor(z, requires_grad=True)
    a = TORCH[name](zt)
    (a * torch.tensor(g)).sum().backward()
    forward = getattr(reference, f"{name}_forward")
    backward = getattr(reference, f"{name}_backward")
    np.testing.assert_allclose(forward(z), a.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(backward(z, g), zt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_softmax_backward_is_its_full_jacobian():
    z = np.array([0.3, -1.2, 2.0])
    a = reference.softmax_forward(z)
    jacobian = np.diag(a) - np.outer(a, a)  # ∂a_i/∂z_j = a_i(δ_ij − a_j)
    dy = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(reference.softmax_backward(z, dy), jacobian.T @ dy, rtol=1e-12)
