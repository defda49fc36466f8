"""What ``fit``/``evaluate``/``predict`` accept as data, checked and batched on the device (a mixin of ``Trainer``).

Arrays are checked once, up front (shapes, lengths, class ids), then cut
into batches on the device (``batches.py``); a dataset's batches are
converted as they arrive. A model with one input and one output gets
``(x, y[, sample_weight])`` tuples; the general step (several inputs or
outputs) gets the flat tuples of ``structure.py``.
"""

from __future__ import annotations

from typing import Any

import torch

from ..distribution import engine_hooks as distributed
from . import losses as losses_lib
from .batches import ArrayBatches, DatasetBatches, make_batches
from .compile_utils import output_names
from .data import (as_tensor, check_same_length, conform_input, expected_input_shape, is_array, prepare_inputs,
                   resolve_device)
from .host_memory import retain_freed_memory
from .structure import ModelIO

__all__ = ["Inputs", "in_memory"]

Batches = ArrayBatches | DatasetBatches


class Inputs:
    """Data handling of ``Trainer``: ``self`` is the model."""

    def _structure(self) -> ModelIO:
        """The model's inputs and outputs (``compile`` keeps them; ``predict`` may come first)."""
        return self._io if self._io is not None else ModelIO.of(self, output_names(self))

    def _inputs(self, x: Any, y: Any, name: str, need_y: bool = True, sample_weight: Any = None) -> Any:
        """Arrays → checked tensors, ``(x, y[, sample_weight])`` or the general step's flat tuple; a dataset as it is."""
        io = self._structure()
        if (self._general or io.several) and in_memory(x):
            data = io.arrays(x, y, sample_weight, name, need_y, self._conform)
            if y is not None:
                self._check_sparse_labels(io.split(data)[1])
            return data
        if in_memory(x):  # one input and output, perhaps given as [x] or {name: x}, as Keras allows
            x, y, sample_weight = io.one_input(x), io.one_target(y), io.one_weight(sample_weight)
        data = prepare_inputs(self, x, y, name, need_y)
        if isinstance(data, tuple) and data[1] is not None:
            self._check_sparse_labels([data[1]])
        if sample_weight is None:
            return data
        if not isinstance(data, tuple):
            raise ValueError("`sample_weight` is for arrays; a dataset yields (x, y, sample_weight) batches instead.")
        weights = as_tensor(sample_weight, "sample_weight").float()
        check_same_length(data[0], weights)
        return (*data, weights)

    def _weighted_inputs(self, x: Any, y: Any, sample_weight: Any, name: str) -> Any:
        """``_inputs``, with the sample weights appended when ``sample_weight`` is given."""
        return self._inputs(x, y, name, sample_weight=sample_weight)

    def _conform(self, index: int, x: torch.Tensor) -> torch.Tensor:
        """Input ``index`` checked against the model's declared input shape (``conform_input``)."""
        inputs = getattr(self, "inputs", None)
        expected = inputs[index].shape if inputs else expected_input_shape(self)
        return conform_input(x, expected, self.name, index)  # type: ignore[attr-defined]

    def _check_sparse_labels(self, ys: list[torch.Tensor]) -> None:
        # Out-of-range class ids would fail deep inside the loss (on a GPU as a
        # device-side assert that ends the process); one check of the whole
        # array up front gives a clear error instead.
        if self._compiled_loss is None:
            return
        try:
            shapes = self.output_shape  # type: ignore[attr-defined]
        except (AttributeError, NotImplementedError):
            return
        shapes = [shapes] if len(ys) == 1 else shapes
        for y, loss_fn, shape in zip(ys, self._compiled_loss.losses, shapes):
            sparse = isinstance(loss_fn, losses_lib.LossFunctionWrapper) and \
                loss_fn.fn is losses_lib.sparse_categorical_crossentropy
            classes = shape[-1] if sparse and shape else None
            if classes is None or y.numel() == 0:
                continue
            low, high = int(y.min()), int(y.max())
            if low < 0 or high >= classes:
                raise ValueError(
                    f"Received a label value of {low if low < 0 else high} which is outside the valid range of "
                    f"[0, {classes}) for the model's {classes} outputs. Labels must be class ids 0..{classes - 1}."
                )

    def _batches(self, data: Any, device: torch.device, batch_size: int | None, shuffle: bool, steps: int | None,
                 generator: torch.Generator | None = None) -> Batches:
        io = self._structure()
        if self._general or io.several:  # a dataset's batches become flat tuples, as in-memory data does
            convert = lambda batch: io.batch(batch, device, self._conform)  # noqa: E731
            batches = make_batches(data, device, batch_size, shuffle, steps, generator, convert=convert)
        else:
            batches = make_batches(data, device, batch_size, shuffle, steps, generator,
                                   conform=lambda x: self._conform(0, x))
        return distributed.shard(batches, self._tracker)  # data parallel: this process's slices, global metrics

    def _move_to(self, device: torch.device) -> None:
        """Move the model (and any optimizer state) to ``device``; on a CPU, keep freed memory for reuse."""
        if device.type == "cpu":
            retain_freed_memory()  # 18.2 -> 12.9 s per epoch of the MNIST convnet: see host_memory.py
        if self.device == device:  # type: ignore[attr-defined]
            return
        self.to(device)  # type: ignore[attr-defined]
        optimizer = self.optimizer
        if optimizer is not None and getattr(optimizer, "state", None):
            # load_state_dict places each state tensor next to its weight.
            optimizer.load_state_dict(optimizer.state_dict())

    def _batch_on_device(self, x: Any, y: Any, sample_weight: Any = None) -> tuple[torch.Tensor, ...]:
        if not in_memory(x):
            raise TypeError(f"*_on_batch() takes one batch of arrays; received {type(x).__name__}.")
        batch = self._weighted_inputs(x, y, sample_weight, "x")
        self._move_to(resolve_device(None, self.device))
        return tuple(t.to(self.device) for t in batch)  # type: ignore[union-attr]


def in_memory(x: Any) -> bool:
    """Whether ``x`` is arrays (one, or a list, tuple or dict of them) rather than a dataset of batches."""
    if isinstance(x, dict) or is_array(x):
        return True
    return isinstance(x, tuple) and len(x) > 0 and all(is_array(v) for v in x)
