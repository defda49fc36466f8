"""Start a small job of N local processes the way torchrun does (RANK, WORLD_SIZE, MASTER_ADDR/PORT, gloo on loopback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(args: list[str], world: int = 2, timeout: float = 90, dist_timeout: float = 20,
           env: dict[str, str] | None = None) -> list[subprocess.CompletedProcess]:
    """Run ``python args...`` as ranks 0..world-1 of one job; returns each process's result (stderr captured)."""
    port = free_port()
    base = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "WORLD_SIZE": str(world),
            "OMP_NUM_THREADS": "1", "CONVLENS_DIST_TIMEOUT": str(dist_timeout),
            "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]), **(env or {})}
    procs = [subprocess.Popen([sys.executable, *args], env={**base, "RANK": str(r), "LOCAL_RANK": str(r)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in range(world)]
    results = []
    for proc in procs:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            raise AssertionError(f"the job did not end within {timeout} s (a hang)")
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    return results
