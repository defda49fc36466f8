"""The data of a model with several inputs or outputs: ``x``, ``y`` and ``sample_weight`` as flat lists, in the model's order.

Keras accepts, for a functional model with named inputs and outputs:

- ``x`` as a list (or tuple) with one array per input, or a dict by
  ``Input`` name;
- ``y`` as a list with one array per output, or a dict by output-layer name;
- ``sample_weight`` as one array (it weighs every output) or a list with
  one array per output; a dict by output name is read by name here, where
  Keras 3.15 fails on it;
- datasets yielding ``(x, y)`` or ``(x, y, sample_weight)`` batches made of
  the same structures (tuples, lists or dicts).

Everything becomes one flat tuple of tensors ``(x_1..x_m, y_1..y_n, w...)``
(no weights, one shared, or one per output), which batches by indexing as
a single-input model's ``(x, y)`` does; ``ModelIO.split`` cuts a batch back.
One weight array shared by the outputs is stored once.

Example:
    >>> import numpy as np
    >>> io = ModelIO(["a", "b"], ["out"], "model")
    >>> flat = io.arrays({"a": np.zeros((4, 2)), "b": np.ones((4, 3))}, [np.arange(4)], None, "x")
    >>> [tuple(t.shape) for t in flat]
    [(4, 2), (4, 3), (4,)]
    >>> xs, ys, weights = io.split(flat)
    >>> len(xs), len(ys), weights
    (2, 1, None)
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch

from .data import as_tensor, check_same_length, unpack_weighted

__all__ = ["ModelIO", "single"]

Batch = tuple[torch.Tensor, ...]


class ModelIO:
    """A model's input and output names, and the flattening of data into them.

    Args:
        inputs: the input names (``Input`` names), in the model's order.
        outputs: the output-layer names, in the model's order.
        model: the model's name (for messages).
    """

    def __init__(self, inputs: Sequence[str], outputs: Sequence[str], model: str) -> None:
        self.inputs, self.outputs, self.model = list(inputs), list(outputs), model

    @classmethod
    def of(cls, model: Any, outputs: Sequence[str] | None) -> "ModelIO":
        """The structure of ``model`` (a functional model's ``inputs``; one input otherwise)."""
        try:
            tensors = model.inputs
        except (AttributeError, NotImplementedError):  # not built yet, or a subclassed model: one input
            tensors = None
        inputs = [getattr(t, "name", None) or getattr(getattr(t, "node", None), "layer", None) and t.node.layer.name
                  or f"input_{i}" for i, t in enumerate(tensors or [None])]
        return cls(inputs, outputs or ["output"], model.name)

    @property
    def several(self) -> bool:
        """Whether the model has more than one input or output (the general training step)."""
        return len(self.inputs) > 1 or len(self.outputs) > 1

    def model_input(self, xs: Sequence[torch.Tensor]) -> Any:
        """What the model is called on: the tensor for one input, the list for several."""
        return xs[0] if len(self.inputs) == 1 else list(xs)

    def split(self, batch: Sequence[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor], Any]:
        """``(xs, ys, sample_weights)`` of a flat batch; the weights are None or one per output."""
        m, n = len(self.inputs), len(self.outputs)
        xs, ys, rest = list(batch[:m]), list(batch[m : m + n]), list(batch[m + n :])
        return xs, ys, (None if not rest else rest * n if len(rest) == 1 else rest)

    # ------------------------------------------------------------ flattening
    def first_input(self, x: Any) -> Any:
        """The array of the first input in ``x`` (a list, a dict by name or one array)."""
        return self._inputs(x)[0]

    def one_input(self, x: Any) -> Any:
        """A one-input model's ``x`` given as ``[x]`` or ``{name: x}``, unwrapped (anything else as it is)."""
        return self._inputs(x)[0] if isinstance(x, dict) else single(x)

    def one_target(self, y: Any) -> Any:
        """A one-output model's ``y`` given as ``[y]`` or ``{name: y}``, unwrapped."""
        return self._targets(y)[0] if isinstance(y, dict) else single(y)

    def one_weight(self, sample_weight: Any) -> Any:
        """A one-output model's ``sample_weight`` given as ``[w]`` or ``{name: w}``, unwrapped."""
        return self._weights(sample_weight)[0] if isinstance(sample_weight, dict) else single(sample_weight)

    def arrays(self, x: Any, y: Any, sample_weight: Any, name: str, need_y: bool = True,
               conform: Callable[[int, torch.Tensor], torch.Tensor] | None = None) -> Batch:
        """In-memory ``x``/``y``/``sample_weight`` as one flat tuple of tensors, checked.

        Raises:
            ValueError: for a structure that does not fit the model, with Keras's wording.
        """
        xs = [as_tensor(v, name) for v in self._inputs(x)]
        if conform is not None:
            xs = [conform(i, v) for i, v in enumerate(xs)]
        for v in xs:
            if v.ndim == 0 or v.shape[0] == 0:
                raise ValueError(f"`{name}` holds no samples: received an array of shape {tuple(v.shape)}.")
        if y is None:
            if need_y:
                raise ValueError(f"`y` is required with array `{name}`: pass the targets, one array per output.")
            flat = xs
        else:
            flat = [*xs, *(as_tensor(v, "y") for v in self._targets(y))]
            if sample_weight is not None:
                flat += [as_tensor(v, "sample_weight").float() for v in self._weights(sample_weight)]
        for v in flat[1:]:
            check_same_length(flat[0], v)
        return tuple(flat)

    def batch(self, data: Any, device: torch.device,
              conform: Callable[[int, torch.Tensor], torch.Tensor] | None = None) -> Batch:
        """One dataset batch, ``(x, y[, sample_weight])`` or ``x``, as a flat tuple of tensors on ``device``."""
        x, y, sample_weight = unpack_weighted(data, "a dataset batch")
        flat = self.arrays(x, y, sample_weight, "x", need_y=False, conform=None)
        flat = tuple(t.to(device, non_blocking=True) for t in flat)
        if conform is not None:
            flat = (*(conform(i, v) for i, v in enumerate(flat[: len(self.inputs)])), *flat[len(self.inputs) :])
        return flat

    def _inputs(self, x: Any) -> list[Any]:
        names = self.inputs
        if isinstance(x, dict):
            return _by_name(x, names, "input")  # other keys are ignored, as in Keras
        if len(names) == 1:
            return [single(x)]
        if not isinstance(x, (list, tuple)) or len(x) != len(names):
            received = len(x) if isinstance(x, (list, tuple)) else 1
            raise ValueError(
                f'Layer "{self.model}" expects {len(names)} named input(s) with keys {names}, but it received '
                f"{received} input tensors. Pass inputs as a dict, e.g. `layer({{{', '.join(repr(n) + ': ...' for n in names)}}})`."
            )
        return list(x)

    def _targets(self, y: Any) -> list[Any]:
        names = self.outputs
        if isinstance(y, dict):
            values = _by_name(y, names, "output")
            unknown = [k for k in y if k not in names]
            if unknown:
                raise ValueError(f"Unexpected keys {unknown} in the targets dict. Expected the following keys "
                                 f"(the model's output names): {names}")
            return values
        if len(names) == 1:
            return [single(y)]
        if not isinstance(y, (list, tuple)) or len(y) != len(names):
            count = len(y) if isinstance(y, (list, tuple)) else 1
            raise ValueError("y_true and y_pred have different structures.\n"
                             f"y_true: {['*'] * count}\ny_pred: {['*'] * len(names)}\n")
        return list(y)

    def _weights(self, sample_weight: Any) -> list[Any]:
        names = self.outputs
        if isinstance(sample_weight, dict):
            return _by_name(sample_weight, names, "output")
        per_output = isinstance(sample_weight, (list, tuple)) and len(sample_weight) > 0 and all(
            hasattr(w, "shape") or isinstance(w, (list, tuple)) for w in sample_weight)
        if per_output:
            if len(sample_weight) == 1 or len(sample_weight) == len(names):
                return list(sample_weight)
            raise ValueError("You should provide one `sample_weight` array per output in `y`. The two structures "
                             f"did not match:\n- y: {['*'] * len(names)}\n- sample_weight: {['*'] * len(sample_weight)}\n")
        return [sample_weight]  # one array: it weighs every output


def _by_name(data: dict[str, Any], names: list[str], kind: str) -> list[Any]:
    """``data``'s values in the order of ``names``; a missing name raises Keras's "Missing data" error."""
    missing = [n for n in names if n not in data]
    if missing:
        raise ValueError(f'Missing data for {kind} "{missing[0]}". You passed a data dictionary with keys '
                         f"{list(data)}. Expected the following keys: {names}")
    return [data[n] for n in names]


def single(value: Any) -> Any:
    """``value`` unwrapped from a one-element list or tuple of arrays (Keras's ``[x]`` for one input), else as is.

    Example:
        >>> single([np.zeros(3)]).shape, single([1, 2])
        ((3,), [1, 2])
    """
    if isinstance(value, (list, tuple)) and len(value) == 1 and isinstance(value[0], (np.ndarray, torch.Tensor)):
        return value[0]
    return value
