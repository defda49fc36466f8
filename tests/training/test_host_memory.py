"""Keeping freed host memory: applied once on Linux/glibc, skipped where the user chose otherwise."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest

from convlens.training import host_memory


def glibc() -> bool:
    try:
        return sys.platform.startswith("linux") and bool(ctypes.CDLL(None).gnu_get_libc_version)
    except (OSError, AttributeError):
        return False


def run_fit(env: dict[str, str]) -> str:
    """Fit a tiny model on the CPU in a fresh process; prints whether the setting took effect."""
    code = ("import numpy as np; from convlens import Sequential, layers; from convlens.training import host_memory\n"
            "m = Sequential([layers.Input((3,)), layers.Dense(1)]); m.compile(loss='mse')\n"
            "m.fit(np.zeros((4, 3), 'float32'), np.zeros((4, 1), 'float32'), verbose=0, device='cpu')\n"
            "print(host_memory._applied)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(not glibc(), reason="the setting is glibc's")
def test_fit_on_a_cpu_keeps_freed_memory_unless_the_user_opted_out():
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                                                           "CONVLENS_KEEP_FREED_MEMORY")}
    assert run_fit(env) == "True"
    assert run_fit({**env, "CONVLENS_KEEP_FREED_MEMORY": "0"}) == "False"
    assert run_fit({**env, "MALLOC_TRIM_THRESHOLD_": "131072"}) == "False"


def test_the_answer_is_computed_once(monkeypatch):
    calls = []
    monkeypatch.setattr(host_memory, "_applied", None)
    monkeypatch.setattr(host_memory, "_apply", lambda: calls.append(1) or False)
    assert host_memory.retain_freed_memory() is False and host_memory.retain_freed_memory() is False
    assert calls == [1]
