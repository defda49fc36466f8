"""Optimizers against NumPy implementations of Keras's update rules (three steps each).

A large epsilon is used where Keras and PyTorch place it differently, so
these tests tell the two rules apart.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from convlens.training import optimizers

W0 = np.array([0.5, -1.0, 2.0])
GRADS = [np.array([0.1, -0.3, 0.2]), np.array([-0.4, 0.2, 0.05]), np.array([0.3, 0.1, -0.2])]


def run(optimizer, lrs=None, device_scalars: bool = False) -> np.ndarray:
    """Three steps on ``W0``; ``device_scalars`` keeps the rate and step count in tensors (the CUDA-graph mode)."""
    w = torch.nn.Parameter(torch.tensor(W0, dtype=torch.float64))
    optimizer.build([w])
    optimizer.use_device_scalars(device_scalars)
    for step, g in enumerate(GRADS):
        if lrs is not None:
            optimizer.learning_rate = lrs[step]
        w.grad = torch.tensor(g)
        optimizer.step()
    if device_scalars:
        assert optimizer.iterations == len(GRADS) and optimizer._device.step.item() == len(GRADS)
    return w.detach().numpy()


def keras_sgd(lrs, momentum=0.0, nesterov=False):
    w, m = W0.copy(), np.zeros(3)
    for lr, g in zip(lrs, GRADS):
        if momentum:
            m = momentum * m - lr * g
            w = w + (momentum * m - lr * g if nesterov else m)
        else:
            w = w - lr * g
    return w


def keras_adam(lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, weight_decay=None):
    w, m, v, v_hat = W0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    for t, g in enumerate(GRADS, start=1):
        if weight_decay:
            w = w - w * weight_decay * lr
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        v_hat = np.maximum(v_hat, v)
        w = w - alpha * m / (np.sqrt(v_hat if amsgrad else v) + eps)
    return w


def keras_rmsprop(lr, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    """Keras's RMSprop; ``lr`` is one rate or a rate per step."""
    w, v, a, mom = W0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    rates = lr if isinstance(lr, list) else [lr] * len(GRADS)
    for rate, g in zip(rates, GRADS):
        v = rho * v + (1 - rho) * g * g
        if centered:
            a = rho * a + (1 - rho) * g
            increment = rate * g / np.sqrt(v - a * a + eps)
        else:
            increment = rate * g / np.sqrt(v + eps)
        if momentum:
            mom = momentum * mom + increment
            w = w - mom
        else:
            w = w - increment
    return w


def keras_adagrad(lr, initial=0.1, eps=1e-7):
    w, acc = W0.copy(), np.full(3, initial)
    for g in GRADS:
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    return w


def keras_nadam(lr, b1=0.9, b2=0.999, eps=1e-7):
    w, m, v, u_product = W0.copy(), np.zeros(3), np.zeros(3), 1.0
    for t, g in enumerate(GRADS, start=1):
        u_t = b1 * (1 - 0.5 * 0.96**t)
        u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product = u_product * u_t
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
        w = w - lr * m_hat / (np.sqrt(v / (1 - b2**t)) + eps)
    return w


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_matches_keras_rule_also_when_the_learning_rate_changes(momentum, nesterov):
    lrs = [0.1, 0.05, 0.2]
    got = run(optimizers.SGD(momentum=momentum, nesterov=nesterov), lrs)
    np.testing.assert_allclose(got, keras_sgd(lrs, momentum, nesterov), rtol=1e-12)
    if momentum:  # PyTorch's buffer holds raw gradients, so a changing rate gives other numbers
        w = torch.nn.Parameter(torch.tensor(W0))
        reference = torch.optim.SGD([w], lr=0.1, momentum=momentum, nesterov=nesterov)
        for lr, g in zip(lrs, GRADS):
            reference.param_groups[0]["lr"] = lr
            w.grad = torch.tensor(g)
            reference.step()
        assert not np.allclose(w.detach().numpy(), got, rtol=1e-6)


@pytest.mark.parametrize("epsilon, amsgrad", [(1e-7, False), (0.1, False), (0.1, True)])
def test_adam_matches_keras_rule(epsilon, amsgrad):
    got = run(optimizers.Adam(learning_rate=0.01, epsilon=epsilon, amsgrad=amsgrad))
    np.testing.assert_allclose(got, keras_adam(0.01, eps=epsilon, amsgrad=amsgrad), rtol=1e-12)


def test_adam_epsilon_placement_differs_from_torch():
    got = run(optimizers.Adam(learning_rate=0.01, epsilon=0.1))
    w = torch.nn.Parameter(torch.tensor(W0))
    reference = torch.optim.Adam([w], lr=0.01, eps=0.1)
    for g in GRADS:
        w.grad = torch.tensor(g)
        reference.step()
    assert not np.allclose(w.detach().numpy(), got, rtol=1e-4)


def test_adamw_decays_weights_before_the_adam_step():
    got = run(optimizers.AdamW(learning_rate=0.01, weight_decay=0.1))
    np.testing.assert_allclose(got, keras_adam(0.01, weight_decay=0.1), rtol=1e-12)
    assert optimizers.AdamW().weight_decay == 0.004


@pytest.mark.parametrize("momentum, centered", [(0.0, False), (0.5, False), (0.0, True), (0.5, True)])
def test_rmsprop_matches_keras_rule_with_epsilon_inside_the_root(momentum, centered):
    got = run(optimizers.RMSprop(learning_rate=0.01, momentum=momentum, epsilon=0.1, centered=centered))
    np.testing.assert_allclose(got, keras_rmsprop(0.01, momentum=momentum, eps=0.1, centered=centered), rtol=1e-12)


