"""Batch statistics over the global batch: BatchNormalization's mean and variance summed across processes.

Each process sums its rows and their squares per channel; one all-reduce
of ``[count, sums, squares]`` gives every process the global mean and
(biased) variance, so the normalised outputs, the moving statistics and,
through the all-reduce's backward (itself an all-reduce of the gradients),
the weight gradients are those of one process holding the whole batch. This
is the computation of ``torch.nn.SyncBatchNorm``, written for any backend
(gloo on CPUs, NCCL on GPUs) and for a process holding no rows.

Example (one process: the plain batch statistics):
    >>> x = torch.tensor([[1.0], [3.0]])
    >>> [t.tolist() for t in global_moments(x, axis=1, reduce=lambda t: t)]
    [[2.0], [1.0]]
"""

from __future__ import annotations

from typing import Callable

import torch

__all__ = ["global_moments", "normalize"]


def global_moments(x: torch.Tensor, axis: int,
                   reduce: Callable[[torch.Tensor], torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and biased variance of ``x`` over every axis but ``axis``, summed by ``reduce`` across processes."""
    dims = [d for d in range(x.ndim) if d != axis]
    channels = x.shape[axis]
    count = torch.full((1,), x.numel() // channels if channels else 0, dtype=x.dtype, device=x.device)
    stats = reduce(torch.cat([count, x.sum(dims), (x * x).sum(dims)]))
    total = stats[0].clamp_min(1)
    mean = stats[1 : 1 + channels] / total
    var = (stats[1 + channels :] / total - mean * mean).clamp_min(0)
    return mean, var


def normalize(layer: torch.nn.Module, x: torch.Tensor, axis: int,
              reduce: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """``layer``'s (a ``BatchNormalization``) training forward with global batch statistics; updates its moving ones."""
    mean, var = global_moments(x, axis, reduce)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    y = (x - mean.reshape(shape)) * torch.rsqrt(var.reshape(shape) + layer.epsilon)
    if layer.gamma is not None:
        y = y * layer.gamma.reshape(shape)
    if layer.beta is not None:
        y = y + layer.beta.reshape(shape)
    layer._update_moving(mean.detach(), var.detach())
    return y
