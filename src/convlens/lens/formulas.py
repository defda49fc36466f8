"""The arithmetic behind each layer: output sizes, padding, parameters and multiply-adds, with the numbers put in.

Each expression is written in the notes' notation (``·`` multiply, ``−``
minus, ``⌊ ⌋`` floor, ``⌈ ⌉`` ceiling) and its value is computed here from
the layer's hyperparameters, not read back from the layer, so comparing the
two with ``compute_output_shape`` and ``count_params`` checks the formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

from ..layers import (
    Activation,
    BaseConv,
    BaseGlobalPooling,
    BasePooling,
    BatchNormalization,
    Conv2DTranspose,
    Cropping2D,
    Dense,
    DepthwiseConv2D,
    Dropout,
    Flatten,
    InputLayer,
    Layer,
    ReLU,
    Rescaling,
    Reshape,
    SeparableConv2D,
    Softmax,
    UpSampling2D,
    ZeroPadding2D,
    activations,
)
from ..layers.data_format import channels_last_shape

Shape = tuple[int | None, ...]

AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
SIDE_NAMES = {
    1: (("left", "right"),),
    2: (("top", "bottom"), ("left", "right")),
    3: (("front", "back"), ("top", "bottom"), ("left", "right")),
}
KERNEL_SYMBOLS = {1: ("k",), 2: ("k_h", "k_w"), 3: ("k_d", "k_h", "k_w")}
BYTES_PER_VALUE = 4  # float32 activations


@dataclass(frozen=True)
class Formula:
    """One computed quantity: the general formula, the same with numbers, and the result.

    ``expression`` evaluates to ``value`` (read ``·`` as ×, ``−`` as −, ``⌊⌋``/``⌈⌉``
    as floor/ceiling); ``note`` adds words that are not arithmetic.

    Example:
        >>> Formula("params", "k_h·k_w·c_in·filters + filters", "3·3·1·32 + 32", 320).text
        '3·3·1·32 + 32 = 320'
    """

    quantity: str
    symbolic: str
    expression: str
    value: int | Fraction  # a Fraction only for the jump after upsampling
    note: str = ""

    @property
    def text(self) -> str:
        """``expression = value (note)``, with thousands separators in the value."""
        value = f"{self.value:,}" if isinstance(self.value, int) else str(self.value)
        return f"{self.expression} = {value}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class RFStep:
    """How a layer changes the receptive field: a sliding window, an upsampling, nothing, or everything.

    ``kind`` is ``"window"`` (``kernel``, ``dilation``, ``stride`` per axis),
    ``"transpose"`` (a transposed convolution), ``"upsample"`` (``stride`` is
    the factor), ``"same"`` (per-position layers), ``"whole"`` (every output
    sees the whole input) or ``"unknown"`` (the layout is rearranged).
    """

    kind: str
    kernel: tuple[int, ...] = ()
    stride: tuple[int, ...] = ()
    dilation: tuple[int, ...] = ()


@dataclass(frozen=True)
class Parts:
    """What one layer's handler finds: formulas for the output sizes, padding, parameters and cost."""

    output: tuple[Formula, ...] = ()
    padding: tuple[tuple[int, int], ...] | None = None
    padding_formulas: tuple[Formula, ...] = ()
    params: Formula | None = None
    mult_adds: Formula | None = None
    comparisons: Formula | None = None
    rf: RFStep = field(default_factory=lambda: RFStep("same"))
    note: str = ""


def dot(*factors: object) -> str:
    """Factors joined by ``·``: ``dot(3, 3, 1, 32) == '3·3·1·32'``."""
    return "·".join(str(f) for f in factors)


