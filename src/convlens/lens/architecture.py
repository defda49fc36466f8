"""A LeNet-style drawing of a CNN: stacks of feature maps, the operation between them, dense layers as bars.

Sizes are logarithmic (a 224-pixel map is not 32 times a 7-pixel one, or
VGG16 would not fit), and depth grows with log2 of the channel count. Layers
that keep the shape (rescaling, batch norm, dropout, activations) are named
on the arrow of the next operation instead of getting a drawing of their own.
Long models wrap onto several rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

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
from ..models import Model
from .figures import new_figure, styled

# Drawing units are inches.
MAP_SIDE = (0.35, 1.35)  # smallest and largest feature-map side
BAR_HEIGHT = (0.45, 1.9)  # smallest and largest dense bar
BAR_WIDTH = 0.16
GAP = 0.95  # room for the arrow and its label between two drawings
ROW_WIDTH = 16.0  # wrap onto a new row beyond this
FONT = 7
LINE = FONT / 72 * 1.3  # height of one line of arrow label in inches
CHAR = FONT / 72 * 0.62  # average character width in inches at FONT points

COLOURS = {  # (face, edge) per kind of drawing
    "input": ("#eeeeee", "#555555"),
    "conv": ("#d6e6f5", "#2c6fad"),
    "pool": ("#fde4c8", "#c4660c"),
    "other": ("#dcefd9", "#3b8a3b"),
    "vector": ("#e6dcf0", "#6a3d9a"),
}


@dataclass
class Block:
    """One drawing: a stack of maps ``(H, W, C)`` or a vector ``(N,)``, and the operation that made it."""

    shape: tuple
    kind: str  # a key of COLOURS
    operation: str  # label on the arrow into this block ("" for the input)
    x: float = 0.0
    row: int = 0


def describe(layer: Layer) -> tuple[str, str | None]:
    """``(label, kind)`` of a layer for the diagram; kind None: it keeps the shape and only adds a word.

    Example:
        >>> from convlens import layers
        >>> describe(layers.Conv2D(8, 3, strides=2, activation="relu"))
        ('conv 3×3, stride 2\\nrelu', 'conv')
    """
    fused = getattr(layer, "activation", None)
    act = activations.serialize(fused) if callable(fused) and fused is not activations.linear else ""
    if isinstance(layer, SeparableConv2D):
        label, kind = f"separable conv {_window(layer.kernel_size)}{_stride(layer.strides, (1, 1))}", "conv"
    elif isinstance(layer, DepthwiseConv2D):
        label, kind = f"depthwise conv {_window(layer.kernel_size)}{_stride(layer.strides, (1, 1))}", "conv"
    elif isinstance(layer, Conv2DTranspose):
        label, kind = f"transposed conv {_window(layer.kernel_size)}{_stride(layer.strides, (1, 1))}", "conv"
    elif isinstance(layer, BaseConv):
        label, kind = f"conv {_window(layer.kernel_size)}{_stride(layer.strides, (1,) * layer.rank)}", "conv"
    elif isinstance(layer, BasePooling):
        mode = "max" if layer.mode == "max" else "avg"
        label, kind = f"{mode}-pool {_window(layer.pool_size)}{_stride(layer.strides, layer.pool_size)}", "pool"
    elif isinstance(layer, BaseGlobalPooling):
        label, kind = f"global {'max' if layer.mode == 'max' else 'avg'}-pool", "vector"
    elif isinstance(layer, Flatten):
        label, kind = "flatten", "vector"
    elif isinstance(layer, Dense):
        label, kind = "dense", "vector"
    elif isinstance(layer, Reshape):
        label, kind = "reshape", "other"
    elif isinstance(layer, ZeroPadding2D):
        label, kind = "zero-pad", "other"
    elif isinstance(layer, Cropping2D):
        label, kind = "crop", "other"
    elif isinstance(layer, UpSampling2D):
        label, kind = f"upsample ×{_window(layer.size, collapse=True)}", "other"
    elif isinstance(layer, Rescaling):
        label, kind = "rescale" if not layer.scale or abs(1 / layer.scale - round(1 / layer.scale)) > 1e-6 \
            else f"÷{round(1 / layer.scale)}", None
    elif isinstance(layer, BatchNormalization):
        label, kind = "batch-norm", None
    elif isinstance(layer, Dropout):
        label, kind = f"dropout {layer.rate:g}", None
    elif isinstance(layer, (Activation, ReLU, Softmax)):
        label, kind = ("softmax" if isinstance(layer, Softmax) else act or "relu"), None
        act = ""
    else:  # merges (Add, Concatenate, ...) and any other layer: its class name
        label, kind = type(layer).__name__.lower(), "other"
    return (label + (f"\n{act}" if act else "")), kind


def _window(size: tuple[int, ...], collapse: bool = False) -> str:
    """``3×3``; with ``collapse``, equal sizes become one number (``2`` for a stride of 2×2)."""
    return str(size[0]) if collapse and len(set(size)) == 1 else "×".join(map(str, size))


def _stride(strides: tuple[int, ...], default: tuple[int, ...]) -> str:
    """``", stride 2"`` when the stride differs from the layer's default (1, or the pool size)."""
    return "" if tuple(strides) == tuple(default) else f", stride {_window(strides, collapse=True)}"


