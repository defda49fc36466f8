"""Backpropagation spelled out: a small model's forward pass layer by layer, then the chain rule with numbers.

Every step ``out = f(in; W)`` is a vector function of the flattened values,
so its derivatives are matrices, written as the notes write them (the
denominator layout): ``∂out/∂in`` is ``(in × out)`` and ``∂out/∂W`` is
``(weights × out)``. Then the gradient of the loss flows back as a product::

    ∂L/∂W¹ = ∂Z¹/∂W¹ · ∂A¹/∂Z¹ · ∂L/∂A¹        (3×5 · 5×5 · 5×1 = 3×1 in the notes' example)

Each matrix is built column by column from :mod:`convlens.reference`'s
NumPy backward (column ``j`` is the backward of a unit ``dy = e_j``), and every
weight gradient is checked against PyTorch autograd on the model itself.
A Flatten only renames the flattened values, so it is no step.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from .. import reference
from ..layers import BaseConv, Dense, Flatten, Layer
from ..layers.core import Activation, ReLU
from ..layers.pooling import BasePooling

SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
LOSSES = ("mean_squared_error", "sparse_categorical_crossentropy", "categorical_crossentropy")


@dataclass
class Step:
    """One step of the forward pass and its derivatives (denominator layout)."""

    name: str  # "Z¹" (a weighted sum) or "A¹" (an activation or pooling)
    input_name: str
    description: str
    output: np.ndarray  # this sample's value, without the batch axis
    jacobian: np.ndarray  # ∂out/∂in, (in × out)
    weights: dict[str, np.ndarray] = field(default_factory=dict)  # "W¹" → its value, Keras layout
    weight_jacobians: dict[str, np.ndarray] = field(default_factory=dict)  # "W¹" → ∂out/∂W, (weights × out)
    upstream: np.ndarray | None = None  # ∂L/∂out, (out × 1), filled by the backward pass


@dataclass
class Backprop:
    """The outcome of :func:`backprop`: the steps, the loss and every gradient, with autograd's for comparison."""

    x: np.ndarray
    y: np.ndarray
    steps: list[Step]
    loss: float
    loss_formula: str
    gradients: dict[str, np.ndarray]  # "W¹" → ∂L/∂W¹ in the weight's own (Keras) shape
    autograd: dict[str, np.ndarray]
    input_name: str = "X"

    @property
    def max_difference(self) -> float:
        """The largest |chain rule − autograd| over every weight gradient."""
        return max(float(np.abs(self.gradients[k] - self.autograd[k]).max()) for k in self.gradients)

    def chain(self, weight: str) -> list[tuple[str, np.ndarray]]:
        """The notes' three factors of ``∂L/∂W``: ``∂Z/∂W · ∂A/∂Z · ∂L/∂A`` (two when no step follows)."""
        index = next(i for i, s in enumerate(self.steps) if weight in s.weight_jacobians)
        step = self.steps[index]
        factors = [(f"∂{step.name}/∂{weight}", step.weight_jacobians[weight])]
        if index + 1 < len(self.steps):
            after = self.steps[index + 1]
            factors.append((f"∂{after.name}/∂{step.name}", after.jacobian))
            step = after
        factors.append((f"∂L/∂{step.name}", step.upstream))
        return factors

    def format(self) -> str:
        """The whole computation as text: values, derivative matrices, products and the autograd check."""
        lines = ["Forward pass", "", _block(self.input_name, self.x)]
        for step in self.steps:
            for name, value in step.weights.items():
                lines.append(_block(name, value))
            lines.append(_block(f"{step.name} = {step.description}", step.output))
        lines += [_block(f"L = {self.loss_formula}", np.array([[self.loss]])), "", "Backward pass (chain rule)", ""]
        for weight in self.gradients:
            factors = self.chain(weight)
            for name, value in factors:
                lines.append(_block(name, value))
            product = " · ".join(f"{name} ({_shape(v)})" for name, v in factors)
            lines.append(_block(f"∂L/∂{weight} = {product}", _column(self.gradients[weight], factors[0][1])))
            agree = np.allclose(self.gradients[weight], self.autograd[weight], rtol=1e-9, atol=1e-12)
            lines.append(f"  autograd's ∂L/∂{weight}: {_inline(self.autograd[weight])} — "
                         f"{'equal' if agree else 'DIFFERENT'} (max |difference| "
                         f"{np.abs(self.gradients[weight] - self.autograd[weight]).max():.1e})\n")
        verdict = "equal to" if self.max_difference < 1e-9 else "DIFFERENT from"
        lines.append(f"Every gradient is {verdict} PyTorch autograd's (max |difference| {self.max_difference:.1e}).")
        return "\n".join(lines)