def test_adagrad_and_nadam_match_keras_rules():
    np.testing.assert_allclose(run(optimizers.Adagrad(learning_rate=0.1, epsilon=0.01)),
                               keras_adagrad(0.1, eps=0.01), rtol=1e-12)
    np.testing.assert_allclose(run(optimizers.Nadam(learning_rate=0.01, epsilon=0.1)),
                               keras_nadam(0.01, eps=0.1), rtol=1e-12)


def one_step(optimizer, grad) -> np.ndarray:
    w = torch.nn.Parameter(torch.tensor(W0))
    optimizer.build([w])
    w.grad = torch.tensor(grad)
    optimizer.step()
    return w.detach().numpy()


def test_gradient_clipping():
    g = GRADS[0]
    np.testing.assert_allclose(one_step(optimizers.SGD(learning_rate=1.0, clipnorm=0.1), g),
                               W0 - g * 0.1 / np.linalg.norm(g), rtol=1e-12)
    np.testing.assert_allclose(one_step(optimizers.SGD(learning_rate=1.0, global_clipnorm=0.1), g),
                               W0 - g * 0.1 / np.linalg.norm(g), rtol=1e-12)
    np.testing.assert_allclose(one_step(optimizers.SGD(learning_rate=1.0, clipvalue=0.15), g),
                               W0 - np.clip(g, -0.15, 0.15), rtol=1e-12)
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_keras_defaults_learning_rate_property_and_state_round_trip():
    assert (optimizers.SGD().learning_rate, optimizers.Adam().epsilon, optimizers.RMSprop().rho) == (0.01, 1e-7, 0.9)
    opt = optimizers.get("Adam")
    opt.learning_rate = 0.5
    w = torch.nn.Parameter(torch.tensor(W0))
    opt.build([w])
    assert opt.param_groups[0]["lr"] == 0.5
    w.grad = torch.ones(3, dtype=torch.float64)
    opt.step()
    state = opt.state_dict()
    fresh = optimizers.Adam().build([w])
    fresh.load_state_dict(state)
    assert fresh.iterations == 1 and fresh.learning_rate == 0.5
    assert torch.equal(fresh.state[w]["momentum"], opt.state[w]["momentum"])


def test_get_accepts_torch_optimizers_and_lists_allowed_names():
    w = torch.nn.Parameter(torch.zeros(1))
    sgd = torch.optim.SGD([w], lr=0.3)
    assert optimizers.get(sgd) is sgd
    optimizers.set_learning_rate(sgd, 0.2)
    assert optimizers.get_learning_rate(sgd) == 0.2
    with pytest.raises(ValueError, match=r"Unknown optimizer: optimizer='adamax'.*'adagrad', 'adam'"):
        optimizers.get("adamax")
    assert optimizers.get("rmsprop", learning_rate=0.01, rho=0.8).rho == 0.8
    with pytest.raises(TypeError, match="not to an optimizer object"):
        optimizers.get(sgd, learning_rate=0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.Adam(learning_rate=-1)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)


LRS = [0.01, 0.005, 0.02]
DEVICE_SCALAR_CASES = {
    "sgd": (lambda: optimizers.SGD(), lambda: keras_sgd(LRS)),
    "sgd-nesterov": (lambda: optimizers.SGD(momentum=0.9, nesterov=True), lambda: keras_sgd(LRS, 0.9, True)),
    "rmsprop-centered-momentum": (lambda: optimizers.RMSprop(momentum=0.5, epsilon=0.1, centered=True),
                                  lambda: keras_rmsprop(LRS, momentum=0.5, eps=0.1, centered=True)),
}


@pytest.mark.parametrize("case", sorted(DEVICE_SCALAR_CASES))
def test_device_scalars_follow_the_same_rule_with_changing_learning_rates(case):
    make, reference = DEVICE_SCALAR_CASES[case]
    # float32 scalars (as Keras's) against float64 references: agreement to float32 rounding.
    np.testing.assert_allclose(run(make(), LRS, device_scalars=True), reference(), rtol=2e-7)


@pytest.mark.parametrize("make, reference", [
    (lambda: optimizers.Adam(learning_rate=0.01, epsilon=0.1, amsgrad=True),
     lambda: keras_adam(0.01, eps=0.1, amsgrad=True)),
    (lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1), lambda: keras_adam(0.01, weight_decay=0.1)),
    (lambda: optimizers.Adagrad(learning_rate=0.01, epsilon=0.01), lambda: keras_adagrad(0.01, eps=0.01)),
])
def test_device_scalars_keep_adam_bias_correction_and_decay(make, reference):
    np.testing.assert_allclose(run(make(), [0.01] * 3, device_scalars=True), reference(), rtol=2e-7)


def test_device_scalars_survive_a_state_round_trip_and_nadam_refuses_them():
    w = torch.nn.Parameter(torch.tensor(W0))
    opt = optimizers.Adam(learning_rate=0.01).build([w])
    w.grad = torch.tensor(GRADS[0])
    opt.step()
    state, version = opt.state_dict(), opt.version
    opt.use_device_scalars(True)
    opt.load_state_dict(state)  # replaces the state tensors: a captured graph must notice
    assert opt.version == version + 1 and opt._device.step.item() == 1.0
    opt.use_device_scalars(False)
    assert opt._device is None
    with pytest.raises(ValueError, match="Nadam's update rule needs host scalars"):
        optimizers.Nadam().build([w]).use_device_scalars(True)
    with pytest.raises(ValueError, match="no weights yet"):
        optimizers.Adam().use_device_scalars(True)
