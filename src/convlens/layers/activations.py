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


def relu(
    x: torch.Tensor, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> torch.Tensor:
    """Keras's ReLU: ``x`` above ``threshold`` (0 at it), ``negative_slope·(x - threshold)`` below, clipped at ``max_value``.

    Follows ``keras.activations.relu`` step by step, including its corner:
    ``x == threshold`` gives 0.

    Example:
        >>> relu(torch.tensor([-10.0, 5.0, 10.0]), threshold=5.0).tolist()
        [0.0, 0.0, 10.0]
    """
    if negative_slope == 0 and max_value is None and threshold == 0:
        return F.relu(x)
    if negative_slope != 0 and max_value is None and threshold == 0:
        return F.leaky_relu(x, negative_slope)
    y = torch.where(x > threshold, x, torch.zeros((), dtype=x.dtype, device=x.device)) if threshold else F.relu(x)
    if max_value is not None:
        y = y.clamp(0.0, max_value)
    if negative_slope != 0:
        y = y - negative_slope * F.relu(threshold - x)
    return y


def relu6(x: torch.Tensor) -> torch.Tensor:
    """min(max(x, 0), 6)."""
    return F.relu6(x)


def leaky_relu(x: torch.Tensor, negative_slope: float = 0.2) -> torch.Tensor:
    """``x`` for x >= 0, ``negative_slope·x`` below (Keras 3's default slope 0.2)."""
    return F.leaky_relu(x, negative_slope)


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """1 / (1 + exp(-x))."""
    return torch.sigmoid(x)


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Keras 3's piecewise-linear sigmoid: relu6(x + 3) / 6."""
    return F.hardsigmoid(x)


def sparse_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """0 below -1, 1 above 1, ``(x + 1) / 2`` between."""
    return ((x + 1) * 0.5).clamp(0.0, 1.0)


def log_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """log(sigmoid(x)), computed stably."""
    return F.logsigmoid(x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent."""
    return torch.tanh(x)


def tanh_shrink(x: torch.Tensor) -> torch.Tensor:
    """x - tanh(x)."""
    return F.tanhshrink(x)


def hard_tanh(x: torch.Tensor) -> torch.Tensor:
    """tanh's piecewise-linear stand-in: x clipped to [-1, 1]."""
    return F.hardtanh(x)


def softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Softmax over ``axis`` (the last, channel axis by default)."""
    return torch.softmax(x, dim=axis)


def log_softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Log-softmax over ``axis`` (the last, channel axis by default)."""
    return torch.log_softmax(x, dim=axis)


def sparsemax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Euclidean projection of ``x`` onto the probability simplex along ``axis`` (Martins & Astudillo).

    Example:
        >>> sparsemax(torch.tensor([0.0, 1.0, 3.0])).tolist()
        [0.0, 0.0, 1.0]
    """
    z, _ = torch.sort(x, dim=axis, descending=True)
    cumsum = z.cumsum(dim=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    k = torch.arange(1, x.shape[axis] + 1, dtype=x.dtype, device=x.device).view(shape)
    support = z - (cumsum - 1) / k > 0  # the sorted entries that stay positive
    size = support.sum(dim=axis, keepdim=True)
    tau = ((cumsum * support).sum(dim=axis, keepdim=True) - 1) / size
    return (x - tau).clamp(min=0.0)


def glu(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second half."""
    return F.glu(x, dim=axis)


def gelu(x: torch.Tensor, approximate: bool = False) -> torch.Tensor:
    """Gaussian error linear unit: exact (erf) form by default, the tanh approximation with ``approximate=True``."""
    return F.gelu(x, approximate="tanh" if approximate else "none")


def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Exponential linear unit: x for x > 0, ``alpha·(exp(x) - 1)`` below."""
    return F.elu(x, alpha)


def celu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Continuously differentiable ELU: ``max(x, 0) + min(0, alpha·(exp(x / alpha) - 1))``."""
    return F.celu(x, alpha)


def selu(x: torch.Tensor) -> torch.Tensor:
    """Scaled ELU (Klambauer et al.)."""
    return F.selu(x)


def silu(x: torch.Tensor) -> torch.Tensor:
    """x * sigmoid(x), also called swish."""
    return F.silu(x)


def hard_silu(x: torch.Tensor) -> torch.Tensor:
    """x * hard_sigmoid(x), also called hard_swish."""
    return F.hardswish(x)


def softplus(x: torch.Tensor) -> torch.Tensor:
    """log(1 + exp(x))."""
    return F.softplus(x)


def sparse_plus(x: torch.Tensor) -> torch.Tensor:
    """0 below -1, x above 1, ``(x + 1)² / 4`` between."""
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, 0.25 * (x + 1) ** 2, x))


def squareplus(x: torch.Tensor, b: float = 4) -> torch.Tensor:
    """``(x + sqrt(x² + b)) / 2``, a smooth ReLU."""
    return (x + torch.sqrt(x * x + b)) / 2


def softsign(x: torch.Tensor) -> torch.Tensor:
    """x / (1 + |x|)."""
    return F.softsign(x)


def soft_shrink(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """``x ∓ threshold`` outside ``[-threshold, threshold]``, 0 inside."""
    return F.softshrink(x, threshold)


def hard_shrink(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """x where ``|x| > threshold``, 0 elsewhere."""
    return F.hardshrink(x, threshold)


def threshold(x: torch.Tensor, threshold: float, default_value: float) -> torch.Tensor:
    """x where ``x > threshold``, ``default_value`` elsewhere."""
    return F.threshold(x, threshold, default_value)


def exponential(x: torch.Tensor) -> torch.Tensor:
    """exp(x)."""
    return torch.exp(x)


def mish(x: torch.Tensor) -> torch.Tensor:
    """x * tanh(softplus(x))."""
    return F.mish(x)


# Keras 3's activation list (keras.activations.ALL_OBJECTS) by name, with its
# aliases "swish" and "hard_swish".
_BY_NAME: dict[str, Activation] = {
    fn.__name__: fn
    for fn in (
        linear, relu, relu6, leaky_relu, sigmoid, hard_sigmoid, sparse_sigmoid, log_sigmoid, tanh, tanh_shrink,
        hard_tanh, softmax, log_softmax, sparsemax, glu, gelu, elu, celu, selu, silu, hard_silu, softplus,
        sparse_plus, squareplus, softsign, soft_shrink, hard_shrink, threshold, exponential, mish,
    )
}
_ALIASES = {"swish": silu, "hard_swish": hard_silu}
_BY_NAME.update(_ALIASES)


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
        if known is fn and name not in _ALIASES:
            return name
    return getattr(fn, "__name__", repr(fn))