def explain_layer(layer: Layer, in_shape: Shape, out_shape: Shape) -> Parts:
    """The formulas of one layer for the given input and output shapes (batch axis first).

    Example:
        >>> from convlens import layers
        >>> conv = layers.Conv2D(32, 3); conv.build_from_shape((None, 28, 28, 1))
        >>> parts = explain_layer(conv, (None, 28, 28, 1), (None, 26, 26, 32))
        >>> parts.output[0].text, parts.params.text
        ('⌊(28 + 2·0 − 3)/1⌋ + 1 = 26', '3·3·1·32 + 32 = 320')
    """
    if getattr(layer, "data_format", None) == "channels_first":  # the formulas read channels-last shapes
        in_shape, out_shape = channels_last_shape(in_shape), channels_last_shape(out_shape)
    for cls, handler in _HANDLERS:
        if isinstance(layer, cls):
            return handler(layer, in_shape, out_shape)
    if isinstance(layer, InputLayer):
        return Parts(note="the model's input")
    if tuple(in_shape) == tuple(out_shape):
        return Parts(note="element-wise: the shape is unchanged")
    return Parts(rf=RFStep("unknown"))


# ------------------------------------------------------------- sliding windows
def _kernel_text(k: int, d: int) -> tuple[str, int]:
    """The window span ``(k − 1)·d + 1`` as text (just ``k`` without dilation) and value."""
    if d == 1:
        return str(k), k
    return f"(({k} − 1)·{d} + 1)", (k - 1) * d + 1


