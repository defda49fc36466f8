"""Batches on the compute device, from in-memory tensors or from a dataset.

- ``ArrayBatches``: the tensors go to the device once, in their own dtype
  (uint8 images are a quarter of float32's bytes; the model casts each
  batch), and each batch is cut by indexing with a per-pass permutation
  drawn from a dedicated ``torch.Generator``. Nothing runs per sample in
  Python and no DataLoader or worker process is involved.
- ``DatasetBatches``: any iterable of ``(x_batch, y_batch)`` batches (NumPy
  or torch), ideally with ``__len__`` (e.g. ``image_dataset_from_directory``);
  each batch is converted and moved as it arrives.

Example:
    >>> batches = ArrayBatches((torch.arange(5),), batch_size=2, shuffle=False)
    >>> [b[0].tolist() for b in batches.epoch()]
    [[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Iterable, Iterator, Sequence

import torch

from .data import as_tensor, check_same_length, unpack_weighted

__all__ = ["ArrayBatches", "DatasetBatches", "make_batches", "storage_device"]

Batch = tuple[torch.Tensor, ...]

# On a GPU, in-memory data goes to the device when it takes at most this share
# of the free device memory; larger data stays in host memory and each batch
# is copied over as it is used.
_DEVICE_DATA_SHARE = 0.25


def storage_device(arrays: Sequence[torch.Tensor | None], device: torch.device) -> torch.device:
    """Where in-memory data should live: on the compute device unless it would crowd a GPU.

    Example:
        >>> storage_device([torch.zeros(10)], torch.device("cpu"))
        device(type='cpu')
    """
    if device.type != "cuda":
        return device
    nbytes = sum(a.numel() * a.element_size() for a in arrays if a is not None)
    free, _ = torch.cuda.mem_get_info(device)
    return device if nbytes <= _DEVICE_DATA_SHARE * free else torch.device("cpu")


class ArrayBatches:
    """Batches of in-memory tensors: one pass is a (shuffled) permutation cut into ``batch_size`` pieces.

    Args:
        arrays: tensors with the same first dimension, e.g. ``(x, y)``.
        batch_size: samples per batch (the last batch of a pass may be smaller).
        shuffle: draw a new permutation for each pass.
        steps_per_epoch: batches per epoch; as in Keras, a pass then spans
            epochs and an epoch ends early when the data runs out.
        device: where batches are delivered (``arrays`` may live elsewhere).
        generator: the CPU generator the permutations are drawn from.
    """

    def __init__(self, arrays: Sequence[torch.Tensor], batch_size: int, shuffle: bool = False,
                 steps_per_epoch: int | None = None, device: torch.device | None = None,
                 generator: torch.Generator | None = None) -> None:
        self.arrays = tuple(arrays)
        self.size = self.arrays[0].shape[0]
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.steps_per_epoch = steps_per_epoch
        self.device = device or self.arrays[0].device
        self.generator = generator if generator is not None else torch.Generator()
        self.batches_per_pass = max(1, math.ceil(self.size / batch_size))
        self._order: torch.Tensor | None = None  # the current pass's permutation (None: in order)
        self._next = self.batches_per_pass  # next batch of the current pass; a full pass means "start one"

    @property
    def steps(self) -> int:
        """Batches per epoch."""
        return self.steps_per_epoch or self.batches_per_pass

    def epoch(self) -> Iterator[Batch]:
        """The batches of one epoch, on ``self.device``."""
        if self.steps_per_epoch is None or self._next >= self.batches_per_pass:
            self._start_pass()
        for _ in range(self.steps):
            if self._next >= self.batches_per_pass:
                warnings.warn(
                    "Your input ran out of data; interrupting the epoch. Make sure that your data can generate at "
                    "least `steps_per_epoch` batches per epoch.", stacklevel=3,
                )
                return
            yield self._batch(self._next)
            self._next += 1

    def _start_pass(self) -> None:
        self._next = 0
        if self.shuffle:
            self._order = torch.randperm(self.size, generator=self.generator).to(self.arrays[0].device)

    def _batch(self, index: int) -> Batch:
        start = index * self.batch_size
        if self._order is None:
            parts = [a[start : start + self.batch_size] for a in self.arrays]  # views: no copy
        else:
            rows = self._order[start : start + self.batch_size]
            parts = [a.index_select(0, rows) for a in self.arrays]
        if parts[0].device != self.device:
            parts = [p.to(self.device, non_blocking=True) for p in parts]
        return tuple(parts)

    def state_dict(self) -> dict[str, Any]:
        """Where the shuffle stands: the generator, and the current pass if it is unfinished."""
        unfinished = self._next < self.batches_per_pass
        return {
            "generator": self.generator.get_state(),
            "order": self._order.cpu() if unfinished and self._order is not None else None,
            "next": self._next,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self._order = None if state["order"] is None else state["order"].to(self.arrays[0].device)
        self._next = int(state["next"])


class DatasetBatches:
    """Batches from an iterable dataset of ``(x, y)`` (or ``x``) batches, moved to ``device`` one by one.

    Args:
        dataset: re-iterable object yielding batches (NumPy or torch).
        device: where batches are delivered.
        steps_per_epoch: batches per epoch; as in Keras, the iterator then
            continues across epochs and restarts only when exhausted.
        conform: applied to each ``x`` batch (shape checks).
        convert: turns each batch into the tuple of tensors on ``device``
            instead (a model with several inputs or outputs: ``structure.py``).

    Example:
        >>> dataset = [(torch.zeros(2, 3), torch.tensor([0, 1])), (torch.zeros(1, 3), torch.tensor([2]))]
        >>> [tuple(x.shape) for x, y in DatasetBatches(dataset, torch.device("cpu")).epoch()]
        [(2, 3), (1, 3)]
    """

    def __init__(self, dataset: Iterable[Any], device: torch.device, steps_per_epoch: int | None = None,
                 conform: Any = None, convert: Callable[[Any], Batch] | None = None) -> None:
        self.dataset = dataset
        self.device = device
        self.steps_per_epoch = steps_per_epoch
        self.conform = conform
        self._convert = convert or self._convert_pair
        self._iterator: Iterator[Any] | None = None
        self._seen = 0  # batches taken from the current pass

    def _dataset_length(self) -> int | None:
        try:
            return len(self.dataset)  # type: ignore[arg-type]
        except TypeError:
            return None

    @property
    def steps(self) -> int | None:
        """Batches per epoch, or None when the dataset has no length."""
        return self.steps_per_epoch or self._dataset_length()

    def epoch(self) -> Iterator[Batch]:
        length = self._dataset_length()
        if self.steps_per_epoch is None or self._iterator is None or (length is not None and self._seen >= length):
            self._iterator, self._seen = iter(self.dataset), 0
        produced = 0
        while self.steps_per_epoch is None or produced < self.steps_per_epoch:
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None
                if self.steps_per_epoch:
                    warnings.warn(
                        "Your input ran out of data; interrupting the epoch. Make sure that your dataset can "
                        "generate at least `steps_per_epoch` batches per epoch.", stacklevel=3,
                    )
                return
            self._seen += 1
            produced += 1
            yield self._convert(batch)

    def _convert_pair(self, batch: Any) -> Batch:
        x, y, sample_weight = unpack_weighted(batch, "a dataset batch")
        x = as_tensor(x, "x").to(self.device, non_blocking=True)
        if self.conform is not None:
            x = self.conform(x)
        if y is None:
            return (x,)
        y = as_tensor(y, "y").to(self.device, non_blocking=True)
        check_same_length(x, y)
        if sample_weight is None:
            return x, y
        sample_weight = as_tensor(sample_weight, "sample_weight").to(self.device, non_blocking=True)
        check_same_length(x, sample_weight)
        return x, y, sample_weight

    def state_dict(self) -> None:
        return None  # a dataset shuffles by itself; its order is not part of convlens's state

    def load_state_dict(self, state: Any) -> None:
        pass


def make_batches(data: Any, device: torch.device, batch_size: int | None, shuffle: bool, steps: int | None,
                 generator: torch.Generator | None = None,
                 conform: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 convert: Callable[[Any], Batch] | None = None) -> ArrayBatches | DatasetBatches:
    """Batches for ``data``: a tuple of tensors (``(x, y[, sample_weight])``, ``(x, None)``, or the flat
    tuple of a model with several inputs or outputs) or a dataset (its batches made by ``convert`` if given).

    Raises:
        ValueError: when ``batch_size`` is given with a dataset.

    Example:
        >>> make_batches((torch.zeros(70, 2), torch.zeros(70)), torch.device("cpu"), None, True, None).steps
        3
    """
    if not isinstance(data, tuple):
        if batch_size is not None:
            raise ValueError("`batch_size` must not be given with a dataset: its batches already have a size.")
        return DatasetBatches(data, device, steps, conform, convert)
    arrays = [a for a in data if a is not None]
    home = storage_device(arrays, device)
    return ArrayBatches([a.to(home) for a in arrays], batch_size or 32, shuffle, steps, device, generator)
