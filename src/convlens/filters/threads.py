"""How a CPU filter spreads its row blocks over the cores: one block per thread at a time, no barrier per pass.

torch splits every element-wise pass over its intra-op threads and waits for
all of them when the pass ends. A filter is a chain of 20-200 such passes, so
when another process keeps one core busy, every pass waits for the thread
that lost its core: on the 2-core CPU the sigma=2 Gaussian on 2048 x 2048
took 0.76 s that way against 0.08 s on one thread (bench/RESULTS.md). Here
each block of output rows is instead a whole chain run by one thread, with
torch's intra-op parallelism off, and the threads take the next block as
they finish: a thread that loses its core just computes fewer blocks. Every
block computes the same values as before, so results are bit-identical.

Small images, which fit in one block, run the same way on a single thread:
their passes are too short for two threads to pay for the wait.

Example:
    >>> import torch
    >>> blocks = run_blocks([lambda k=k: torch.full((2,), float(k)) for k in range(3)])
    >>> [b.tolist() for b in blocks]
    [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator, Sequence

import torch

_lock = threading.RLock()
_pools: dict[int, ThreadPoolExecutor] = {}


def workers(blocks: int) -> int:
    """Threads to run ``blocks`` blocks on: torch's thread count, at most one per block.

    Example:
        >>> workers(1)
        1
    """
    return max(1, min(torch.get_num_threads(), blocks))


@contextlib.contextmanager
def single_threaded_ops() -> Iterator[None]:
    """torch's intra-op parallelism off inside the block, restored afterwards (it is process-wide)."""
    before = torch.get_num_threads()
    if before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_blocks(tasks: Sequence[Callable[[], torch.Tensor]]) -> list[torch.Tensor]:
    """Runs each task (a chain of passes over one block) on one thread; results in task order.

    With more than one task and more than one torch thread, a pool of
    :func:`workers` threads takes the tasks in order as each finishes its
    previous one. torch releases the GIL inside its kernels, so the threads
    compute in parallel.
    """
    count = workers(len(tasks))
    with _lock, single_threaded_ops():  # one filter at a time owns the process's thread setting
        if count == 1:
            return [task() for task in tasks]
        return list(_pool(count).map(lambda task: task(), tasks))


def _pool(count: int) -> ThreadPoolExecutor:
    pool = _pools.get(count)
    if pool is None:
        pool = _pools[count] = ThreadPoolExecutor(count, thread_name_prefix="convlens-filter")
    return pool
