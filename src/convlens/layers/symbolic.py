"""What a layer knows of its calls in a model's graph: ``input``, ``output``, their shapes, and shapes by a dry run.

A layer called on symbolic tensors (see ``keras_tensor.py``) remembers each
call as a node; ``layer.input`` / ``layer.output`` read the first one, as in
Keras. ``dry_run_shape`` finds a Keras-style layer's output shape by running it
once on zeros, where Keras traces ``call`` symbolically.
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

import torch
from torch import nn

from .keras_tensor import shape_of


class SymbolicCalls:
    """The ``Layer`` properties that read its calls in a model (mixed into ``Layer``).

    A layer provides ``name``, ``_build_input_shape`` and ``compute_output_shape``.
    """

    name: str
    _build_input_shape: Any

    def _first_node(self, what: str) -> Any:
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(
                f"Layer '{self.name}' has no `{what}`: it has never been called on a symbolic tensor. It gets one "
                "when it is part of a built model (a Sequential with a known input shape, or a functional model)."
            )
        return nodes[0]

    @property
    def input(self) -> Any:
        """The symbolic tensor(s) of the layer's first call in a model (Keras's ``layer.input``).

        Example:
            >>> from convlens import Sequential, layers
            >>> model = Sequential([layers.Input((4,), name="x"), layers.Dense(2)])
            >>> model.layers[0].input.shape
            (None, 4)
        """
        node = self._first_node("input")
        return node.outputs[0] if node.is_input else node.args[0]

    @property
    def output(self) -> Any:
        """The symbolic tensor(s) the layer's first call produced (Keras's ``layer.output``).

        ``Model(inputs=model.inputs, outputs=[l.output for l in model.layers])``
        makes a model that returns every layer's feature maps and shares the
        original's weights.

        Example:
            >>> from convlens import Sequential, layers
            >>> model = Sequential([layers.Input((4,), name="x"), layers.Dense(2)])
            >>> model.layers[0].output.shape
            (None, 2)
        """
        outputs = self._first_node("output").outputs
        return outputs[0] if len(outputs) == 1 else list(outputs)

    @property
    def input_shape(self) -> Any:
        """The input shape of the layer's first call (batch axis first), or the shape it was built for."""
        if self.__dict__.get("_inbound_nodes"):
            return shape_of(self.input)
        if self._build_input_shape is not None:
            return self._build_input_shape
        raise AttributeError(f"Layer '{self.name}' has no input shape: it has not been built or called yet.")

    @property
    def output_shape(self) -> Any:
        """The output shape of the layer's first call (batch axis first), or of the shape it was built for."""
        if self.__dict__.get("_inbound_nodes"):
            return shape_of(self.output)
        if self._build_input_shape is not None:
            return self.compute_output_shape(self._build_input_shape)  # type: ignore[attr-defined]
        raise AttributeError(f"Layer '{self.name}' has no output shape: it has not been built or called yet.")


def first_device(module: nn.Module) -> torch.device | None:
    """The device of a module's first weight or buffer (``None`` for a module without any).

    Example:
        >>> first_device(torch.nn.Linear(2, 2)), first_device(torch.nn.ReLU())
        (device(type='cpu'), None)
    """
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        return tensor.device
    return None


def dry_run_shape(layer: Any, input_shape: Any) -> Any:
    """The output shape of ``layer`` on ``input_shape``, found by running it once on zeros (batch of 1).

    Example:
        >>> from convlens import layers
        >>> class Twice(layers.Layer):
        ...     def call(self, x):
        ...         return torch.cat([x, x], dim=-1)
        >>> dry_run_shape(Twice(), (None, 3))
        (None, 6)
    """
    def zeros(shape: Sequence[int | None]) -> torch.Tensor:
        if any(d is None for d in shape[1:]):
            raise ValueError(
                f"Layer '{layer.name}' ({type(layer).__name__}): cannot infer the output shape for input shape "
                f"{tuple(shape)} with unknown sizes; define `compute_output_shape`."
            )
        return torch.zeros((1, *shape[1:]), device=getattr(layer, "_build_device", None) or first_device(layer))

    x = zeros(input_shape) if all(d is None or isinstance(d, int) for d in input_shape) \
        else [zeros(s) for s in input_shape]
    was_training = layer.training
    layer.train(False)
    try:
        with torch.no_grad():
            out = layer.forward(x)
    finally:
        layer.train(was_training)
    if isinstance(out, (list, tuple)):
        return [(None, *o.shape[1:]) for o in out]
    return (None, *out.shape[1:])
