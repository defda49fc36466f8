"""Merge layers: combine a list of tensors into one (``Add``, ``Concatenate``, ...), as Keras's.

Every merge layer is a :class:`BaseMerge` that differs only in how it
combines two tensors. Element-wise merges broadcast like NumPy over the axes
after the batch axis: an input of lower rank gets size-1 axes inserted right
after its batch axis, so ``(N, C)`` merges with ``(N, H, W, C)``.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import torch

from .base import Layer, Shape


def _broadcast(shape1: tuple[int | None, ...], shape2: tuple[int | None, ...]) -> tuple[int | None, ...]:
    """Keras's element-wise output shape of two shapes (batch axis excluded), aligned on the right."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    out = list(shape1[: len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1:
            out.append(j if i == 1 else i)
        elif i != j:
            raise ValueError(f"Inputs have incompatible shapes. Received shapes {shape1} and {shape2}")
        else:
            out.append(i)
    return tuple(out)


class BaseMerge(Layer):
    """Combine a list of tensors element-wise with ``_combine`` (two at a time), as Keras's ``Merge``.

    Subclasses set ``_combine`` (and, for a fixed number of inputs, ``num_inputs``).
    A merge layer has no weights.

    Example:
        >>> import torch
        >>> from convlens import layers
        >>> layers.Add()([torch.ones(2, 3), torch.ones(2, 3)]).sum().item()
        12.0
    """

    accepts_list_input = True  # called on a list of tensors, not on one
    num_inputs: int | None = None  # a fixed count (Subtract: 2), or any count

    @staticmethod
    def _combine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _check_inputs(self, input_shape: Any) -> list[Shape]:
        if not (isinstance(input_shape, (list, tuple)) and input_shape
                and all(isinstance(s, (list, tuple)) for s in input_shape)):
            raise ValueError(
                f"A merge layer ({type(self).__name__} '{self.name}') should be called on a list of inputs. "
                f"Received: input_shape={input_shape} (not a list of shapes)"
            )
        if self.num_inputs is not None and len(input_shape) != self.num_inputs:
            raise ValueError(
                f"A `{type(self).__name__}` layer should be called on exactly {self.num_inputs} inputs. "
                f"Received: input_shape={list(input_shape)}"
            )
        shapes = [tuple(s) for s in input_shape]
        if len({s[0] for s in shapes} - {None}) > 1:
            raise ValueError(f"Cannot merge tensors with different batch sizes. Received tensors with shapes {shapes}")
        return shapes

    def build(self, input_shape: Sequence[Shape]) -> None:
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> Shape:
        shapes = self._check_inputs(input_shape)
        batch = next((s[0] for s in shapes if s[0] is not None), None)
        return (batch, *functools.reduce(_broadcast, (s[1:] for s in shapes)))

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        # Merge layers take a list, which Layer.__call__ does not build from: build here, once.
        if (not self.built and isinstance(inputs, (list, tuple)) and inputs
                and all(isinstance(t, torch.Tensor) for t in inputs)):
            self.build_from_shape([(None, *t.shape[1:]) for t in inputs])
        return super().__call__(inputs, *args, **kwargs)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        rank = max(x.ndim for x in inputs)
        # (N, *1s, *shape): a lower-rank input gets its new axes right after the batch axis, as in Keras.
        aligned = [x.reshape(x.shape[0], *(1,) * (rank - x.ndim), *x.shape[1:]) for x in inputs]
        return functools.reduce(self._combine, aligned)


class Add(BaseMerge):
    """The element-wise sum of the inputs: ``Add()([x1, x2])``.

    Example:
        >>> import torch
        >>> Add()([torch.tensor([[1.0, 2.0]]), torch.tensor([[10.0, 20.0]])])
        tensor([[11., 22.]])
    """

    _combine = staticmethod(torch.add)


