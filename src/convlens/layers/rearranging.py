"""Layers that rearrange values without computing new ones: Permute (reorder axes) and RepeatVector."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from .base import InputSpec, Layer, Shape


class Permute(Layer):
    """Reorder the non-batch axes: ``dims`` lists them, counted from 1 as in Keras.

    Example:
        >>> Permute((2, 1))(torch.zeros(4, 10, 64)).shape
        torch.Size([4, 64, 10])
    """

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` must be "
                f"consecutive and start from 1. Received dims={tuple(dims)}"
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, *self.dims)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeat a ``(N, F)`` input ``n`` times into ``(N, n, F)``.

    Example:
        >>> RepeatVector(3)(torch.zeros(2, 5)).shape
        torch.Size([2, 3, 5])
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        self.n = n
        self.input_spec = InputSpec(ndim=2)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], self.n, input_shape[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.unsqueeze(1).expand(-1, self.n, -1)  # (N, n, F), a view: no copy until written

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}
