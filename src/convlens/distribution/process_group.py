"""The process group: joined from ``torchrun``'s environment, with a timeout that turns a dead peer into an error.

``torchrun`` (``python -m torch.distributed.run``) sets ``WORLD_SIZE``,
``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``; joining reads
them (``init_method="env://"``). gloo serves CPUs, NCCL CUDA GPUs (one
process per GPU, the GPU chosen by ``LOCAL_RANK``).

Every collective waits at most ``timeout`` seconds (``CONVLENS_DIST_TIMEOUT``,
default 300): when a peer dies, gloo's pending operation fails either at once
(its connection closes) or at the timeout, and ``collective`` turns that into
an error naming this rank and the operation, never a hang.

Example:
    >>> from_environment({})  # not started by torchrun
    False
"""

from __future__ import annotations

import atexit
import datetime
import os
from typing import Any, Callable, Mapping

import torch
import torch.distributed as dist

__all__ = ["PeerFailure", "collective", "device", "from_environment", "join", "local_rank", "rank", "timeout", "world_size"]

_DEFAULT_TIMEOUT_S = 300.0


class PeerFailure(RuntimeError):
    """A collective operation failed: another process of the job died or stopped answering."""


def from_environment(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process was started by ``torchrun`` (``WORLD_SIZE`` and ``RANK`` set)."""
    environ = os.environ if environ is None else environ
    return "WORLD_SIZE" in environ and "RANK" in environ


def timeout() -> float:
    """Seconds a collective may wait for the other processes (``CONVLENS_DIST_TIMEOUT``, default 300)."""
    value = os.environ.get("CONVLENS_DIST_TIMEOUT", str(_DEFAULT_TIMEOUT_S))
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise ValueError(f"CONVLENS_DIST_TIMEOUT must be a positive number of seconds. Received: {value!r}")
    return seconds


def join(backend: str | None = None) -> None:
    """Join the process group described by the environment (a no-op when already joined)."""
    if dist.is_initialized():
        return
    if not from_environment():
        raise RuntimeError(
            "Data parallel training needs several processes started by torchrun "
            "(`convlens train --nproc N` or `torchrun --nproc-per-node N script.py`): WORLD_SIZE and RANK are not set."
        )
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() and dist.is_nccl_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(local_rank())
    dist.init_process_group(backend, init_method="env://", timeout=datetime.timedelta(seconds=timeout()))
    # Left to the interpreter's exit, gloo's threads are torn down unjoined and the process can abort
    # ("terminate called without an active exception", exit status -6) after its work is done.
    atexit.register(_leave)


def _leave() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def rank() -> int:
    """This process's rank: from the group, or from torchrun's ``RANK`` before the group is joined (0 alone)."""
    if dist.is_initialized():
        return dist.get_rank()
    return int(os.environ["RANK"]) if from_environment() else 0


def world_size() -> int:
    """Processes in the job: from the group, or torchrun's ``WORLD_SIZE`` before it is joined (1 alone)."""
    if dist.is_initialized():
        return dist.get_world_size()
    return int(os.environ["WORLD_SIZE"]) if from_environment() else 1


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def device() -> torch.device:
    """Where tensors for a collective must live: this process's GPU under NCCL (it takes no host tensors), else the CPU.

    Example:
        >>> device()  # no process group
        device(type='cpu')
    """
    if dist.is_initialized() and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def collective(what: str, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one collective ``operation``; a failure (a dead or silent peer) becomes a ``PeerFailure`` naming the rank.

    Example:
        >>> collective("a sum", lambda: 3)
        3
    """
    try:
        return operation(*args, **kwargs)
    except (RuntimeError, dist.DistBackendError) as exc:  # type: ignore[attr-defined]
        raise PeerFailure(
            f"Rank {rank()} of {world_size()}: {what} failed, so another process of the job has died or stopped "
            f"answering (waited at most {timeout():.0f} s, CONVLENS_DIST_TIMEOUT). Resume the run from its last "
            f"checkpoint. Cause: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from exc
