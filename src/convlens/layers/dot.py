"""Dot: the per-sample dot product of two tensors along one axis of each (Keras's ``batch_dot``)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch
import torch.nn.functional as F

from .base import Shape
from .merging import BaseMerge


class Dot(BaseMerge):
    """Contract axis ``axes[0]`` of ``x1`` with axis ``axes[1]`` of ``x2``, sample by sample.

    The output keeps ``x1``'s other axes, then ``x2``'s; two vectors give
    ``(N, 1)``. ``normalize=True`` L2-normalises both along the contracted axes
    first, so the result is the cosine similarity.

    Example:
        >>> Dot(axes=1)([torch.ones(2, 3), torch.full((2, 3), 2.0)]).tolist()
        [[6.0], [6.0]]
    """

    num_inputs = 2

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any) -> None:
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Invalid type for argument `axes`: it should be a list or an int. Received: axes={axes}")
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes`: it should contain two elements. Received: axes={axes}")
            if not all(isinstance(a, int) for a in axes):
                raise ValueError(
                    f"Invalid format for argument `axes`: list elements should be integers. Received: axes={axes}"
                )
        self.axes = axes  # kept as given (int, list or tuple), as Keras writes it in its config
        self.normalize = bool(normalize)
        super().__init__(**kwargs)

    def _axes(self, rank1: int, rank2: int) -> tuple[int, int]:
        a, b = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        return a % rank1, b % rank2

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> Shape:
        shape1, shape2 = self._check_inputs(input_shape)
        a, b = self._axes(len(shape1), len(shape2))
        if shape1[a] is not None and shape2[b] is not None and shape1[a] != shape2[b]:
            raise ValueError(
                f"Incompatible input shapes: axis values {shape1[a]} (at axis {a}) != {shape2[b]} (at axis {b}). "
                f"Full input shapes: {shape1}, {shape2}"
            )
        rest = [*shape1[1:a], *shape1[a + 1:], *shape2[1:b], *shape2[b + 1:]]
        return (shape1[0], *(rest or [1]))

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        x1, x2 = inputs
        a, b = self._axes(x1.ndim, x2.ndim)
        if self.normalize:
            x1, x2 = F.normalize(x1, dim=a), F.normalize(x2, dim=b)
        left = x1.movedim(a, -1)  # (N, *A, K)
        right = x2.movedim(b, 1)  # (N, K, *B)
        a_shape, b_shape = left.shape[1:-1], right.shape[2:]
        y = torch.bmm(left.reshape(len(x1), math.prod(a_shape), -1), right.reshape(len(x2), right.shape[1], -1))
        return y.reshape(len(x1), *a_shape, *b_shape) if (a_shape or b_shape) else y.reshape(len(x1), 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs: Sequence[Any], axes: int | Sequence[int] = -1, **kwargs: Any) -> Any:
    """The functional interface to :class:`Dot`: ``Dot(axes, **kwargs)(inputs)``.

    Example:
        >>> dot([torch.ones(2, 3), torch.ones(2, 3)], axes=1).tolist()
        [[3.0], [3.0]]
    """
    return Dot(axes=axes, **kwargs)(inputs)
