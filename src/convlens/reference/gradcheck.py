"""Gradient checking: every parameter's autograd gradient against central finite differences, in float64.

For a parameter entry ``w`` the numerical derivative is
``(L(w + h) − L(w − h)) / 2h``; its error is O(h²) where ``L`` is smooth.
The relative error ``|g − n| / max(|g| + |n|, tiny)`` is ~1e-8 or less for a
correct gradient in float64.

When a check fails although the gradient is right:

- **ReLU kinks**: an input of a ReLU within ``h`` of 0 makes ``L(w ± h)``
  straddle the kink, so the difference quotient averages the slopes 0 and 1
  while autograd reports one of them. Random inputs rarely land there; a
  ReLU fed exact zeros (zero padding, zero weights) does.
- **Max-pool ties**: two equal values in one pooling window (constant
  images, saturated pixels) — a nudge of ``h`` decides which wins, so the
  two sides of the difference route the gradient to different inputs.
- **float32**: the check copies the model to float64; in float32 the
  rounding error ``ε/h`` swamps the ``h²`` truncation error.
- Dropout and other random layers must not be in training mode (the check
  runs the model with ``training=False``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch


@dataclass
class GradCheck:
    """The outcome of :func:`gradcheck`: the largest relative error per layer and overall."""

    loss: float
    errors: dict[str, float] = field(default_factory=dict)  # "layer/weight" → largest relative error
    checked: dict[str, int] = field(default_factory=dict)  # "layer/weight" → entries compared
    tolerance: float = 1e-6

    @property
    def per_layer(self) -> dict[str, float]:
        """The largest relative error over each layer's weights."""
        layers: dict[str, float] = {}
        for key, error in self.errors.items():
            name = key.split("/")[0]
            layers[name] = max(layers.get(name, 0.0), error)
        return layers

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    @property
    def passed(self) -> bool:
        return self.max_error <= self.tolerance

    def __str__(self) -> str:
        lines = [f"gradcheck: loss {self.loss:.6g}, float64, central differences"]
        for key, error in self.errors.items():
            lines.append(f"  {key:<28} {self.checked[key]:>6} entries   max relative error {error:.2e}")
        lines.append(f"  {'PASSED' if self.passed else 'FAILED'}: largest {self.max_error:.2e} "
                     f"(tolerance {self.tolerance:g})")
        return "\n".join(lines)


def gradcheck(model: Any, x: Any, y: Any, loss: Any = None, *, h: float = 1e-6, max_entries: int = 64,
              seed: int = 0, tolerance: float = 1e-6) -> GradCheck:
    """Compare every trainable weight's gradient of ``loss(y, model(x))`` with central finite differences.

    Works on any convlens model (Sequential, functional, a single layer) on a
    float64 copy, so the model itself is left unchanged.

    Args:
        model: a built convlens model or layer.
        x: the input batch.
        y: the targets.
        loss: a loss name or object (``convlens.losses``); default the model's
            compiled loss, else ``"mean_squared_error"``.
        h: the finite-difference step.
        max_entries: at most this many entries per weight are compared (a
            random sample); all of them for smaller weights.
        seed: chooses the sampled entries.
        tolerance: the largest relative error that passes.

    Example:
        >>> from convlens import layers, models
        >>> model = models.Sequential([layers.Input((6, 6, 1)), layers.Conv2D(2, 3), layers.Flatten(),
        ...                            layers.Dense(1)])
        >>> gradcheck(model, np.random.rand(2, 6, 6, 1), np.zeros((2, 1))).passed
        True
    """
    from ..training import losses as losses_lib

    loss_fn = losses_lib.get(loss if loss is not None else getattr(model, "loss", None) or "mean_squared_error")
    checked = copy.deepcopy(model).double()
    for symbolic in getattr(checked, "inputs", None) or []:
        symbolic.dtype = "float64"  # a functional model casts its inputs to their declared dtype
    x = torch.as_tensor(np.asarray(x, dtype=np.float64))
    y = torch.as_tensor(np.asarray(y, dtype=np.float64))

    def value() -> torch.Tensor:
        return loss_fn(y, checked(x, training=False))

    named = _named_weights(checked)
    if not named:
        raise ValueError(f"gradcheck: the model {getattr(model, 'name', model)!r} has no trainable weights.")
    total = value()
    grads = torch.autograd.grad(total, [w for _, w in named])
    rng = np.random.default_rng(seed)
    result = GradCheck(total.item(), tolerance=tolerance)
    with torch.no_grad():
        for (key, weight), grad in zip(named, grads):
            flat, flat_grad = weight.view(-1), grad.reshape(-1)
            chosen = np.arange(flat.numel()) if flat.numel() <= max_entries else \
                rng.choice(flat.numel(), max_entries, replace=False)
            worst = 0.0
            for i in chosen:
                original = flat[i].item()
                flat[i] = original + h
                up = value().item()
                flat[i] = original - h
                down = value().item()
                flat[i] = original
                numeric, analytic = (up - down) / (2 * h), flat_grad[i].item()
                worst = max(worst, abs(analytic - numeric) / max(abs(analytic) + abs(numeric), 1e-12))
            result.errors[key] = worst
            result.checked[key] = len(chosen)
    return result


def _named_weights(model: Any) -> list[tuple[str, torch.Tensor]]:
    """("layer/weight", tensor) for every trainable weight, named the way Keras names them."""
    layers = getattr(model, "layers", None) or [model]
    named = []
    for layer in layers:
        for name, weight in layer.named_parameters():
            if weight.requires_grad:
                named.append((f"{layer.name}/{name}", weight))
    return named
