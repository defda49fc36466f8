"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from typing import Any, Iterable

import torch

from ..layers import deserialize
from ..layers.base import Layer, Shape
from ..layers.input_layer import InputLayer
from ..layers.keras_tensor import KerasTensor, Node, compute_dtype
from .fusion import run_stack
from .model import Model


class Sequential(Model):
    """A linear stack of layers, as ``keras.Sequential``.

    Args:
        layers: the layers in order; may start with ``layers.Input(shape)``.
        name: the model name (default ``sequential``, ``sequential_1``, ...).
        trainable: whether training updates the weights.

    The model builds as soon as its input shape is known (an ``Input`` first,
    or ``input_shape=`` on the first layer), otherwise on its first call.

    Example:
        >>> from convlens import Sequential, layers
        >>> model = Sequential([layers.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
        ...                     layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10)])
        >>> model.output_shape, model.count_params()
        ((None, 10), 54410)
    """

    def __init__(self, layers: Iterable[Layer] | None = None, name: str | None = None, trainable: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        self._output_shapes: list[Shape] = []
        self._tensors: list[KerasTensor] = []  # the symbolic graph: the input, then each layer's output
        for layer in layers or ():
            self.add(layer)

    # ------------------------------------------------------------ structure
    def add(self, layer: Layer | KerasTensor) -> None:
        """Append a layer (an ``Input`` only as the first element).

        Example:
            >>> from convlens import Sequential, layers
            >>> model = Sequential(); model.add(layers.Input((3,))); model.add(layers.Dense(2))
            >>> model.count_params()
            8
        """
        if isinstance(layer, KerasTensor):
            if not isinstance(layer.node.layer, InputLayer):
                raise TypeError(
                    f"A Sequential model takes layers, and `layers.Input(...)` as its first element; received a "
                    f"symbolic tensor made by layer '{layer.node.layer.name}'. Build graphs with "
                    "`convlens.Model(inputs=..., outputs=...)` instead."
                )
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("An Input can only be the first element of a Sequential model.")
            self._input_layer = layer
            self.build_from_shape(layer.batch_shape)
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Only convlens layers can be added to a Sequential model; received {layer!r} of type "
                f"{type(layer).__name__}. (Wrap plain torch modules in a convlens layer.)"
            )
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. Name {layer.name!r} is already "
                "the name of a layer in this model. Update the `name` argument to pass a unique name."
            )
        if "." in layer.name:
            raise ValueError(f"Layer names cannot contain '.'; received name={layer.name!r}.")
        self._stack.append(layer)
        self._modules[layer.name] = layer  # not add_module: a layer may be named like a model attribute ('output')
        layer.train(self.training)
        if self.built:
            self._extend_shapes(layer)
        elif len(self._stack) == 1 and _known_input_shape(layer) is not None:
            self.build_from_shape(_known_input_shape(layer))

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError("There are no layers in the model to pop.")
        layer = self._stack.pop()
        del self._modules[layer.name]
        if self._output_shapes:
            self._output_shapes.pop()
            self._tensors.pop()
        return layer

    @property
    def layers(self) -> list[Layer]:
        return list(self._stack)

    @property
    def layer_output_shapes(self) -> list[Shape]:
        return list(self._output_shapes)

    # ---------------------------------------------------------------- build
    def build(self, input_shape: Shape) -> None:
        self._output_shapes = []
        self._input_shape = tuple(input_shape)
        if self._input_layer is None:  # Keras makes the input layer a Sequential was not given
            self._input_layer = InputLayer(batch_shape=self._input_shape, dtype=self.dtype_name)
        self._tensors = [self._input_layer.output]
        for layer in self._stack:
            self._append_call(layer, getattr(self, "_build_device", None))

    def _append_call(self, layer: Layer, device: torch.device | None) -> None:
        """Build ``layer`` on the last output and record the call, so ``layer.output`` exists as in Keras."""
        x = self._tensors[-1]
        layer.build_from_shape(x.shape, device=device)
        shape = tuple(layer.compute_output_shape(x.shape))
        self._tensors.append(Node(layer, (x,), {}, [shape], compute_dtype(layer)).outputs[0])
        self._output_shapes.append(shape)

    def _extend_shapes(self, layer: Layer) -> None:
        try:
            self._append_call(layer, self.device)
        except Exception:
            self._stack.pop()
            del self._modules[layer.name]
            raise

    @property
    def inputs(self) -> list[KerasTensor]:
        """The model's symbolic input, in a list (Keras's ``model.inputs``), once it is built.

        Example:
            >>> from convlens import Model, Sequential, layers
            >>> model = Sequential([layers.Input((8, 8, 1)), layers.Conv2D(4, 3), layers.Flatten()])
            >>> maps = Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
            >>> maps.output_shape
            [(None, 6, 6, 4), (None, 144)]
        """
        if not self.built:
            raise AttributeError(f"Model '{self.name}' has no inputs until it is built (give it an input shape).")
        return [self._tensors[0]]

    @property
    def outputs(self) -> list[KerasTensor]:
        """The model's symbolic output, in a list (Keras's ``model.outputs``), once it is built."""
        if not self.built:
            raise AttributeError(f"Model '{self.name}' has no outputs until it is built (give it an input shape).")
        return [self._tensors[-1]]

    @property
    def input(self) -> KerasTensor:
        """The model's symbolic input (Keras's ``model.input``)."""
        return self.inputs[0]

    @property
    def output(self) -> KerasTensor:
        """The model's symbolic output (Keras's ``model.output``)."""
        return self.outputs[0]

    @property
    def input_shape(self) -> Shape:
        """The model's input shape, batch axis first (``None``)."""
        if not self.built:
            raise AttributeError(f"Model '{self.name}' has no input shape until it is built.")
        return self._input_shape

    @property
    def output_shape(self) -> Shape:
        """The model's output shape, batch axis first (``None``)."""
        if not self.built:
            raise AttributeError(f"Model '{self.name}' has no output shape until it is built.")
        return self._output_shapes[-1] if self._output_shapes else self._input_shape

    # -------------------------------------------------------------- forward
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not x.is_floating_point():
            x = x.to(self.variable_dtype)  # uint8 images stay uint8 until they reach the model
        return run_stack(self._stack, x)  # ReLU after max-pooling where that is exact: see fusion.py

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    # --------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        layers = []
        if self._input_layer is not None or self.built:
            batch_shape = self._input_layer.batch_shape if self._input_layer is not None else self._input_shape
            layers.append({"class_name": "InputLayer",
                           "config": {"batch_shape": list(batch_shape), "dtype": self.dtype_name,
                                      "sparse": False, "name": self._input_layer.name if self._input_layer else "input_layer"}})
        for layer in self._stack:
            config = layer.get_config()
            config.pop("batch_shape", None)
            layers.append({"class_name": type(layer).__name__, "config": config})
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype_name, "layers": layers}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Sequential":
        """Rebuild a model from ``get_config()`` or Keras's Sequential config.

        Example:
            >>> cfg = {"name": "m", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [None, 3]}},
            ...                                {"class_name": "Dense", "config": {"units": 2}}]}
            >>> Sequential.from_config(cfg).count_params()
            8
        """
        layers = [deserialize(item) for item in config.get("layers", [])]
        extra = {k: v for k, v in config.items() if k in ("name", "trainable", "dtype")}
        return cls(layers, **extra)


def _known_input_shape(layer: Layer) -> Shape | None:
    """The input shape a first layer fixes: its ``input_shape=``, or, as Keras reads it, a built model's input shape
    (``Sequential([augmentation, ...])`` with ``augmentation`` a built Sequential)."""
    if layer._declared_input_shape is not None:
        return layer._declared_input_shape
    if isinstance(layer, Model) and layer.built:
        shape = layer.input_shape
        return shape if isinstance(shape, tuple) else None  # several inputs: a Sequential cannot feed them
    return None
