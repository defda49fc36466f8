"""What ``fit``/``evaluate``/``predict`` accept as data: checks and conversions, before batching.

Arrays (NumPy, torch, nested lists) become tensors that share memory with
them where possible, keeping their dtype (uint8 images stay uint8; float64
becomes float32 as in Keras); a dataset (an iterable of batches) is passed
through. ``batches.py`` then cuts either into batches on the device.

Example:
    >>> import numpy as np
    >>> as_tensor(np.zeros((2, 28, 28), dtype=np.uint8), "x").dtype
    torch.uint8
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import torch

Pair = tuple[torch.Tensor, torch.Tensor | None]


def resolve_device(device: Any, current: torch.device) -> torch.device:
    """The device to train on: ``None``/``"auto"`` → the model's GPU, else CUDA if available, else CPU.

    Raises:
        ValueError: for an unknown device, or a GPU that is not available.

    Example:
        >>> resolve_device("cpu", torch.device("cpu"))
        device(type='cpu')
    """
    if device is None or device == "auto":
        if current.type != "cpu":
            return current
        return torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"Unknown device: device={device!r}. Allowed: 'auto', 'cpu', 'cuda', 'cuda:<index>', 'mps'.") from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was requested but CUDA is not available here; use device='cpu' or 'auto'.")
        index = torch.cuda.current_device() if resolved.index is None else resolved.index
        if index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r}: there are only {torch.cuda.device_count()} CUDA devices.")
        return torch.device("cuda", index)
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available here; use device='cpu' or 'auto'.")
    if resolved.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"Unsupported device type {resolved.type!r}; allowed are 'cpu', 'cuda', 'mps'.")
    return resolved


def is_array(data: Any) -> bool:
    """Whether ``data`` is an in-memory array (NumPy, torch, or a nested list of numbers).

    Example:
        >>> is_array(np.zeros(3)), is_array([[1, 2], [3, 4]]), is_array([(np.zeros(2), 0)])
        (True, True, False)
    """
    if isinstance(data, (np.ndarray, torch.Tensor)):
        return True
    return isinstance(data, list) and (not data or not isinstance(data[0], (tuple, dict)))


def as_tensor(data: Any, name: str) -> torch.Tensor:
    """A torch tensor sharing memory with ``data`` where possible; float64 becomes float32 (Keras's floatx).

    Raises:
        TypeError: for data that is not numeric.

    Example:
        >>> as_tensor(np.zeros(2), "x").dtype, as_tensor([1, 2], "y").dtype
        (torch.float32, torch.int64)
    """
    if not isinstance(data, torch.Tensor):
        array = np.asarray(data)
        if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise TypeError(f"`{name}` must hold numbers; received an array of dtype {array.dtype}.")
        if not array.flags.writeable:
            array = array.copy()  # torch requires writable memory
        data = torch.from_numpy(np.ascontiguousarray(array))
    if data.dtype == torch.float64:
        data = data.float()
    elif data.dtype == torch.bool:
        data = data.float()
    elif not data.is_floating_point() and data.dtype != torch.uint8:
        data = data.long()  # class ids: int64 is what gather/one-hot want
    return data.detach()


def unpack_weighted(data: Any, name: str) -> tuple[Any, Any, Any]:
    """``(x, y, sample_weight)`` from ``(x, y, sample_weight)``, ``(x, y)``, ``(x,)`` or ``x`` (missing parts: None).

    Example:
        >>> unpack_weighted((np.zeros(2), np.ones(2)), "validation_data")[2] is None
        True
    """
    if isinstance(data, (tuple, list)) and not is_array(data):
        if 1 <= len(data) <= 3:
            return (*data, *(None,) * (3 - len(data)))  # type: ignore[return-value]
        raise ValueError(f"`{name}` must be (x, y), (x, y, sample_weight) or x alone; "
                         f"received a tuple of {len(data)} elements.")
    if isinstance(data, list) and len(data) == 2 and all(is_array(d) for d in data):
        return data[0], data[1], None
    return data, None, None


def unpack(data: Any, name: str) -> tuple[Any, Any]:
    """``(x, y)`` from ``(x, y)``, ``(x,)`` or ``x``, where sample weights have no meaning.

    Raises:
        ValueError: for sample weights (a third element).

    Example:
        >>> unpack((np.zeros(2), np.ones(2)), "validation_data")[1]
        array([1., 1.])
    """
    x, y, sample_weight = unpack_weighted(data, name)
    if sample_weight is not None:
        raise ValueError(f"`{name}` must be (x, y) (or x alone) here; received sample weights as a third element.")
    return x, y


def split_validation(arrays: tuple[torch.Tensor | None, ...], validation_split: float) -> tuple[tuple, tuple]:
    """Keras's ``validation_split`` of ``(x, y[, sample_weight])``: the *last* fraction of the samples, before shuffling.

    Raises:
        ValueError: when either part would be empty.

    Example:
        >>> (xt, _), (xv, _) = split_validation((torch.arange(10), torch.arange(10)), 0.2)
        >>> xv.tolist()
        [8, 9]
    """
    n = arrays[0].shape[0]  # type: ignore[union-attr]
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"Training data contains {n} samples, which is not sufficient to split it into a validation and "
            f"training set as specified by `validation_split={validation_split}`. Either provide more data, "
            "or a different value for the `validation_split` argument."
        )
    train = tuple(None if a is None else a[:split_at] for a in arrays)
    val = tuple(None if a is None else a[split_at:] for a in arrays)
    return train, val


def conform_input(x: torch.Tensor, expected: Sequence[int | None] | None, model_name: str,
                  index: int = 0) -> torch.Tensor:
    """Check ``x``'s rank against the model's input shape; add or drop a trailing channel axis of 1 as Keras does.

    Keras lets ``(N, 28, 28)`` images feed an ``Input((28, 28, 1))`` model
    (and the reverse); the adjustment is a view, so it costs nothing. Other
    sizes are the layers' business, as in Keras: a model built for 28×28
    images runs on 32×32 ones where its layers allow it (convolutions,
    pooling, global pooling), and a layer that cannot take them raises,
    naming itself (a ``Dense`` after ``Flatten``: "expected axis -1 of input
    shape to have value 144").

    Raises:
        ValueError: for a rank that does not fit, naming the model and the expected and received shapes.

    Example:
        >>> conform_input(torch.zeros(2, 28, 28), (None, 28, 28, 1), "sequential").shape
        torch.Size([2, 28, 28, 1])
        >>> conform_input(torch.zeros(2, 32, 32, 1), (None, 28, 28, 1), "sequential").shape
        torch.Size([2, 32, 32, 1])
    """
    if expected is None:
        return x
    reference = tuple(expected[1:])
    if x.ndim - 1 == len(reference) - 1 and reference and reference[-1] == 1:
        x = x.unsqueeze(-1)
    elif x.ndim - 1 == len(reference) + 1 and x.shape[-1] == 1:
        x = x.squeeze(-1)
    received = tuple(x.shape[1:])
    if len(received) != len(reference):
        raise ValueError(
            f'Input {index} of layer "{model_name}" is incompatible with the layer: expected shape={tuple(expected)}, '
            f"found shape={(None, *received)}"
        )
    return x


def check_same_length(x: torch.Tensor, y: torch.Tensor | None) -> None:
    """Raise ``ValueError`` when ``x`` and ``y`` hold different numbers of samples.

    Example:
        >>> check_same_length(torch.zeros(3, 2), torch.zeros(3))
    """
    if y is not None and x.shape[0] != y.shape[0]:
        raise ValueError(
            f"Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. "
            f"'x' sizes: {x.shape[0]}, 'y' sizes: {y.shape[0]}"
        )


def expected_input_shape(model: Any) -> tuple[int | None, ...] | None:
    """The model's input shape (batch axis first) when it declares one, else None.

    Example:
        >>> from convlens import Sequential, layers
        >>> expected_input_shape(Sequential([layers.Input((4,)), layers.Dense(2)]))
        (None, 4)
    """
    try:
        return tuple(model.input_shape)
    except (AttributeError, NotImplementedError):
        return None


def prepare_inputs(model: Any, x: Any, y: Any, name: str, need_y: bool = True) -> Pair | Any:
    """Arrays → checked ``(x, y)`` tensors (still where they were); a dataset is returned as is.

    Builds ``model`` from the data's shape when it is not built yet, checks
    ``x`` against its input shape and ``x``/``y`` against each other.

    Raises:
        ValueError: for missing, empty or mismatched data.
        TypeError: for data that is neither an array nor an iterable of batches.

    Example:
        >>> from convlens import Sequential, layers
        >>> model = Sequential([layers.Input((28, 28, 1)), layers.Flatten()])
        >>> x, y = prepare_inputs(model, np.zeros((2, 28, 28), np.uint8), [3, 5], "x")
        >>> tuple(x.shape), x.dtype, y.tolist()
        ((2, 28, 28, 1), torch.uint8, [3, 5])
    """
    if x is None:
        raise ValueError(f"`{name}` is required: pass images (N, H, W, C) or a dataset of (x, y) batches.")
    if not is_array(x):
        if y is not None:
            raise ValueError(f"`y` must not be given when `{name}` is a dataset: its batches already hold the labels.")
        if not hasattr(x, "__iter__"):
            raise TypeError(f"`{name}` must be an array or an iterable of batches; received {type(x).__name__}.")
        if not getattr(model, "built", True):  # build from the first batch (datasets must be re-iterable)
            first = as_tensor(unpack_weighted(next(iter(x)), "a dataset batch")[0], name)
            model.build_from_shape((None, *first.shape[1:]))
        return x
    x = as_tensor(x, name)
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"`{name}` holds no samples: received an array of shape {tuple(x.shape)}.")
    if need_y and y is None:
        raise ValueError(f"`y` is required with array `{name}`: pass the labels, one per sample.")
    if not getattr(model, "built", True):
        model.build_from_shape((None, *x.shape[1:]))
    x = conform_input(x, expected_input_shape(model), model.name)
    if y is None:
        return x, None
    y = as_tensor(y, "y")
    check_same_length(x, y)
    return x, y
