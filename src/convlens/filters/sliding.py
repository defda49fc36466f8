"""``slide``: one window slides over the image and one operation turns each
neighbourhood into an output pixel. Every named filter is a few lines over it."""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Union

import numpy as np
import torch

from . import _args, layout, reach, reductions
from .borders import BORDERS, pad
from .windows import Window, build_window

# A window, or a window that depends on the image it slides over: ``(H, W) -> Window``,
# already folded to the image's reach (see ``reach``); None asks for the unfolded window.
WindowLike = Union[Window, Callable[[Optional[tuple]], Window]]

OPS = ("sum", "max", "min", "mean", "median")
PADDINGS = ("same", "valid")

# What stands in for the pixels outside the image with border="ignore": a value
# that cannot change the result (0 for sums; ±inf for max/min; +inf for the
# median, which then counts only the pixels that exist).
_IGNORE_FILL = {"sum": 0.0, "mean": 0.0, "max": -math.inf, "min": math.inf, "median": math.inf}


def slide(
    image: Any,
    op: Any,
    *,
    size: Any = None,
    radius: Any = None,
    footprint: Any = "square",
    weights: Any = None,
    stride: Any = 1,
    padding: str = "same",
    border: str = "constant",
    cval: float = 0.0,
    times: int = 1,
) -> Any:
    """Slides a window over the image and reduces each neighbourhood to one pixel.

    Args:
        image: 2D ``(H, W)``, 3D ``(H, W, C)`` colour (channels filtered
            separately) or 4D ``(N, H, W, C)`` batch; NumPy array or torch tensor.
        op: ``"sum"``, ``"max"``, ``"min"``, ``"mean"``, ``"median"``, or a 2D
            weights array (the weighted sum, i.e. correlation; same as
            ``op="sum", weights=array``).
        size: odd window side, or ``(rows, cols)`` for squares.
        radius: window radius, ``size = 2 * radius + 1``. Default (neither
            given): ``radius=1``, a 3 x 3 window.
        footprint: ``"square"``, ``"disc"`` (Euclidean radius), ``"cross"``
            (the 4-neighbour plus grown with radius) or a boolean array with
            odd sides.
        weights: weights for ``"sum"`` (weighted sum) or ``"mean"``
            (weighted mean ``sum(w * x) / sum(w)``, weights >= 0); their
            shape is the window and their non-zero entries its footprint.
        stride: step between window positions, an int or ``(rows, cols)``.
        padding: ``"same"`` (one output per input pixel, then the stride) or
            ``"valid"`` (only windows that fit inside the image).
        border: ``"constant"`` (``cval``), ``"reflect"``, ``"mirror"``,
            ``"nearest"``, ``"wrap"`` (scipy.ndimage's meanings, see
            ``convlens.filters.borders``) or ``"ignore"``: outside pixels are
            left out, so a mean divides by the pixels that exist, max/min/median
            look only at those, and a (weighted) sum adds only those.
        cval: the value outside the image for ``border="constant"``.
        times: how many times to slide (``times=10``: "mean 10 times").

    Returns:
        The filtered image, same kind (NumPy/torch), device and layout rank as
        ``image``; float64 for float64 input, float32 otherwise. With
        ``padding="same"`` it has ``ceil(H / stride)`` rows, with ``"valid"``
        ``(H - kh) // stride + 1``.

    NaN: a NaN inside a window gives NaN for every operation (for weighted
    sums, inside means under a non-zero weight).

    Raises:
        ValueError: an unknown ``op``, ``footprint``, ``padding`` or ``border``;
            a negative ``radius``; an even ``size`` or even-sided array; an empty
            image or one that is not 2D/3D/4D; a ``"valid"`` window larger
            than the image.

    Example:
        >>> import numpy as np
        >>> image = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
        >>> slide(image, "mean", size=3, border="ignore")
        array([[0.5      , 0.5      , 0.5      ],
               [0.5      , 0.5555556, 0.5      ],
               [0.5      , 0.5      , 0.5      ]], dtype=float32)
        >>> slide(image, "max", footprint="cross", padding="valid")
        array([[1.]], dtype=float32)
    """
    op, weights = _op_and_weights(op, weights)
    window = build_window(size=size, radius=radius, kind=footprint, weights=weights)
    if op == "mean" and window.weights is not None and (window.weights < 0).any():
        raise ValueError("`weights` for op='mean' must be >= 0 (a weighted average). Received: negative weights")
    return run_window(
        image, window, (op,), stride=stride, padding=padding, border=border, cval=cval, times=times
    )


def run_window(
    image: Any,
    window: WindowLike,
    ops: tuple[str, ...],
    *,
    stride: Any = 1,
    padding: str = "same",
    border: str,
    cval: Any,
    times: int = 1,
) -> Any:
    """Validates the options, then applies the window operations ``ops`` in turn, ``times`` times.

    ``ops=("min", "max")`` is an opening; ``("sum",)`` with a weights window a correlation.
    ``window`` may be a function of the image's ``(H, W)`` (see ``WindowLike``).

    Example:
        >>> import numpy as np
        >>> from convlens.filters.windows import Window, footprint
        >>> x = np.zeros((3, 3)); x[1, 1] = 1
        >>> float(run_window(x, Window(footprint()), ("max", "min"), border="constant", cval=0)[1, 1])
        1.0
    """
    options = check_options(stride=stride, padding=padding, border=border, cval=cval)

    def run(x: torch.Tensor) -> torch.Tensor:
        for op in ops:
            x = filter_batch(x, op, window, **options)
        return x

    return layout.apply(image, run, times=times)