class Subtract(BaseMerge):
    """``inputs[0] - inputs[1]``, for exactly two inputs.

    Example:
        >>> import torch
        >>> Subtract()([torch.tensor([[5.0]]), torch.tensor([[2.0]])])
        tensor([[3.]])
    """

    num_inputs = 2
    _combine = staticmethod(torch.sub)


class Multiply(BaseMerge):
    """The element-wise product of the inputs.

    Example:
        >>> import torch
        >>> Multiply()([torch.tensor([[2.0, 3.0]]), torch.tensor([[4.0, 5.0]])])
        tensor([[ 8., 15.]])
    """

    _combine = staticmethod(torch.mul)


class Maximum(BaseMerge):
    """The element-wise maximum of the inputs.

    Example:
        >>> import torch
        >>> Maximum()([torch.tensor([[1.0, 7.0]]), torch.tensor([[4.0, 5.0]])])
        tensor([[4., 7.]])
    """

    _combine = staticmethod(torch.maximum)


class Minimum(BaseMerge):
    """The element-wise minimum of the inputs.

    Example:
        >>> import torch
        >>> Minimum()([torch.tensor([[1.0, 7.0]]), torch.tensor([[4.0, 5.0]])])
        tensor([[1., 5.]])
    """

    _combine = staticmethod(torch.minimum)


class Average(BaseMerge):
    """The element-wise mean of the inputs.

    Example:
        >>> import torch
        >>> Average()([torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 6.0]])])
        tensor([[2., 4.]])
    """

    _combine = staticmethod(torch.add)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        return super().forward(inputs) / len(inputs)


class Concatenate(BaseMerge):
    """Join the inputs along ``axis`` (default the channels); the other axes must match.

    Args:
        axis: the axis to join along (``-1``: channels last).

    Example:
        >>> import torch
        >>> Concatenate()([torch.zeros(2, 4, 4, 3), torch.zeros(2, 4, 4, 5)]).shape
        torch.Size([2, 4, 4, 8])
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"Concatenate: axis must be an int; received axis={axis!r}.")
        self.axis = axis
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> Shape:
        shapes = self._check_inputs(input_shape)
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"A `Concatenate` layer with axis={self.axis} needs inputs of one rank with that axis "
                f"(not the batch axis). Received: input_shape={shapes}"
            )
        axis = self.axis % rank
        out: list[int | None] = []
        for i in range(rank):
            sizes = [s[i] for s in shapes]
            if i == axis:
                out.append(None if None in sizes else sum(sizes))
            elif len(set(sizes) - {None}) > 1:
                raise ValueError(
                    "A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
                    f"axis. Received: input_shape={shapes}"
                )
            else:
                out.append(next((d for d in sizes if d is not None), None))
        return tuple(out)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        return torch.cat(list(inputs), dim=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


def _functional_form(cls: type[BaseMerge]) -> Callable[..., Any]:
    """Keras's lower-case merge function for ``cls``: ``add([x1, x2])`` is ``Add()([x1, x2])``."""
    name = cls.__name__.lower()

    def merge(inputs: Sequence[Any], **kwargs: Any) -> Any:
        return cls(**kwargs)(inputs)

    merge.__name__ = merge.__qualname__ = name
    merge.__doc__ = (
        f"""The functional interface to :class:`{cls.__name__}`: ``{cls.__name__}(**kwargs)(inputs)``.

    Example:
        >>> import torch
        >>> {name}([torch.ones(1, 2), torch.ones(1, 2)]).shape
        torch.Size([1, 2])
    """
    )
    return merge


add = _functional_form(Add)
subtract = _functional_form(Subtract)
multiply = _functional_form(Multiply)
maximum = _functional_form(Maximum)
minimum = _functional_form(Minimum)
average = _functional_form(Average)


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """The functional interface to :class:`Concatenate`: ``Concatenate(axis, **kwargs)(inputs)``.

    Example:
        >>> import torch
        >>> concatenate([torch.zeros(2, 3), torch.zeros(2, 5)]).shape
        torch.Size([2, 8])
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
