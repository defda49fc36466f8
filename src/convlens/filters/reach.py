"""What a window can see of an image: a window wider than the image, folded to the image's reach.

Along an axis of ``n`` pixels every border rule sends window offset ``k`` to
a pixel that, for every output position at once, is also reached by a
smaller offset:

* ``reflect``, ``mirror`` and ``wrap`` extend the image periodically (period
  ``2n``, ``2n - 2`` and ``n``), so offsets ``k`` and ``k + period`` read the
  same pixel;
* ``constant``, ``nearest`` and ``ignore`` see only ``cval``, the edge pixel,
  or nothing beyond ``n`` pixels from the image, so every offset past ``±n``
  reads what offset ``±n`` reads.

Folding a window merges the offsets that read the same pixel: weights add
up (a sum or mean is unchanged), a max/min keeps one of them, and a median
counts each merged pixel as often as it was merged. The folded window is
at most ``2n + 1`` wide, so a 2001-pixel median or a ``sigma=1e8`` Gaussian
on a 32-pixel image costs what a 65-pixel window costs and gives
scipy.ndimage's result (which slides the whole window over the extended
image).

Example:
    >>> import numpy as np
    >>> fold_counts(np.ones(9), 3, "wrap").tolist()  # 9 taps on a 3-pixel period
    [3.0, 3.0, 3.0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import limits
from .windows import Window

_PERIODIC = ("reflect", "mirror", "wrap")
_DIRECT_TERMS = 256  # terms per folded tap summed one by one; beyond, Euler-Maclaurin (see _progression_sums)


def period(n: int, border: str) -> int | None:
    """The period of the border's extension of ``n`` pixels, or None for borders that are not periodic."""
    if border not in _PERIODIC:
        return None
    return 2 * n if border == "reflect" else max(2 * n - 2, 1) if border == "mirror" else n


def reach(n: int, border: str) -> int:
    """The largest offset a folded window keeps along an axis of ``n`` pixels.

    Example:
        >>> reach(32, "reflect"), reach(32, "wrap"), reach(32, "constant")
        (32, 16, 32)
    """
    p = period(n, border)
    return n if p is None else p // 2


def fold_offsets(offsets: np.ndarray, n: int, border: str) -> np.ndarray:
    """Each offset's representative: the offset in ``[-reach, reach]`` that reads the same pixel everywhere."""
    p = period(n, border)
    if p is None:
        return np.clip(offsets, -n, n)
    half = p // 2
    return (offsets + half) % p - half


def fold_counts(values: np.ndarray, n: int, border: str) -> np.ndarray:
    """A centred 1-D array of per-offset values folded to ``2 * reach + 1`` entries (values summed).

    Example:
        >>> fold_counts(np.ones(7), 2, "constant").tolist()  # offsets -3..3 on 2 pixels
        [2.0, 1.0, 1.0, 1.0, 2.0]
    """
    r = values.size // 2
    keep = reach(n, border)
    target = fold_offsets(np.arange(-r, r + 1), n, border) + keep
    return np.bincount(target, weights=values, minlength=2 * keep + 1)


def fold(window: Window, shape: tuple[int, int], border: str) -> Window:
    """The window folded to an image of ``shape = (H, W)`` pixels; the window itself when it already fits.

    Example:
        >>> from .windows import footprint
        >>> folded = fold(Window(footprint(size=9)), (3, 3), "constant")
        >>> folded.shape, int(folded.counts.sum())
        ((7, 7), 81)
    """
    keep = tuple(reach(n, border) for n in shape)
    if all(r <= k for r, k in zip(window.radius, keep)):
        return window
    rows, cols = np.nonzero(window.mask)
    (ry, rx), (ky, kx) = window.radius, keep
    ry2, rx2 = min(ry, ky), min(rx, kx)
    target_rows = fold_offsets(rows - ry, shape[0], border) + ry2 if ry > ky else rows - ry + ry2
    target_cols = fold_offsets(cols - rx, shape[1], border) + rx2 if rx > kx else cols - rx + rx2
    flat = target_rows * (2 * rx2 + 1) + target_cols
    size = (2 * ry2 + 1) * (2 * rx2 + 1)
    out_shape = (2 * ry2 + 1, 2 * rx2 + 1)
    counts = np.bincount(flat, weights=window.tap_counts()[rows, cols], minlength=size).reshape(out_shape)
    weights = None
    if window.weights is not None:
        weights = np.bincount(flat, weights=window.weights[rows, cols], minlength=size).reshape(out_shape)
    return Window(counts > 0, weights, counts, window.origin)