def blocks(model: Model) -> list[Block]:
    """The drawings of a model, in order: the input, then one per shape-changing layer.

    Example:
        >>> from convlens import zoo
        >>> [b.shape for b in blocks(zoo.create("mnist-convnet"))][:3]
        [(28, 28, 1), (26, 26, 32), (13, 13, 32)]
    """
    shape = tuple(model.input_shape[1:])
    result = [Block(shape, "input" if len(shape) == 3 else "vector", "")]
    pending: list[str] = []
    for layer, out_shape in zip(model.layers, model.layer_output_shapes):
        if isinstance(layer, InputLayer):  # a graph model lists its input as a layer: it is the first drawing
            continue
        label, kind = describe(layer)
        if kind is None:
            pending.append(label)
            continue
        out = tuple(out_shape[1:])
        kind = "vector" if len(out) == 1 else kind
        result.append(Block(out, kind, "\n".join([*pending, label])))
        pending = []
    if pending:  # trailing shape-keeping layers (a final Softmax) name the last arrow
        result[-1].operation = "\n".join(filter(None, [result[-1].operation, *pending]))
    return result


def _log_scale(value: int | None, low: int, high: int, out: tuple[float, float]) -> float:
    if value is None or high <= low:
        return (out[0] + out[1]) / 2 if value is None else out[1]
    t = (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return out[0] + t * (out[1] - out[0])


class _Geometry:
    """Sizes of every drawing, from the ranges of sizes in the model."""

    def __init__(self, items: list[Block], scale: float = 1.0) -> None:
        sides = [d for b in items if len(b.shape) == 3 for d in b.shape[:2] if d is not None]
        units = [b.shape[0] for b in items if len(b.shape) == 1 and b.shape[0] is not None]
        self.side_range = (min(sides, default=1), max(sides, default=1))
        self.unit_range = (min(units, default=1), max(units, default=1))
        self.scale = scale  # < 1 shrinks the drawings (not the text) so a model fits on one row

    def size(self, block: Block) -> tuple[float, float, float, float, int]:
        """(width, height, depth dx, depth dy, planes) of a drawing."""
        k = self.scale
        if len(block.shape) != 3:
            return BAR_WIDTH, k * _log_scale(block.shape[0], *self.unit_range, BAR_HEIGHT), 0.0, 0.0, 1
        h, w, c = block.shape
        height = k * _log_scale(h, *self.side_range, MAP_SIDE)
        width = k * _log_scale(w, *self.side_range, MAP_SIDE)
        c = c or 1
        depth = 0.0 if c == 1 else k * (0.08 + 0.055 * math.log2(c))
        planes = min(c, 2 + int(math.log2(c)), 9)
        return width, height, depth * 0.75, depth * 0.55, planes

    def footprint(self, block: Block) -> tuple[float, float]:
        """(width, height) the drawing and its size label take."""
        width, height, dx, dy, _ = self.size(block)
        return max(width + dx, len(_shape_text(block.shape)) * CHAR), height + dy


def _row_width(items: list[Block], geometry: _Geometry) -> float:
    """Width of all drawings and gaps on a single row."""
    return 0.2 + sum(geometry.footprint(b)[0] + (_gap(b.operation) if i else 0.0) for i, b in enumerate(items))


def _gap(operation: str) -> float:
    """Room between two drawings: at least GAP, more for a long label."""
    longest = max((len(line) for line in operation.split("\n")), default=0)
    return max(GAP, longest * CHAR + 0.2)


def _shape_text(shape: tuple) -> str:
    return "×".join("?" if d is None else str(d) for d in shape)


def arrange(model: Model, max_row_width: float = ROW_WIDTH) -> tuple[list[list[Block]], _Geometry]:
    """The drawings placed on rows: one row if it fits (shrinking drawings down to 60%), else balanced rows.

    Example:
        >>> from convlens import zoo
        >>> rows, _ = arrange(zoo.create("mnist-convnet"))
        >>> len(rows), [b.shape for b in rows[0]][:2]
        (1, [(28, 28, 1), (26, 26, 32)])
    """
    items = blocks(model)
    geometry = _Geometry(items)
    width = _row_width(items, geometry)
    if width > max_row_width:
        drawings = sum(geometry.size(b)[0] + geometry.size(b)[2] for b in items)
        scale = 1 - (width - max_row_width) / drawings
        geometry = _Geometry(items, scale) if scale >= 0.6 else geometry
        width = _row_width(items, geometry)
    # Break where the running width is closest to k/n of the total, so rows come out about equally
    # long and none holds a lone leftover.
    n_rows = math.ceil(width / max_row_width - 1e-9)
    spans = [geometry.footprint(b)[0] + _gap(b.operation) for b in items]
    ends = [sum(spans[: i + 1]) for i in range(len(items))]
    breaks = {min(range(1, len(items)), key=lambda i: abs(ends[i - 1] - k * ends[-1] / n_rows))
              for k in range(1, n_rows)} if len(items) > 1 else set()
    rows: list[list[Block]] = [[]]
    x = 0.2
    for i, block in enumerate(items):
        if i in breaks:
            rows.append([])
            x = 0.2
        x += _gap(block.operation) if (block.operation and (rows[-1] or len(rows) > 1)) else 0.0
        block.x, block.row = x, len(rows) - 1
        rows[-1].append(block)
        x += geometry.footprint(block)[0]
    return rows, geometry


@styled
def plot_architecture(model: Model, *, max_row_width: float = ROW_WIDTH) -> Figure:
    """The model as a diagram: feature-map stacks with their shapes, the operations between them, dense bars.

    Args:
        model: a built model (best with image inputs).
        max_row_width: inches before the drawing wraps onto a new row.
        save: path(s) ending in ``.png`` / ``.svg`` to write the figure to.

    Example:
        >>> from convlens import zoo
        >>> fig = plot_architecture(zoo.create("lenet5"))
        >>> "28×28×6" in [t.get_text() for t in fig.axes[0].texts]
        True
    """
    rows, geometry = arrange(model, max_row_width)
    items = [block for row in rows for block in row]
    # Per row: room above the centre line (drawings, arrow labels) and below it (drawings, size labels).
    above = [max(max(geometry.footprint(b)[1] / 2 + 0.12, b.operation.count("\n") * LINE + LINE + 0.15)
                 for b in row) for row in rows]
    below = [max(geometry.footprint(b)[1] / 2 for b in row) + 0.3 for row in rows]
    fig_width = max(max(b.x + geometry.footprint(b)[0] for b in items) + 0.3, 4.0)
    title_space, legend_space = 0.45, 0.35
    fig_height = sum(above) + sum(below) + title_space + legend_space
    fig = new_figure(fig_width, fig_height)
    fig.set_layout_engine("none")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, fig_width)
    ax.set_ylim(0, fig_height)
    ax.set_axis_off()
    top = fig_height - title_space
    for r, row in enumerate(rows):
        centre = top - above[r]
        top = centre - below[r]
        previous_right = None
        for block in row:
            left, right = _draw(ax, block, geometry, centre)
            start = previous_right if previous_right is not None else (0.05 if r > 0 else None)
            if block.operation and start is not None:
                _arrow(ax, start, left, centre, block.operation)
            previous_right = right
    # A graph with branches is drawn as its layers in order; the title says so.
    branches = " (layers in order; branches not drawn)" if getattr(model, "layer_connections", None) else ""
    ax.text(fig_width / 2, fig_height - 0.22, f"{model.name}: {model.count_params():,} parameters{branches}",
            ha="center", va="center", fontsize=11, fontweight="bold")
    _legend(ax, {b.kind for b in items}, fig_width)
    return fig


