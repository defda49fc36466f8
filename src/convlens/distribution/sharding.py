"""Each process's slice of every global batch.

Every process draws the same batches (the same seeded permutation, the same
dataset order) and keeps rows ``[n·r/W, n·(r+1)/W)`` of each: the slices are
disjoint, cover the batch, and differ in size by at most one row, so a last
batch smaller than the world gives some processes no rows at all (they still
take part in every collective). The global batch size is kept next to the
slice: the gradient of the global mean loss needs it (``step.py``).

Example:
    >>> bounds(5, 0, 2), bounds(5, 1, 2), bounds(1, 0, 2)
    ((0, 2), (2, 5), (0, 0))
"""

from __future__ import annotations

from typing import Any, Iterator

import torch

__all__ = ["ShardedBatches", "bounds"]


def bounds(n: int, rank: int, world: int) -> tuple[int, int]:
    """Rows ``[start, stop)`` of an ``n``-row global batch that process ``rank`` of ``world`` keeps."""
    return n * rank // world, n * (rank + 1) // world


class ShardedBatches:
    """This process's share of ``batches`` (an ``ArrayBatches`` or ``DatasetBatches``).

    ``steps``, ``state_dict`` and ``load_state_dict`` are the wrapped
    batches': the shuffle's state is the same on every process.
    ``global_size`` is the size of the global batch last delivered.
    """

    def __init__(self, batches: Any, rank: int, world: int) -> None:
        self.batches, self.rank, self.world = batches, rank, world
        self.global_size = 0
        self.sizes: list[int] = []  # the global batch sizes of the current epoch

    @property
    def steps(self) -> int | None:
        return self.batches.steps

    def epoch(self) -> Iterator[tuple[torch.Tensor, ...]]:
        self.sizes = []
        for batch in self.batches.epoch():
            self.global_size = int(batch[0].shape[0])
            self.sizes.append(self.global_size)
            start, stop = bounds(self.global_size, self.rank, self.world)
            yield tuple(part[start:stop] for part in batch)

    def state_dict(self) -> Any:
        return self.batches.state_dict()

    def load_state_dict(self, state: Any) -> None:
        self.batches.load_state_dict(state)
