"""Symbolic tensors: what ``layers.Input`` returns, and what calling a layer on one records.

Keras's functional API builds a model by calling layers on symbolic tensors.
Each call checks and builds the layer for the known input shape, records a
:class:`Node` (the layer, the tensors it was called on, the tensors it made)
and returns new symbolic tensors that remember that node. ``Model(inputs=...,
outputs=...)`` then walks the nodes back from its outputs.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .base import Layer, Shape

# Creation order of nodes: the calls of a shared layer are numbered in this order.
_node_ids = itertools.count()


class KerasTensor:
    """A symbolic tensor: a shape (batch axis first, ``None``), a dtype, and the node that made it.

    Attributes:
        shape: the shape, batch axis included.
        dtype: the dtype name (``"float32"``).
        node: the :class:`Node` (layer call) that produced it.
        index: its position among that node's outputs.
        name: the input's name for tensors made by ``layers.Input``.

    Example:
        >>> from convlens import layers
        >>> x = layers.Input((28, 28, 1))
        >>> x.shape, layers.Conv2D(8, 3)(x).shape
        ((None, 28, 28, 1), (None, 26, 26, 8))
    """

    def __init__(self, shape: Sequence[int | None], dtype: str, node: "Node", index: int = 0,
                 name: str | None = None) -> None:
        self.shape: Shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.index = index
        self.name = name

    @property
    def ndim(self) -> int:
        """Number of axes, batch axis included."""
        return len(self.shape)

    def __repr__(self) -> str:
        origin = self.name or f"{self.node.layer.name}[{self.index}]"
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, from {origin}>"

    def __bool__(self) -> bool:
        raise TypeError(
            "A symbolic tensor (from `layers.Input`) has no value: it can only be passed to layers to build "
            "a model. Call the model on data to compute values."
        )


class Node:
    """One call of a layer on symbolic tensors: ``layer(*args, **kwargs) → outputs``.

    Attributes:
        layer: the layer called.
        args: the positional arguments: symbolic tensors, or lists of them (merge layers).
        kwargs: the keyword arguments recorded with the call (``training``).
        inputs: every symbolic tensor in ``args``, in order.
        outputs: the symbolic tensors the call produced.

    Example:
        >>> from convlens import layers
        >>> y = layers.Dense(2, name="d")(layers.Input((3,), name="x"))
        >>> y.node.layer.name, [t.name for t in y.node.inputs]
        ('d', ['x'])
    """

    def __init__(self, layer: "Layer", args: tuple[Any, ...], kwargs: dict[str, Any],
                 output_shapes: list["Shape"], dtype: str) -> None:
        self.id = next(_node_ids)
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.inputs: list[KerasTensor] = flatten(args)
        self.outputs = [KerasTensor(shape, dtype, self, i) for i, shape in enumerate(output_shapes)]
        # The layer remembers its calls, as a Keras layer does: `layer.input` / `layer.output` read the first.
        layer.__dict__.setdefault("_inbound_nodes", []).append(self)

    @property
    def is_input(self) -> bool:
        """Whether this is an ``InputLayer``'s node (it has no inputs)."""
        return not self.inputs

    def __repr__(self) -> str:
        return f"<Node {self.layer.name} ← {[t.node.layer.name for t in self.inputs]}>"


def flatten(structure: Any) -> list[KerasTensor]:
    """The symbolic tensors of a tensor, or of a (nested) list or tuple of them, in order.

    Example:
        >>> from convlens import layers
        >>> a, b = layers.Input((2,)), layers.Input((3,))
        >>> [t.shape for t in flatten([a, (b,)])]
        [(None, 2), (None, 3)]
    """
    if isinstance(structure, KerasTensor):
        return [structure]
    if isinstance(structure, (list, tuple)):
        return [t for item in structure for t in flatten(item)]
    return []


def is_symbolic(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor or a list/tuple holding one (a call that builds a graph).

    Example:
        >>> from convlens import layers
        >>> is_symbolic([layers.Input((2,))]), is_symbolic(3.0)
        (True, False)
    """
    return bool(flatten(x))


def is_shape(value: Any) -> bool:
    """Whether ``value`` is one shape (ints and ``None``) rather than a list of shapes.

    Example:
        >>> is_shape((None, 3)), is_shape([(None, 3), (None, 2)])
        (True, False)
    """
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def shape_of(value: Any) -> Any:
    """The shape of a symbolic tensor, or the list of shapes of a list of them.

    Example:
        >>> from convlens import layers
        >>> a, b = layers.Input((2,), name="a"), layers.Input((3,), name="b")
        >>> shape_of(a), shape_of([a, b])
        ((None, 2), [(None, 2), (None, 3)])
    """
    return [t.shape for t in value] if isinstance(value, (list, tuple)) else value.shape


def compute_dtype(layer: "Layer") -> str:
    """The dtype a layer computes in: a mixed policy computes in its low-precision half.

    Example:
        >>> from convlens import layers
        >>> compute_dtype(layers.Dense(2, dtype="mixed_float16"))
        'float16'
    """
    return layer.dtype_name.removeprefix("mixed_")


def symbolic_call(layer: "Layer", args: tuple[Any, ...], training: bool | None, kwargs: dict[str, Any]) -> Any:
    """Record ``layer(*args, training=training)`` on symbolic tensors and return its symbolic outputs.

    The layer is checked and built for the input shape, as Keras builds a layer
    the first time it is called on a ``keras.Input``.

    Raises:
        TypeError: for extra arguments, or symbolic tensors mixed with data.
        ValueError: for a list of tensors passed to a layer that takes one,
            or shapes the layer cannot take.

    Example:
        >>> from convlens import layers
        >>> symbolic_call(layers.Dense(4), (layers.Input((3,)),), None, {}).shape
        (None, 4)
    """
    if len(args) != 1 or kwargs:
        raise TypeError(
            f"Layer '{layer.name}' ({type(layer).__name__}): a call on symbolic tensors takes one input (a tensor, "
            f"or a list of tensors for a merge layer) and optionally `training=`; received {len(args)} positional "
            f"argument(s) and keyword(s) {sorted(kwargs)}."
        )
    x = args[0]
    if isinstance(x, (list, tuple)):
        if not all(isinstance(t, KerasTensor) for t in x):
            raise TypeError(
                f"Layer '{layer.name}': cannot mix symbolic tensors (from `layers.Input`) with data in one call; "
                f"received {[type(t).__name__ for t in x]}."
            )
        if not getattr(layer, "accepts_list_input", False):
            raise ValueError(
                f"Layer '{layer.name}' ({type(layer).__name__}) takes one input tensor; received a list of "
                f"{len(x)}. Merge them first (layers.Add, layers.Concatenate, ...)."
            )
        x = list(x)
    shape = shape_of(x)
    layer.build_from_shape(shape)
    out = layer.compute_output_shape(shape)
    single = is_shape(out)
    node = Node(layer, (x,), {} if training is None else {"training": bool(training)},
                [tuple(out)] if single else [tuple(s) for s in out], compute_dtype(layer))
    return node.outputs[0] if single else list(node.outputs)
