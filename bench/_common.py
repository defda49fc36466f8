"""Shared pieces of the training benchmarks: MNIST in memory, peer workers in subprocesses, tables.

Each peer (convlens, idiomatic PyTorch, Keras + TensorFlow) runs in its own
subprocess, one after the other, inside the same benchmark run, so no peer's
thread pool or allocator state leaks into another's timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Full MNIST as uint8 (N, 28, 28, 1) images and uint8 labels (from $CONVLENS_DATA or the cache)."""
    from convlens import datasets

    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
    return (x_train[..., None], y_train), (x_test[..., None], y_test)


def run_worker(script: str, peer: str, args: dict[str, Any], python: str | None = None) -> dict[str, Any] | None:
    """Run ``script --worker peer`` in a fresh process and return the JSON it prints last (None if it failed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [python or sys.executable, script, "--worker", peer, "--args", json.dumps(args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        print(f"[{peer}] failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def peer_parser(doc: str) -> argparse.ArgumentParser:
    """The options every peer benchmark takes (its own are added by the caller)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--keras-python", default=sys.executable,
                        help="Python that has keras + tensorflow (default: this one)")
    parser.add_argument("--peers", default="convlens,pytorch,keras")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--args", help=argparse.SUPPRESS)
    return parser


def run_peers(script: str, args: argparse.Namespace, workers: dict[str, Callable[..., dict]],
              worker_args: dict[str, Any]) -> dict[str, dict[str, Any] | None] | None:
    """In a worker process: run ``args.worker`` and print its JSON (returns None). Otherwise run every peer."""
    if args.worker:
        print(json.dumps(workers[args.worker](**json.loads(args.args))))
        return None
    return {peer: run_worker(script, peer, worker_args, args.keras_python if peer == "keras" else None)
            for peer in args.peers.split(",")}


def machine() -> str:
    """One line naming the CPU/GPU, core count and library versions."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {os.cpu_count()} cores, {gpu}; torch {torch.__version__}, Python {platform.python_version()}"


def table(rows: list[list[str]], header: list[str]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
