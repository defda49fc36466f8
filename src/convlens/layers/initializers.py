"""Keras's weight initializers, drawn with PyTorch's generator in Keras's weight layouts.

Fans follow Keras: for a kernel of Keras shape ``(*receptive, in, out)``,
``fan_in = in * prod(receptive)`` and ``fan_out = out * prod(receptive)``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Callable

import torch

from .serialization import keras_object

Initializer = Callable[[tuple[int, ...]], torch.Tensor]

# Keras's truncated normal keeps draws within two standard deviations; dividing
# the target stddev by this constant (the stddev of a unit normal truncated to
# [-2, 2]) gives the variance Keras's VarianceScaling asks for.
_TRUNCATION_STD = 0.87962566103423978


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Keras's ``(fan_in, fan_out)`` for a weight of Keras layout ``shape``.

    Example:
        >>> compute_fans((3, 3, 1, 32))
        (9, 288)
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_normal(shape: tuple[int, ...], mean: float, stddev: float) -> torch.Tensor:
    t = torch.empty(shape)
    torch.nn.init.trunc_normal_(t, mean=mean, std=stddev, a=mean - 2 * stddev, b=mean + 2 * stddev)
    return t


@dataclass(frozen=True)
class VarianceScaling:
    """Keras's general scaled initializer; the Glorot/He/LeCun ones are its presets.

    Args:
        scale: variance multiplier.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"``, ``"untruncated_normal"`` or ``"uniform"``.
        seed: ignored; draws come from PyTorch's global generator
            (see ``convlens.utils.set_random_seed``).

    Example:
        >>> VarianceScaling(2.0, "fan_in", "uniform")((3, 3, 1, 8)).shape
        torch.Size([3, 3, 1, 8])
    """

    scale: float = 1.0
    mode: str = "fan_in"
    distribution: str = "truncated_normal"
    seed: Any = None

    def __post_init__(self) -> None:
        if self.scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive; received scale={self.scale}.")
        if self.mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"VarianceScaling: received mode={self.mode!r}; allowed are 'fan_in', 'fan_out', 'fan_avg'."
            )
        allowed = ("truncated_normal", "untruncated_normal", "normal", "uniform")
        if self.distribution not in allowed:
            raise ValueError(
                f"VarianceScaling: received distribution={self.distribution!r}; allowed are {allowed}."
            )

    def __call__(self, shape: tuple[int, ...]) -> torch.Tensor:
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return torch.empty(shape).uniform_(-limit, limit)
        if self.distribution == "truncated_normal":
            return _truncated_normal(shape, 0.0, math.sqrt(variance) / _TRUNCATION_STD)
        return torch.randn(shape) * math.sqrt(variance)


@dataclass(frozen=True)
class Constant:
    """Every element equal to ``value``.

    Example:
        >>> Constant(0.5)((2,))
        tensor([0.5000, 0.5000])
    """

    value: float = 0.0

    def __call__(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.full(shape, float(self.value))


@dataclass(frozen=True)
class RandomNormal:
    """Normal draws, Keras defaults mean 0 and stddev 0.05."""

    mean: float = 0.0
    stddev: float = 0.05
    seed: Any = None

    def __call__(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.randn(shape) * self.stddev + self.mean


@dataclass(frozen=True)
class TruncatedNormal:
    """Normal draws re-drawn beyond two standard deviations, Keras defaults mean 0, stddev 0.05."""

    mean: float = 0.0
    stddev: float = 0.05
    seed: Any = None

    def __call__(self, shape: tuple[int, ...]) -> torch.Tensor:
        return _truncated_normal(shape, self.mean, self.stddev)


@dataclass(frozen=True)
class RandomUniform:
    """Uniform draws in ``[minval, maxval)``, Keras defaults -0.05 and 0.05."""

    minval: float = -0.05
    maxval: float = 0.05
    seed: Any = None

    def __call__(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.empty(shape).uniform_(self.minval, self.maxval)


@dataclass(frozen=True)
class Orthogonal:
    """A (semi-)orthogonal matrix over the flattened receptive field, times ``gain``."""

    gain: float = 1.0
    seed: Any = None

    def __call__(self, shape: tuple[int, ...]) -> torch.Tensor:
        rows = math.prod(shape[:-1]) if len(shape) > 1 else 1
        flat = torch.empty(rows, shape[-1])
        torch.nn.init.orthogonal_(flat, gain=self.gain)
        return flat.reshape(shape)


_PRESETS = {  # Keras's fan-based presets: (scale, mode, distribution)
    "GlorotUniform": (1.0, "fan_avg", "uniform"), "GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
    "HeUniform": (2.0, "fan_in", "uniform"), "HeNormal": (2.0, "fan_in", "truncated_normal"),
    "LecunUniform": (1.0, "fan_in", "uniform"), "LecunNormal": (1.0, "fan_in", "truncated_normal"),
}


def _preset(scale: float, mode: str, distribution: str) -> Callable[..., VarianceScaling]:
    def make(seed: Any = None) -> VarianceScaling:
        return VarianceScaling(scale, mode, distribution, seed)

    return make


# Keras class names and snake-case aliases → constructors.
_CLASSES: dict[str, Callable[..., Initializer]] = {
    **{name: _preset(*preset) for name, preset in _PRESETS.items()},
    "VarianceScaling": VarianceScaling,
    "Zeros": functools.partial(Constant, 0.0),
    "Ones": functools.partial(Constant, 1.0),
    "Constant": Constant,
    "RandomNormal": RandomNormal,
    "RandomUniform": RandomUniform,
    "TruncatedNormal": TruncatedNormal,
    "Orthogonal": Orthogonal,
}
_ALIASES = {
    "glorot_uniform": "GlorotUniform",
    "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform",
    "he_normal": "HeNormal",
    "lecun_uniform": "LecunUniform",
    "lecun_normal": "LecunNormal",
    "variance_scaling": "VarianceScaling",
    "zeros": "Zeros",
    "ones": "Ones",
    "constant": "Constant",
    "random_normal": "RandomNormal",
    "random_uniform": "RandomUniform",
    "truncated_normal": "TruncatedNormal",
    "orthogonal": "Orthogonal",
}


def get(identifier: Any) -> Initializer:
    """Resolve an initializer by Keras name, Keras config dict or callable.

    Args:
        identifier: ``"glorot_uniform"``, ``"GlorotUniform"``, a Keras
            serialized dict ``{"class_name": ..., "config": {...}}``, or a
            callable taking a Keras-layout shape and returning a tensor.

    Example:
        >>> get("zeros")((2, 2)).sum().item()
        0.0
    """
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        config = dict(identifier.get("config") or {})
        if name not in _CLASSES:
            raise ValueError(f"Unknown initializer class_name={name!r}; allowed are {sorted(_CLASSES)}.")
        if name in ("Zeros", "Ones"):
            config = {}
        # Keras 3.15 writes these for its fan-based presets; convlens's fans
        # always come from the standard (*receptive, in, out) layout.
        for key in ("input_axes", "output_axes"):
            if config.get(key, None) is None:
                config.pop(key, None)
        return _CLASSES[name](**config)
    if isinstance(identifier, str):
        name = _ALIASES.get(identifier, identifier)
        if name not in _CLASSES:
            raise ValueError(
                f"Unknown initializer: received {identifier!r}; allowed are {sorted(_ALIASES)}."
            )
        return _CLASSES[name]()
    if callable(identifier):
        return identifier
    raise TypeError(f"An initializer must be a name, a config dict or a callable; received {identifier!r}.")


# Keras's initializer classes and the config each serializes, in Keras's key order (defaults shown).
_FAN_PRESET = {"seed": None, "input_axes": None, "output_axes": None}
KERAS_CONFIGS: dict[str, dict[str, Any]] = {
    "GlorotUniform": _FAN_PRESET, "GlorotNormal": _FAN_PRESET, "HeUniform": _FAN_PRESET,
    "HeNormal": _FAN_PRESET, "LecunUniform": _FAN_PRESET, "LecunNormal": _FAN_PRESET,
    "VarianceScaling": {"seed": None, "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal",
                        "input_axes": None, "output_axes": None},
    "Zeros": {}, "Ones": {}, "Constant": {"value": 0.0},
    "RandomNormal": {"seed": None, "mean": 0.0, "stddev": 0.05},
    "TruncatedNormal": {"seed": None, "mean": 0.0, "stddev": 0.05},
    "RandomUniform": {"seed": None, "minval": -0.05, "maxval": 0.05},
    "Orthogonal": {"seed": None, "gain": 1.0},
}


def serialize(init: Initializer) -> Any:
    """An initializer as Keras serializes it: ``{"module": "keras.initializers", "class_name": ..., "config": ...}``.

    A ``VarianceScaling`` with a preset's parameters is written as that preset
    (``GlorotUniform``), as Keras writes it; a function without a Keras form keeps its name.

    Example:
        >>> serialize(get("he_normal"))["class_name"], serialize(get("he_normal"))["config"]["seed"]
        ('HeNormal', None)
    """
    if isinstance(init, VarianceScaling):
        parameters = (init.scale, init.mode, init.distribution)
        class_name = next((name for name, preset in _PRESETS.items() if preset == parameters), "VarianceScaling")
        values = vars(init)
    elif isinstance(init, Constant) and init.value in (0.0, 1.0):
        class_name, values = ("Zeros" if init.value == 0.0 else "Ones"), {}
    elif isinstance(init, (Constant, RandomNormal, TruncatedNormal, RandomUniform, Orthogonal)):
        class_name, values = type(init).__name__, vars(init)
    else:
        return getattr(init, "__name__", repr(init))
    config = {key: values.get(key, default) for key, default in KERAS_CONFIGS[class_name].items()}
    return keras_object("keras.initializers", class_name, config)
