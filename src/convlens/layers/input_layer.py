"""``Input`` / ``InputLayer``: declares the shape a model takes, without the batch axis."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from .base import Layer, Shape


class InputLayer(Layer):
    """The entry point of a model; passes its input through unchanged.

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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "batch_shape": list(self.batch_shape), "sparse": False}


def Input(shape: Sequence[int | None] | None = None, batch_size: int | None = None, name: str | None = None,
          dtype: Any = None, batch_shape: Sequence[int | None] | None = None, **kwargs: Any) -> InputLayer:
    """Declare a model's input shape, as ``keras.Input(shape=(28, 28, 1))``.

    In convlens this returns an ``InputLayer`` that ``Sequential`` takes as
    its first element.

    Example:
        >>> from convlens import Sequential, layers
        >>> model = Sequential([layers.Input(shape=(28, 28, 1)), layers.Flatten()])
        >>> model.output_shape
        (None, 784)
    """
    return InputLayer(shape=shape, batch_size=batch_size, batch_shape=batch_shape, name=name, dtype=dtype, **kwargs)
