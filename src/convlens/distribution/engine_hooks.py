"""What ``fit``, ``evaluate`` and ``predict`` call to run data-parallel; each is a no-op with one process.

The loop stays the one-process loop (``training/engine.py``); with a
distribution in effect it is changed in four places only:

- ``start``: every process takes rank 0's weights, buffers and shuffle seed.
- ``shard``: each process keeps its slice of every global batch (``sharding.py``).
- ``train_step``: the loss is the process's share of the *global* mean
  (local mean × local rows / global rows), so after one all-reduce (a sum)
  of the gradients every process holds the gradient of the global batch's
  mean loss, whatever the number of rows each holds (none included).
- ``reduce_metrics``: metric totals and counts are summed across processes,
  so logs, callbacks and the progress bar's epoch line are global, and
  ``evaluate`` counts each example once.

Example:
    >>> shard("batches")  # one process: unchanged
    'batches'
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.distributed as dist
from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

from . import process_group
from .api import DataParallel, distribution
from .sharding import ShardedBatches, bounds

__all__ = ["active", "gather_outputs", "is_writer", "reduce_metrics", "shard", "start", "sum_across", "train_step"]


def active() -> DataParallel | None:
    """The distribution in effect when it spans more than one process, else None."""
    current = distribution()
    return current if current is not None and process_group.world_size() > 1 else None


def is_writer() -> bool:
    """Whether this process prints and writes files: rank 0 (or the only process)."""
    return process_group.rank() == 0


def sum_across(tensor: torch.Tensor, what: str = "an all-reduce") -> torch.Tensor:
    """``tensor`` summed over all processes (autograd flows through: the gradient is summed too)."""
    from torch.distributed.nn.functional import all_reduce

    return process_group.collective(what, all_reduce, tensor)


def start(model: Any, seed: int) -> int:
    """Give every process rank 0's weights and buffers; returns rank 0's ``seed`` (the shuffle's)."""
    if active() is None:
        return seed
    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            process_group.collective("broadcasting the weights", dist.broadcast, tensor.data, 0)
        shared = torch.tensor([seed], dtype=torch.int64, device=process_group.device())
        process_group.collective("agreeing on the shuffle seed", dist.broadcast, shared, 0)
    return int(shared.item())


def shard(batches: Any, tracker: Any = None) -> Any:
    """This process's share of ``batches`` when data-parallel, else ``batches``; ``tracker``'s results become global."""
    parallel = active() is not None
    if tracker is not None:
        tracker.reduce = reduce_metrics if parallel else None
    if not parallel:
        return batches
    return ShardedBatches(batches, process_group.rank(), process_group.world_size())


def train_step(model: Any, batches: Any) -> Callable[..., None] | None:
    """The data-parallel training step over the sharded ``batches``, or None with one process."""
    if not isinstance(batches, ShardedBatches):
        return None

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        rows, total = x.shape[0], max(batches.global_size, 1)
        y_pred = model(x)
        if rows:
            loss = model._loss_fn(y, y_pred)
            share = 1.0 if getattr(model._loss_fn, "reduction", None) == "sum" else rows / total
            scaled = loss * share
            penalties = model.losses  # regularizers: this rank's share of them, so that the summed gradients hold each once
            if penalties:
                penalty = torch.stack([p.to(loss.dtype).sum() for p in penalties]).sum()
                loss, scaled = loss + penalty, scaled + penalty * (rows / total)
        else:  # no rows here: a zero that still runs the backward's collectives (BatchNormalization's)
            loss = scaled = y_pred.sum() * 0.0
        model.optimizer.zero_grad(set_to_none=True)
        # BatchNormalization's statistics are summed again in the backward pass: a dead peer can fail it too.
        process_group.collective("the backward pass", scaled.backward)
        _sum_gradients(model)
        model.optimizer.step()
        model._tracker.update(loss.detach(), y, y_pred.detach())

    return step


def _sum_gradients(model: Any) -> None:
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    grads = [p.grad for p in params]
    flat = _flatten_dense_tensors(grads)  # one all-reduce per step, not one per weight
    process_group.collective("summing the gradients", dist.all_reduce, flat)
    for grad, summed in zip(grads, _unflatten_dense_tensors(flat, grads)):
        grad.copy_(summed)


def reduce_metrics(tracker: Any) -> dict[str, float]:
    """``tracker``'s (a ``CompiledMetrics``) means over every process's totals and counts."""
    entries = tracker.entries()
    tracked = [metric for _, metric in entries]
    for metric in tracked:
        if getattr(metric, "weight", None) is not None:
            raise ValueError(f"Metric {metric.name!r} is weighted by sample weights; data-parallel training sums "
                             "sample counts only, so it does not support `weighted_metrics` yet.")
        if not hasattr(metric, "total"):
            raise ValueError(f"Metric {metric.name!r} has no total and count to sum across processes; data-parallel "
                             "training supports mean metrics (Mean, MeanMetricWrapper and the accuracies).")
    device = next((m.total.device for m in tracked if m.total is not None), torch.device("cpu"))
    sums = torch.stack([torch.stack([m.total if m.total is not None else torch.zeros((), device=device),
                                     torch.tensor(float(m.count), device=device)]) for m in tracked]).double()
    process_group.collective("summing the metrics", dist.all_reduce, sums)
    values = (sums[:, 0] / sums[:, 1].clamp_min(1)).tolist()
    counts = sums[:, 1].tolist()
    return dict(sorted((key, v) for (key, _), v, c in zip(entries, values, counts) if c))


def gather_outputs(local: torch.Tensor, batches: Any) -> torch.Tensor:
    """Every process's predictions, in the global order: for each global batch, rank 0's rows, rank 1's, ..."""
    if not isinstance(batches, ShardedBatches):
        return local
    world = batches.world
    where = process_group.device()
    sizes = torch.tensor([local.shape[0]], dtype=torch.int64, device=where)
    all_sizes = [torch.zeros_like(sizes) for _ in range(world)]
    process_group.collective("gathering prediction sizes", dist.all_gather, all_sizes, sizes)
    longest = max(int(s) for s in all_sizes)
    padded = torch.zeros((longest, *local.shape[1:]), dtype=local.dtype, device=where)
    padded[: local.shape[0]] = local.to(where)
    parts = [torch.zeros_like(padded) for _ in range(world)]
    process_group.collective("gathering predictions", dist.all_gather, parts, padded)
    offsets, pieces = [0] * world, []
    for size in batches.sizes:
        for r in range(world):
            start, stop = bounds(size, r, world)
            pieces.append(parts[r][offsets[r] : offsets[r] + stop - start])
            offsets[r] += stop - start
    return torch.cat(pieces).to(local.device)
