"""What a layer adds to the training loss, and what it asks of the optimizer, as Keras's layers do.

- ``losses``: the terms of ``add_loss`` (activity regularizers add theirs after
  each call, divided by the batch size), then the weights' regularizers,
  recomputed from the current weights; the layer's and its sublayers', trainable
  weights only. A layer called at the top (a model, or a lone layer) first
  clears the added terms of its whole tree, as Keras does on entering a call.
- ``constrained_weights``: each weight's constraint as a projection the
  optimizer applies after every update.

While no layer holds an added term and no weight has a regularizer,
``losses`` returns at once: models without regularizers pay nothing per step.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable

import torch
from torch import nn

if TYPE_CHECKING:
    from .base import WeightSpec

Projection = Callable[[torch.Tensor], torch.Tensor]


class _Tracking:
    """The process-wide bookkeeping behind ``losses`` (one instance)."""

    def __init__(self) -> None:
        # Layers holding add_loss terms (a plain count, checked on every top-level call: a layer collected while
        # holding some leaves it high, which costs a walk of the called model, never a wrong result).
        self.holders = 0
        self.regularized = 0  # weights created with a regularizer
        self.depth = 0  # nesting of layer calls: depth 0 is a call that starts afresh


_TRACKING = _Tracking()


def count_regularized_weight() -> None:
    """Note that a weight with a regularizer exists, so ``losses`` must be computed from now on."""
    _TRACKING.regularized += 1


class Penalties:
    """The ``Layer`` methods for added losses, regularizers and constraints (mixed into ``Layer``).

    A layer sets ``self._losses = []`` and ``self.activity_regularizer`` in
    ``__init__``, and holds ``_weight_specs`` with ``regularizer``/``constraint``.
    """

    _losses: list[torch.Tensor]
    activity_regularizer: Any = None

    def _call_with_losses(self, call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``call(self, *args, **kwargs)`` with Keras's bookkeeping of added losses around it."""
        if _TRACKING.depth == 0 and _TRACKING.holders:
            self._clear_losses()
        _TRACKING.depth += 1
        try:
            outputs = call(self, *args, **kwargs)
        finally:
            _TRACKING.depth -= 1
        if self.activity_regularizer is not None:
            for output in _tensors(outputs):
                # Divided by the batch size, as Keras does, so its weight against the loss does not depend on it.
                penalty = torch.as_tensor(self.activity_regularizer(output), dtype=output.dtype, device=output.device)
                if output.ndim > 0:
                    rows = output.shape[0]
                    penalty = penalty / rows if rows else torch.zeros_like(penalty)
                self.add_loss(penalty)
        return outputs

    def add_loss(self, loss: Any) -> None:
        """Add a scalar loss (a tensor computed in ``call``) to ``losses``, hence to the training loss.

        Example:
            >>> from convlens import layers
            >>> class Penalised(layers.Layer):
            ...     def call(self, x):
            ...         self.add_loss(x.abs().sum())
            ...         return x
            >>> layer = Penalised(); _ = layer(torch.tensor([[1.0, -2.0]]))
            >>> [loss.item() for loss in layer.losses]
            [3.0]
        """
        added = _tensors(loss)
        for x in added if isinstance(loss, (list, tuple)) else [loss]:
            if not isinstance(x, torch.Tensor):
                raise ValueError("`add_loss()` can only be called from inside `build()` or `call()`, on a tensor "
                                 f"input. Received invalid value: {x}")
        if added and not self._losses:
            _TRACKING.holders += 1
        self._losses.extend(added)

    @property
    def losses(self) -> list[torch.Tensor]:
        """The scalar losses of the last call: ``add_loss`` terms (activity regularizers' too), then the weights' penalties.

        As in Keras, the terms of the layer and of its sublayers, with the weight
        regularizers recomputed from the current weights (trainable ones only).

        Example:
            >>> from convlens import layers
            >>> dense = layers.Dense(2, kernel_initializer="ones", kernel_regularizer="l1")
            >>> dense.build_from_shape((None, 3))
            >>> [round(loss.item(), 4) for loss in dense.losses]
            [0.06]
        """
        if not (_TRACKING.holders or _TRACKING.regularized):
            return []
        layers = [m for m in self.modules() if isinstance(m, Penalties)]  # type: ignore[attr-defined]
        return [loss for layer in layers for loss in layer._losses] + _weight_penalties(self)  # type: ignore[arg-type]

    def _clear_losses(self) -> None:
        for module in self.modules():  # type: ignore[attr-defined]
            if isinstance(module, Penalties) and module._losses:
                module._losses.clear()
                _TRACKING.holders -= 1

    def constrained_weights(self) -> list[tuple[torch.Tensor, Projection]]:
        """Each trainable weight with a constraint (here and in sublayers), with its projection in torch layout.

        The optimizer applies each projection after every update, as Keras's does.

        Example:
            >>> from convlens import layers
            >>> dense = layers.Dense(2, kernel_constraint="non_neg"); dense.build_from_shape((None, 3))
            >>> [(tuple(w.shape), project(-w).min().item()) for w, project in dense.constrained_weights()]
            [((2, 3), 0.0)]
        """
        return [(getattr(layer, spec.attr), functools.partial(_project, spec))
                for layer in self.modules() if isinstance(layer, Penalties)  # type: ignore[attr-defined]
                for spec in layer._weight_specs if spec.constraint is not None and spec.trainable]  # type: ignore[attr-defined]


def _tensors(structure: Any) -> list[torch.Tensor]:
    """The tensors of a tensor or a (nested) list, tuple or dict of them."""
    if isinstance(structure, torch.Tensor):
        return [structure]
    if isinstance(structure, dict):
        structure = list(structure.values())
    if isinstance(structure, (list, tuple)):
        return [t for item in structure for t in _tensors(item)]
    return []


def _weight_penalties(layer: nn.Module) -> list[torch.Tensor]:
    """The regularizers' terms of the trainable weights of ``layer`` and its sublayers (none below a frozen layer)."""
    penalties = []
    if isinstance(layer, Penalties):
        if not layer.trainable:  # type: ignore[attr-defined]
            return []
        for spec in layer._weight_specs:  # type: ignore[attr-defined]
            if spec.regularizer is not None and spec.trainable:
                weight = getattr(layer, spec.attr)
                penalties.append(torch.as_tensor(spec.regularizer(spec.to_keras(weight)), device=weight.device))
    for child in layer.children():
        penalties += _weight_penalties(child)
    return penalties


def _project(spec: "WeightSpec", weight: torch.Tensor) -> torch.Tensor:
    """``spec``'s constraint applied to ``weight`` (torch layout) in Keras's layout, where its ``axis`` has meaning."""
    return spec.to_torch(spec.constraint(spec.to_keras(weight)))
