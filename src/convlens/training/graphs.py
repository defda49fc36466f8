"""Training, evaluation and prediction steps on a GPU, captured once in a CUDA graph and replayed for every batch.

A small CNN's step is a few hundred kernel launches of a few microseconds
each, and Python issues them one by one: on an H100 the ``mnist_fast``
step at batch 256 took ≈ 6 ms from Python against ≈ 1.1 ms of GPU work.
Replaying a captured graph costs one launch per step; the fast recipe's
epoch went from 1.67 s to 0.27 s (bench/RESULTS.md, W2).

How ``fit`` uses it (on a CUDA device, unless ``compile(jit_compile=False)``
or ``run_eagerly=True``; ``evaluate``, ``predict`` and ``fit``'s validation
capture their inference step the same way, without the optimizer):

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

The graph is dropped and captured again when the weights, the moving
statistics or the optimizer state are replaced (``set_weights`` into new
tensors, ``load_state_dict``) or a weight's ``trainable`` flag changes. If
capture fails (a layer that reads values on the host, an optimizer or metric
with host-side state) the step runs eagerly for the rest of the call, with
a warning saying why.

Example:
    >>> import torch
    >>> graphs_unavailable(torch.device("cpu"))
    'the device is not a CUDA GPU'
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import torch

from . import metric_base
from . import metrics as metrics_lib
from .compiled_metrics import CompiledMetrics
from .metrics import Mean
from .optimizer import Optimizer

__all__ = ["CapturedStep", "graphs_unavailable"]

# Eager steps before the capture: one lets cuDNN choose its algorithms and
# creates the optimizer and metric state; a second confirms nothing is
# still being allocated lazily (PyTorch's guide uses a few).
_WARMUP_STEPS = 2


# Capturing costs a few milliseconds (≈ 4.4 ms for the MNIST convnet's
# prediction step on an H100: predict on 10 batches of 1,024 took 11.1 ms with
# a graph against 6.7 ms eagerly) and a replay saves ≈ 0.25 ms of launches
# per step, so a call with fewer steps than this runs eagerly.
MIN_STEPS = 24


def graphs_unavailable(device: torch.device, optimizer: Any = None, steps: int | None = None) -> str | None:
    """Why a step on ``device`` with ``optimizer``, run ``steps`` times, is not graph-captured, or ``None`` if it is.

    Example:
        >>> graphs_unavailable(torch.device("cpu"))
        'the device is not a CUDA GPU'
        >>> graphs_unavailable(torch.device("cuda"), steps=5)
        'too few steps (5) to pay for a capture'
    """
    if device.type != "cuda":
        return "the device is not a CUDA GPU"
    if steps is not None and steps < MIN_STEPS:
        return f"too few steps ({steps}) to pay for a capture"
    if optimizer is not None:
        if not isinstance(optimizer, Optimizer):
            return f"the optimizer is a {type(optimizer).__name__}, not a convlens optimizer"
        if not optimizer.supports_device_scalars:
            return f"{type(optimizer).__name__} keeps host-side state in its update"
    return None


class CapturedStep:
    """Run ``step(*batch)`` from a CUDA graph after a short eager warm-up: a training or an inference step.

    Args:
        step: the eager step, with no host syncs: for training forward, loss,
            ``zero_grad(set_to_none=True)``, backward, ``optimizer.step()`` and
            the metric update; for evaluation forward, loss and metrics; for
            prediction the forward pass, returning the output.
        model: the model (its parameters key the graph).
        optimizer: the convlens optimizer a training step applies (switched
            to device scalars until ``close()``), or ``None``.
        tracker: the compiled metrics the step updates, or ``None``.

    A replay returns a copy of the captured step's output tensor (the graph
    overwrites its own on the next replay); an eager step returns its output.

    Example (needs a CUDA GPU)::

        captured = CapturedStep(model._train_step, model, model.optimizer, model._tracker)
        for x, y in batches:
            captured(x, y)
        captured.close()
    """

    def __init__(self, step: Callable[..., Any], model: torch.nn.Module, optimizer: Optimizer | None = None,
                 tracker: CompiledMetrics | None = None) -> None:
        self.step, self.model, self.optimizer, self.tracker = step, model, optimizer, tracker
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static: tuple[torch.Tensor, ...] = ()
        self.static_output: Any = None
        self.warm = 0
        self.failed: str | None = None  # why capture was given up, if it was
        self.replays = 0
        self._key: Any = None
        self._count_deltas: list[float] = []
        if optimizer is not None:
            optimizer.use_device_scalars(True)

    def __call__(self, *batch: torch.Tensor) -> Any:
        if self.failed is not None:
            return self.step(*batch)
        if self.graph is not None and self._key != self._current_key():
            self.graph, self.static, self.warm = None, (), _WARMUP_STEPS - 1  # re-capture after one eager step
        if self.graph is None:
            if self.warm < _WARMUP_STEPS:
                return self._warmup(batch)
            return self._capture(batch)
        if len(batch) != len(self.static) or any(b.shape != s.shape or b.dtype != s.dtype
                                                  for b, s in zip(batch, self.static)):
            return self.step(*batch)  # e.g. the last, smaller batch of an epoch
        for static, value in zip(self.static, batch):
            static.copy_(value)
        if self.optimizer is not None:
            self.optimizer.sync_device_scalars()
        self.graph.replay()
        self.replays += 1
        if self.optimizer is not None:
            self.optimizer.iterations += 1
            self.optimizer.steps_taken += 1
        for metric, delta in zip(self._metrics(), self._count_deltas):
            metric.count += delta
        return _copy(self.static_output)

    def close(self) -> None:
        """Drop the graph and return the optimizer to host scalars (``iterations`` is already up to date)."""
        self.graph, self.static, self.static_output = None, (), None
        if self.optimizer is not None:
            self.optimizer.use_device_scalars(False)

    # -------------------------------------------------------------- helpers
    def _warmup(self, batch: tuple[torch.Tensor, ...]) -> Any:
        device = batch[0].device
        side = torch.cuda.Stream(device=device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):
            output = self.step(*batch)
        torch.cuda.current_stream(device).wait_stream(side)
        self.warm += 1
        return output

    def _capture(self, batch: tuple[torch.Tensor, ...]) -> Any:
        metrics = self._metrics()
        unsupported = [type(m).__name__ for m in metrics if type(m).update_state not in _HOST_COUNT_ONLY]
        if unsupported:
            self._give_up(f"the metrics {unsupported} may keep host-side state")
            return self.step(*batch)
        static = tuple(b.clone() for b in batch)
        counts = [m.count for m in metrics]
        counters = (self.optimizer.iterations, self.optimizer.steps_taken) if self.optimizer is not None else (0, 0)
        if self.optimizer is not None:
            self.optimizer.sync_device_scalars()
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                output = self.step(*static)
        except Exception as error:  # noqa: BLE001 - any failure means: run eagerly
            for metric, count in zip(metrics, counts):
                metric.count = count
            if self.optimizer is not None:
                self.optimizer.iterations, self.optimizer.steps_taken = counters
                self.optimizer.zero_grad(set_to_none=True)
            self._give_up(f"{type(error).__name__}: {error}")
            return self.step(*batch)
        # Capture ran the Python side once (counters advanced) but no kernels:
        # replaying now performs this batch's step.
        graph.replay()
        self.graph, self.static, self.static_output, self._key = graph, static, output, self._current_key()
        self._count_deltas = [m.count - c for m, c in zip(metrics, counts)]
        return _copy(output)

    def _give_up(self, reason: str) -> None:
        self.failed = reason
        warnings.warn(f"Running eagerly: the step could not be captured in a CUDA graph ({reason}). "
                      "Pass compile(jit_compile=False) to skip the attempt.", RuntimeWarning, stacklevel=4)

    def _metrics(self) -> list[Mean]:
        if self.tracker is None:
            return []
        return self.tracker.tracked  # type: ignore[return-value]

    def _current_key(self) -> tuple[Any, ...]:
        params = tuple((p.data_ptr(), p.requires_grad) for p in self.model.parameters())
        buffers = tuple(b.data_ptr() for b in self.model.buffers())  # BatchNorm's moving statistics
        return (self.optimizer.version if self.optimizer is not None else None), params, buffers


def _copy(output: Any) -> Any:
    """The captured output, copied (the next replay overwrites it); a model's several outputs each."""
    if isinstance(output, torch.Tensor):
        return output.clone()
    if isinstance(output, (list, tuple)):
        return [_copy(o) for o in output]
    return output


# The metrics' ``update_state`` methods whose only host-side effect is
# ``count += n``, which a replay re-applies: convlens's own Mean family.
_HOST_COUNT_ONLY = {cls.update_state for cls in vars(metrics_lib).values()
                    if isinstance(cls, type) and issubclass(cls, Mean)
                    and cls.__module__ in (metrics_lib.__name__, metric_base.__name__)}