def window_lengths(
    spatial: Shape, kernel: tuple[int, ...], strides: tuple[int, ...], dilation: tuple[int, ...], padding: str
) -> tuple[tuple[Formula, ...], tuple[tuple[int, int], ...] | None, tuple[Formula, ...]]:
    """Output-length formulas of a convolution/pooling window per axis, and the padding it uses.

    "valid" is the notes' ``⌊(n + 2p − k)/s⌋ + 1`` with ``p = 0``; "same" is
    ``⌈n/s⌉`` with TensorFlow's padding ``max((out − 1)·s + (k − 1)·d + 1 − n, 0)``,
    the odd pixel bottom/right; "causal" (Conv1D) pads ``(k − 1)·d`` on the left.

    Example:
        >>> outs, pads, _ = window_lengths((7,), (4,), (2,), (1,), "same")
        >>> outs[0].text, pads
        ('⌈7/2⌉ = 4', ((1, 2),))
    """
    rank = len(spatial)
    outputs, pads, pad_formulas = [], [], []
    for axis, (n, k, s, d) in enumerate(zip(spatial, kernel, strides, dilation)):
        if n is None:
            continue
        name = AXIS_NAMES[rank][axis]
        k_text, span = _kernel_text(k, d)
        if padding == "valid":
            outputs.append(Formula(name, "⌊(n + 2p − k)/s⌋ + 1", f"⌊({n} + 2·0 − {k_text})/{s}⌋ + 1", (n - span) // s + 1))
            pads.append((0, 0))
            continue
        out = -(-n // s)
        outputs.append(Formula(name, "⌈n/s⌉", f"⌈{n}/{s}⌉", out))
        before_name, after_name = SIDE_NAMES[rank][axis]
        if padding == "causal":
            total = (k - 1) * d
            pads.append((total, 0))
            pad_formulas.append(Formula(f"padding ({name})", "(k − 1)·d", f"({k} − 1)·{d}", total,
                                        f"all {total} on the {before_name}: only the past"))
            continue
        total = max((out - 1) * s + span - n, 0)
        before, after = total // 2, total - total // 2
        pads.append((before, after))
        pad_formulas.append(Formula(
            f"padding ({name})", "max((out − 1)·s + (k − 1)·d + 1 − n, 0)",
            f"max(({out} − 1)·{s} + ({k} − 1)·{d} + 1 − {n}, 0)", total,
            f"{before} {before_name} + {after} {after_name}",
        ))
    return tuple(outputs), tuple(pads) if len(pads) == rank else None, tuple(pad_formulas)


def _window_cost(out_shape: Shape, work_text: str, work: int, symbolic: str) -> Formula | None:
    """``(output positions) · (multiply-adds per position)``, or None when a size is unknown."""
    spatial = out_shape[1:-1]
    if None in spatial:
        return None
    return Formula("mult-adds", symbolic, f"{dot(*spatial)} · {work_text}", math.prod(spatial) * work)


def _conv(layer: BaseConv, in_shape: Shape, out_shape: Shape) -> Parts:
    rank, filters, groups = layer.rank, layer.filters, layer.groups
    outputs, pads, pad_formulas = window_lengths(in_shape[1:-1], layer.kernel_size, layer.strides,
                                                 layer.dilation_rate, layer.padding)
    ks = KERNEL_SYMBOLS[rank]
    channels = in_shape[-1] // groups  # each filter sees its group's channels only
    channels_text = str(channels) if groups == 1 else f"({in_shape[-1]}/{groups})"
    c_symbol = "c_in" if groups == 1 else "(c_in/groups)"
    weights_text, weights = dot(*layer.kernel_size, channels_text, filters), math.prod(layer.kernel_size) * channels * filters
    bias = layer.use_bias
    params = Formula("params", dot(*ks, c_symbol, "filters") + (" + filters" if bias else ""),
                     weights_text + (f" + {filters}" if bias else ""), weights + (filters if bias else 0))
    out_symbols = dot(*("out_" + axis[0] for axis in AXIS_NAMES[rank]))
    cost = _window_cost(out_shape, weights_text, weights, f"{out_symbols} · {dot(*ks, c_symbol, 'filters')}")
    return Parts(outputs, pads, pad_formulas, params, cost,
                 rf=RFStep("window", layer.kernel_size, layer.strides, layer.dilation_rate))


def _depthwise(layer: DepthwiseConv2D, in_shape: Shape, out_shape: Shape) -> Parts:
    c, m = in_shape[-1], layer.depth_multiplier
    outputs, pads, pad_formulas = window_lengths(in_shape[1:3], layer.kernel_size, layer.strides,
                                                 layer.dilation_rate, layer.padding)
    kh, kw = layer.kernel_size
    bias = layer.use_bias
    if isinstance(layer, SeparableConv2D):
        f = layer.filters
        params = Formula(
            "params", "k_h·k_w·c_in·m + (c_in·m)·filters" + (" + filters" if bias else ""),
            f"{dot(kh, kw, c, m)} + {dot(c, m, f)}" + (f" + {f}" if bias else ""),
            kh * kw * c * m + c * m * f + (f if bias else 0), "depthwise, then pointwise 1×1",
        )
        cost = _window_cost(out_shape, f"({dot(kh, kw, c, m)} + {dot(c, m, f)})", kh * kw * c * m + c * m * f,
                            "out_h·out_w · (k_h·k_w·c_in·m + c_in·m·filters)")
    else:
        params = Formula(
            "params", "k_h·k_w·c_in·m" + (" + c_in·m" if bias else ""),
            dot(kh, kw, c, m) + (f" + {dot(c, m)}" if bias else ""), kh * kw * c * m + (c * m if bias else 0),
            f"{m} filter{'s' * (m > 1)} per input channel, channels never mixed",
        )
        cost = _window_cost(out_shape, dot(kh, kw, c, m), kh * kw * c * m, "out_h·out_w · k_h·k_w·c_in·m")
    return Parts(outputs, pads, pad_formulas, params, cost,
                 rf=RFStep("window", layer.kernel_size, layer.strides, layer.dilation_rate))


def _transpose(layer: Conv2DTranspose, in_shape: Shape, out_shape: Shape) -> Parts:
    c, f = in_shape[-1], layer.filters
    outputs = []
    op = layer.output_padding or (None, None)
    for axis, (n, k, s, d, p) in enumerate(zip(in_shape[1:3], layer.kernel_size, layer.strides, layer.dilation_rate, op)):
        if n is None:
            continue
        name = AXIS_NAMES[2][axis]
        k_text, span = _kernel_text(k, d)
        if p is not None:
            pad = span // 2 if layer.padding == "same" else 0
            outputs.append(Formula(name, "(n − 1)·s + k − 2·pad + output_padding",
                                   f"({n} − 1)·{s} + {k_text} − 2·{pad} + {p}", (n - 1) * s + span - 2 * pad + p))
        elif layer.padding == "same":
            outputs.append(Formula(name, "n·s", dot(n, s), n * s))
        else:
            outputs.append(Formula(name, "n·s + max(k − s, 0)", f"{dot(n, s)} + max({k_text} − {s}, 0)",
                                   n * s + max(span - s, 0)))
    kh, kw = layer.kernel_size
    params = Formula(
        "params", "k_h·k_w·c_in·filters" + (" + filters" if layer.use_bias else ""),
        dot(kh, kw, c, f) + (f" + {f}" if layer.use_bias else ""),
        kh * kw * c * f + (f if layer.use_bias else 0),
    )
    spatial = in_shape[1:3]
    cost = None if None in spatial else Formula(
        "mult-adds", "in_h·in_w · k_h·k_w·c_in·filters", f"{dot(*spatial)} · {dot(kh, kw, c, f)}",
        math.prod(spatial) * kh * kw * c * f, "each input pixel spreads a k×k window to every filter",
    )
    return Parts(tuple(outputs), params=params, mult_adds=cost,
                 rf=RFStep("transpose", layer.kernel_size, layer.strides, layer.dilation_rate))


def _pool(layer: BasePooling, in_shape: Shape, out_shape: Shape) -> Parts:
    rank = layer.rank
    outputs, pads, pad_formulas = window_lengths(in_shape[1:-1], layer.pool_size, layer.strides, (1,) * rank,
                                                 layer.padding)
    comparisons = None
    elements = out_shape[1:]
    if layer.mode == "max" and None not in elements:
        window = math.prod(layer.pool_size)
        comparisons = Formula("comparisons", "out elements · (window − 1)",
                              f"{dot(*elements)} · ({dot(*layer.pool_size)} − 1)",
                              math.prod(elements) * (window - 1))
    what = "largest" if layer.mode == "max" else "mean"
    return Parts(outputs, pads, pad_formulas, comparisons=comparisons,
                 rf=RFStep("window", layer.pool_size, layer.strides, (1,) * rank),
                 note=f"no weights: each output is the {what} of its window ({'×'.join(map(str, layer.pool_size))})")


def _global_pool(layer: BaseGlobalPooling, in_shape: Shape, out_shape: Shape) -> Parts:
    spatial, c = in_shape[1:-1], in_shape[-1]
    comparisons = None
    if layer.mode == "max" and None not in in_shape[1:]:
        comparisons = Formula("comparisons", "(positions − 1)·c", f"({dot(*spatial)} − 1)·{c}",
                              (math.prod(spatial) - 1) * c)
    what = "largest value" if layer.mode == "max" else "mean"
    size = "×".join("?" if n is None else str(n) for n in spatial)
    output = () if c is None else (Formula("channels", "c", str(c), c),)
    return Parts(output, comparisons=comparisons, rf=RFStep("whole"),
                 note=f"one number per channel: the {what} over the {size} map")


def _flatten(layer: Flatten, in_shape: Shape, out_shape: Shape) -> Parts:
    dims = in_shape[1:]
    symbolic = {2: "l·c", 3: "h·w·c", 4: "d·h·w·c"}.get(len(dims), "product of the sizes")
    output = () if None in dims else (Formula("units", symbolic, dot(*dims), math.prod(dims)),)
    return Parts(output, rf=RFStep("whole"), note="rows of every map laid end to end, in (H, W, C) order")


def _dense(layer: Dense, in_shape: Shape, out_shape: Shape) -> Parts:
    n_in, units = in_shape[-1], layer.units
    params = Formula("params", "in·units" + (" + units" if layer.use_bias else ""),
                     dot(n_in, units) + (f" + {units}" if layer.use_bias else ""),
                     n_in * units + (units if layer.use_bias else 0))
    positions = in_shape[1:-1]
    cost = None
    if None not in positions:
        cost = Formula("mult-adds", "positions·in·units" if positions else "in·units",
                       dot(*positions, n_in, units), math.prod(positions) * n_in * units)
    return Parts((Formula("units", "units", str(units), units, "one output per unit"),), params=params, mult_adds=cost,
                 rf=RFStep("same" if positions else "whole"))


def _batchnorm(layer: BatchNormalization, in_shape: Shape, out_shape: Shape) -> Parts:
    c = in_shape[layer.axis % len(in_shape)]
    vectors = 2 + int(layer.center) + int(layer.scale)
    names = [n for n, on in (("γ", layer.scale), ("β", layer.center)) if on] + ["moving mean", "moving variance"]
    params = Formula("params", f"{vectors}·c", dot(vectors, c), vectors * c, f"{2 * c:,} non-trainable")
    elements = in_shape[1:]
    cost = None if None in elements else Formula(
        "mult-adds", "elements", dot(*elements), math.prod(elements), "x·a + b per value at inference")
    return Parts(params=params, mult_adds=cost, note=f"per channel: {', '.join(names)}")


def _zero_padding(layer: ZeroPadding2D, in_shape: Shape, out_shape: Shape) -> Parts:
    outputs = tuple(Formula(name, "n + before + after", f"{n} + {a} + {b}", n + a + b)
                    for name, n, (a, b) in zip(AXIS_NAMES[2], in_shape[1:3], layer.padding) if n is not None)
    return Parts(outputs, padding=layer.padding, note="rows and columns of zeros around every map")


def _cropping(layer: Cropping2D, in_shape: Shape, out_shape: Shape) -> Parts:
    outputs = tuple(Formula(name, "n − before − after", f"{n} − {a} − {b}", n - a - b)
                    for name, n, (a, b) in zip(AXIS_NAMES[2], in_shape[1:3], layer.cropping) if n is not None)
    return Parts(outputs, note="rows and columns cut from the borders")


def _upsampling(layer: UpSampling2D, in_shape: Shape, out_shape: Shape) -> Parts:
    outputs = tuple(Formula(name, "n·size", dot(n, s), n * s)
                    for name, n, s in zip(AXIS_NAMES[2], in_shape[1:3], layer.size) if n is not None)
    return Parts(outputs, rf=RFStep("upsample", stride=layer.size), note=f"{layer.interpolation} interpolation")


def _reshape(layer: Reshape, in_shape: Shape, out_shape: Shape) -> Parts:
    return Parts(rf=RFStep("unknown"), note="the same values in a new shape")


def _rescaling(layer: Rescaling, in_shape: Shape, out_shape: Shape) -> Parts:
    inverse = 1 / layer.scale if layer.scale else 0
    scaled = f"x/{round(inverse)}" if inverse and abs(inverse - round(inverse)) < 1e-6 * abs(inverse) \
        else f"x·{layer.scale:.6g}"
    offset = f" + {layer.offset:g}" if layer.offset else ""
    return Parts(note=f"every value becomes {scaled}{offset}; no weights")


def _dropout(layer: Dropout, in_shape: Shape, out_shape: Shape) -> Parts:
    return Parts(note=f"while training, zeroes {layer.rate:.0%} of the values at random and scales the rest "
                      f"by 1/(1 − {layer.rate:g}); at inference it passes values through")


def _activation(layer: Layer, in_shape: Shape, out_shape: Shape) -> Parts:
    if isinstance(layer, Softmax):
        return Parts(note=f"softmax over axis {layer.axis}: the values become probabilities; no weights")
    name = activations.serialize(layer.activation) if isinstance(layer, Activation) else "ReLU"
    return Parts(note=f"element-wise {name}; no weights")


# Checked in order with isinstance; SeparableConv2D (a DepthwiseConv2D) is told apart inside _depthwise.
_HANDLERS: list[tuple[type | tuple[type, ...], Callable[..., Parts]]] = [
    (BaseConv, _conv),
    (DepthwiseConv2D, _depthwise),
    (Conv2DTranspose, _transpose),
    (BasePooling, _pool),
    (BaseGlobalPooling, _global_pool),
    (Flatten, _flatten),
    (Dense, _dense),
    (BatchNormalization, _batchnorm),
    (ZeroPadding2D, _zero_padding),
    (Cropping2D, _cropping),
    (UpSampling2D, _upsampling),
    (Reshape, _reshape),
    (Rescaling, _rescaling),
    (Dropout, _dropout),
    ((Activation, ReLU, Softmax), _activation),
]
