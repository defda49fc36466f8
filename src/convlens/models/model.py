"""``Model``: what every convlens model has: layers, summary, weights, training and saving."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
import torch

from ..layers.base import Layer, Shape, to_tensor
from ..layers.keras_tensor import is_symbolic
from ..layers.symbolic import dry_run_shape
from ..training.engine import Trainer
from . import summary as summary_lib


class Model(Layer, Trainer):
    """A layer made of layers, with Keras's model API; the base of ``Sequential`` and ``Functional``.

    As in Keras, ``Model(inputs, outputs)`` builds a functional model (a
    :class:`~convlens.models.functional.Functional`).

    Example:
        >>> from convlens import Model, layers
        >>> x = layers.Input((4,))
        >>> model = Model(inputs=x, outputs=layers.Dense(2)(x))
        >>> type(model).__name__, isinstance(model, Model), model.count_params()
        ('Functional', True, 10)
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> "Model":
        # Keras's signature detection: Model(inputs, outputs) is a functional model.
        if cls is Model and (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
                             or ("inputs" in kwargs and "outputs" in kwargs)):
            from .functional import Functional  # at call time: functional.py imports this module

            return super().__new__(Functional)
        return super().__new__(cls)

    @property
    def layers(self) -> list[Layer]:
        """The model's layers in order (the input layer is not one of them, as in Keras).

        A subclassed model's layers are those assigned as its attributes (or in
        lists assigned as attributes), in assignment order, as Keras tracks them.
        """
        return [module for module in self.children() if isinstance(module, Layer)]

    @property
    def layer_output_shapes(self) -> list[Shape]:
        """Output shape of each layer of ``layers`` (batch axis ``None``); ``None`` where it is not known."""
        shapes: list[Any] = []
        for layer in self.layers:
            try:
                shapes.append(layer.output_shape)
            except AttributeError:
                shapes.append(None)
        return shapes

    def build(self, input_shape: Shape) -> None:
        """Build a subclassed model: run ``call`` once on zeros so every layer it uses creates its weights.

        Keras builds a subclassed model the same way, by tracing ``call``;
        a subclass may define its own ``build`` instead.
        """
        if getattr(type(self), "call", None) is not None:
            dry_run_shape(self, input_shape)

    def __setattr__(self, key: str, value: Any) -> None:
        # Keras tracks lists of layers assigned to a subclassed model (`self.blocks = [Dense(8), Dense(8)]`);
        # register each as a submodule so its weights are trained, saved and moved with the model.
        if not key.startswith("_") and isinstance(value, (list, tuple)) and value \
                and all(isinstance(v, Layer) for v in value) and "_modules" in self.__dict__:
            for i, layer in enumerate(value):
                self.add_module(f"{key}_{i}", layer)
        super().__setattr__(key, value)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Model":
        """Rebuild a model from its config; ``Model.from_config`` reads Keras's functional schema, as in Keras.

        Example:
            >>> from convlens import Model, layers
            >>> x = layers.Input((3,))
            >>> Model.from_config(Model(x, layers.Dense(2)(x)).get_config()).output_shape
            (None, 2)
        """
        if cls is Model and "input_layers" in config:
            from .functional import Functional  # at call time: functional.py imports this module

            return Functional.from_config(config)
        return super().from_config(config)  # type: ignore[return-value]

    @property
    def layer_connections(self) -> list[str] | None:
        """Per layer, the layers it reads (the summary's "Connected to" column); ``None`` for a plain stack."""
        return None

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or position.

        Raises:
            ValueError: for an unknown name (the message lists the valid ones)
                or an index out of range.

        Example:
            >>> from convlens import Sequential, layers
            >>> Sequential([layers.Dense(2, name="out")]).get_layer("out").units
            2
        """
        if (name is None) == (index is None):
            raise ValueError("Provide exactly one of `name` or `index` to get_layer().")
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has {len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: {[l.name for l in self.layers]}.")

    def iter_layers(self) -> Iterator[Layer]:
        """Every layer, recursively (layers of nested models included)."""
        for layer in self.layers:
            yield layer
            if isinstance(layer, Model):
                yield from layer.iter_layers()

    @property
    def weights(self) -> list[torch.Tensor]:
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list[torch.Tensor]:
        return [w for layer in self.layers for w in layer.trainable_weights] if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        if not self.trainable:
            return self.weights
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    def count_params(self) -> int:
        """Total weight scalars of all layers (Keras's "Total params")."""
        if not self.built:
            raise ValueError(
                f"Model '{self.name}' isn't built yet: give the first layer `input_shape=`, start with "
                "`layers.Input(shape)`, or call the model on data first."
            )
        return sum(layer.count_params() for layer in self.layers)

    def get_weights(self) -> list[np.ndarray]:
        """All weights in Keras's layouts, layer by layer."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: list[Any]) -> None:
        """Set all weights (Keras layouts); checked completely before any layer changes."""
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(f"Model '{self.name}' expects {expected} weight arrays; received {len(weights)}.")
        snapshot = [layer.get_weights() for layer in self.layers]
        position = 0
        try:
            for layer in self.layers:
                count = len(layer.weights)
                layer.set_weights(weights[position : position + count])
                position += count
        except ValueError:
            for layer, old in zip(self.layers, snapshot):
                layer.set_weights(old)
            raise

    def summary(self, line_length: int | None = None, print_fn: Any = None, explain: bool = False) -> None:
        """Print Keras's summary table: per layer the output shape and parameter count, then totals.

        Args:
            line_length: table width in characters (88).
            print_fn: called with each line instead of printing.
            explain: add, under the table, each layer's output-size formula with the numbers put
                in, the parameter arithmetic, receptive field, multiply-adds and activation memory.

        Example:
            >>> from convlens import Sequential, layers
            >>> Sequential([layers.Input((28, 28, 1)), layers.Conv2D(32, 3)]).summary()  # doctest: +ELLIPSIS
            Model: "sequential..."
            ...
        """
        if not self.built:
            raise ValueError(
                f"Model '{self.name}' isn't built yet, so it has no shapes to show: give the first layer "
                "`input_shape=`, start with `layers.Input(shape)`, or call the model on data first."
            )
        if explain:
            from ..lens.explain import format_explained_summary

            text = format_explained_summary(self, line_length=line_length)
            for line in text.rstrip("\n").split("\n"):
                (print_fn or print)(line)
            return
        summary_lib.print_summary(self, line_length=line_length, print_fn=print_fn)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"

    # --------------------------------------------------------------- saving
    def save(self, filepath: Any, overwrite: bool = True) -> None:
        """Write a Keras 3 ``.keras`` archive (config + weights) that Keras itself can load.

        Example:
            >>> from convlens import zoo
            >>> zoo.create("lenet5").save("/tmp/lenet5.keras")
        """
        from . import saving

        saving.save_model(self, filepath, overwrite=overwrite)

    def to_json(self, **kwargs: Any) -> str:
        """The architecture as Keras's JSON (``keras.models.model_from_json`` reads it back; no weights).

        Example:
            >>> from convlens import Sequential, layers
            >>> '"class_name": "Sequential"' in Sequential([layers.Input((3,)), layers.Dense(2)]).to_json()
            True
        """
        import json

        from .keras_format import model_to_config

        return json.dumps(model_to_config(self), **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Write the weights alone in Keras's ``.weights.h5`` layout."""
        from . import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any) -> None:
        """Load weights saved by ``save_weights`` (convlens's or Keras's); all-or-nothing."""
        from . import saving

        saving.load_weights(self, filepath)

    @property
    def device(self) -> torch.device:
        """Where the model's weights live."""
        for tensor in self.parameters():
            return tensor.device
        for tensor in self.buffers():
            return tensor.device
        return torch.device("cpu")

    def _convert_inputs(self, x: Any) -> Any:
        """Data → a tensor on the model's device; symbolic tensors pass through (they build a graph)."""
        return x if isinstance(x, torch.Tensor) or is_symbolic(x) else to_tensor(x, device=self.device)

    def __call__(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        if args:
            args = (self._convert_inputs(args[0]), *args[1:])
        return super().__call__(*args, training=training, **kwargs)
