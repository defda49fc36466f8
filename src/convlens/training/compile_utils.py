"""What ``compile(loss=..., loss_weights=...)`` means for a model with one or several outputs, as Keras 3 reads it.

``compile`` resolves the loss structure once, into one loss (or none) and
one weight (or none) per output, in the model's output order:

- one loss (a name, a ``Loss``, a function) applies to every output;
- a list gives the losses of the first outputs in order (``None``: no loss);
- a dict maps output-layer names to losses and must name every output.

``loss_weights`` follows the loss's structure: a float weighs every output,
a list is positional, a dict is by name when the loss is a dict too. As in
Keras 3.15, a dict of weights beside a *list* of losses is matched by the
dict's sorted keys, not by name (Keras flattens it that way).

With several losses, the total is ``Σ weight · loss`` and each output's
unweighted loss is tracked as ``<output>_loss``. The weighting and the
per-output values happen only on the general path: a model with one input,
one output and no weight keeps the plain single-output step (``engine.py``).

Example:
    >>> import torch
    >>> loss = CompiledLoss(["mse", "mae"], [1.0, 2.0], ["a", "b"])
    >>> loss.names
    ['a_loss', 'b_loss']
    >>> total, each = loss([torch.ones(2, 1), torch.ones(2, 1)], [torch.zeros(2, 1), torch.zeros(2, 1)])
    >>> total.item(), [v.item() for v in each]
    (3.0, [1.0, 1.0])
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from . import losses as losses_lib

__all__ = ["CompiledLoss", "output_names"]


def output_names(model: Any) -> list[str] | None:
    """The names of the layers that make the model's outputs (Keras's ``model.output_names``), or None if unknown.

    Example:
        >>> from convlens import Model, layers
        >>> x = layers.Input((3,))
        >>> output_names(Model(x, [layers.Dense(1, name="a")(x), layers.Dense(2, name="b")(x)]))
        ['a', 'b']
    """
    try:
        outputs = model.outputs
    except (AttributeError, NotImplementedError):
        outputs = None
    if outputs:
        return [tensor.node.layer.name for tensor in outputs]
    layers = getattr(model, "layers", None)
    if type(model).__name__ == "Sequential" and layers:  # not built yet: its last layer makes the output
        return [layers[-1].name]
    return None


class CompiledLoss:
    """The losses and loss weights of ``compile``, one entry per output (Keras's ``CompileLoss``).

    Args:
        loss: what ``compile(loss=...)`` received.
        loss_weights: what ``compile(loss_weights=...)`` received.
        names: the model's output names (``output_names``), or None for a
            model without named outputs (one output).

    Raises:
        ValueError: for a structure that does not fit the outputs, with Keras's wording.

    Attributes:
        losses: a ``Loss`` or None per output.
        weights: a float or None per output.
        names: the per-output loss names (``<output>_loss``) when more than
            one output has a loss, else ``[]``: Keras tracks them only then.
    """

    def __init__(self, loss: Any, loss_weights: Any = None, names: Sequence[str] | None = None) -> None:
        if loss_weights and not isinstance(loss_weights, (list, tuple, dict, float)):
            raise ValueError(
                "Expected `loss_weights` argument to be a float (single output case) or a list, tuple, or dict "
                f"(multiple output case). Received instead: loss_weights={loss_weights} of type {type(loss_weights)}"
            )
        count = len(names) if names else 1
        resolved, loss_weights, given = _per_output(loss, loss_weights, names, count)
        self.weights = _weights(resolved, loss_weights, given)
        self.losses = [None if l is None else losses_lib.get(l) for l in resolved]
        with_loss = [i for i, l in enumerate(self.losses) if l is not None]
        self.names = [f"{names[i]}_loss" for i in with_loss] if names and len(with_loss) > 1 else []

    @property
    def single(self) -> losses_lib.Loss | None:
        """The one unweighted loss of a one-output model (the fast path's), else None."""
        if len(self.losses) == 1 and self.weights[0] is None:
            return self.losses[0]
        return None

    @property
    def empty(self) -> bool:
        """Whether no output has a loss."""
        return all(l is None for l in self.losses)

    def __call__(self, y_true: Sequence[torch.Tensor], y_pred: Sequence[torch.Tensor],
                 sample_weights: Sequence[torch.Tensor | None] | None = None
                 ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The weighted total over the outputs, and each output's unweighted loss (those ``names`` tracks)."""
        total: torch.Tensor | None = None
        tracked = []
        for i, (fn, weight) in enumerate(zip(self.losses, self.weights)):
            if fn is None:
                continue
            sample_weight = None if sample_weights is None else sample_weights[i]
            value = fn(y_true[i], y_pred[i]) if sample_weight is None else fn(y_true[i], y_pred[i],
                                                                             sample_weight=sample_weight)
            tracked.append(value)
            if weight is not None:
                value = value * weight
            total = value if total is None else total + value
        return total, (tracked if self.names else [])  # type: ignore[return-value]


def _per_output(loss: Any, loss_weights: Any, names: Sequence[str] | None,
                count: int) -> tuple[list[Any], Any, int | None]:
    """``loss`` as one entry per output; ``loss_weights`` (a dict becomes a list where Keras does so); and how
    many losses the user's structure holds (None for one loss applied to every output)."""
    if isinstance(loss, dict) and "class_name" not in loss:  # by output name (not a serialized Keras loss)
        if not names or set(loss) != set(names):
            raise ValueError(f"Expected keys {list(names) if names else names} in loss dict, but found "
                             f"loss.keys()={list(loss.keys())}")
        if isinstance(loss_weights, dict):
            missing = [n for n in names if n not in loss_weights]
            if missing:
                raise ValueError(f"`loss_weights` is a dict by output name and lacks the outputs {missing}. "
                                 f"Received: loss_weights={loss_weights}")
            loss_weights = [loss_weights[n] for n in names]
        return [loss[n] for n in names], loss_weights, count
    if isinstance(loss, (list, tuple)):
        if len(loss) > count:
            raise ValueError(f"The path: ({count},) in the `loss` argument, can't be found in either the model's "
                             f"output (`y_pred`) or in the labels (`y_true`). The model has {count} output(s); "
                             f"received {len(loss)} losses.")
        return [*loss, *[None] * (count - len(loss))], loss_weights, len(loss)
    return [loss] * count, loss_weights, None


def _weights(losses: list[Any], loss_weights: Any, given: int | None) -> list[float | None]:
    """One weight (or None) per output, paired with the losses as Keras's ``tree`` pairs them."""
    if loss_weights is None:
        return [None] * len(losses)
    if isinstance(loss_weights, dict):
        flat = [loss_weights[k] for k in sorted(loss_weights)]  # Keras's tree.flatten order: sorted keys
    elif isinstance(loss_weights, (list, tuple)):
        flat = list(loss_weights)
    else:
        flat = [loss_weights]
    if len(flat) != (given or 1):
        raise ValueError(f"`loss_weights` must match the number of losses, got {given or 1} losses "
                         f"and {len(flat)} weights.")
    # One loss for every output carries its one weight to every output too.
    weights = flat * len(losses) if given is None else flat + [None] * (len(losses) - given)
    return [None if l is None else _weight(w) for l, w in zip(losses, weights)]


def _weight(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"Each loss weight must be a number. Received: {value!r}")
    return float(value)
