"""Two gloo processes on loopback against one process at the same seed and global batch."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from . import worker
from .launch import launch

WORKER = str(Path(worker.__file__))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[dict, list[dict]]:
    single_dir, job_dir = tmp_path_factory.mktemp("single"), tmp_path_factory.mktemp("job")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        worker.fit_scenario(single_dir, 0)
    finally:
        torch.set_num_threads(threads)
    results = launch([WORKER, "fit", str(job_dir)], env={"CONVLENS_TEST_CSV": str(job_dir / "metrics.csv")})
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
    # Rank 0 alone writes the CSV: one header and one row per epoch, not two processes' interleaved rows.
    assert len((job_dir / "metrics.csv").read_text().splitlines()) == 1 + worker.EPOCHS
    single = dict(np.load(single_dir / "rank0.npz"))
    return single, [dict(np.load(job_dir / f"rank{r}.npz")) for r in range(2)]


def test_only_rank_0_writes(runs):
    _, (first, second) = runs
    assert bool(first["csv_written"]) and not bool(second["csv_written"])


def test_weights_equal_one_process(runs):
    # Conv + BatchNormalization (moving statistics included) + Dense, 3 epochs, a last batch of 1 row.
    single, ranks = runs
    for rank in ranks:
        for key in (k for k in single if k.startswith("w")):
            np.testing.assert_allclose(rank[key], single[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_ranks_hold_identical_weights(runs):
    _, (first, second) = runs
    for key in (k for k in first if k.startswith("w")):
        np.testing.assert_array_equal(first[key], second[key])


def test_history_and_evaluate_are_global(runs):
    # 7 test images over 2 processes in batches of 4: each counted once, as one process counts them.
    single, ranks = runs
    for rank in ranks:
        np.testing.assert_allclose(rank["history_loss"], single["history_loss"], rtol=1e-4)
        np.testing.assert_allclose(rank["loss"], single["loss"], rtol=1e-4)
        np.testing.assert_allclose(rank["accuracy"], single["accuracy"])


def test_predict_returns_every_row_in_order(runs):
    single, ranks = runs
    for rank in ranks:
        assert rank["predictions"].shape == (worker.TEST, 3)
        np.testing.assert_allclose(rank["predictions"], single["predictions"], rtol=1e-4, atol=1e-6)


def test_a_dead_rank_stops_the_other_with_a_clear_error(tmp_path):
    start = time.monotonic()
    results = launch([WORKER, "fit", str(tmp_path)], env={"CONVLENS_TEST_KILL": "1:2"}, dist_timeout=10)
    assert results[1].returncode == -signal.SIGKILL
    assert results[0].returncode != 0
    assert "Rank 0 of 2" in results[0].stderr and "another process of the job has died" in results[0].stderr
    assert time.monotonic() - start < 10 + 30  # stopped by the failure or the timeout, never a hang


def test_resume_after_the_whole_job_was_killed_equals_an_uninterrupted_run(runs, tmp_path):
    _, (uninterrupted, _) = runs
    backup = {"CONVLENS_TEST_BACKUP": str(tmp_path / "backup")}
    killed = launch([WORKER, "fit", str(tmp_path)], env={**backup, "CONVLENS_TEST_KILL": "epoch:1"})
    assert [r.returncode for r in killed] == [-signal.SIGKILL] * 2
    assert not (tmp_path / "rank0.npz").exists()
    resumed = launch([WORKER, "fit", str(tmp_path)], env=backup)
    assert [r.returncode for r in resumed] == [0, 0], resumed[0].stderr[-3000:]
    result = dict(np.load(tmp_path / "rank0.npz"))
    for key in (k for k in uninterrupted if k.startswith("w")):
        np.testing.assert_allclose(result[key], uninterrupted[key], rtol=1e-6, atol=1e-7, err_msg=key)


def test_the_live_progress_bar_shows_global_values_mid_epoch(tmp_path):
    # Rank 0 draws to a terminal, rank 1 to none: both must read the (collective) logs at the same steps.
    results = launch([WORKER, "progress", str(tmp_path)], timeout=120)
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
    steps = np.load(tmp_path / "steps0.npy")
    shown = [float(v) for v in re.findall(r"loss: ([0-9.]+)", results[0].stdout)]
    assert len(shown) > 2 * 2, "the bar redrew no more than the epoch lines"  # 2 epochs: final lines and more
    global_values, local_values = {round(g, 4) for g, _ in steps}, {round(v, 4) for _, v in steps}
    assert global_values != local_values  # the two processes hold different data: the check can tell them apart
    assert all(value in global_values for value in shown), (shown, sorted(global_values))
    assert results[1].stdout.strip() == ""  # only rank 0 prints
