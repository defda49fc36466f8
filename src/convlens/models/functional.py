"""``Functional``: a model built by calling layers on ``layers.Input`` tensors, Keras's functional API.

    x = layers.Input((32, 32, 3))
    y = layers.Conv2D(16, 3, activation="relu")(x)
    model = convlens.Model(inputs=x, outputs=layers.Dense(10)(layers.GlobalAveragePooling2D()(y)))

The model keeps the graph Keras keeps: the layer calls (nodes) between its
inputs and outputs, with layers in Keras's order (see ``graph.py``). Running
the model calls the nodes deepest first on torch tensors and drops each
intermediate result as soon as no later node needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..layers.base import Layer, Shape, to_tensor
from ..layers.input_layer import InputLayer
from ..layers.keras_tensor import KerasTensor, Node, flatten, is_shape, is_symbolic
from .graph import map_graph
from .model import Model


@dataclass
class _Step:
    """One node to run: which value slots feed the layer and which it fills."""

    layer: Layer
    args: list[int | list[int]]  # slot of each positional argument (a list for merge layers)
    kwargs: dict[str, Any]
    outputs: list[int]
    release: list[int]  # slots no later step reads: freed right after this one


class Functional(Model):
    """A model defined by its input and output tensors, as ``keras.Model(inputs, outputs)``.

    Build it with ``convlens.Model(inputs=..., outputs=...)`` (or ``Functional(...)``).

    Args:
        inputs: a tensor from ``layers.Input``, or a list of them.
        outputs: a tensor made by calling layers on the inputs, or a list of them.
        name: the model name (default ``functional``, ``functional_1``, ...).
        trainable: whether training updates the weights.

    Calling the model takes a tensor (or array) for a single input, a list (or
    a dict by input name) for several; it returns a tensor, or a list for
    several outputs. A layer may be called more than once (shared weights).
    A ``training=`` given to a layer call in the graph is kept: that layer then
    always runs in that mode (Monte Carlo dropout, frozen batch statistics).

    Example:
        >>> import convlens
        >>> from convlens import layers
        >>> x = layers.Input((8, 8, 3))
        >>> y = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
        >>> y = layers.Add()([y, layers.Conv2D(4, 1)(x)])
        >>> model = convlens.Model(inputs=x, outputs=layers.Dense(2)(layers.GlobalAveragePooling2D()(y)))
        >>> model.output_shape, model.count_params(), [layer.name for layer in model.layers][0]
        ((None, 2), 138, 'input_layer')
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, trainable: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._inputs_struct = _structure(inputs, "inputs")
        self._outputs_struct = _structure(outputs, "outputs")
        self.inputs: list[KerasTensor] = flatten(inputs)
        self.outputs: list[KerasTensor] = flatten(outputs)
        for tensor in self.inputs:
            if not isinstance(tensor.node.layer, InputLayer):
                raise ValueError(
                    f"Model inputs must come from `layers.Input(...)`; received {tensor!r}, made by layer "
                    f"'{tensor.node.layer.name}' ({type(tensor.node.layer).__name__})."
                )
        if len({id(t) for t in self.inputs}) != len(self.inputs):
            raise ValueError(f"The same input tensor appears twice in `inputs`: {self.inputs}.")
        self._graph_layers, self._node_depth = map_graph(self.inputs, self.outputs)
        self._layer_nodes: dict[Layer, list[Node]] = {layer: [] for layer in self._graph_layers}
        for node in sorted(self._node_depth, key=lambda n: n.id):  # a shared layer's calls, in call order
            self._layer_nodes[node.layer].append(node)
        self._register_layers()
        self._plan()
        # A multi-input model is called on a list of tensors, as a merge layer is.
        self.accepts_list_input = len(self.inputs) > 1
        self._build_input_shape = self.input_shape
        self.built = True

    def _register_layers(self) -> None:
        seen: dict[str, Layer] = {}
        for layer in self._graph_layers:
            if layer.name in seen:
                count = sum(1 for other in self._graph_layers if other.name == layer.name)
                raise ValueError(
                    f'The name "{layer.name}" is used {count} times in the model. All layer names should be unique.'
                )
            if "." in layer.name:
                raise ValueError(f"Layer names cannot contain '.'; received name={layer.name!r}.")
            seen[layer.name] = layer
            self._modules[layer.name] = layer  # not add_module: a layer may be named like a model attribute ('output')
            layer.train(self.training)

    def _plan(self) -> None:
        """Number every tensor of the graph and list the steps that compute them."""
        slots: dict[int, int] = {}

        def slot(tensor: KerasTensor) -> int:
            return slots.setdefault(id(tensor), len(slots))

        self._input_slots = [slot(t) for t in self.inputs]
        steps = []
        for node in self._node_depth:
            if node.is_input:
                continue
            args = [slot(a) if isinstance(a, KerasTensor) else [slot(t) for t in a] for a in node.args]
            steps.append(_Step(node.layer, args, dict(node.kwargs), [slot(t) for t in node.outputs], []))
        self._output_slots = [slot(t) for t in self.outputs]
        last_use: dict[int, int] = {}
        for i, step in enumerate(steps):
            for s in step.outputs:
                last_use[s] = i
            for arg in step.args:
                for s in [arg] if isinstance(arg, int) else arg:
                    last_use[s] = i
        kept = set(self._output_slots) | set(self._input_slots)
        for s, i in last_use.items():
            if s not in kept:
                steps[i].release.append(s)
        self._steps = steps
        self._num_slots = len(slots)

    # ------------------------------------------------------------ structure
    @property
    def layers(self) -> list[Layer]:
        """Every layer of the graph, input layers included, in Keras's order."""
        return list(self._graph_layers)

    def inbound_nodes(self, layer: Layer) -> list[Node]:
        """The calls of ``layer`` in this model, in call order (several for a shared layer).

        Example:
            >>> import convlens
            >>> from convlens import layers
            >>> x = layers.Input((3,)); dense = layers.Dense(3)
            >>> model = convlens.Model(x, dense(dense(x)))
            >>> len(model.inbound_nodes(dense))
            2
        """
        return list(self._layer_nodes[layer])

    @property
    def layer_output_shapes(self) -> list[Shape | list[Shape]]:
        """The output shape of each layer of ``layers`` (its last call's, for a shared layer)."""
        return [_unpack([t.shape for t in self._layer_nodes[layer][-1].outputs]) for layer in self._graph_layers]

    @property
    def input_shape(self) -> Shape | list[Shape]:
        """The input shape (batch axis ``None``), or a list of them for several inputs."""
        return _unpack([t.shape for t in self.inputs])

    @property
    def output_shape(self) -> Shape | list[Shape]:
        """The output shape (batch axis ``None``), or a list of them for several outputs."""
        return _unpack([t.shape for t in self.outputs])

    def tensor_history(self, tensor: KerasTensor) -> tuple[str, int, int]:
        """Keras's ``keras_history`` of a tensor of this graph: (layer name, call index, output index).

        Example:
            >>> import convlens
            >>> from convlens import layers
            >>> x = layers.Input((3,)); dense = layers.Dense(3, name="d")
            >>> y = dense(dense(x))
            >>> convlens.Model(x, y).tensor_history(y)
            ('d', 1, 0)
        """
        layer = tensor.node.layer
        return layer.name, self._layer_nodes[layer].index(tensor.node), tensor.index

    @property
    def layer_connections(self) -> list[str] | None:
        """Keras's "Connected to" summary column (``conv2d[0][0]``, ``-`` for inputs), or ``None`` for a chain.

        A chain (one call per layer, one input per call, one input) gets
        Keras's three-column summary, which leaves this column out.
        """
        if self._is_chain():
            return None
        return [
            ", ".join("{}[{}][{}]".format(*self.tensor_history(t)) for node in self._layer_nodes[layer]
                      for t in node.inputs) or "-"
            for layer in self._graph_layers
        ]

    def _is_chain(self) -> bool:
        # Keras's `sequential_like`: every depth holds one node of at most one input, and no layer is shared.
        depths: dict[int, int] = {}
        for node, depth in self._node_depth.items():
            depths[depth] = depths.get(depth, 0) + 1
            if depths[depth] > 1 or len(node.inputs) > 1:
                return False
        return all(len(nodes) == 1 for nodes in self._layer_nodes.values())

    # ------------------------------------------------------------- running
    def _convert_inputs(self, x: Any) -> Any:
        if is_symbolic(x):
            return x
        if len(self.inputs) == 1:
            if isinstance(x, (list, tuple)) and len(x) == 1 and hasattr(x[0], "shape"):
                x = x[0]
            return super()._convert_inputs(x)
        names = [t.name for t in self.inputs]
        if isinstance(x, dict):
            missing = [n for n in names if n not in x]
            if missing or len(x) != len(names):
                raise ValueError(f"Model '{self.name}' takes inputs named {names}; received keys {sorted(x)}.")
            x = [x[n] for n in names]
        if not isinstance(x, (list, tuple)) or len(x) != len(names):
            received = f"a list of {len(x)}" if isinstance(x, (list, tuple)) else type(x).__name__
            raise ValueError(
                f"Model '{self.name}' takes {len(names)} inputs ({', '.join(names)}): pass a list of "
                f"{len(names)} arrays or a dict by name; received {received}."
            )
        return [t if isinstance(t, torch.Tensor) else to_tensor(t, device=self.device) for t in x]

    def forward(self, inputs: Any) -> Any:
        values: list[Any] = [None] * self._num_slots
        for s, x, tensor in zip(self._input_slots, [inputs] if len(self.inputs) == 1 else inputs, self.inputs):
            dtype = getattr(torch, tensor.dtype)
            values[s] = x if x.dtype == dtype else x.to(dtype)  # as Keras: uint8 images, float64 arrays → float32
        for step in self._steps:
            args = [values[a] if isinstance(a, int) else [values[s] for s in a] for a in step.args]
            out = step.layer(*args, **step.kwargs)
            for s, value in zip(step.outputs, out if len(step.outputs) > 1 else (out,)):
                values[s] = value
            for s in step.release:
                values[s] = None
        return _unpack([values[s] for s in self._output_slots])

    def compute_output_shape(self, input_shape: Any) -> Any:
        shapes = [input_shape] if len(self.inputs) == 1 else list(input_shape)
        if len(shapes) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' takes {len(self.inputs)} inputs; received shapes {input_shape}.")
        values: list[Any] = [None] * self._num_slots
        for i, (s, shape, tensor) in enumerate(zip(self._input_slots, shapes, self.inputs)):
            shape = tuple(shape)
            if len(shape) != len(tensor.shape) or any(a is not None and b is not None and a != b
                                                      for a, b in zip(shape[1:], tensor.shape[1:])):
                raise ValueError(
                    f'Input {i} of layer "{self.name}" is incompatible with the layer: expected shape='
                    f"{tensor.shape}, found shape={shape}"
                )
            values[s] = shape
        for step in self._steps:
            arg = step.args[0]
            out = step.layer.compute_output_shape(values[arg] if isinstance(arg, int) else [values[s] for s in arg])
            for s, shape in zip(step.outputs, [out] if is_shape(out) else out):
                values[s] = tuple(shape)
        return _unpack([values[s] for s in self._output_slots])

    # --------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """Keras's "Functional" config: layers with their ``inbound_nodes``, ``input_layers``, ``output_layers``.

        Example:
            >>> import convlens
            >>> from convlens import layers
            >>> x = layers.Input((3,), name="x")
            >>> config = convlens.Model(x, layers.Dense(2, name="out")(x)).get_config()
            >>> config["layers"][1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"], config["output_layers"]
            (['x', 0, 0], ['out', 0, 0])
        """
        entries = []
        for layer in self._graph_layers:
            config = layer.get_config()
            if not isinstance(layer, InputLayer):
                config.pop("batch_shape", None)  # the graph's shapes come from its inputs
            calls = [self._node_config(n) for n in self._layer_nodes[layer] if not n.is_input]
            entries.append({"class_name": type(layer).__name__, "config": config, "name": layer.name,
                            "inbound_nodes": calls})
        return {"name": self.name, "trainable": self.trainable, "layers": entries,
                "input_layers": self._history_struct(self._inputs_struct),
                "output_layers": self._history_struct(self._outputs_struct)}

    def _history_struct(self, struct: KerasTensor | list[KerasTensor]) -> list[Any]:
        def history(t: KerasTensor) -> list[Any]:
            # Keras numbers a nested functional model's calls from 1 here (its own inner call
            # once came first), though from 0 in the calls that read them.
            name, call, index = self.tensor_history(t)
            return [name, call + isinstance(t.node.layer, Functional), index]

        return history(struct) if isinstance(struct, KerasTensor) else [history(t) for t in struct]

    def _node_config(self, node: Node) -> dict[str, Any]:
        def tensor(t: KerasTensor) -> dict[str, Any]:
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(t.shape), "dtype": t.dtype, "keras_history": list(self.tensor_history(t))}}

        args = [tensor(a) if isinstance(a, KerasTensor) else [tensor(t) for t in a] for a in node.args]
        return {"args": args, "kwargs": dict(node.kwargs)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Functional":
        """Rebuild a model from :meth:`get_config` output (layer entries in convlens's short form).

        Example:
            >>> import convlens
            >>> from convlens import layers
            >>> x = layers.Input((3,))
            >>> model = convlens.Model(x, layers.Dense(2)(x))
            >>> Functional.from_config(model.get_config()).count_params()
            8
        """
        from .functional_config import deserialize_entry, functional_from_config  # it imports this module

        return functional_from_config(config, lambda entry, index: deserialize_entry(entry))


def _structure(value: Any, arg: str) -> KerasTensor | list[KerasTensor]:
    if isinstance(value, KerasTensor):
        return value
    if isinstance(value, (list, tuple)) and value and all(isinstance(t, KerasTensor) for t in value):
        return list(value)
    raise TypeError(
        f"`{arg}` must be a symbolic tensor (from `layers.Input` or a layer call on one) or a non-empty list of "
        f"them. Received: {arg}={value!r}"
    )


def _unpack(values: list[Any]) -> Any:
    """One value alone, several as a list (Keras's ``unpack_singleton``)."""
    return values[0] if len(values) == 1 else values