def gaussian_taps(sigma: float, truncate: float, n: int, border: str) -> np.ndarray:
    """scipy.ndimage's 1-D Gaussian weights (radius ``int(truncate * sigma + 0.5)``, sum 1), folded to ``n`` pixels.

    The unfolded kernel is never built: each folded tap is the sum of the
    Gaussian over an arithmetic progression of offsets, computed term by term
    when it has few terms and by the Euler-Maclaurin formula when it has many
    (then the terms are so close together, relative to ``sigma``, that the
    formula is exact to float64 rounding). ``sigma=1e8`` on 32 pixels takes
    microseconds where the unfolded kernel would hold 8e8 taps.

    Example:
        >>> from .kernels import gaussian_1d
        >>> np.allclose(gaussian_taps(2.0, 4.0, 3, "wrap"), fold_counts(gaussian_1d(2.0), 3, "wrap"))
        True
    """
    from .kernels import gaussian_1d

    radius = int(truncate * sigma + 0.5)
    keep = reach(n, border)
    if radius <= keep:
        return gaussian_1d(sigma, truncate)
    p = period(n, border)
    if p is None:  # inside: one tap each; the offsets past ±n add up on ±n
        inner = np.arange(-(n - 1), n)
        tail = _progression_sums(np.array([n]), 1, np.array([radius - n + 1]), sigma)
        taps = np.concatenate([tail, np.exp(-0.5 * (inner / sigma) ** 2), tail])
    else:  # offset d gathers d + j * p for every j that stays within the radius
        lowest = np.arange(-radius, -radius + p)  # the lowest offset of each class
        terms = (radius - lowest) // p + 1
        sums = _progression_sums(lowest, p, terms, sigma)
        taps = np.zeros(2 * keep + 1)
        np.add.at(taps, fold_offsets(lowest, n, border) + keep, sums)
    return taps / taps.sum()


def _progression_sums(first: np.ndarray, step: int, terms: np.ndarray, sigma: float) -> np.ndarray:
    """``sum(exp(-(first + j * step)**2 / (2 sigma**2)) for j in range(terms))`` for each entry."""
    if terms.max() <= _DIRECT_TERMS:
        j = np.arange(terms.max())
        k = first[:, None] + j[None, :] * step
        values = np.exp(-0.5 * (k / sigma) ** 2)
        return np.where(j[None, :] < terms[:, None], values, 0.0).sum(axis=1)
    # Euler-Maclaurin over x in [0, terms - 1] with f(x) = exp(-u(x)**2 / 2), u = (first + x * step) / sigma:
    # sum = integral + (f(a) + f(b)) / 2 + (f'(b) - f'(a)) / 12 - (f'''(b) - f'''(a)) / 720 + O(s**5),
    # where s = step / sigma < 8 / terms <= 1 / 32: the next term, s**5 * H5(u) * f(u) / 30240, is below
    # 1e-15 of the sum.
    s = step / sigma
    ua, ub = first / sigma, (first + (terms - 1) * step) / sigma
    erf = np.vectorize(math.erf)
    integral = math.sqrt(math.pi / 2) / s * (erf(ub / math.sqrt(2)) - erf(ua / math.sqrt(2)))
    fa, fb = np.exp(-0.5 * ua**2), np.exp(-0.5 * ub**2)
    d1 = -s * (ub * fb - ua * fa)
    d3 = -(s**3) * ((ub**3 - 3 * ub) * fb - (ua**3 - 3 * ua) * fa)
    return integral + (fa + fb) / 2 + d1 / 12 - d3 / 720


def check_work(window: Window, op: str, batch: tuple[int, ...], out: tuple[int, int], *, ignore: bool = False) -> None:
    """Refuse a filtering whose element operations exceed ``CONVLENS_MAX_FILTER_WORK``, before it runs.

    ``batch`` is the input's ``(N, H, W, C)`` shape and ``out`` the output rows
    and columns. The work is the number of element-wise passes the
    reduction makes (see ``reductions.passes``) times the output values.
    """
    from .reductions import passes

    n, h, w, c = batch
    work = passes(window, op, ignore) * n * out[0] * out[1] * c
    limits.check_count(
        work, "CONVLENS_MAX_FILTER_WORK",
        f"{op} with {window.origin} on {n} image(s) of {h}x{w}x{c}", "element operations",
        "use a smaller window or image, or raise",
    )
