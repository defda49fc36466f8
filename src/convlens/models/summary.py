"""Keras's ``model.summary()`` table, rendered with rich.

The table has Keras's three columns (Layer (type) │ Output Shape │ Param #),
plus Keras's "Connected to" for a functional model that is not a plain chain,
and the totals lines ``Total params: 34,826 (136.04 KB)``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Callable

import rich.box
import rich.console
import rich.table

if TYPE_CHECKING:
    from .model import Model


def readable_memory_size(num_bytes: float) -> str:
    """Bytes as Keras prints them: ``136.04 KB`` (powers of 1024).

    Example:
        >>> readable_memory_size(139304)
        '136.04 KB'
    """
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if num_bytes < 1024 or unit == "TB":
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024
    raise AssertionError("unreachable")


def format_shape(shape: tuple) -> str:
    """``(None, 26, 26, 32)`` as Keras prints output shapes.

    Example:
        >>> format_shape((None, 10))
        '(None, 10)'
    """
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def format_shapes(shapes: tuple | list) -> str:
    """One shape as :func:`format_shape`; several (a layer with several outputs) as Keras lists them.

    Example:
        >>> format_shapes([(None, 3), (None, 2)])
        '[(None, 3), (None, 2)]'
    """
    if isinstance(shapes, list) and shapes and all(isinstance(s, (tuple, list)) for s in shapes):
        return "[" + ", ".join(format_shape(tuple(s)) for s in shapes) + "]"
    return format_shape(tuple(shapes))


def summary_rows(model: "Model") -> list[tuple[str, str, int]]:
    """One ``(name (Class), output shape, params)`` row per layer, as the table shows them."""
    return [
        (f"{layer.name} ({type(layer).__name__})", format_shapes(shape), layer.count_params())
        for layer, shape in zip(model.layers, model.layer_output_shapes)
    ]


def format_summary(model: "Model", line_length: int | None = None) -> str:
    """The summary of a built model as text.

    Example:
        >>> from convlens import Sequential, layers
        >>> m = Sequential([layers.Input((4,)), layers.Dense(2)])
        >>> "Total params: 10 (40.00 B)" in format_summary(m)
        True
    """
    connections = model.layer_connections
    # Keras 3's columns with their relative widths (positions 0.45, 0.80, 1.0); a graph that is
    # not a plain chain gets the fourth, "Connected to", and a wider table (0.3, 0.56, 0.74, 1.0).
    if connections is None:
        width, columns = line_length or 88, [("Layer (type)", 45), ("Output Shape", 35), ("Param #", 20)]
    else:
        width = line_length or 108
        columns = [("Layer (type)", 30), ("Output Shape", 26), ("Param #", 18), ("Connected to", 26)]
    table = rich.table.Table(box=rich.box.HEAVY_HEAD, show_lines=True, width=width)
    for header, ratio in columns:
        table.add_column(header, ratio=ratio, justify="right" if header == "Param #" else "left")
    for i, (name, shape, params) in enumerate(summary_rows(model)):
        table.add_row(name, shape, f"{params:,}", *([] if connections is None else [connections[i]]))
    buffer = io.StringIO()
    console = rich.console.Console(file=buffer, width=width, force_terminal=False, color_system=None, highlight=False)
    console.print(f'Model: "{model.name}"')
    console.print(table)
    itemsize = 4  # float32 weights
    total = model.count_params()
    trainable = sum(int(w.numel()) for layer in model.layers for w in layer.trainable_weights)
    for label, count in (("Total", total), ("Trainable", trainable), ("Non-trainable", total - trainable)):
        console.print(f" {label} params: {count:,} ({readable_memory_size(count * itemsize)})")
    return buffer.getvalue()


def print_summary(model: "Model", line_length: int | None = None, print_fn: Callable[[str], None] | None = None) -> None:
    """Print :func:`format_summary` (or hand each line to ``print_fn``, as Keras does)."""
    text = format_summary(model, line_length)
    if print_fn is None:
        print(text, end="")
    else:
        for line in text.rstrip("\n").split("\n"):
            print_fn(line)