def check_options(*, stride: Any = 1, padding: str = "same", border: str, cval: Any) -> dict[str, Any]:
    """Validates the sliding options shared by ``slide`` and the named filters.

    Example:
        >>> check_options(stride=2, border="wrap", cval=0)["stride"]
        (2, 2)
    """
    if isinstance(cval, bool) or not isinstance(cval, (int, float, np.number)):
        raise ValueError(f"`cval` must be a number. Received: cval={cval!r}")
    return {
        "stride": _args.int_pair("stride", stride, minimum=1),
        "padding": _args.choice("padding", padding, PADDINGS),
        "border": _args.choice("border", border, BORDERS),
        "cval": float(cval),
    }


def filter_batch(
    x: torch.Tensor,
    op: str,
    window: WindowLike,
    *,
    stride: tuple[int, int] = (1, 1),
    padding: str = "same",
    border: str = "constant",
    cval: float = 0.0,
) -> torch.Tensor:
    """``slide`` on a float ``(N, H, W, C)`` tensor with validated arguments.

    A window wider than the image is folded to what the image can use
    (``reach.fold``: the same result, at the cost of a window at most
    ``2 H + 1`` by ``2 W + 1``), and the work is checked against
    ``CONVLENS_MAX_FILTER_WORK`` before anything is allocated.

    Example:
        >>> from .windows import footprint
        >>> x = torch.ones(1, 3, 4, 1)
        >>> filter_batch(x, "sum", Window(footprint()), border="ignore")[0, :, :, 0].tolist()
        [[4.0, 6.0, 6.0, 4.0], [6.0, 9.0, 9.0, 6.0], [4.0, 6.0, 6.0, 4.0]]
    """
    ignore = border == "ignore" and padding == "same"
    shape = tuple(x.shape[1:3])
    if padding == "same":
        window = window(shape) if callable(window) else reach.fold(window, shape, border)
    elif callable(window):
        window = window(None)
    if padding == "same" or (x.shape[1] >= window.shape[0] and x.shape[2] >= window.shape[1]):
        padded = (shape[0] + 2 * window.radius[0], shape[1] + 2 * window.radius[1])
        out = reductions.out_size(padded if padding == "same" else shape, window.shape, stride)
        reach.check_work(window, op, tuple(x.shape), out, ignore=ignore)
    if padding == "same":
        p = pad(x, window.radius, "constant" if ignore else border, _IGNORE_FILL[op] if ignore else cval)
    else:
        p = x
        if x.shape[1] < window.shape[0] or x.shape[2] < window.shape[1]:
            raise ValueError(
                f"padding='valid' needs an image at least as large as the window {window.shape}. "
                f"Received: an image of {tuple(x.shape[1:3])} pixels"
            )
    weights = window.weight_array()
    inside = None  # with border="ignore": the pixel count (median) or weight (mean) inside the image
    if op == "median" and ignore:
        inside = _inside(x, window.tap_counts(), window.radius, stride)
    elif op == "mean" and ignore:
        inside = _inside(x, weights, window.radius, stride)
    elif op == "mean":  # every window is full: fold 1 / sum(w) into the weights, saving a pass
        weights = weights / weights.sum()

    def reduce(part: torch.Tensor, rows: slice) -> torch.Tensor:
        if op in ("max", "min"):
            return reductions.extreme(part, window, stride, op)
        if op == "median":
            return reductions.median(part, window, stride, None if inside is None else inside[:, rows])
        total = reductions.weighted_sum(part, weights, stride)
        return total if inside is None else total.div_(inside[:, rows])

    stacked = len(window.taps) if op == "median" and reductions.sorts(window, ignore) else 1
    return reductions.by_row_blocks(p, window, stride, reduce, median=op == "median", stacked=stacked)


def _inside(x: torch.Tensor, weights: np.ndarray, radius: tuple[int, int], stride: tuple[int, int]) -> torch.Tensor:
    """The sum of the weights that fall inside the image, per output position: ``(1, Ho, Wo, 1)``.

    With 0/1 weights this is the number of window pixels that exist.
    """
    ones = pad(torch.ones_like(x[:1, :, :, :1]), radius, "constant")
    return reductions.weighted_sum(ones, weights, stride)


def _op_and_weights(op: Any, weights: Any) -> tuple[str, Any]:
    if isinstance(op, str):
        _args.choice("op", op, OPS)
        if weights is not None and op not in ("sum", "mean"):
            raise ValueError(f"`weights` apply to op='sum' or op='mean' only. Received: op={op!r}")
        return op, weights
    if op is None or isinstance(op, (int, float)):
        raise ValueError(f"`op` must be one of {OPS} or a 2D weights array. Received: op={op!r}")
    if weights is not None:
        raise ValueError("Give the weights as `op` or as `weights`, not both. Received: both")
    return "sum", op
