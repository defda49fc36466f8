"""The steps ``fit`` and ``evaluate`` run on one batch: forward, loss, backward and update, metrics.

Two kinds, chosen once at ``compile`` (``Trainer._general``):

- the one-input, one-output step ``(x, y[, sample_weight])``, the fast
  path: one loss call and no structure to walk;
- the general step on a flat batch ``(x_1..x_m, y_1..y_n, weights...)``
  (``structure.py``) for several inputs or outputs, or a weighted loss:
  the model is called on the list of inputs, each output's loss is weighed
  and summed (``compile_utils.py``) and every output's loss and metrics are
  tracked (``compiled_metrics.py``).

Neither reads a value on the host, so both can be captured in a CUDA graph.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from ..distribution import engine_hooks as distributed
from . import optimizers as optimizers_lib
from .compiled_metrics import CompiledMetrics
from .fit_arguments import class_weights_of
from .graphs import CapturedStep, graphs_unavailable

__all__ = ["Steps", "close_step"]


class Steps:
    """The batch steps of ``Trainer`` (a mixin of ``Model``: ``self`` is the model)."""

    _class_weights: torch.Tensor | None = None  # fit's class_weight as a lookup table, during fit only
    _updates_weights = True  # False for a model without trainable weights (its step only computes the loss)

    def _step(self, kind: str) -> Callable[..., None]:
        """The ``"train"`` or ``"test"`` step for this compile: the fast one-output step or the general one."""
        if self._general and distributed.active() is not None:  # type: ignore[attr-defined]
            raise ValueError("Data-parallel training supports models with one input, one output and an unweighted "
                             "loss; this model was compiled for several inputs or outputs, or with `loss_weights`.")
        if kind == "train":
            return self._train_step_io if self._general else self._train_step  # type: ignore[attr-defined]
        return self._test_step_io if self._general else self._test_step  # type: ignore[attr-defined]

    def _captured(self, step: Callable[..., Any], steps: int | None, optimizer: Any = None,
                  tracker: CompiledMetrics | None = None) -> Callable[..., Any]:
        """``step`` (run ``steps`` times) replayed from a CUDA graph where that pays (``graphs.py``), else ``step``."""
        if self._eager_only or graphs_unavailable(self.device, optimizer, steps) is not None:  # type: ignore[attr-defined]
            return step
        return CapturedStep(step, self, optimizer, tracker)  # type: ignore[arg-type]

    # ------------------------------------------------ one input, one output
    def _train_step(self, x: torch.Tensor, y: torch.Tensor, sample_weight: torch.Tensor | None = None) -> None:
        y_pred = self(x)  # type: ignore[operator]
        if self._class_weights is not None:  # fit's class_weight weighs training batches only, as in Keras
            by_class = class_weights_of(self._class_weights, y)
            sample_weight = by_class if sample_weight is None else sample_weight * by_class
        loss = self._compute_loss(y, y_pred, sample_weight)
        # Written out rather than calling `_update`/`_with_penalties`: per step this path makes the Python
        # calls it always made (counted with cProfile: 274.7 per step of a tiny Dense model, as before).
        if self._updates_weights:
            self.optimizer.zero_grad(set_to_none=True)  # type: ignore[attr-defined]
            loss.backward()
            self.optimizer.step()  # type: ignore[attr-defined]
        self._tracker.update(loss.detach(), y, y_pred.detach(), sample_weight)  # type: ignore[attr-defined]

    def _test_step(self, x: torch.Tensor, y: torch.Tensor, sample_weight: torch.Tensor | None = None) -> None:
        y_pred = self(x)  # type: ignore[operator]
        self._tracker.update(self._compute_loss(y, y_pred, sample_weight), y, y_pred,  # type: ignore[attr-defined]
                             sample_weight)

    def _compute_loss(self, y: torch.Tensor, y_pred: torch.Tensor, sample_weight: torch.Tensor | None) -> torch.Tensor:
        """The compiled loss (weighted by ``sample_weight``), plus the layers' penalties, as Keras's ``compute_loss``."""
        if sample_weight is None:
            loss = self._loss_fn(y, y_pred)  # type: ignore[attr-defined]
        else:
            loss = self._loss_fn(y, y_pred, sample_weight=sample_weight)  # type: ignore[attr-defined]
        penalties = self.losses  # type: ignore[attr-defined]  # the regularizers' and `add_loss` terms of this call
        if penalties:
            loss = with_penalties(loss, penalties)
        return loss

    # -------------------------------------------------------------- general
    def _train_step_io(self, *batch: torch.Tensor) -> None:
        # fit's class_weight weighs training batches only (fit allows it for one output, as Keras does).
        ys, preds, weights, loss, each = self._forward_io(batch, self._class_weights)
        self._update(loss)
        self._tracker.update_outputs(loss.detach(), each, ys, [p.detach() for p in preds],  # type: ignore[attr-defined]
                                     weights)

    def _test_step_io(self, *batch: torch.Tensor) -> None:
        ys, preds, weights, loss, each = self._forward_io(batch)
        self._tracker.update_outputs(loss, each, ys, preds, weights)  # type: ignore[attr-defined]

    def _forward_io(self, batch: tuple[torch.Tensor, ...], class_weights: torch.Tensor | None = None) -> tuple[Any, ...]:
        """Split a flat batch, run the model; the targets, predictions, weights, total and per-output losses."""
        xs, ys, weights = self._io.split(batch)  # type: ignore[attr-defined]
        y_pred = self(self._io.model_input(xs))  # type: ignore[attr-defined, operator]
        preds = list(y_pred) if isinstance(y_pred, (list, tuple)) else [y_pred]
        if class_weights is not None:
            by_class = class_weights_of(class_weights, ys[0])
            weights = [by_class if weights is None else weights[0] * by_class]
        loss, each = self._compiled_loss(ys, preds, weights)  # type: ignore[attr-defined]
        return ys, preds, weights, self._with_penalties(loss), each

    # -------------------------------------------------------------- helpers
    def _with_penalties(self, loss: torch.Tensor) -> torch.Tensor:
        """``loss`` plus the layers' penalties (the fast path's ``_compute_loss`` adds them the same way)."""
        penalties = self.losses  # type: ignore[attr-defined]
        if penalties:
            loss = with_penalties(loss, penalties)
        return loss

    def _update(self, loss: torch.Tensor) -> None:
        """Backward and update, or nothing for a model without trainable weights (Keras computes the loss only).

        The fast path's ``_train_step`` does the same, written out.
        """
        if self._updates_weights:
            self.optimizer.zero_grad(set_to_none=True)  # type: ignore[attr-defined]
            loss.backward()
            self.optimizer.step()  # type: ignore[attr-defined]

    def _build_optimizer(self) -> None:
        """Bind a convlens optimizer to the trainable weights; check that a bound one holds this model's."""
        optimizer = self.optimizer
        if isinstance(optimizer, optimizers_lib.Optimizer) and not optimizer.built:
            trainable = {id(w) for w in getattr(self, "trainable_weights", self.parameters())}
            params = [p for p in self.parameters() if p.requires_grad and id(p) in trainable]  # type: ignore[attr-defined]
            # Without trainable weights the step computes the loss only, as in Keras (see _train_step).
            self._updates_weights = bool(params)
            if params:
                optimizer.build(params)
                # What Keras keeps on each variable: its constraint, and its name (for exclude_from_weight_decay).
                optimizer.constraints = [(w, project) for w, project in self.constrained_weights()  # type: ignore[attr-defined]
                                         if id(w) in trainable]
                optimizer.variable_names = _weight_names(self)
            return
        own = {id(p) for p in self.parameters()}  # type: ignore[attr-defined]
        if any(id(p) not in own for group in optimizer.param_groups for p in group["params"]):  # type: ignore[union-attr]
            raise ValueError(
                f"The optimizer passed to compile() updates weights that are not model '{self.name}''s "  # type: ignore[attr-defined]
                "(it was built for another model). Give each model its own optimizer."
            )


def with_penalties(loss: torch.Tensor, penalties: list[torch.Tensor]) -> torch.Tensor:
    """``loss`` plus each penalty summed to a scalar, in one reduction as Keras's ``ops.sum(losses)``."""
    return torch.stack([loss, *(p.to(loss.dtype).sum() for p in penalties)]).sum()


def _weight_names(model: Any) -> dict[int, str]:
    """Keras's name of each of the model's weights (``"kernel"``, ``"bias"``), by the weight's ``id``."""
    return {id(getattr(layer, spec.attr)): spec.keras_name for layer in model.modules()
            for spec in getattr(layer, "_weight_specs", ())}


def close_step(step: Callable[..., Any]) -> None:
    """Release a captured step's graph (a plain step needs nothing)."""
    if isinstance(step, CapturedStep):
        step.close()
