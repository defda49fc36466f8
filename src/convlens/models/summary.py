"""Keras's ``model.summary()`` table, rendered with rich.

The table has Keras's three columns (Layer (type) │ Output Shape │ Param #)
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


def summary_rows(model: "Model") -> list[tuple[str, str, int]]:
    """One ``(name (Class), output shape, params)`` row per layer, as the table shows them."""
    return [
        (f"{layer.name} ({type(layer).__name__})", format_shape(shape), layer.count_params())
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
    width = line_length or 88
    table = rich.table.Table(box=rich.box.HEAVY_HEAD, show_lines=True, width=width)
    # Keras's relative column positions for sequential models: 0.45, 0.84, 1.0.
    table.add_column("Layer (type)", ratio=45, no_wrap=False)
    table.add_column("Output Shape", ratio=39)
    table.add_column("Param #", justify="right", ratio=16)
    for name, shape, params in summary_rows(model):
        table.add_row(name, shape, f"{params:,}")
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
