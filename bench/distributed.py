"""Data parallel on this machine's CPU: the W1 model (zoo ``mnist_convnet``) with 2 processes x 1 thread against 1 x 2.

Usage: ``python bench/distributed.py [--images 4096]`` (a subset of MNIST's
training images, batch 128). Prints seconds per epoch for both setups and
the cost of the per-step gradient all-reduce (the W1 model's 34,826 weights
as one float32 buffer, gloo on loopback, 2 processes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(images: int, result: str) -> None:
    import numpy as np
    import torch
    import torch.distributed as dist

    from convlens.datasets import mnist
    from convlens.distribution.engine_hooks import active
    from convlens.zoo import mnist_convnet

    (x, y), _ = mnist.load_data()
    x, y = x[:images, ..., None], y[:images]
    torch.manual_seed(0)
    model = mnist_convnet()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:256], y[:256], batch_size=128, epochs=1, verbose=0, device="cpu")  # warm-up
    start = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0, device="cpu")
    epoch = time.perf_counter() - start
    allreduce_ms = None
    if active() is not None:
        flat = torch.zeros(sum(p.numel() for p in model.parameters()))
        for _ in range(5):
            dist.all_reduce(flat)
        start = time.perf_counter()
        for _ in range(50):
            dist.all_reduce(flat)
        allreduce_ms = (time.perf_counter() - start) / 50 * 1e3
    if int(os.environ.get("RANK", "0")) == 0:
        Path(result).write_text(json.dumps({"epoch_s": epoch, "allreduce_ms": allreduce_ms,
                                            "threads": torch.get_num_threads(), "steps": -(-images // 128)}))


def run(nproc: int, threads: int, images: int) -> dict:
    result = ROOT / f".bench-distributed-{nproc}.json"
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, __file__, "--worker", "--images", str(images), "--result", str(result)]
    if nproc > 1:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
                   *command[1:]]
    subprocess.run(command, env=env, check=True)
    found = json.loads(result.read_text())
    result.unlink()
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--result", default="")
    args = parser.parse_args()
    if args.worker:
        worker(args.images, args.result)
        return
    one = run(1, 2, args.images)
    two = run(2, 1, args.images)
    print(f"W1 model, {args.images} MNIST images (batch 128, {one['steps']} steps):")
    print(f"  1 process x 2 threads: {one['epoch_s']:.2f} s ({one['epoch_s'] / one['steps'] * 1e3:.1f} ms/step)")
    print(f"  2 processes x 1 thread: {two['epoch_s']:.2f} s ({two['epoch_s'] / two['steps'] * 1e3:.1f} ms/step)")
    print(f"  gradient all-reduce (gloo, loopback): {two['allreduce_ms']:.2f} ms/step")


if __name__ == "__main__":
    main()
