"""Row blocks on a pool of single-threaded workers: same values, order kept, torch's thread setting restored."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch

from convlens import filters
from convlens.filters import reductions, threads


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_blocks_come_back_in_task_order_and_run_on_several_threads(two_threads):
    seen = set()
    barrier = threading.Barrier(2, timeout=10)  # passes only if two tasks run at the same time

    def task(k: int):
        seen.add(threading.get_ident())
        if k < 2:
            barrier.wait()
        return torch.tensor([float(k)])

    out = threads.run_blocks([lambda k=k: task(k) for k in range(6)])
    assert [float(t) for t in out] == [0, 1, 2, 3, 4, 5]
    assert len(seen) == 2


def test_tasks_run_with_intra_op_threads_off_and_the_setting_comes_back(two_threads):
    inside = threads.run_blocks([lambda: torch.tensor(torch.get_num_threads())] * 3)
    assert [int(t) for t in inside] == [1, 1, 1]
    assert torch.get_num_threads() == 2

    def fails():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        threads.run_blocks([fails, fails])
    assert torch.get_num_threads() == 2


def test_pooled_blocks_give_the_values_of_one_unblocked_pass(two_threads, monkeypatch):
    image = np.random.default_rng(1).random((300, 257), dtype=np.float32)
    monkeypatch.setattr(reductions, "_CPU_MIN_BLOCK_VALUES", 2**10)  # many small blocks on the pool
    monkeypatch.setattr(reductions, "_CPU_BLOCK_VALUES", 2**12)
    monkeypatch.setattr(reductions, "_CPU_MEDIAN_BLOCK_VALUES", 2**11)
    blocked = [filters.gaussian(image, sigma=2), filters.median(image, size=5), filters.dilate(image, size=3)]
    monkeypatch.setattr(reductions, "_CPU_MIN_BLOCK_VALUES", 2**30)  # one block holds the whole image
    monkeypatch.setattr(reductions, "_CPU_BLOCK_VALUES", 2**30)
    monkeypatch.setattr(reductions, "_CPU_MEDIAN_BLOCK_VALUES", 2**30)
    whole = [filters.gaussian(image, sigma=2), filters.median(image, size=5), filters.dilate(image, size=3)]
    for a, b in zip(blocked, whole):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(blocked[0], ndi.gaussian_filter(image, 2), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(blocked[1], ndi.median_filter(image, size=5))


def test_workers_follow_torch_threads_and_the_block_count(two_threads):
    assert threads.workers(1) == 1
    assert threads.workers(8) == 2
    torch.set_num_threads(1)
    assert threads.workers(8) == 1
