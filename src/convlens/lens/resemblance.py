"""Learned versus classic filters: which named kernel each learned filter most resembles.

The resemblance is the normalized correlation (cosine) of the two weight
grids, ``r = Σ w·k / (‖w‖ ‖k‖)`` in [−1, 1]: 1 is the classic kernel up to
scale, −1 its opposite polarity (a dark line instead of a bright one), 0
nothing in common. A filter over several input channels is compared through
its channel sum, what it does to a grey image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import filters
from ..layers import Layer
from .learned_filters import filter_bank

EDGES = ("prewitt", "sobel", "scharr")


@dataclass(frozen=True)
class Resemblance:
    """One learned filter and the classic kernel closest to it."""

    index: int  # the filter's position in the layer
    name: str  # e.g. "sobel (axis 0)" or "line_vertical"
    correlation: float  # signed: −0.9 is the kernel's opposite polarity

    def __str__(self) -> str:
        return f"filter {self.index}: most like {self.name} (r = {self.correlation:+.2f})"


def classic_kernels(shape: tuple[int, int] = (3, 3)) -> dict[str, np.ndarray]:
    """The named kernels of :mod:`convlens.filters` of this shape, edges along both axes.

    Example:
        >>> sorted(classic_kernels())[:3]
        ['laplacian', 'line_antidiagonal', 'line_diagonal']
    """
    named = {}
    for name in filters.KERNELS:
        if name == "gaussian":
            continue
        if name in EDGES:
            for axis in (1, 0):
                named[f"{name} (axis {axis})"] = filters.kernel(name, axis=axis, dtype=np.float64)
        elif name == "mean":
            if all(side % 2 for side in shape):  # the box filter has a centre pixel
                named["mean"] = filters.kernel("mean", size=shape, dtype=np.float64)
        else:
            named[name] = filters.kernel(name, dtype=np.float64)
    return {name: k for name, k in named.items() if k.shape == tuple(shape)}


def resemble_classic(layer: Layer) -> list[Resemblance]:
    """For every filter of a 2D convolution, the named classic kernel it correlates with most (by ``|r|``).

    Raises:
        TypeError: for a layer without 2D kernels.
        ValueError: when no named kernel has the layer's kernel size.

    Example:
        >>> from convlens import layers
        >>> conv = layers.Conv2D(1, 3, use_bias=False); conv.build_from_shape((None, 8, 8, 1))
        >>> conv.set_weights([filters.kernel("sobel", axis=0)[:, :, None, None]])
        >>> str(resemble_classic(conv)[0])
        'filter 0: most like sobel (axis 0) (r = +1.00)'
    """
    kernel, _ = filter_bank(layer)  # (kh, kw, C, F)
    candidates = classic_kernels(kernel.shape[:2])
    if not candidates:
        raise ValueError(f"no named kernel is {kernel.shape[0]}×{kernel.shape[1]} like the filters of "
                         f"{layer.name!r}; the classic kernels are 3×3.")
    names = list(candidates)
    bank = np.stack([candidates[n].ravel() / np.linalg.norm(candidates[n]) for n in names])  # (K, kh·kw)
    out = []
    for f in range(kernel.shape[-1]):
        w = kernel[:, :, :, f].astype(np.float64).sum(axis=-1).ravel()
        r = bank @ w / (np.linalg.norm(w) or 1.0)
        best = int(np.argmax(np.abs(r)))
        out.append(Resemblance(f, names[best], float(r[best])))
    return out
