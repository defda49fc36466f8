"""Independent NumPy references for convolution and pooling with TensorFlow's padding rules."""

from __future__ import annotations

import math

import numpy as np


def tf_pads(n: int, k: int, s: int, d: int, padding: str) -> tuple[int, int, int]:
    """(before, after, out) along one axis, straight from TensorFlow's documented rule."""
    k_eff = (k - 1) * d + 1
    if padding == "valid":
        return 0, 0, math.floor((n - k_eff) / s) + 1
    out = math.ceil(n / s)
    total = max((out - 1) * s + k_eff - n, 0)
    return total // 2, total - total // 2, out


def conv_nd(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None, strides, dilation, padding) -> np.ndarray:
    """Cross-correlation of (N, *spatial, C) with a Keras kernel (*k, C, F), by explicit loops."""
    rank = x.ndim - 2
    pads = [tf_pads(x.shape[1 + a], kernel.shape[a], strides[a], dilation[a], padding) for a in range(rank)]
    xp = np.pad(x, [(0, 0)] + [(b, e) for b, e, _ in pads] + [(0, 0)])
    outs = [o for _, _, o in pads]
    y = np.zeros((x.shape[0], *outs, kernel.shape[-1]), dtype=np.float64)
    for pos in np.ndindex(*outs):
        for koff in np.ndindex(*kernel.shape[:rank]):
            idx = tuple(p * s + k * d for p, s, k, d in zip(pos, strides, koff, dilation))
            patch = xp[(slice(None), *idx, slice(None))]  # (N, C)
            y[(slice(None), *pos, slice(None))] += patch @ kernel[koff]
    if bias is not None:
        y += bias
    return y


def pool_nd(x: np.ndarray, pool, strides, padding: str, mode: str) -> np.ndarray:
    """Max or average pooling of (N, *spatial, C); "same" average counts only real pixels."""
    rank = x.ndim - 2
    pads = [tf_pads(x.shape[1 + a], pool[a], strides[a], 1, padding) for a in range(rank)]
    outs = [o for _, _, o in pads]
    y = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for pos in np.ndindex(*outs):
        lo = [p * s - b for p, s, (b, _, _) in zip(pos, strides, pads)]
        window = tuple(slice(max(l, 0), min(l + k, x.shape[1 + a])) for a, (l, k) in enumerate(zip(lo, pool)))
        patch = x[(slice(None), *window, slice(None))].reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None), *pos, slice(None))] = patch.max(axis=1) if mode == "max" else patch.mean(axis=1)
    return y
