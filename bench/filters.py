"""Filters speed: convlens.filters against scipy.ndimage on a 2048 x 2048 float32 image.

Result on a 2-core AMD EPYC (torch 2.13, 2 threads): convlens took 0.03-0.22x
scipy's time on every filter below (Gaussian sigma=2: 23 ms vs 107 ms); see
bench/RESULTS.md, including how other load on the cores changes that.

Run: ``PYTHONPATH=src python bench/filters.py [--size 2048] [--repeats 7] [--busy]``

``--busy`` times every pair twice: once as it is, once while a separate
process spins on one core (the case where torch's per-pass thread barrier
used to stall, bench/RESULTS.md), and prints both tables.

Each pair runs alternately (ours, scipy, ours, ...) so that background load
hits both alike, and the best time of each is reported; the ratio is
ours / scipy (below 1: convlens is faster). Results are checked against
scipy before timing. torch uses its default thread count (one per core)
unless ``--threads`` says otherwise.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

import numpy as np
import scipy
import scipy.ndimage as ndi
import torch

from convlens import filters

# (name, convlens call, scipy call); both use scipy's default border, "reflect".
CASES = [
    ("gaussian sigma=2", lambda x: filters.gaussian(x, sigma=2), lambda x: ndi.gaussian_filter(x, 2)),
    ("median 3x3", lambda x: filters.median(x, size=3), lambda x: ndi.median_filter(x, size=3)),
    ("median 5x5", lambda x: filters.median(x, size=5), lambda x: ndi.median_filter(x, size=5)),
    ("mean 3x3", lambda x: filters.mean(x, size=3), lambda x: ndi.uniform_filter(x, size=3)),
    ("mean 5x5", lambda x: filters.mean(x, size=5), lambda x: ndi.uniform_filter(x, size=5)),
    ("sobel axis=0", lambda x: filters.sobel(x, axis=0), lambda x: ndi.sobel(x, axis=0)),
    ("sobel magnitude", lambda x: filters.sobel(x), lambda x: np.hypot(ndi.sobel(x, axis=0), ndi.sobel(x, axis=1))),
    ("dilate 3x3", lambda x: filters.dilate(x, size=3), lambda x: ndi.grey_dilation(x, size=3)),
]


def best_times(ours, theirs, image: np.ndarray, repeats: int) -> tuple[float, float]:
    """Best wall time of each, in seconds, over alternating runs after one warm-up."""
    np.testing.assert_allclose(ours(image), theirs(image), rtol=1e-5, atol=1e-5)
    best = [float("inf"), float("inf")]
    for _ in range(repeats):
        for k, fn in enumerate((ours, theirs)):
            start = time.perf_counter()
            fn(image)
            best[k] = min(best[k], time.perf_counter() - start)
    return best[0], best[1]


def cpu_name() -> str:
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or "unknown CPU"


class Spinner:
    """A child process that keeps one core busy until the ``with`` block ends."""

    def __enter__(self) -> "Spinner":
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)  # let the scheduler see it running
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


def run_table(image: np.ndarray, repeats: int, title: str) -> None:
    print(f"\n{title} (load average before: {os.getloadavg()[0]:.2f})")
    print(f"| {'filter':<16} | {'convlens ms':>11} | {'scipy ms':>9} | {'ratio':>5} |")
    print(f"|{'-' * 18}|{'-' * 13}|{'-' * 11}|{'-' * 7}|")
    for name, ours, theirs in CASES:
        t_ours, t_scipy = best_times(ours, theirs, image, repeats)
        print(f"| {name:<16} | {t_ours * 1e3:>11.1f} | {t_scipy * 1e3:>9.1f} | {t_ours / t_scipy:>5.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048, help="image side in pixels")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of each filter")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's own, one per core)")
    parser.add_argument("--busy", action="store_true",
                        help="also time every pair while another process keeps one core busy")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    image = np.random.default_rng(0).random((args.size, args.size), dtype=np.float32)
    print(f"{args.size}x{args.size} float32 | {cpu_name()} | torch {torch.__version__} "
          f"({torch.get_num_threads()} threads) | scipy {scipy.__version__} | best of {args.repeats}")
    run_table(image, args.repeats, "as the machine is")
    if args.busy:
        with Spinner():
            run_table(image, args.repeats, "one core kept busy by another process")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
