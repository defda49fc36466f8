"""Keep freed host memory for reuse while training on a CPU (glibc's ``malloc``).

A CNN step on a CPU allocates and frees the same large activation tensors
(11-13 MB for the MNIST convnet at batch 128) every step. glibc serves
blocks above its mmap threshold with fresh ``mmap`` calls and returns freed
memory at the top of the heap to the kernel, so each step faults the same
pages in again: 7,000-8,000 page faults per step of the MNIST convnet
(bench/profile_cpu_step.py). Raising both thresholds to 1 GiB keeps freed
blocks in the process for the next step, as PyTorch's caching allocator
does on a GPU. Measured on the 2-core CPU (bench/w1_keras_mnist_epoch.py,
same run settings): the MNIST convnet's epoch took 18.2 s with glibc's
defaults and 12.9 s with this setting, and the first epoch 22.0 s against
13.1 s.

The setting is process-wide and leaves the process holding its peak memory,
which is what a training process wants. ``fit``, ``evaluate`` and
``predict`` on a CPU apply it once. It is skipped where it cannot apply
(not Linux, no glibc ``mallopt``) and where the user chose otherwise: the
``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` environment
variables are set, or ``CONVLENS_KEEP_FREED_MEMORY=0``.

Example:
    >>> isinstance(retain_freed_memory(), bool)
    True
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["retain_freed_memory"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
_THRESHOLD = 1 << 30  # bytes: tensors below this reuse freed heap memory
_OPT_OUTS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")

_applied: bool | None = None  # None: not tried yet


def retain_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds once per process; returns whether the setting is in effect.

    Example:
        >>> retain_freed_memory() == retain_freed_memory()  # applied once, the answer stays
        True
    """
    global _applied
    if _applied is None:
        _applied = _apply()
    return _applied


def _apply() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("CONVLENS_KEEP_FREED_MEMORY", "1") == "0":
        return False
    if any(name in os.environ for name in _OPT_OUTS):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # glibc returns 1 on success; musl's stub returns 0 and changes nothing.
    return mallopt(_M_MMAP_THRESHOLD, _THRESHOLD) == 1 and mallopt(_M_TRIM_THRESHOLD, _THRESHOLD) == 1
