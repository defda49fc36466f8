"""``keras.ops``: the tensor functions CNN tutorials call, on torch tensors.

Each takes NumPy arrays, Python numbers or torch tensors and returns a torch
tensor, as Keras's ops do on its torch backend; ``convert_to_numpy`` goes back.

Example:
    >>> from convlens.keras import ops
    >>> ops.argmax(ops.softmax([[1.0, 3.0, 2.0]]), axis=-1).tolist()
    [1]
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

__all__ = [
    "abs", "argmax", "argmin", "cast", "clip", "concatenate", "convert_to_numpy", "convert_to_tensor", "equal", "exp",
    "expand_dims", "log", "log_softmax", "matmul", "max", "maximum", "mean", "min", "minimum", "one_hot", "ones",
    "relu", "reshape", "shape", "sigmoid", "softmax", "sqrt", "square", "squeeze", "stack", "sum", "top_k",
    "transpose", "where", "zeros",
]

_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32, "float64": torch.float64,
           "int8": torch.int8, "uint8": torch.uint8, "int16": torch.int16, "int32": torch.int32,
           "int64": torch.int64, "bool": torch.bool}


def _dtype(dtype: Any) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in _DTYPES:
        raise ValueError(f"Unsupported dtype: received dtype={dtype!r}; allowed are {sorted(_DTYPES)}.")
    return _DTYPES[name]


def convert_to_tensor(x: Any, dtype: Any = None) -> torch.Tensor:
    """A torch tensor from an array, list or number (float64 NumPy becomes float32, as Keras's floatx)."""
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if dtype is not None:
        return t.to(_dtype(dtype))
    return t.to(torch.float32) if t.dtype == torch.float64 and not isinstance(x, torch.Tensor) else t


def convert_to_numpy(x: Any) -> np.ndarray:
    """A NumPy array of ``x`` (moved to the CPU, detached from autograd)."""
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


_t = convert_to_tensor


def _axes(axis: int | Sequence[int] | None) -> Any:
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def expand_dims(x: Any, axis: int) -> torch.Tensor:
    return _t(x).unsqueeze(axis)


def squeeze(x: Any, axis: int | None = None) -> torch.Tensor:
    return _t(x).squeeze() if axis is None else _t(x).squeeze(axis)


def reshape(x: Any, newshape: Sequence[int]) -> torch.Tensor:
    return _t(x).reshape(tuple(newshape))


def transpose(x: Any, axes: Sequence[int] | None = None) -> torch.Tensor:
    t = _t(x)
    return t.permute(*reversed(range(t.ndim))) if axes is None else t.permute(*axes)


def shape(x: Any) -> tuple[int, ...]:
    return tuple(_t(x).shape)


def cast(x: Any, dtype: Any) -> torch.Tensor:
    return _t(x).to(_dtype(dtype))


def concatenate(xs: Sequence[Any], axis: int = 0) -> torch.Tensor:
    return torch.cat([_t(x) for x in xs], dim=axis)


def stack(xs: Sequence[Any], axis: int = 0) -> torch.Tensor:
    return torch.stack([_t(x) for x in xs], dim=axis)


def _float(x: Any) -> torch.Tensor:
    t = _t(x)
    return t if t.is_floating_point() else t.to(torch.float32)


def softmax(x: Any, axis: int = -1) -> torch.Tensor:
    return torch.softmax(_float(x), dim=axis)


def log_softmax(x: Any, axis: int = -1) -> torch.Tensor:
    return torch.log_softmax(_t(x), dim=axis)


def sigmoid(x: Any) -> torch.Tensor:
    return torch.sigmoid(_t(x))


def relu(x: Any) -> torch.Tensor:
    return torch.relu(_t(x))


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    return torch.argmax(_t(x), dim=axis, keepdim=keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    return torch.argmin(_t(x), dim=axis, keepdim=keepdims)


def _reduce(fn: Any, x: Any, axis: Any, keepdims: bool) -> torch.Tensor:
    t = _t(x)
    return fn(t) if axis is None else fn(t, dim=_axes(axis), keepdim=keepdims)


def mean(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> torch.Tensor:
    return _reduce(torch.mean, _float(x), axis, keepdims)


def sum(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A001
    return _reduce(torch.sum, x, axis, keepdims)


def max(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A001
    return _reduce(torch.amax, x, axis, keepdims)


def min(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A001
    return _reduce(torch.amin, x, axis, keepdims)


def maximum(x1: Any, x2: Any) -> torch.Tensor:
    return torch.maximum(_t(x1), _t(x2))


def minimum(x1: Any, x2: Any) -> torch.Tensor:
    return torch.minimum(_t(x1), _t(x2))


def abs(x: Any) -> torch.Tensor:  # noqa: A001
    return torch.abs(_t(x))


def exp(x: Any) -> torch.Tensor:
    return torch.exp(_t(x))


def log(x: Any) -> torch.Tensor:
    return torch.log(_t(x))


def sqrt(x: Any) -> torch.Tensor:
    return torch.sqrt(_t(x))


def square(x: Any) -> torch.Tensor:
    return torch.square(_t(x))


def clip(x: Any, x_min: float, x_max: float) -> torch.Tensor:
    return torch.clamp(_t(x), x_min, x_max)


def matmul(x1: Any, x2: Any) -> torch.Tensor:
    return torch.matmul(_t(x1), _t(x2))


def equal(x1: Any, x2: Any) -> torch.Tensor:
    return torch.eq(_t(x1), _t(x2))


def where(condition: Any, x1: Any, x2: Any) -> torch.Tensor:
    return torch.where(_t(condition).bool(), _t(x1), _t(x2))


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = "float32") -> torch.Tensor:
    out = torch.nn.functional.one_hot(_t(x).long(), num_classes).to(_dtype(dtype))
    return out if axis == -1 else out.movedim(-1, axis)


def top_k(x: Any, k: int, sorted: bool = True) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: A002
    values, indices = torch.topk(_t(x), k, dim=-1, sorted=sorted)
    return values, indices


def ones(shape: Sequence[int], dtype: Any = "float32") -> torch.Tensor:
    return torch.ones(tuple(shape), dtype=_dtype(dtype))


def zeros(shape: Sequence[int], dtype: Any = "float32") -> torch.Tensor:
    return torch.zeros(tuple(shape), dtype=_dtype(dtype))
