"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from typing import Any, Iterable

import torch

from ..layers import deserialize
from ..layers.base import Layer, Shape
from ..layers.input_layer import InputLayer
from ..layers.keras_tensor import KerasTensor
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
        self.add_module(layer.name, layer)
        layer.train(self.training)
        if self.built:
            self._extend_shapes(layer)
        elif len(self._stack) == 1 and layer._declared_input_shape is not None:
            self.build_from_shape(layer._declared_input_shape)

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError("There are no layers in the model to pop.")
        layer = self._stack.pop()
        delattr(self, layer.name)
        if self._output_shapes:
            self._output_shapes.pop()
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
        shape = self._input_shape
        for layer in self._stack:
            layer.build_from_shape(shape, device=getattr(self, "_build_device", None))
            shape = layer.compute_output_shape(shape)
            self._output_shapes.append(shape)

    def _extend_shapes(self, layer: Layer) -> None:
        shape = self._output_shapes[-1] if self._output_shapes else self._input_shape
        try:
            layer.build_from_shape(shape, device=self.device)
            self._output_shapes.append(layer.compute_output_shape(shape))
        except Exception:
            self._stack.pop()
            delattr(self, layer.name)
            raise

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