def _legend(ax: Axes, kinds: set[str], width: float) -> None:
    """A line of coloured squares naming each kind of drawing used."""
    names = {"input": "input", "conv": "after a convolution", "pool": "after pooling",
             "other": "after another operation", "vector": "vector (flatten, dense)"}
    entries = [(kind, names[kind]) for kind in COLOURS if kind in kinds]
    total = sum(0.25 + len(text) * CHAR + 0.3 for _, text in entries)
    x = max(0.1, (width - total) / 2)
    for kind, text in entries:
        face, edge = COLOURS[kind]
        ax.add_patch(Rectangle((x, 0.13), 0.14, 0.14, facecolor=face, edgecolor=edge, linewidth=0.7))
        ax.text(x + 0.2, 0.2, text, ha="left", va="center", fontsize=FONT, color="0.25")
        x += 0.25 + len(text) * CHAR + 0.3


def _draw(ax: Axes, block: Block, geometry: _Geometry, centre: float) -> tuple[float, float]:
    """Draw a stack (or a bar) centred vertically on ``centre``; return its left and right x."""
    width, height, dx, dy, planes = geometry.size(block)
    face, edge = COLOURS[block.kind]
    box_width, _ = geometry.footprint(block)
    left = block.x + (box_width - width - dx) / 2
    bottom = centre - (height + dy) / 2
    for i in reversed(range(planes)):  # back plane first, so the front one covers it
        t = i / (planes - 1) if planes > 1 else 0.0
        ax.add_patch(Rectangle((left + t * dx, bottom + t * dy), width, height, facecolor=face,
                               edgecolor=edge, linewidth=0.7))
    ax.text(left + (width + dx) / 2, bottom - 0.08, _shape_text(block.shape), ha="center", va="top",
            fontsize=FONT, color="0.15")
    return left, left + width + dx  # arrows leave from the back plane's edge and meet the front plane


def _arrow(ax: Axes, start: float, end: float, y: float, label: str) -> None:
    ax.add_patch(FancyArrowPatch((start + 0.04, y), (end - 0.04, y), arrowstyle="-|>", mutation_scale=7,
                                 color="0.35", linewidth=0.8))
    ax.text((start + end) / 2, y + 0.07, label, ha="center", va="bottom", fontsize=FONT - 0.5,
            color="0.1", linespacing=1.15)
