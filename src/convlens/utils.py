"""Small helpers shared across convlens: reproducible randomness."""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["set_random_seed"]


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and every GPU), as ``keras.utils.set_random_seed``.

    After this call a CPU run repeats exactly: weight initialisation, the
    per-epoch shuffle of ``fit`` (its generator is seeded from PyTorch's
    global generator) and dropout masks all draw from these generators, and
    PyTorch's CPU kernels give the same results run after run on the same
    machine and thread count.

    Args:
        seed: a non-negative integer.

    Raises:
        TypeError: if ``seed`` is not an integer.
        ValueError: if ``seed`` is negative.

    Example:
        >>> set_random_seed(0); a = torch.rand(2)
        >>> set_random_seed(0); torch.equal(a, torch.rand(2))
        True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"Expected `seed` argument to be an integer. Received: seed={seed!r} (of type {type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"Expected `seed` argument to be a non-negative integer. Received: seed={seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # NumPy's legacy seeder takes 32 bits
    torch.manual_seed(seed)  # also seeds every CUDA device
