"""Keras's optimizers, with Keras's defaults and Keras's exact update rules, as ``torch.optim.Optimizer``s.

PyTorch's built-in optimizers follow different rules for three of these, so
each rule is written out here with PyTorch's multi-tensor (``_foreach``)
kernels, which update all weights in a few kernel launches:

- Adam/AdamW/Nadam: Keras adds ``epsilon`` to ``sqrt(v)`` *before* the bias
  correction (``w -= lr·√(1-β₂ᵗ)/(1-β₁ᵗ) · m / (√v + ε)``); PyTorch adds it after.
- RMSprop: Keras puts ``epsilon`` inside the root (``g / √(v + ε)``); PyTorch outside.
- SGD with momentum: Keras's buffer holds ``-lr·g`` terms (``m = μm - lr·g``),
  PyTorch's holds ``g`` terms, which differ as soon as the learning rate changes.
- Nadam: Keras's momentum schedule is ``β₁(1 - ½·0.96ᵗ)``; PyTorch's ``0.96^(0.004t)``.

Each is a ``torch.optim.Optimizer`` bound to its weights by ``build(params)``
(``fit`` does it); see ``optimizer.py`` for what they share.

Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = SGD(learning_rate=0.1).build([w])
    >>> w.grad = torch.tensor([2.0]); opt.step(); w.item()
    0.800000011920929
"""

from __future__ import annotations

from typing import Any

import torch

from .optimizer import (Optimizer, Scalar, Tensors, add_scaled_, check_beta, check_non_negative, get_learning_rate,
                        set_learning_rate)

