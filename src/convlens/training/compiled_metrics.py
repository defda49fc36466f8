"""The running loss and metrics of a compiled model, per output, read in one device transfer (Keras's ``CompileMetrics``).

``compile(metrics=..., weighted_metrics=...)`` for a model with several
outputs takes, as Keras 3 does, a list with one entry per output (a metric,
a list of metrics, or None) or a dict by output name (outputs left out get
none); a flat list that does not have one entry per output is an error. For
one output any structure is flattened onto it. Keys in the logs are
``<output>_<metric>`` with several outputs, the metric's name with one; a
repeated name gets ``_1``, ``_2``...; a weighted metric whose name is taken
becomes ``weighted_<name>``. Each output's loss is tracked as
``<output>_loss`` (see ``compile_utils.py``).

All values stay on the device as running sums; ``result()`` stacks them and
copies them to the host together, which ``fit`` does only when the progress
bar or a callback needs numbers (``engine.py``).

Example:
    >>> import torch
    >>> tracker = CompiledMetrics([["accuracy"], ["mae"]], names=["cls", "reg"], loss_names=["cls_loss", "reg_loss"])
    >>> tracker.update_outputs(torch.tensor(1.0), [torch.tensor(0.5), torch.tensor(0.5)],
    ...                        [torch.tensor([1]), torch.tensor([[0.0]])], [torch.tensor([[0.2, 0.8]]), torch.tensor([[1.0]])])
    >>> tracker.result()
    {'cls_accuracy': 1.0, 'cls_loss': 0.5, 'loss': 1.0, 'reg_loss': 0.5, 'reg_mae': 1.0}
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch

from .metrics import _ACCURACY, Mean, Metric, get

__all__ = ["CompiledMetrics"]


class CompiledMetrics:
    """The loss tracker, the per-output loss trackers and the compiled metrics of a model.

    Args:
        identifiers: what ``compile(metrics=...)`` received; resolved on the
            first batch, when the label and prediction shapes are known.
        weighted: what ``compile(weighted_metrics=...)`` received: metrics
            that also weigh each sample by its ``sample_weight``.
        names: the model's output names when it has several outputs (for
            the structure and the log keys), else None.
        loss_names: the per-output loss trackers to keep (``CompiledLoss.names``).

    Raises:
        ValueError: for unknown metric names or a structure that does not fit the outputs.

    Example:
        >>> tracker = CompiledMetrics(["accuracy"])
        >>> tracker.update(torch.tensor(0.5), torch.tensor([1]), torch.tensor([[0.2, 0.8]]))
        >>> tracker.result()
        {'accuracy': 1.0, 'loss': 0.5}
    """

    def __init__(self, identifiers: Any = None, weighted: Any = None, names: Sequence[str] | None = None,
                 loss_names: Sequence[str] = ()) -> None:
        self._names = list(names) if names and len(names) > 1 else None
        count = len(self._names) if self._names else 1
        self._plain = _per_output(identifiers, "metrics", self._names, count)
        self._weighted = _per_output(weighted, "weighted_metrics", self._names, count)
        for identifier in (i for group in (*self._plain, *self._weighted) for i in group):
            if isinstance(identifier, str) and identifier not in _ACCURACY:
                get(identifier)  # unknown names fail at compile time, not at the first batch
        self.loss = Mean(name="loss")
        self.output_losses = [Mean(name=name) for name in loss_names]
        self.metrics: list[Metric] | None = None  # every compiled metric, plain then weighted (once built)
        self._updates: list[tuple[int, Metric, bool]] = []  # (output, metric, weighted) in update order
        self._entries: list[tuple[str, Metric]] = []  # (log key, metric) of everything reported
        # Data parallel: sums every process's totals and counts (distribution/engine_hooks.py).
        self.reduce: Callable[["CompiledMetrics"], dict[str, float]] | None = None

    @property
    def tracked(self) -> list[Metric]:
        """Every metric object this tracker updates: the loss, the compiled metrics, the per-output losses."""
        return [self.loss, *(self.metrics or []), *self.output_losses]

    @property
    def names(self) -> list[str]:
        """The names of ``tracked`` (Keras's ``metrics_names`` order, compiled metrics by their own names)."""
        return [m.name for m in self.tracked]

    def entries(self) -> list[tuple[str, Metric]]:
        """``(log key, metric)`` for everything reported, once built (the loss trackers before that)."""
        if self.metrics is None:
            return [(m.name, m) for m in (self.loss, *self.output_losses)]
        return list(self._entries)

    def build(self, y_true: Any, y_pred: Any) -> None:
        """Resolve the metrics for these batches (a tensor each for one output, lists for several)."""
        if isinstance(y_pred, torch.Tensor):
            y_true, y_pred = [y_true], [y_pred]
        updates: list[tuple[int, Metric, bool]] = []
        entries: list[tuple[str, Metric]] = []
        counters: dict[str, int] = {}
        for weighted, groups in ((False, self._plain), (True, self._weighted)):
            for i, group in enumerate(groups):
                prefix = f"{self._names[i]}_" if self._names else ""
                for identifier in group:
                    metric = get(identifier, tuple(y_true[i].shape), tuple(y_pred[i].shape))
                    updates.append((i, metric, weighted))
                    entries.append((_unique(prefix, metric.name, weighted, counters), metric))
        if any(key == "loss" for key, _ in entries):
            raise ValueError("A metric cannot be named 'loss': that key is the loss. Rename the metric.")
        self._updates = updates
        self._entries = [("loss", self.loss), *entries, *((m.name, m) for m in self.output_losses)]
        self.metrics = [metric for _, metric, _ in updates]

    def update(self, loss: torch.Tensor | None, y_true: torch.Tensor, y_pred: torch.Tensor,
               sample_weight: torch.Tensor | None = None) -> None:
        """Add one batch of a one-output model: its mean ``loss`` (weighted by the batch size) and its metrics."""
        if self.metrics is None:
            self.build(y_true, y_pred)
        with torch.no_grad():
            if loss is not None:
                self.loss.update_state(loss, sample_weight=y_pred.shape[0])
            for _, metric, weighted in self._updates:
                if weighted:
                    metric.update_state(y_true, y_pred, sample_weight=sample_weight)
                else:
                    metric.update_state(y_true, y_pred)

    def update_outputs(self, loss: torch.Tensor, output_losses: Sequence[torch.Tensor], y_true: Sequence[torch.Tensor],
                       y_pred: Sequence[torch.Tensor], sample_weights: Sequence[torch.Tensor | None] | None = None) -> None:
        """Add one batch of any model: the total loss, each output's loss, and each output's metrics."""
        if self.metrics is None:
            self.build(y_true, y_pred)
        with torch.no_grad():
            batch = y_pred[0].shape[0]
            self.loss.update_state(loss, sample_weight=batch)
            for tracker, value in zip(self.output_losses, output_losses):
                tracker.update_state(value, sample_weight=batch)
            for i, metric, weighted in self._updates:
                if weighted:
                    metric.update_state(y_true[i], y_pred[i], sample_weight=None if sample_weights is None
                                        else sample_weights[i])
                else:
                    metric.update_state(y_true[i], y_pred[i])

    def reset(self) -> None:
        """Zero the losses and every metric (start of an epoch or an evaluation)."""
        for metric in self.tracked:
            metric.reset_state()

    def result(self) -> dict[str, float]:
        """Current means as Python floats, keys sorted as Keras's logs are (over all processes when data-parallel).

        This is the one place that waits for the device: all values are
        stacked and copied to the host together.
        """
        return self.reduce(self) if self.reduce is not None else self.local_result()

    def local_result(self) -> dict[str, float]:
        """``result`` over this process's batches only (all of them when there is one process)."""
        tracked = [(key, m) for key, m in self.entries() if m.has_data]
        if not tracked:
            return {}
        values = torch.stack([m.result() for _, m in tracked]).tolist()
        return dict(sorted(zip((key for key, _ in tracked), values)))


def _unique(prefix: str, name: str, weighted: bool, counters: dict[str, int]) -> str:
    """Keras's log key for a metric: ``prefix + name``, made unique as ``CompileMetrics.result`` does."""
    key = prefix + name
    if key not in counters:
        counters[key] = 1
        return key
    if weighted:  # a weighted metric named like a plain one
        key = f"{prefix}weighted_{name}"
        if key not in counters:
            counters[key] = 1
            return key
    index = counters[key]
    counters[key] += 1
    return f"{key}_{index}"


def _per_output(value: Any, argument: str, names: list[str] | None, count: int) -> list[list[Any]]:
    """``metrics`` (or ``weighted_metrics``) as a list of identifiers per output, checked as Keras checks it."""
    if value is None:
        return [[] for _ in range(count)]
    if names is None:  # one output: every metric applies to it, whatever the nesting
        return [_flatten(value)]
    if not isinstance(value, (list, tuple, dict)):
        raise ValueError(f"Expected `{argument}` argument to be a list, tuple, or dict. "
                         f"Received instead: {argument}={value} of type {type(value)}")
    if not value:
        return [[] for _ in range(count)]
    if isinstance(value, (list, tuple)) and len(value) == count:
        return [_flatten(entry) for entry in value]
    if isinstance(value, dict) and set(value) <= set(names):
        return [_flatten(value.get(name)) for name in names]
    raise ValueError(
        f"Invalid `{argument}`. `{argument}` should contain metrics objects and either be a dict or a list "
        f"matching the output names of the functional model {names} or match the output structure of the "
        f"model: {['X'] * count}.\nReceived: {argument}={value}"
    )


def _flatten(value: Any) -> list[Any]:
    """The identifiers in a (nested) list or dict, in Keras's ``tree.flatten`` order (dicts by sorted key)."""
    if value is None:
        return []
    if isinstance(value, dict) and "class_name" not in value:
        return [i for key in sorted(value) for i in _flatten(value[key])]
    if isinstance(value, (list, tuple)):
        return [i for entry in value for i in _flatten(entry)]
    return [value]
