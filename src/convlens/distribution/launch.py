"""``convlens train --nproc N``: start the job's processes on this machine through ``torch.distributed.run``.

One machine: a standalone rendezvous on a free local port. Several
machines: the same command on each, with ``--nnodes``, ``--node-rank`` and
``--rdzv-endpoint HOST:PORT`` (a c10d rendezvous hosted by the first
machine). Each process gets a fair share of this machine's CPU threads
(``OMP_NUM_THREADS``), so N processes do not oversubscribe the cores.

Example:
    >>> torchrun_argv(2, 1, 0, None, ["--epochs", "1"])[3:]
    ['--standalone', '--nproc-per-node', '2', '-m', 'convlens', 'train', '--epochs', '1']
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Sequence

__all__ = ["LAUNCH_OPTIONS", "run", "threads_per_process", "torchrun_argv", "without_launch_options"]

# The options of `convlens train` that describe the launch, not the run: each takes one value.
LAUNCH_OPTIONS = ("--nproc", "--nnodes", "--node-rank", "--rdzv-endpoint")


def threads_per_process(nproc: int, cpus: int | None = None) -> int:
    """This machine's CPU threads shared between ``nproc`` processes (at least one each).

    Example:
        >>> threads_per_process(2, cpus=16), threads_per_process(4, cpus=2)
        (8, 1)
    """
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cpus // nproc)


def without_launch_options(argv: Sequence[str]) -> list[str]:
    """``argv`` without the launch options and their values (``--nproc 2`` and ``--nproc=2`` alike)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in LAUNCH_OPTIONS:
            skip = True
        elif not any(arg.startswith(option + "=") for option in LAUNCH_OPTIONS):
            kept.append(arg)
    return kept


def torchrun_argv(nproc: int, nnodes: int, node_rank: int, rdzv_endpoint: str | None, train_args: Sequence[str]) -> list[str]:
    """The ``python -m torch.distributed.run ... -m convlens train ...`` command line."""
    argv = [sys.executable, "-m", "torch.distributed.run"]
    if nnodes == 1 and rdzv_endpoint is None:
        argv.append("--standalone")
    else:
        if rdzv_endpoint is None:
            raise ValueError(f"--nnodes {nnodes} needs --rdzv-endpoint HOST:PORT (the first machine's address and a "
                             "free port there), the same on every machine.")
        argv += ["--nnodes", str(nnodes), "--node-rank", str(node_rank), "--rdzv-backend", "c10d",
                 "--rdzv-endpoint", rdzv_endpoint]
    return [*argv, "--nproc-per-node", str(nproc), "-m", "convlens", "train", *train_args]


def run(nproc: int, nnodes: int, node_rank: int, rdzv_endpoint: str | None, train_args: Sequence[str]) -> int:
    """Run the job and wait for it; returns its exit status (non-zero when any process failed)."""
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(threads_per_process(nproc)))}
    return subprocess.call(torchrun_argv(nproc, nnodes, node_rank, rdzv_endpoint, train_args), env=env)