__all__ = [
    "SGD", "Adagrad", "Adam", "AdamW", "Nadam", "Optimizer", "RMSprop", "get", "get_learning_rate",
    "set_learning_rate",
]


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, Keras's rule.

    ``m = momentum·m - lr·g; w += m`` (Nesterov: ``w += momentum·m - lr·g``);
    without momentum ``w -= lr·g``.

    Example:
        >>> SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
        SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    """

    _defaults_name = "SGD"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float | None = None, **options: Any) -> None:
        super().__init__(learning_rate, weight_decay, **options)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self._hyper = {"momentum": self.momentum, "nesterov": self.nesterov}

    def _slot_groups(self) -> list[tuple[tuple[str, float], ...]]:
        return [(("momentum", 0.0),)] if self.momentum else []

    def _update(self, params: Tensors, grads: Tensors, states: list[dict[str, Any]], lr: Scalar) -> None:
        if not self.momentum:
            add_scaled_(params, grads, -lr)
            return
        m = self._slots(states, params, "momentum")
        torch._foreach_mul_(m, self.momentum)
        add_scaled_(m, grads, -lr)  # m = μm - lr·g
        if self.nesterov:
            torch._foreach_add_(params, m, alpha=self.momentum)
            add_scaled_(params, grads, -lr)
        else:
            torch._foreach_add_(params, m)


class Adam(Optimizer):
    """Adam, Keras's rule: ``w -= lr·√(1-β₂ᵗ)/(1-β₁ᵗ) · m / (√v + ε)``.

    Example:
        >>> Adam().learning_rate, Adam().epsilon
        (0.001, 1e-07)
    """

    _defaults_name = "adam"

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, weight_decay: float | None = None,
                 **options: Any) -> None:
        super().__init__(learning_rate, weight_decay, **options)
        self.beta_1, self.beta_2 = check_beta("beta_1", beta_1), check_beta("beta_2", beta_2)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self.amsgrad = bool(amsgrad)
        self._hyper = {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}

    def _slot_groups(self) -> list[tuple[tuple[str, float], ...]]:
        return [(("momentum", 0.0), ("velocity", 0.0))] + ([(("velocity_hat", 0.0),)] if self.amsgrad else [])

    def _update(self, params: Tensors, grads: Tensors, states: list[dict[str, Any]], lr: Scalar) -> None:
        t = self._step_number()
        alpha = lr * (1.0 - self.beta_2**t) ** 0.5 / (1.0 - self.beta_1**t)  # host or device scalars alike
        m = self._slots(states, params, "momentum")
        v = self._slots(states, params, "velocity")
        torch._foreach_lerp_(m, grads, 1.0 - self.beta_1)  # m += (g - m)(1 - β₁)
        torch._foreach_lerp_(v, torch._foreach_mul(grads, grads), 1.0 - self.beta_2)  # v += (g² - v)(1 - β₂)
        if self.amsgrad:
            v_hat = self._slots(states, params, "velocity_hat")
            torch._foreach_maximum_(v_hat, v)
            v = v_hat
        denominator = torch._foreach_sqrt(v)
        torch._foreach_add_(denominator, self.epsilon)
        add_scaled_(params, m, -alpha, denominator)


class AdamW(Adam):
    """Adam with Keras's decoupled weight decay (default 0.004).

    Example:
        >>> AdamW().weight_decay
        0.004
    """

    _defaults_name = "adamw"

    def __init__(self, learning_rate: float = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, **options: Any) -> None:
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, **options)


class RMSprop(Optimizer):
    """RMSprop, Keras's rule: ``v = ρv + (1-ρ)g²; w -= lr·g / √(v + ε)`` (centered: ``√(v - ā² + ε)``).

    With ``momentum > 0``: ``m = momentum·m + lr·g/√(…); w -= m``.

    Example:
        >>> RMSprop().learning_rate, RMSprop().rho
        (0.001, 0.9)
    """

    _defaults_name = "rmsprop"

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, weight_decay: float | None = None, **options: Any) -> None:
        super().__init__(learning_rate, weight_decay, **options)
        self.rho = check_beta("rho", rho)
        self.momentum = check_non_negative("momentum", momentum)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self.centered = bool(centered)
        self._hyper = {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}

    def _slot_groups(self) -> list[tuple[tuple[str, float], ...]]:
        return [(("velocity", 0.0),), *([(("momentum", 0.0),)] if self.momentum > 0 else []),
                *([(("average_gradient", 0.0),)] if self.centered else [])]

    def _update(self, params: Tensors, grads: Tensors, states: list[dict[str, Any]], lr: Scalar) -> None:
        v = self._slots(states, params, "velocity")
        torch._foreach_mul_(v, self.rho)
        torch._foreach_addcmul_(v, grads, grads, value=1.0 - self.rho)
        if self.centered:
            average = self._slots(states, params, "average_gradient")
            torch._foreach_mul_(average, self.rho)
            torch._foreach_add_(average, grads, alpha=1.0 - self.rho)
            denominator = torch._foreach_addcmul(v, average, average, value=-1.0)
            torch._foreach_add_(denominator, self.epsilon)
        else:
            denominator = torch._foreach_add(v, self.epsilon)
        torch._foreach_sqrt_(denominator)
        if self.momentum > 0:
            m = self._slots(states, params, "momentum")
            torch._foreach_mul_(m, self.momentum)
            add_scaled_(m, grads, lr, denominator)
            torch._foreach_sub_(params, m)
        else:
            add_scaled_(params, grads, -lr, denominator)


class Adagrad(Optimizer):
    """Adagrad, Keras's rule: ``a += g²; w -= lr·g / √(a + ε)``, ``a`` starting at 0.1.

    Example:
        >>> Adagrad().initial_accumulator_value
        0.1
    """

    _defaults_name = "adagrad"

    def __init__(self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 weight_decay: float | None = None, **options: Any) -> None:
        super().__init__(learning_rate, weight_decay, **options)
        self.initial_accumulator_value = check_non_negative("initial_accumulator_value", initial_accumulator_value)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self._hyper = {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}

    def _slot_groups(self) -> list[tuple[tuple[str, float], ...]]:
        return [(("accumulator", self.initial_accumulator_value),)]

    def _update(self, params: Tensors, grads: Tensors, states: list[dict[str, Any]], lr: Scalar) -> None:
        accumulator = self._slots(states, params, "accumulator", self.initial_accumulator_value)
        torch._foreach_addcmul_(accumulator, grads, grads)
        denominator = torch._foreach_add(accumulator, self.epsilon)
        torch._foreach_sqrt_(denominator)
        add_scaled_(params, grads, -lr, denominator)


class Nadam(Optimizer):
    """Nesterov Adam, Keras's rule (momentum schedule ``β₁(1 - ½·0.96ᵗ)``).

    Example:
        >>> Nadam().beta_1
        0.9
    """

    _defaults_name = "nadam"
    supports_device_scalars = False  # `u_product` is a running product on the host

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 weight_decay: float | None = None, **options: Any) -> None:
        super().__init__(learning_rate, weight_decay, **options)
        self.beta_1, self.beta_2 = check_beta("beta_1", beta_1), check_beta("beta_2", beta_2)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self._hyper = {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        self.u_product = 1.0  # ∏ u_i over the steps taken, as Keras's `_u_product`

    def _slot_groups(self) -> list[tuple[tuple[str, float], ...]]:
        return [(("momentum", 0.0), ("velocity", 0.0))]

    def _extra_variables(self) -> Tensors:
        return [torch.tensor(self.u_product, dtype=torch.float32)]

    def _update(self, params: Tensors, grads: Tensors, states: list[dict[str, Any]], lr: float) -> None:
        t = self.iterations + 1
        u_t = self.beta_1 * (1.0 - 0.5 * 0.96**t)
        u_next = self.beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_product = self.u_product * u_t
        m = self._slots(states, params, "momentum")
        v = self._slots(states, params, "velocity")
        torch._foreach_lerp_(m, grads, 1.0 - self.beta_1)
        torch._foreach_lerp_(v, torch._foreach_mul(grads, grads), 1.0 - self.beta_2)
        # m̂ = u_{t+1}·m / (1 - ∏u·u_{t+1}) + (1 - u_t)·g / (1 - ∏u);  v̂ = v / (1 - β₂ᵗ)
        m_hat = torch._foreach_mul(m, u_next / (1.0 - u_product * u_next))
        torch._foreach_add_(m_hat, grads, alpha=(1.0 - u_t) / (1.0 - u_product))
        denominator = torch._foreach_div(v, 1.0 - self.beta_2**t)
        torch._foreach_sqrt_(denominator)
        torch._foreach_add_(denominator, self.epsilon)
        torch._foreach_addcdiv_(params, m_hat, denominator, value=-lr)

    def step(self, closure: Any = None) -> Any:  # type: ignore[override]
        loss = super().step(closure)
        if self.last_step_updated:
            self.u_product *= self.beta_1 * (1.0 - 0.5 * 0.96**self.iterations)
        return loss

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "u_product": self.u_product}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        self.u_product = float(state_dict.pop("u_product", 1.0))
        super().load_state_dict(state_dict)


_BY_NAME: dict[str, type[Optimizer]] = {
    "sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad, "nadam": Nadam,
}


def get(identifier: Any, **kwargs: Any) -> torch.optim.Optimizer:
    """An optimizer from a Keras name, a convlens optimizer, a ``torch.optim.Optimizer`` or a serialized dict.

    Names are case-insensitive: ``"sgd"``, ``"adam"``, ``"adamw"``,
    ``"rmsprop"``, ``"adagrad"``, ``"nadam"`` (Keras's defaults, unless
    ``kwargs`` set other hyper-parameters). A ``torch.optim.Optimizer`` is
    used as it is (its own update rule).

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
        TypeError: for anything else, or ``kwargs`` with an optimizer object.

    Example:
        >>> get("adam")
        Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False)
        >>> get("SGD", learning_rate=0.1, momentum=0.9).learning_rate
        0.1
    """
    if isinstance(identifier, torch.optim.Optimizer):
        if kwargs:
            raise TypeError(f"Hyper-parameters {sorted(kwargs)} apply to an optimizer name, not to an optimizer object.")
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() not in _BY_NAME:
            raise ValueError(f"Unknown optimizer: optimizer={identifier!r}. Allowed names are {sorted(_BY_NAME)}.")
        return _BY_NAME[identifier.lower()](**kwargs)
    if isinstance(identifier, dict) and "class_name" in identifier:
        name = str(identifier["class_name"]).lower()
        if name not in _BY_NAME:
            raise ValueError(f"Unknown optimizer class {identifier['class_name']!r}. Allowed are {sorted(_BY_NAME)}.")
        return _BY_NAME[name].from_config({**(identifier.get("config") or {}), **kwargs})
    raise TypeError(
        f"Could not interpret optimizer: received optimizer={identifier!r} of type {type(identifier).__name__}; "
        f"expected one of {sorted(_BY_NAME)}, a convlens optimizer or a torch.optim.Optimizer."
    )