def backprop(model: Any, x: Any, y: Any, loss: str = "mean_squared_error") -> Backprop:
    """Run one sample through a small Sequential model and spell out the chain rule for every weight.

    Args:
        model: a built ``Sequential`` of Conv1D/Conv2D, Dense, pooling,
            activation and Flatten layers (a Conv or Dense with an
            activation becomes two steps, ``Z`` and ``A``).
        x: one sample, with or without the batch axis of 1.
        y: its target.
        loss: ``"mean_squared_error"``, ``"sparse_categorical_crossentropy"``
            or ``"categorical_crossentropy"`` (on probabilities).

    Raises:
        ValueError: for an unsupported layer, loss or a batch of more than one.

    Example:
        >>> from convlens import layers, models
        >>> model = models.Sequential([layers.Input((5, 1)), layers.Conv1D(1, 3, padding="same", use_bias=False,
        ...     activation="relu"), layers.Flatten(), layers.Dense(1, use_bias=False)])
        >>> result = backprop(model, np.arange(5.0).reshape(5, 1), [1.0])
        >>> [(name, m.shape) for name, m in result.chain("W¹")]
        [('∂Z¹/∂W¹', (3, 5)), ('∂A¹/∂Z¹', (5, 5)), ('∂L/∂A¹', (5, 1))]
        >>> result.max_difference < 1e-12
        True
    """
    if loss not in LOSSES:
        raise ValueError(f"backprop: loss must be one of {LOSSES}; received loss={loss!r}.")
    x = np.asarray(x, dtype=np.float64)
    shape = tuple(model.input_shape[1:])
    if x.shape == shape:
        x = x[None]
    if x.shape[1:] != shape or x.shape[0] != 1:
        raise ValueError(f"backprop: x must be one sample of shape {shape} (or (1, *{shape})); received {x.shape}.")
    steps: list[Step] = []
    value, name, number = x, "X", 0
    for layer in model.layers:
        if isinstance(layer, Flatten):
            value = value.reshape(1, -1)
            continue
        if isinstance(layer, (BaseConv, Dense)):
            number += 1
        for step, value in _layer_steps(layer, value, name, number):
            steps.append(step)
            name = step.name
    loss_value, upstream, formula = _loss(loss, np.asarray(y, dtype=np.float64), value, name)
    for step in reversed(steps):  # the backward pass: ∂L/∂in = ∂out/∂in · ∂L/∂out
        step.upstream = upstream.reshape(-1, 1)
        upstream = step.jacobian @ step.upstream
    gradients = {weight: (jacobian @ step.upstream).reshape(step.weights[weight].shape)  # ∂L/∂W = ∂out/∂W · ∂L/∂out
                 for step in steps for weight, jacobian in step.weight_jacobians.items()}
    return Backprop(x[0], np.asarray(y, dtype=np.float64), steps, loss_value, formula, gradients,
                    _autograd(model, x, y, loss, list(gradients)))


