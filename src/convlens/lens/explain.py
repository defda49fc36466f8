"""The explained summary: Keras's table, then for every layer the arithmetic behind its row.

Per layer: the output-size formula with the numbers put in (and the padding
"same" uses), the parameter count as a product, the receptive field in input
pixels, the multiply-adds and the activation memory for one image.

Example:
    >>> from convlens import zoo
    >>> rows = explain_rows(zoo.create("mnist-convnet"))
    >>> conv = rows[1]
    >>> conv.output_formulas[0].text, conv.params_formula.text, conv.receptive_field.size
    ('⌊(28 + 2·0 − 3)/1⌋ + 1 = 26', '3·3·1·32 + 32 = 320', (3, 3))
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import rich.console
import rich.rule
import rich.table
import rich.text

from ..layers import activations
from ..models import Model
from ..models.summary import format_shape, format_summary, readable_memory_size
from .formulas import BYTES_PER_VALUE, Formula, Parts, Shape, dot, explain_layer
from .receptive import ReceptiveField


@dataclass(frozen=True)
class LayerExplanation:
    """Everything the explained summary says about one layer, as data.

    Attributes:
        index: position in ``model.layers``.
        name, class_name: the layer's name and class (``"conv2d"``, ``"Conv2D"``).
        activation: the fused activation's name, or None for linear / none.
        input_shape, output_shape: with the batch axis (``None``); a layer that
            combines several inputs (Add, Concatenate) has a tuple of input shapes.
        params, non_trainable_params: as ``count_params`` counts them.
        output_formulas: one per computed output size (per spatial axis,
            ``units`` for Flatten/Dense, ``channels`` for global pooling).
        padding: ``(before, after)`` per spatial axis for windowed layers.
        padding_formulas: TensorFlow's "same" (or causal) padding arithmetic.
        params_formula: the parameter count as arithmetic; None without weights.
        receptive_field: input pixels seen by one output value, and the jump.
        mult_adds: multiply-adds for one image (0 for layers without weights;
            None when the input size is not fixed).
        mult_adds_formula: how ``mult_adds`` is counted.
        comparisons: max-pooling's comparisons for one image (0 otherwise).
        comparisons_formula: how ``comparisons`` is counted.
        activation_bytes: float32 output size for one image; None when unknown.
        activation_formula: ``elements·4``.
        note: what the layer does, in words.
    """

    index: int
    name: str
    class_name: str
    activation: str | None
    input_shape: Shape | tuple[Shape, ...]
    output_shape: Shape
    params: int
    non_trainable_params: int
    output_formulas: tuple[Formula, ...]
    padding: tuple[tuple[int, int], ...] | None
    padding_formulas: tuple[Formula, ...]
    params_formula: Formula | None
    receptive_field: ReceptiveField
    mult_adds: int | None
    mult_adds_formula: Formula | None
    comparisons: int
    comparisons_formula: Formula | None
    activation_bytes: int | None
    activation_formula: Formula | None
    note: str


def explain_rows(model: Model) -> list[LayerExplanation]:
    """One :class:`LayerExplanation` per layer of a built model, in order.

    Raises:
        ValueError: when the model is not built (it has no shapes yet).

    Example:
        >>> from convlens import Sequential, layers
        >>> model = Sequential([layers.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.Conv2D(8, 3)])
        >>> [row.receptive_field.size for row in explain_rows(model)]  # two 3×3 convolutions see 5×5
        [(3, 3), (5, 5)]
    """
    if not model.built:
        raise ValueError(
            f"Model '{model.name}' isn't built yet, so it has no shapes to explain: give the first layer "
            "`input_shape=`, start with `layers.Input(shape)`, or call the model on data first."
        )
    rows: list[LayerExplanation] = []
    fields: list[ReceptiveField] = []  # the receptive field after each layer, for the layers it feeds
    for index, (layer, out_shape, (in_shapes, sources)) in enumerate(
            zip(model.layers, model.layer_output_shapes, _wiring(model))):
        out_shape = _first(out_shape)  # a layer with several outputs is explained by its first
        if not in_shapes:  # an input layer: where receptive fields start
            in_shape, rf = out_shape, ReceptiveField.start(len(out_shape) - 2)
        else:
            in_shape = in_shapes[0]
            rf = ReceptiveField.merge([fields[source] if source is not None else ReceptiveField.start(len(shape) - 2)
                                       for shape, source in zip(in_shapes, sources)])
        if len(in_shapes) > 1:
            parts = Parts(note=f"combines its {len(in_shapes)} inputs; no weights")
        else:
            parts = explain_layer(layer, in_shape, out_shape)
        rf = rf.advance(parts.rf)
        fields.append(rf)
        params = layer.count_params()
        elements = out_shape[1:]
        memory = None
        if None not in elements:
            size = math.prod(elements) * BYTES_PER_VALUE
            memory = Formula("activation bytes", "elements·4", dot(*elements, BYTES_PER_VALUE), size,
                             readable_memory_size(size))
        fused = getattr(layer, "activation", None)
        activation = activations.serialize(fused) if callable(fused) and fused is not activations.linear else None
        rows.append(LayerExplanation(
            index=index,
            name=layer.name,
            class_name=type(layer).__name__,
            activation=activation,
            input_shape=tuple(in_shapes) if len(in_shapes) > 1 else in_shape,
            output_shape=out_shape,
            params=params,
            non_trainable_params=sum(int(w.numel()) for w in layer.non_trainable_weights),
            output_formulas=parts.output,
            padding=parts.padding,
            padding_formulas=parts.padding_formulas,
            params_formula=parts.params,
            receptive_field=rf,
            mult_adds=parts.mult_adds.value if parts.mult_adds else (0 if params == 0 else None),
            mult_adds_formula=parts.mult_adds,
            comparisons=parts.comparisons.value if parts.comparisons else 0,
            comparisons_formula=parts.comparisons,
            activation_bytes=None if memory is None else int(memory.value),
            activation_formula=memory,
            note=parts.note,
        ))
    return rows


def _wiring(model: Model) -> list[tuple[list[Shape], list[int | None]]]:
    """Per layer: its input shapes and, for each, the position of the layer that made it (None: a model input).

    A stack feeds each layer the previous output; a graph model (one with
    ``inbound_nodes``) says for itself, from each layer's first call.
    """
    if hasattr(model, "inbound_nodes"):
        position = {id(layer): i for i, layer in enumerate(model.layers)}
        wiring = []
        for layer in model.layers:
            inputs = model.inbound_nodes(layer)[0].inputs
            wiring.append(([tuple(t.shape) for t in inputs], [position.get(id(t.node.layer)) for t in inputs]))
        return wiring
    previous = [tuple(model.input_shape), *(tuple(shape) for shape in model.layer_output_shapes[:-1])]
    return [([shape], [i - 1 if i else None]) for i, shape in enumerate(previous)]


def _first(shape: Shape | list[Shape]) -> Shape:
    """A shape, or the first of several."""
    return tuple(shape[0]) if shape and isinstance(shape[0], (list, tuple)) else tuple(shape)


def format_explained_summary(model: Model, line_length: int | None = None) -> str:
    """Keras's summary table followed by the explanation of every layer, as text.

    Example:
        >>> from convlens import zoo
        >>> text = format_explained_summary(zoo.create("mnist-convnet"))
        >>> "3·3·1·32 + 32 = 320" in text and "1600·10 + 10 = 16,010" in text
        True
    """
    width = line_length or 88
    rows = explain_rows(model)
    buffer = io.StringIO()
    console = rich.console.Console(file=buffer, width=width, force_terminal=False, color_system=None,
                                   highlight=False, emoji=False)
    console.print(f"How each row is computed (input {_shapes_text(model.input_shape)}, one image)")
    for row in rows:
        console.print()
        console.print(rich.rule.Rule(_title(row), align="left", characters="─"))
        console.print(_details(row, model))
    console.print()
    console.print(rich.rule.Rule(" Totals for one image ", align="left", characters="═"))
    console.print(_totals(rows, model))
    # rich pads table cells with spaces; trailing blanks only get in the way of diffs and terminals.
    explanation = "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())
    return format_summary(model, line_length) + "\n" + explanation + "\n"


def _title(row: LayerExplanation) -> str:
    activation = f", {row.activation}" if row.activation else ""
    return f" {row.index}: {row.name} ({row.class_name}{activation}) "


def _grid() -> rich.table.Table:
    table = rich.table.Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True, min_width=13)
    table.add_column(overflow="fold")
    return table


def _details(row: LayerExplanation, model: Model) -> rich.table.Table:
    table = _grid()
    table.add_row("shape", f"{_shapes_text(row.input_shape)} → {format_shape(row.output_shape)}")
    for axes, formulas in _merge_axes(row.output_formulas):
        table.add_row(axes, _equation(formulas[0]))
    if row.padding_formulas:
        for axes, formulas in _merge_axes(row.padding_formulas):
            sides = "; ".join(f.note for f in formulas)
            table.add_row("padding", f"{axes}: total = {_equation(formulas[0], symbolic=False, note=False)} → {sides}")
    elif row.padding is not None:
        pads = [f"{a} + {b}" for a, b in row.padding]
        table.add_row("padding", ", ".join(pads) if any(a or b for a, b in row.padding)
                      else '"valid": none, the window stays inside the input')
    if row.params_formula is not None:
        table.add_row("params", _equation(row.params_formula))
    elif row.params:
        table.add_row("params", f"{row.params:,}")
    table.add_row("receptive", _receptive_text(row.receptive_field, model))
    if row.mult_adds_formula is not None:
        table.add_row("mult-adds", _equation(row.mult_adds_formula, symbolic=False))
    elif row.mult_adds == 0:
        table.add_row("mult-adds", "0")
    if row.comparisons_formula is not None:
        table.add_row("comparisons", _equation(row.comparisons_formula, symbolic=False))
    if row.activation_formula is not None:
        f = row.activation_formula
        size = f" ({f.note})" if int(f.value) >= 1024 else ""
        table.add_row("activations", f"{f.expression.rsplit('·', 1)[0]} values · 4 B = {f.value:,} B{size}")
    if row.note:
        table.add_row("", rich.text.Text(row.note, style="italic"))
    return table


def _equation(formula: Formula, symbolic: bool = True, note: bool = True) -> str:
    """``symbolic = expression = value (note)``, leaving out parts that say nothing more."""
    value = f"{formula.value:,}" if isinstance(formula.value, int) else str(formula.value)
    if formula.expression == str(formula.value):
        text = value
    else:
        text = f"{formula.expression} = {value}"
        if symbolic and formula.symbolic != formula.expression:
            text = f"{formula.symbolic} = {text}"
    return text + (f" ({formula.note})" if note and formula.note else "")


def _merge_axes(formulas: tuple[Formula, ...]) -> list[tuple[str, list[Formula]]]:
    """Axes with the same arithmetic share one line: ``(height, width, [formula, formula])``."""
    groups: dict[str, list[Formula]] = {}
    for formula in formulas:
        groups.setdefault(formula.expression, []).append(formula)
    return [(", ".join(_axis(f.quantity) for f in group), group) for group in groups.values()]


def _axis(quantity: str) -> str:
    """``"padding (height)"`` → ``"height"``."""
    return quantity[quantity.index("(") + 1 : -1] if "(" in quantity else quantity


def _shapes_text(shape: Shape | tuple[Shape, ...] | list[Shape]) -> str:
    """``(None, 28, 28, 1)``, or several shapes joined by commas."""
    if shape and isinstance(shape[0], (list, tuple)):
        return ", ".join(format_shape(tuple(s)) for s in shape)
    return format_shape(tuple(shape))


def _receptive_text(rf: ReceptiveField, model: Model) -> str:
    spatial = _first(model.input_shape)[1:-1]
    if rf.whole:
        size = "×".join("?" if n is None else str(n) for n in spatial)
        return f"the whole {size} input: every output depends on every input pixel"
    if rf.size is None or rf.jump is None:
        return "not tracked past a reshape" if spatial else "—"
    size = "×".join(map(str, rf.size))
    jump = "×".join(str(j) for j in rf.jump) if len(set(rf.jump)) > 1 else str(rf.jump[0])
    unit = {1: "input samples", 3: "input voxels"}.get(len(rf.size), "input pixels")
    text = f"{size} {unit}, jump {jump}"
    steps = [f for f in rf.formulas if f.quantity.startswith("receptive")]
    if steps:
        first = steps[0]
        same = all(f.expression == first.expression for f in steps)
        text += f"  (r = {first.expression} = {first.value})" if same else \
            "  (" + "; ".join(f"{_axis(f.quantity)}: {f.expression} = {f.value}" for f in steps) + ")"
    if any(n is not None and r > n for r, n in zip(rf.size, spatial)):
        text += "; wider than the input: border outputs also see padding"
    return text


def _totals(rows: list[LayerExplanation], model: Model) -> rich.table.Table:
    table = _grid()
    params = sum(r.params for r in rows)
    table.add_row("params", f"{params:,} ({readable_memory_size(params * BYTES_PER_VALUE)} as float32)")
    known = [r.mult_adds for r in rows if r.mult_adds is not None]
    unknown = len(known) < len(rows)
    table.add_row("mult-adds", f"{sum(known):,} (≈ {_si(2 * sum(known))}FLOPs: a multiply and an add each)"
                  + ("; layers of unknown size not counted" if unknown else ""))
    comparisons = sum(r.comparisons for r in rows)
    if comparisons:
        table.add_row("comparisons", f"{comparisons:,}")
    memory = [r.activation_bytes for r in rows if r.activation_bytes is not None]
    readable = f" ({readable_memory_size(sum(memory))})" if sum(memory) >= 1024 else ""
    table.add_row("activations", f"{sum(memory):,} B{readable} for all layer outputs")
    if rows:
        table.add_row("receptive", _receptive_text(rows[-1].receptive_field, model))
    return table


def _si(count: float) -> str:
    """``4.88 M``: a count with an SI prefix, for totals too long to read digit by digit."""
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if count >= scale:
            return f"{count / scale:.2f} {prefix}"
    return f"{count:g} "
