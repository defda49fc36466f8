"""The main job: ``convlens train`` with no options, one fresh process per seed, as each run's run.json records it.

Target: at most 30 s of training (``results.train_seconds``: fit with its
validation passes and the test pass) with at least 98.5 % test accuracy,
on the 2-core CPU. Pictures are skipped (``--no-pictures``); they come after
the timed part anyway.

Run: ``PYTHONPATH=src python bench/main_job.py [--seeds 0,1,2] [-- extra convlens train options]``,
e.g. ``-- --batch-size 16 --schedule constant`` for the earlier default.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(seed: int, extra: list[str], folder: Path) -> dict:
    """One ``convlens train`` in its own process; its run.json's results."""
    out = folder / f"seed{seed}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "convlens", "train", "--no-pictures", "--seed", str(seed), "--out", str(out), *extra]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return json.loads((out / "run.json").read_text())["results"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds, one process each")
    parser.add_argument("extra", nargs="*", help="more convlens train options (after --)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("| seed | training s | test accuracy |\n|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for seed in (int(s) for s in args.seeds.split(",")):
            results = run(seed, args.extra, Path(folder))
            print(f"| {seed} | {results['train_seconds']:.1f} | {results['test_accuracy']:.4f} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