def _layer_steps(layer: Layer, x: np.ndarray, input_name: str, number: int):
    """(step, its output with the batch axis) for each step a layer makes."""
    sup = str(number).translate(SUPERSCRIPTS)
    if isinstance(layer, (BaseConv, Dense)):
        if isinstance(layer, BaseConv) and (layer.rank not in (1, 2) or layer.groups != 1):
            raise ValueError(f"backprop: {layer.name} ({type(layer).__name__}) is not supported: only Conv1D/Conv2D "
                             f"with groups=1.")
        kernel, *bias = [w.astype(np.float64) for w in layer.get_weights()]
        if isinstance(layer, Dense):
            forward = lambda v, k, *b: reference.dense_forward(v, k, *b)  # noqa: E731
            backward = lambda v, k, dy: reference.dense_backward(v, k, dy)  # noqa: E731
            what = f"(W{sup})ᵀ {input_name}"
        else:
            args = {"strides": layer.strides, "padding": layer.padding, "dilation_rate": layer.dilation_rate}
            forward = lambda v, k, *b: reference.conv_forward(v, k, *b, **args)  # noqa: E731
            backward = lambda v, k, dy: reference.conv_backward(v, k, dy, **args)  # noqa: E731
            what = f"conv(W{sup}, {input_name}), padding {layer.padding}, stride {'×'.join(map(str, layer.strides))}"
        names = [f"W{sup}"] + [f"b{sup}"] * bool(bias)
        activation = layer.activation.__name__
        # the notes name a weighted sum Z only when an activation follows: A² = (W²)ᵀ A¹
        z_name = f"A{sup}" if activation == "linear" else f"Z{sup}"
        z = forward(x, kernel, *bias)
        jacobians = _jacobians(lambda dy: backward(x, kernel, dy)[: 1 + len(names)], x, z, len(names))
        step = Step(z_name, input_name, what + (f" + b{sup}" if bias else ""), z[0], jacobians[0],
                    dict(zip(names, [kernel, *bias])), dict(zip(names, jacobians[1:])))
        yield step, z
        if activation != "linear":
            yield _activation_step(activation, z, f"Z{sup}", f"A{sup}")
        return
    if isinstance(layer, (Activation, ReLU)):
        activation = layer.activation.__name__ if isinstance(layer, Activation) else "relu"
        if isinstance(layer, ReLU) and (layer.max_value is not None or layer.negative_slope or layer.threshold):
            raise ValueError(f"backprop: {layer.name} is a ReLU with options; only the plain ReLU is supported.")
        yield _activation_step(activation, x, input_name, f"A{str(max(number, 0)).translate(SUPERSCRIPTS)}'")
        return
    if isinstance(layer, BasePooling) and layer.rank in (1, 2):
        args = (layer.mode, layer.pool_size, layer.strides, layer.padding)
        out = reference.pool_forward(x, *args)
        jacobian, = _jacobians(lambda dy: (reference.pool_backward(x, dy, *args),), x, out, 0)
        yield Step(f"P{str(number).translate(SUPERSCRIPTS)}", input_name, f"{layer.mode} pool {layer.pool_size}",
                   out[0], jacobian), out
        return
    raise ValueError(f"backprop: layer {layer.name!r} ({type(layer).__name__}) is not supported; supported are "
                     "Conv1D, Conv2D, Dense, Flatten, MaxPooling/AveragePooling 1D/2D, Activation and ReLU.")


def _activation_step(activation: str, z: np.ndarray, input_name: str, name: str) -> tuple[Step, np.ndarray]:
    if activation not in reference.activations.FORWARD:
        raise ValueError(f"backprop: activation {activation!r} is not supported; supported are "
                         f"{sorted(reference.activations.FORWARD)}.")
    a = reference.activations.FORWARD[activation](z)
    jacobian, = _jacobians(lambda dy: (reference.activations.BACKWARD[activation](z, dy),), z, a, 0)
    return Step(name, input_name, f"{activation}({input_name})", a[0], jacobian), a


def _jacobians(backward: Callable[[np.ndarray], tuple], x: np.ndarray, y: np.ndarray,
               weights: int) -> list[np.ndarray]:
    """[∂y/∂x, ∂y/∂w...] as (size × y.size) matrices: column j is the backward of the unit dy = e_j."""
    columns: list[list[np.ndarray]] = [[] for _ in range(1 + weights)]
    for j in range(y.size):
        unit = np.zeros(y.size)
        unit[j] = 1.0
        for column, grad in zip(columns, backward(unit.reshape(y.shape))):
            column.append(np.asarray(grad).reshape(-1))
    return [np.stack(c, axis=1) for c in columns]


