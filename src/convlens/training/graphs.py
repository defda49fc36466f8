"""The training step on a GPU, captured once in a CUDA graph and replayed for every batch.

A small CNN's step is a few hundred kernel launches of a few microseconds
each, and Python issues them one by one: on an H100 the ``mnist_fast``
step at batch 256 took ≈ 6 ms from Python against ≈ 1.1 ms of GPU work.
Replaying a captured graph costs one launch per step; the fast recipe's
epoch went from 1.67 s to 0.27 s (bench/RESULTS.md, W2).

How ``fit`` uses it (on a CUDA device, unless ``compile(jit_compile=False)``
or ``run_eagerly=True``):

1. Two warm-up steps run eagerly on a side stream (cuDNN picks its kernels,
   the optimizer and the metrics create their state).
2. The next step is captured: the batch is copied into static input
   tensors, and forward, loss, backward, optimizer update and metric sums
   are recorded. The optimizer keeps its learning rate and step count in
   device scalars (``Optimizer.use_device_scalars``) so that schedules and
   bias corrections stay live in the replay.
3. Every later batch of the same shape is copied in and the graph replayed;
   the host-side counters (``optimizer.iterations``, the metrics' sample
   counts) advance by what one captured step adds. A batch of another shape
   (the last, smaller one) runs eagerly with the same optimizer state.

The graph is dropped and captured again when the weights or the optimizer
state are replaced (``set_weights`` into new tensors, ``load_state_dict``)
or a weight's ``trainable`` flag changes. If capture fails (a layer that
reads values on the host, an optimizer or metric with host-side state) the
step runs eagerly for the rest of ``fit``, with a warning saying why.

Example:
    >>> import torch
    >>> graphs_unavailable(torch.device("cpu"))
    'the device is not a CUDA GPU'
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import torch

from .metrics import CompiledMetrics, Mean
from .optimizer import Optimizer

__all__ = ["CapturedStep", "graphs_unavailable"]

Step = Callable[[torch.Tensor, torch.Tensor], None]

# Eager steps before the capture: one lets cuDNN choose its algorithms and
# creates the optimizer and metric state; a second confirms nothing is
# still being allocated lazily (PyTorch's guide uses a few).
_WARMUP_STEPS = 2


def graphs_unavailable(device: torch.device, optimizer: Any = None) -> str | None:
    """Why a training step on ``device`` with ``optimizer`` cannot be graph-captured, or ``None`` when it can.

    Example:
        >>> graphs_unavailable(torch.device("cpu"))
        'the device is not a CUDA GPU'
    """
    if device.type != "cuda":
        return "the device is not a CUDA GPU"
    if optimizer is not None:
        if not isinstance(optimizer, Optimizer):
            return f"the optimizer is a {type(optimizer).__name__}, not a convlens optimizer"
        if not optimizer.supports_device_scalars:
            return f"{type(optimizer).__name__} keeps host-side state in its update"
    return None


class CapturedStep:
    """Run ``step(x, y)`` (one training step) from a CUDA graph after a short eager warm-up.

    Args:
        step: the eager training step: forward, loss, ``zero_grad(set_to_none=True)``,
            backward, ``optimizer.step()``, metric update; no host syncs.
        model: the model being trained (its parameters key the graph).
        optimizer: the convlens optimizer ``step`` applies; switched to device
            scalars until ``close()``.
        tracker: the compiled metrics ``step`` updates.

    Example (needs a CUDA GPU)::

        captured = CapturedStep(model._train_step, model, model.optimizer, model._tracker)
        for x, y in batches:
            captured(x, y)
        captured.close()
    """

    def __init__(self, step: Step, model: torch.nn.Module, optimizer: Optimizer, tracker: CompiledMetrics) -> None:
        self.step, self.model, self.optimizer, self.tracker = step, model, optimizer, tracker
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static: tuple[torch.Tensor, torch.Tensor] | None = None
        self.warm = 0
        self.failed: str | None = None  # why capture was given up, if it was
        self.replays = 0
        self._key: Any = None
        self._count_deltas: list[float] = []
        optimizer.use_device_scalars(True)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        if self.failed is not None:
            self.step(x, y)
            return
        if self.graph is not None and self._key != self._current_key():
            self.graph, self.static, self.warm = None, None, _WARMUP_STEPS - 1  # re-capture after one eager step
        if self.graph is None:
            if self.warm < _WARMUP_STEPS:
                self._warmup(x, y)
            else:
                self._capture(x, y)
            return
        static_x, static_y = self.static  # type: ignore[misc]
        if x.shape != static_x.shape or y.shape != static_y.shape or x.dtype != static_x.dtype:
            self.step(x, y)  # e.g. the last, smaller batch of an epoch
            return
        static_x.copy_(x)
        static_y.copy_(y)
        self.optimizer.sync_device_scalars()
        self.graph.replay()
        self.replays += 1
        self.optimizer.iterations += 1
        for metric, delta in zip(self._metrics(), self._count_deltas):
            metric.count += delta

    def close(self) -> None:
        """Drop the graph and return the optimizer to host scalars (``iterations`` is already up to date)."""
        self.graph, self.static = None, None
        self.optimizer.use_device_scalars(False)

    # -------------------------------------------------------------- helpers
    def _warmup(self, x: torch.Tensor, y: torch.Tensor) -> None:
        side = torch.cuda.Stream(device=x.device)
        side.wait_stream(torch.cuda.current_stream(x.device))
        with torch.cuda.stream(side):
            self.step(x, y)
        torch.cuda.current_stream(x.device).wait_stream(side)
        self.warm += 1

    def _capture(self, x: torch.Tensor, y: torch.Tensor) -> None:
        metrics = self._metrics()
        unsupported = [type(m).__name__ for m in metrics if type(m).update_state not in _HOST_COUNT_ONLY]
        if unsupported:
            self._give_up(f"the metrics {unsupported} may keep host-side state")
            self.step(x, y)
            return
        static = (x.clone(), y.clone())
        counts = [m.count for m in metrics]
        iterations = self.optimizer.iterations
        self.optimizer.sync_device_scalars()
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                self.step(*static)
        except Exception as error:  # noqa: BLE001 - any failure means: train eagerly
            for metric, count in zip(metrics, counts):
                metric.count = count
            self.optimizer.iterations = iterations
            self.optimizer.zero_grad(set_to_none=True)
            self._give_up(f"{type(error).__name__}: {error}")
            self.step(x, y)
            return
        # Capture ran the Python side once (counters advanced) but no kernels:
        # replaying now performs this batch's step.
        graph.replay()
        self.graph, self.static, self._key = graph, static, self._current_key()
        self._count_deltas = [m.count - c for m, c in zip(metrics, counts)]

    def _give_up(self, reason: str) -> None:
        self.failed = reason
        warnings.warn(f"Training eagerly: the step could not be captured in a CUDA graph ({reason}). "
                      "Pass compile(jit_compile=False) to skip the attempt.", RuntimeWarning, stacklevel=4)

    def _metrics(self) -> list[Mean]:
        return [self.tracker.loss, *(self.tracker.metrics or [])]  # type: ignore[list-item]

    def _current_key(self) -> tuple[Any, ...]:
        params = tuple((p.data_ptr(), p.requires_grad) for p in self.model.parameters())
        return self.optimizer.version, params


def _host_count_only_updates() -> set[Any]:
    """``update_state`` methods whose only host-side effect is ``count += n``: replay can re-apply it."""
    from . import metrics

    return {cls.update_state for cls in vars(metrics).values()
            if isinstance(cls, type) and issubclass(cls, Mean) and cls.__module__ == metrics.__name__}


_HOST_COUNT_ONLY = _host_count_only_updates()
