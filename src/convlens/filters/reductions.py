"""The window reductions, computed from shifted views of a padded image.

Every reduction here reads the padded tensor ``p`` ``(N, Hp, Wp, C)`` through
one strided view per window pixel and combines the views element-wise
(add, max, min). No unfold buffer, no transposes, the same code on CPU and GPU.

Speed, measured on 2048 x 2048 float32 with 2 CPU threads: one element-wise
pass over shifted views costs 1-3 ms, while a one-channel ``conv2d`` with a
3 x 1 kernel took 66-78 ms and ``max_pool2d(3, stride=1)`` 136 ms; a 17-tap
Gaussian took 24 ms as shifted passes, 79 ms as banded matmuls and 180 ms as
two ``conv1d``. So sums, max/min and medians are all chains of shifted
element-wise passes, and separable weights (Gaussian, box, Sobel) run as two
1-D passes: 17 + 17 passes instead of 17 x 17 for a sigma=2 Gaussian.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import numpy as np
import torch

from . import threads
from .windows import Window

# Output values per block of rows (see by_row_blocks). On a CPU a block keeps
# its chain of passes in cache, and each block runs whole on one thread of
# threads.run_blocks, so no pass waits for another thread. A CPU image is cut
# into at least _BLOCKS_PER_THREAD blocks per thread (of no fewer than
# _CPU_MIN_BLOCK_VALUES values), so that a thread whose core is busy elsewhere
# delays only a small share of the work. Measured before the pool, when every
# pass was split over the threads and ended with them waiting for each other
# (2048 x 2048 float32, 2 threads):
# the sigma=2 Gaussian took 15 ms in blocks of 1 M values, 28 ms in blocks of
# 128 K, 19 ms unblocked; the 5 x 5 median network, with its 25 live views,
# 157 ms in blocks of 128 K, 236 ms at 512 K, 481 ms unblocked. On a GPU each
# pass is a kernel launch, so blocks are large: the 5 x 5 median took 56 ms in
# 32 blocks of 128 K on an H100, 4.4 ms in one block.
_CPU_BLOCK_VALUES = 2**20
_CPU_MEDIAN_BLOCK_VALUES = 2**17
_CPU_MIN_BLOCK_VALUES = 2**16
_BLOCKS_PER_THREAD = 4
_GPU_BLOCK_VALUES = 2**24
_GPU_MEDIAN_BLOCK_VALUES = 2**22
_NETWORK_MAX_TAPS = 1024  # larger median windows sort (their selection networks take seconds to build)


def weighted_sum(p: torch.Tensor, weights: np.ndarray, stride: tuple[int, int]) -> torch.Tensor:
    """Correlates ``p`` with ``weights`` at the window positions that fit ("valid").

    Zero weights are skipped, so a NaN reaches exactly the outputs whose
    non-zero weights cover it. Rank-1 weights run as two 1-D passes when that
    is cheaper.

    Example:
        >>> p = torch.arange(5.0)[None, None, :, None]
        >>> weighted_sum(p, np.array([[-1.0, 0.0, 1.0]]), (1, 1))[0, 0, :, 0].tolist()
        [2.0, 2.0, 2.0]
    """
    factors = _separate(weights)
    if factors is not None and sum(map(np.count_nonzero, factors)) < np.count_nonzero(weights):
        return _separable(p, *factors, stride, "sum")
    taps = [((r, c), float(weights[r, c])) for r, c in np.argwhere(weights != 0)]
    return _accumulate(p, taps, weights.shape, stride, "sum")


def extreme(p: torch.Tensor, window: Window, stride: tuple[int, int], op: str) -> torch.Tensor:
    """The max (``op="max"``) or min (``op="min"``) over the window; NaN propagates.

    A full rectangle runs as a 1-D pass down the columns, then one along the rows.

    Example:
        >>> from .windows import footprint
        >>> p = torch.tensor([3.0, 1.0, 4.0, 1.0, 5.0])[None, None, :, None]
        >>> extreme(p, Window(footprint(size=(1, 3))), (1, 1), "max")[0, 0, :, 0].tolist()
        [4.0, 4.0, 5.0]
    """
    if window.mask.all():
        return _separable(p, np.ones(window.shape[0]), np.ones(window.shape[1]), stride, op)
    return _accumulate(p, [(tap, 1.0) for tap in window.taps], window.shape, stride, op)


def median(
    p: torch.Tensor, window: Window, stride: tuple[int, int], count: torch.Tensor | None = None
) -> torch.Tensor:
    """The median over the window; a window holding a NaN gives NaN.

    With an even number of pixels it is the upper of the two middle values
    (sorted index ``count // 2``), as in scipy.ndimage.median_filter, so the
    result is always one of the window's pixels. A folded window's merged
    pixels count as often as they were merged (``window.counts``).

    Args:
        p: padded image ``(N, Hp, Wp, C)``.
        window: the footprint.
        stride: output step along rows and columns.
        count: for ``border="ignore"``: pixels inside the image per output
            position ``(1, Ho, Wo, 1)``; ``p`` is then padded with +inf, which
            sorts after every real pixel.

    Example:
        >>> from .windows import footprint
        >>> p = torch.tensor([3.0, 1.0, 4.0, 1.0, 5.0])[None, None, :, None]
        >>> median(p, Window(footprint(size=(1, 3))), (1, 1))[0, 0, :, 0].tolist()
        [3.0, 1.0, 4.0]
    """
    if sorts(window, count is not None):
        if count is None:
            count = torch.tensor(float(window.tap_counts().sum()), dtype=p.dtype, device=p.device)
        return _median_sorted(p, window, stride, count)
    if window.shape == (3, 3) and window.mask.all():
        return _median_3x3(p, stride)
    return _median_network(p, window, stride)


def sorts(window: Window, ignore: bool) -> bool:
    """Whether the median sorts the window's pixels rather than running a selection network.

    Sorting serves the windows a fixed network cannot (a rank that varies near
    the edges with ``border="ignore"``, pixels counted more than once) and
    large windows, whose networks would take long to build.
    """
    return ignore or window.merged or int(np.count_nonzero(window.mask)) > _NETWORK_MAX_TAPS


def passes(window: Window, op: str, ignore: bool = False) -> int:
    """About how many element-wise passes over the output ``op`` makes with ``window`` (for the work limit).

    Example:
        >>> from .windows import footprint
        >>> passes(Window(footprint(size=5)), "max"), passes(Window(footprint(size=3)), "median")
        (10, 18)
    """
    taps = int(np.count_nonzero(window.mask))
    if op in ("sum", "mean"):
        factors = _separate(window.weight_array())
        return sum(map(np.count_nonzero, factors)) if factors is not None else taps
    if op in ("max", "min"):
        return sum(window.shape) if window.mask.all() else taps
    if sorts(window, ignore):  # stacking, then a sort of about log2(taps) passes over the stack
        return taps * max(1, math.ceil(math.log2(taps)))
    if window.shape == (3, 3) and window.mask.all():
        return 18
    depth = max(1, math.ceil(math.log2(taps)))
    return max(1, taps * depth * (depth + 1) // 4)  # Batcher's network size, an upper bound for the pruned one


def by_row_blocks(
    p: torch.Tensor,
    window: Window,
    stride: tuple[int, int],
    reduce: Callable[[torch.Tensor, slice], torch.Tensor],
    *,
    median: bool = False,
    stacked: int = 1,
) -> torch.Tensor:
    """Runs ``reduce(p_rows, out_rows)`` on blocks of output rows and stitches the blocks.

    ``p_rows`` is the slice of the padded image that the output rows
    ``out_rows`` (a slice) read. Blocks bound the working set of a chain of
    passes (cache on a CPU, memory for the sorted median); the median's many
    live intermediates get smaller blocks, and a reduction that stacks
    ``stacked`` values per output (the sorted median) blocks that much smaller.

    Example:
        >>> from .windows import footprint
        >>> p = torch.arange(6.0)[None, :, None, None]
        >>> window = Window(footprint(size=(3, 1)))
        >>> by_row_blocks(p, window, (1, 1), lambda q, rows: q[:, 1:-1] * 2)[0, :, 0, 0].tolist()
        [2.0, 4.0, 6.0, 8.0]
    """
    ho, wo = out_size(p.shape[1:3], window.shape, stride)
    n, _, _, c = p.shape
    cpu = p.device.type == "cpu"
    if cpu:
        budget = _CPU_MEDIAN_BLOCK_VALUES if median else _CPU_BLOCK_VALUES
        # Enough blocks that a thread whose core is busy elsewhere holds up at most a small share of the work.
        budget = max(_CPU_MIN_BLOCK_VALUES, min(budget, n * ho * wo * c // (_BLOCKS_PER_THREAD * threads.workers(ho))))
    else:
        budget = _GPU_MEDIAN_BLOCK_VALUES if median else _GPU_BLOCK_VALUES
    block = max(1, budget // (n * wo * c * stacked))
    starts = range(0, ho, block)

    def task(start: int) -> Callable[[], torch.Tensor]:
        rows = slice(start, min(start + block, ho))
        first, last = start * stride[0], (rows.stop - 1) * stride[0] + window.shape[0]
        return lambda: reduce(p[:, first:last], rows)

    if cpu:
        parts = threads.run_blocks([task(start) for start in starts])
    elif len(starts) == 1:
        return reduce(p, slice(0, ho))
    else:
        parts = [task(start)() for start in starts]
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)


def out_size(padded: tuple[int, int], window: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int]:
    """Output rows and columns of a window sliding over a padded image ("valid" positions).

    Example:
        >>> out_size((10, 9), (3, 3), (2, 1))
        (4, 7)
    """
    return tuple((n - k) // s + 1 for n, k, s in zip(padded, window, stride))


def _view(p: torch.Tensor, tap: tuple[int, int], out: tuple[int, int], stride: tuple[int, int]) -> torch.Tensor:
    """The pixels at offset ``tap`` of every output window: ``(N, Ho, Wo, C)``, no copy."""
    (r, c), (ho, wo), (sy, sx) = tap, out, stride
    return p[:, r : r + sy * (ho - 1) + 1 : sy, c : c + sx * (wo - 1) + 1 : sx]


def _accumulate(
    p: torch.Tensor,
    taps: list[tuple[tuple[int, int], float]],
    shape: tuple[int, int],
    stride: tuple[int, int],
    op: str,
) -> torch.Tensor:
    """Combines the shifted views of ``taps`` (``[((row, col), weight)]``) of a ``shape`` window with +, max or min."""
    out = out_size(p.shape[1:3], shape, stride)
    (first, w0), *rest = taps
    acc = _view(p, first, out, stride) * w0  # a new tensor: the input is never written
    for tap, w in rest:
        view = _view(p, tap, out, stride)
        if op == "sum":
            acc.add_(view, alpha=w)
        elif op == "max":
            torch.maximum(acc, view, out=acc)
        else:
            torch.minimum(acc, view, out=acc)
    return acc


def _separable(p: torch.Tensor, col: np.ndarray, row: np.ndarray, stride: tuple[int, int], op: str) -> torch.Tensor:
    """A rank-1 window: a 1-D pass of ``col`` down the columns, then one of ``row`` along the rows."""
    vertical = _accumulate(p, _taps_along(col, axis=0), (col.size, 1), (stride[0], 1), op)
    return _accumulate(vertical, _taps_along(row, axis=1), (1, row.size), (1, stride[1]), op)


def _taps_along(weights_1d: np.ndarray, axis: int) -> list[tuple[tuple[int, int], float]]:
    return [(((k, 0) if axis == 0 else (0, k)), float(w)) for k, w in enumerate(weights_1d) if w != 0]


def _separate(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(col, row)`` with ``outer(col, row) == weights`` (to float rounding), or None.

    The factors are a column and a scaled row of ``weights`` itself, so exact
    zeros stay exact (a Sobel kernel's centre column stays skipped).
    """
    i, j = np.unravel_index(np.argmax(np.abs(weights)), weights.shape)
    col, row = weights[:, j], weights[i, :] / weights[i, j]
    scale = np.abs(weights).max()
    return (col, row) if np.allclose(np.outer(col, row), weights, rtol=0, atol=1e-12 * scale) else None


def _median_3x3(p: torch.Tensor, stride: tuple[int, int]) -> torch.Tensor:
    """3 x 3 median from 18 min/max passes (Paeth's network).

    Sort each column triple once (6 passes, shared by the three windows that
    contain the column), then the median of 9 is the median of (max of the
    column minima, median of the column medians, min of the column maxima).
    Measured on 2048 x 2048 float32: 25 ms on 2 threads; on one thread 33 ms,
    where the general selection network (40 passes) took 44 ms and
    ``torch.median`` over ``unfold`` over 1 s. min/max propagate NaN, and
    every pixel reaches the output, so a NaN in the window gives NaN.
    """
    ho, wo = out_size(p.shape[1:3], (3, 3), stride)
    a, b, c = (_view(p, (r, 0), (ho, p.shape[2]), (stride[0], 1)) for r in range(3))  # (N, Ho, Wp, C)
    lo, hi = torch.minimum(a, b), torch.maximum(a, b)
    mid = torch.minimum(hi, c)
    torch.maximum(hi, c, out=hi)
    lo, mid = torch.minimum(lo, mid), torch.maximum(lo, mid)  # columns sorted: lo <= mid <= hi

    def cols(t: torch.Tensor) -> list[torch.Tensor]:
        return [_view(t, (0, k), (ho, wo), (1, stride[1])) for k in range(3)]

    left, centre, right = cols(lo)
    low = torch.maximum(torch.maximum(left, centre), right)
    left, centre, right = cols(hi)
    high = torch.minimum(torch.minimum(left, centre), right)
    return _median_of_3(low, _median_of_3(*cols(mid)), high)


def _median_of_3(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """max(min(a, b), min(max(a, b), c)): 4 passes."""
    upper = torch.maximum(a, b)
    torch.minimum(upper, c, out=upper)
    return torch.maximum(torch.minimum(a, b), upper)


def _median_network(p: torch.Tensor, window: Window, stride: tuple[int, int]) -> torch.Tensor:
    """Any footprint: a min/max selection network over the window's shifted views.

    Measured on 2048 x 2048 float32, 2 threads, 5 x 5: 0.18-0.25 s (202
    min/max passes), where sorting the 25 stacked values per pixel took about
    2.4 s and scipy.ndimage.median_filter 1.9 s.
    """
    taps = window.taps
    out = out_size(p.shape[1:3], window.shape, stride)
    wires = [_view(p, tap, out, stride) for tap in taps]  # (N, Ho, Wo, C) each
    for i, j, low, high in _selection_network(len(taps), len(taps) // 2):
        a, b = wires[i], wires[j]
        if low:
            wires[i] = torch.minimum(a, b)
        if high:
            wires[j] = torch.maximum(a, b)
    middle = wires[len(taps) // 2]
    return middle.clone() if len(taps) == 1 else middle  # one pixel, no comparator: never return a view


@functools.lru_cache(maxsize=None)
def _selection_network(n: int, rank: int) -> tuple[tuple[int, int, bool, bool], ...]:
    """Comparators ``(i, j, keep_min, keep_max)`` that leave the rank-th smallest of n wires on wire ``rank``.

    Batcher's odd-even merge sort for the next power of two, minus the
    comparators that touch the missing wires (those would hold +inf, which
    never moves), pruned backwards to the comparators, and the min/max halves
    of them, that the output depends on. min and max both propagate NaN and
    every input reaches the output, so a NaN in the window gives NaN.
    """
    size = 1 << max(n - 1, 0).bit_length()
    comparators = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p) and i + j + k < n:
                        comparators.append((i + j, i + j + k))
            k //= 2
        p *= 2
    needed, kept = {rank}, []
    for i, j in reversed(comparators):
        if i in needed or j in needed:
            kept.append((i, j, i in needed, j in needed))
            needed |= {i, j}
    return tuple(reversed(kept))


def _median_sorted(p: torch.Tensor, window: Window, stride, count: torch.Tensor) -> torch.Tensor:
    """Stack the window's pixels, sort them, pick the one at rank ``count // 2``.

    ``count`` is the number of pixels that count: per output position with
    border="ignore" (the rank varies near the edges, so a fixed selection
    network does not apply), else the window's total. Each pixel counts
    ``window.counts`` times; the +inf standing for missing pixels sorts last.
    """
    (kh, kw), (sy, sx) = window.shape, stride
    flat = torch.as_tensor(np.flatnonzero(window.mask), device=p.device)
    # One gather from the windows' view (N, Ho, Wo, C, kh, kw), not one view per pixel.
    values = p.unfold(1, kh, sy).unfold(2, kw, sx).flatten(-2).index_select(-1, flat)  # (N, Ho, Wo, C, K)
    rank = torch.div(count, 2, rounding_mode="floor").expand(values.shape[:-1])
    if window.merged:
        weights = torch.as_tensor(window.counts.ravel()[flat.cpu().numpy()], dtype=p.dtype, device=p.device)
        picked = _weighted_rank(values, weights, rank, p)
    else:  # kthvalue selects without sorting
        picked = _kth_smallest(values, rank.long())
    return torch.where(values.isnan().any(-1), math.nan, picked)


def _weighted_rank(values: torch.Tensor, weights: torch.Tensor, rank: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """The value at ``rank`` when each of the K values along the last axis counts ``weights[k]`` times.

    It is the smallest pixel value ``v`` of ``p`` with more than ``rank``
    weighted values ``<= v``: a bisection over ``p``'s sorted distinct values,
    about log2(pixels) passes over the stack where sorting every window
    would take far longer (a folded window comes from a small image, so
    ``p`` has few distinct values).
    """
    candidates = torch.unique(p[~p.isnan()])  # sorted
    if candidates.numel() == 0:  # every pixel NaN: so is every median
        return torch.full(values.shape[:-1], math.nan, dtype=p.dtype, device=p.device)
    lo = torch.zeros(values.shape[:-1], dtype=torch.long, device=p.device)
    hi = torch.full_like(lo, candidates.numel() - 1)
    while bool((lo < hi).any()):
        mid = torch.div(lo + hi, 2, rounding_mode="floor")
        below = (values <= candidates[mid][..., None]).to(weights.dtype) @ weights
        enough = below > rank
        hi = torch.where(enough, mid, hi)
        lo = torch.where(enough, lo, mid + 1)
    return candidates[lo]


def _kth_smallest(values: torch.Tensor, rank: torch.Tensor) -> torch.Tensor:
    """The ``rank``-th smallest (from 0) along the last axis, with a rank per position."""
    if rank.numel() and bool((rank == rank.reshape(-1)[0]).all()):
        return values.kthvalue(int(rank.reshape(-1)[0]) + 1, dim=-1).values
    return values.sort(dim=-1).values.gather(-1, rank[..., None])[..., 0]
