"""``Input`` / ``InputLayer``: declares the shape a model takes, without the batch axis.

``Input`` returns the layer's symbolic output tensor, as ``keras.Input`` does:
calling layers on it builds a functional model, and ``Sequential`` takes it as
its first element.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from .base import Layer, Shape
from .keras_tensor import KerasTensor, Node, compute_dtype


class InputLayer(Layer):
    """The entry point of a model; passes its input through unchanged.

    ``output`` is its symbolic tensor, the one ``Input`` returns.

    Example:
        >>> InputLayer(shape=(28, 28, 1)).batch_shape
        (None, 28, 28, 1)
    """

    def __init__(self, shape: Sequence[int | None] | None = None, batch_size: int | None = None,
                 batch_shape: Sequence[int | None] | None = None, sparse: bool | None = None,
                 input_shape: Sequence[int | None] | None = None, **kwargs: Any) -> None:
        if sparse:
            raise ValueError("InputLayer: sparse inputs are not supported; received sparse=True.")
        if batch_shape is None:
            shape = shape if shape is not None else input_shape
            if shape is None:
                raise ValueError("InputLayer needs `shape` (without the batch axis) or `batch_shape`.")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size, *shape)
        dims = tuple(None if d is None else int(d) for d in batch_shape)
        if any(d is not None and d <= 0 for d in dims):
            raise ValueError(f"InputLayer: sizes must be positive or None; received shape={dims[1:]}.")
        self.batch_shape: Shape = dims
        super().__init__(**kwargs)
        self.built = True
        Node(self, (), {}, [dims], compute_dtype(self)).outputs[0].name = self.name  # `self.output`

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def get_config(self) -> dict[str, Any]:
        # Keras's InputLayer config: no `trainable`, and the dtype as a plain name.
        return {"batch_shape": tuple(self.batch_shape), "dtype": self.dtype_name, "sparse": False, "ragged": False,
                "name": self.name, "optional": False}


def Input(shape: Sequence[int | None] | None = None, batch_size: int | None = None, name: str | None = None,
          dtype: Any = None, batch_shape: Sequence[int | None] | None = None, **kwargs: Any) -> KerasTensor:
    """Declare a model's input, as ``keras.Input(shape=(28, 28, 1))``: a symbolic tensor.

    Call layers on it to build a functional model, or give it to ``Sequential``
    as its first element.

    Example:
        >>> import convlens
        >>> from convlens import Sequential, layers
        >>> Sequential([layers.Input(shape=(28, 28, 1)), layers.Flatten()]).output_shape
        (None, 784)
        >>> x = layers.Input((28, 28, 1))
        >>> convlens.Model(inputs=x, outputs=layers.Flatten()(x)).output_shape
        (None, 784)
    """
    return InputLayer(shape=shape, batch_size=batch_size, batch_shape=batch_shape, name=name, dtype=dtype,
                      **kwargs).output
