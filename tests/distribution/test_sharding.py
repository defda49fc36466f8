"""Each process's slice of every global batch: disjoint, complete, and the same seeded reshuffle on every process."""

from __future__ import annotations

import torch

from convlens.distribution.sharding import ShardedBatches, bounds
from convlens.training.batches import ArrayBatches


def shards(world: int, seed: int = 7, size: int = 11, batch: int = 4) -> list[ShardedBatches]:
    # What each process builds: the same data and a generator with the (broadcast) same seed.
    return [ShardedBatches(ArrayBatches((torch.arange(size),), batch, shuffle=True,
                                        generator=torch.Generator().manual_seed(seed)), rank, world)
            for rank in range(world)]


def epoch_rows(sharded: ShardedBatches) -> list[list[int]]:
    return [b[0].tolist() for b in sharded.epoch()]


def test_bounds_split_every_batch_without_gap_or_overlap():
    for n in range(0, 9):
        for world in (1, 2, 3, 5):
            parts = [bounds(n, r, world) for r in range(world)]
            assert parts[0][0] == 0 and parts[-1][1] == n
            assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
            assert max(b - a for a, b in parts) - min(b - a for a, b in parts) <= 1


def test_the_slices_of_each_global_batch_are_disjoint_and_complete():
    ranks, single = shards(2), ArrayBatches((torch.arange(11),), 4, shuffle=True,
                                            generator=torch.Generator().manual_seed(7))
    for _ in range(3):
        globals_ = [b[0].tolist() for b in single.epoch()]
        per_rank = [epoch_rows(s) for s in ranks]
        assert [a + b for a, b in zip(*per_rank)] == globals_  # the last batch of 3: rows 1 and 2
        assert [len(b) for b in per_rank[0]] == [2, 2, 1]


def test_every_epoch_reshuffles_identically_on_every_process():
    first, second = shards(2, seed=3, size=40, batch=8), shards(2, seed=3, size=40, batch=8)
    orders = []
    for _ in range(3):
        epoch = [epoch_rows(s) for s in first]
        assert epoch == [epoch_rows(s) for s in second]  # a second job at the same seed: the same slices
        orders.append(sum((a + b for a, b in zip(*epoch)), []))
    assert sorted(orders[0]) == list(range(40))
    assert orders[0] != orders[1] != orders[2]


def test_state_is_the_wrapped_batches_state():
    (sharded,) = shards(1)
    next(iter(sharded.epoch()))
    assert sharded.state_dict()["next"] == sharded.batches.state_dict()["next"]