def _loss(loss: str, y: np.ndarray, out: np.ndarray, name: str) -> tuple[float, np.ndarray, str]:
    if loss == "mean_squared_error":
        target = y.reshape(out.shape)
        formula = f"({name} − y)²" if out.size == 1 else f"mean(({name} − y)²)"
        return reference.mse_forward(target, out), reference.mse_backward(target, out), formula
    if loss == "sparse_categorical_crossentropy":
        labels = y.reshape(-1)
        return (reference.sparse_categorical_crossentropy_forward(labels, out),
                reference.sparse_categorical_crossentropy_backward(labels, out), f"−log {name}[y]")
    target = y.reshape(out.shape)
    return (reference.categorical_crossentropy_forward(target, out),
            reference.categorical_crossentropy_backward(target, out), f"−Σ y log {name}")


def _autograd(model: Any, x: np.ndarray, y: Any, loss: str, names: list[str]) -> dict[str, np.ndarray]:
    """PyTorch's gradients of the same loss on a float64 copy of the model, in Keras layouts."""
    from ..training import losses as losses_lib

    checked = copy.deepcopy(model).double()
    value = losses_lib.get(loss)(torch.as_tensor(np.asarray(y, dtype=np.float64)).reshape(1, -1)
                                 if loss != "sparse_categorical_crossentropy" else
                                 torch.as_tensor(np.asarray(y)).reshape(1), checked(torch.as_tensor(x)))
    value.backward()
    grads = []
    for layer in checked.layers:
        if layer.weights:
            for weight in layer.parameters():
                weight.data = weight.grad.clone()  # read the gradients through get_weights' Keras layouts
            grads += layer.get_weights()
    return dict(zip(names, (g.astype(np.float64) for g in grads)))


def _shape(a: np.ndarray) -> str:
    return "×".join(map(str, _matrix(a).shape))


def _matrix(a: np.ndarray) -> np.ndarray:
    """A value as the notes draw it: vectors as columns (n×1), a kernel as (weights × filters)."""
    a = np.asarray(a)
    return a.reshape(-1, 1) if a.ndim <= 1 else a.reshape(-1, a.shape[-1])


def _column(gradient: np.ndarray, jacobian: np.ndarray) -> np.ndarray:
    return gradient.reshape(jacobian.shape[0], -1)


def _block(title: str, value: np.ndarray) -> str:
    matrix = _matrix(value)
    rows = [" ".join(f"{v:9.4f}" for v in row) for row in matrix]
    return f"{title}   ({_shape(matrix)})\n" + "\n".join("  " + r for r in rows)


def _inline(value: np.ndarray) -> str:
    return "[" + " ".join(f"{v:.4f}" for v in np.asarray(value).reshape(-1)) + "]"


NOTES_SEED = 4  # rounded normal draws: two ReLU inputs are negative, so ∂A¹/∂Z¹ has two 0s on its diagonal


def notes_example(seed: int = NOTES_SEED) -> tuple[Any, np.ndarray, np.ndarray]:
    """The notes' "taste of backpropagation": regression on a 5×1 signal with one size-3 filter, "same" padding.

    ``Z¹ᵢ = (W¹)ᵀ X[i−1, i, i+1]`` (5×1), ``A¹ = ReLU(Z¹)``, ``A² = (W²)ᵀ A¹``
    (1×1) with ``W²`` 5×1, ``L = (A² − y)²``. The numbers are normal draws
    from ``seed``, rounded to one decimal so they can be followed by hand;
    the target is ``y = 1``.

    Returns:
        ``(model, X, y)``: a convlens ``Sequential`` holding ``W¹`` and ``W²``,
        the signal ``(5, 1)`` and the target ``(1,)``.

    Example:
        >>> model, x, y = notes_example()
        >>> x.shape, model.get_weights()[0].shape, model.get_weights()[1].shape
        ((5, 1), (3, 1, 1), (5, 1))
    """
    from ..layers import Input
    from ..models import Sequential

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(5, 1)).round(1) + 0.0  # + 0.0 turns a rounded −0.0 into 0.0
    w1 = rng.normal(size=(3, 1, 1)).round(1) + 0.0
    w2 = rng.normal(size=(5, 1)).round(1) + 0.0
    model = Sequential([Input((5, 1)), _notes_conv(), Flatten(), Dense(1, use_bias=False)])
    model.set_weights([w1, w2])
    return model, x, np.array([1.0])


def _notes_conv() -> Layer:
    from ..layers import Conv1D

    return Conv1D(1, 3, padding="same", use_bias=False, activation="relu")
