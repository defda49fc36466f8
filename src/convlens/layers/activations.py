"""Activation functions by Keras name, and the ``Activation``/``ReLU``/``Softmax``/... layers' maths.

Softmax-like activations act on the last axis, which is the channel axis in
convlens's channels-last public layout.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

Activation = Callable[[torch.Tensor], torch.Tensor]


def linear(x: torch.Tensor) -> torch.Tensor:
    """Identity: Keras's ``"linear"`` (and ``None``) activation."""
    return x


def relu(x: torch.Tensor) -> torch.Tensor:
    """max(x, 0)."""
    return F.relu(x)


def relu6(x: torch.Tensor) -> torch.Tensor:
    """min(max(x, 0), 6)."""
    return F.relu6(x)


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """1 / (1 + exp(-x))."""
    return torch.sigmoid(x)


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Keras 3's piecewise-linear sigmoid: relu6(x + 3) / 6."""
    return F.hardsigmoid(x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent."""
    return torch.tanh(x)


def softmax(x: torch.Tensor) -> torch.Tensor:
    """Softmax over the last (channel) axis."""
    return torch.softmax(x, dim=-1)


def log_softmax(x: torch.Tensor) -> torch.Tensor:
    """Log-softmax over the last (channel) axis."""
    return torch.log_softmax(x, dim=-1)


def gelu(x: torch.Tensor) -> torch.Tensor:
    """Gaussian error linear unit, exact (erf) form as ``keras.activations.gelu`` defaults to."""
    return F.gelu(x)


def elu(x: torch.Tensor) -> torch.Tensor:
    """Exponential linear unit with alpha 1."""
    return F.elu(x)


def selu(x: torch.Tensor) -> torch.Tensor:
    """Scaled ELU (Klambauer et al.)."""
    return F.selu(x)


def leaky_relu(x: torch.Tensor) -> torch.Tensor:
    """Leaky ReLU with Keras 3's default negative slope 0.2."""
    return F.leaky_relu(x, 0.2)


def silu(x: torch.Tensor) -> torch.Tensor:
    """x * sigmoid(x), also called swish."""
    return F.silu(x)


def softplus(x: torch.Tensor) -> torch.Tensor:
    """log(1 + exp(x))."""
    return F.softplus(x)


def softsign(x: torch.Tensor) -> torch.Tensor:
    """x / (1 + |x|)."""
    return F.softsign(x)


def exponential(x: torch.Tensor) -> torch.Tensor:
    """exp(x)."""
    return torch.exp(x)


def mish(x: torch.Tensor) -> torch.Tensor:
    """x * tanh(softplus(x))."""
    return F.mish(x)


_BY_NAME: dict[str, Activation] = {
    "linear": linear,
    "relu": relu,
    "relu6": relu6,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "gelu": gelu,
    "elu": elu,
    "selu": selu,
    "leaky_relu": leaky_relu,
    "swish": silu,
    "silu": silu,
    "softplus": softplus,
    "softsign": softsign,
    "exponential": exponential,
    "mish": mish,
}


def activate_fresh(fn: Activation, y: torch.Tensor) -> torch.Tensor:
    """``fn`` on a new channels-first tensor ``(N, C, *spatial)``, returned channels-last ``(N, *spatial, C)``.

    ``y`` must be a tensor nothing else holds, such as a convolution's or a
    pooling's output: ReLU then overwrites it in place, on the tensor itself
    rather than on the channels-last view, and only when ``y`` is not itself
    a view (1-D pooling returns one): an in-place op on a view makes autograd
    copy the gradient twice in the backward pass. Other activations act on
    the channels-last view, because softmax and its kin read the channel
    axis. On the 2-core CPU, ReLU in place on a (128, 26, 26, 32)
    convolution output took 0.15 ms (median 0.20) against 0.38 ms (0.47)
    for a new tensor, best of 40 interleaved (bench/profile_cpu_step.py);
    a new 11 MB tensor can also cost fresh pages from the kernel: inside a
    training step of the MNIST convnet that ReLU took 0.7 ms at best and
    5 ms at the median.

    Example:
        >>> activate_fresh(get("relu"), torch.tensor([[[-1.0, 2.0]]])).tolist()  # (1, 1, 2) -> (1, 2, 1)
        [[[0.0], [2.0]]]
    """
    if fn is relu:
        return (F.relu(y) if y._is_view() else F.relu_(y)).movedim(1, -1)
    return fn(y.movedim(1, -1))


def get(identifier: str | Activation | None) -> Activation:
    """Resolve an activation given by Keras name, callable or ``None`` (linear).

    Args:
        identifier: a name such as ``"relu"`` or ``"softmax"``, a callable on
            tensors, or ``None``.

    Returns:
        A function from tensor to tensor.

    Raises:
        ValueError: for an unknown name; the message lists the known ones.

    Example:
        >>> get("relu")(torch.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier]
        except KeyError:
            raise ValueError(
                f"Unknown activation: received activation={identifier!r}; "
                f"allowed names are {sorted(_BY_NAME)} or a callable."
            ) from None
    if isinstance(identifier, dict) and identifier.get("class_name") == "function":
        return get(identifier.get("config"))
    if callable(identifier):
        return identifier
    raise TypeError(
        f"activation must be a name, a callable or None; received {identifier!r} "
        f"of type {type(identifier).__name__}."
    )


def serialize(fn: Activation) -> str:
    """Keras's config name of an activation function (``"relu"``), or its ``__name__``.

    Example:
        >>> serialize(get("swish"))
        'silu'
    """
    for name, known in _BY_NAME.items():
        if known is fn and name != "swish":
            return name
    return getattr(fn, "__name__", repr(fn))
