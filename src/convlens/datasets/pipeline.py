"""A lazy, seeded input pipeline with tf.data's methods: ``Dataset.from_tensor_slices(...).shuffle().batch()``.

A ``Dataset`` is a recipe: each method returns a new dataset, and nothing is computed until it is iterated.
Elements are torch tensors on the CPU (they have ``.numpy()``, as tf.data's eager tensors do) or tuples/dicts of
them; ``fit``/``evaluate``/``predict`` take a batched dataset of ``(x, y)`` pairs as they take any iterable of batches.

``prefetch(n)`` runs the upstream pipeline in one background thread that keeps up to ``n`` elements ready, so
decoding the next batch overlaps the training step (``AUTOTUNE`` picks 2).
"""

from __future__ import annotations

import itertools
import queue
import random
import threading
from typing import Any, Callable, Iterator

import numpy as np
import torch

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset"]

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


def tree_map(function: Callable[[Any], Any], element: Any) -> Any:
    """Apply ``function`` to every tensor of a nested tuple/dict element, keeping its structure.

    A list is one tensor, not a structure, as tf.data reads ``from_tensor_slices([1, 2, 3])``.
    """
    if isinstance(element, dict):
        return {key: tree_map(function, value) for key, value in element.items()}
    if isinstance(element, tuple):
        return tuple(tree_map(function, value) for value in element)
    return function(element)


def tree_leaves(element: Any) -> list[Any]:
    if isinstance(element, dict):
        return [leaf for value in element.values() for leaf in tree_leaves(value)]
    if isinstance(element, tuple):
        return [leaf for value in element for leaf in tree_leaves(value)]
    return [element]


def tree_stack(elements: list[Any]) -> Any:
    """Stack a list of same-structured elements into one element with a leading batch axis."""
    first = elements[0]
    if isinstance(first, dict):
        return {key: tree_stack([e[key] for e in elements]) for key in first}
    if isinstance(first, tuple):
        return tuple(tree_stack([e[i] for e in elements]) for i in range(len(first)))
    return torch.stack([to_tensor(e) for e in elements])


def to_tensor(value: Any) -> torch.Tensor:
    tensor = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
    return tensor.detach().cpu()


class Dataset:
    """A lazy sequence of elements; build one with ``Dataset.from_tensor_slices`` and chain tf.data's methods.

    Example:
        >>> ds = Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 10)).batch(2)
        >>> [y.tolist() for _, y in ds]
        [[0, 10], [20, 30], [40]]
        >>> len(ds)
        3
    """

    def __init__(self, make_iterator: Callable[[], Iterator[Any]], cardinality: int) -> None:
        self._make_iterator = make_iterator
        self._cardinality = cardinality

    @staticmethod
    def from_tensor_slices(tensors: Any) -> "Dataset":
        """One element per slice along the first axis of ``tensors`` (an array, or a tuple/dict of arrays).

        Raises:
            ValueError: if the arrays' first dimensions differ.
        """
        tensors = tree_map(to_tensor, tensors)
        lengths = {int(leaf.shape[0]) if leaf.dim() else -1 for leaf in tree_leaves(tensors)}
        if len(lengths) != 1 or -1 in lengths:
            raise ValueError(f"from_tensor_slices: all arrays need the same first dimension; "
                             f"received first dimensions {sorted(lengths)} (-1: a scalar).")
        count = lengths.pop()
        return Dataset(lambda: (tree_map(lambda t: t[i], tensors) for i in range(count)), count)

    # ------------------------------------------------------------ iteration
    def __iter__(self) -> Iterator[Any]:
        return iter(self._make_iterator())

    def _stream(self) -> Iterator[Any]:
        """The elements as the transformations read them (a subclass may convert its own elements here)."""
        return iter(self)

    def cardinality(self) -> int:
        """The number of elements, ``INFINITE_CARDINALITY`` (-1) after ``repeat()`` or ``UNKNOWN_CARDINALITY`` (-2)."""
        return self._cardinality

    def __len__(self) -> int:
        if self._cardinality < 0:
            raise TypeError("The dataset length is infinite or unknown (cardinality "
                            f"{self._cardinality}); len() needs a finite dataset.")
        return self._cardinality

    def as_numpy_iterator(self) -> Iterator[Any]:
        """The elements with every tensor as a NumPy array."""
        return (tree_map(lambda t: t.numpy(), element) for element in self._stream())

    # ------------------------------------------------------- transformations
    def map(self, function: Callable[..., Any], num_parallel_calls: int | None = None,
            deterministic: bool | None = None) -> "Dataset":
        """Apply ``function`` to each element (a tuple element is passed as separate arguments, as tf.data does).

        ``num_parallel_calls`` is accepted for compatibility; elements are mapped in order, in the iterating thread.
        """
        def call(element: Any) -> Any:
            return function(*element) if isinstance(element, tuple) else function(element)
        return Dataset(lambda: (call(e) for e in self._stream()), self.cardinality())

    def filter(self, predicate: Callable[..., Any]) -> "Dataset":
        """Keep the elements for which ``predicate`` is true (the cardinality becomes unknown)."""
        def keep(element: Any) -> bool:
            return bool(predicate(*element) if isinstance(element, tuple) else predicate(element))
        return Dataset(lambda: (e for e in self._stream() if keep(e)), UNKNOWN_CARDINALITY)

    def batch(self, batch_size: int, drop_remainder: bool = False) -> "Dataset":
        """Stack consecutive elements into batches of ``batch_size``; the last is smaller unless ``drop_remainder``."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch: batch_size must be a positive integer; received batch_size={batch_size!r}.")

        def batches() -> Iterator[Any]:
            pending: list[Any] = []
            for element in self._stream():
                pending.append(element)
                if len(pending) == batch_size:
                    yield tree_stack(pending)
                    pending = []
            if pending and not drop_remainder:
                yield tree_stack(pending)
        n = self.cardinality()
        count = n if n < 0 else (n // batch_size if drop_remainder else -(-n // batch_size))
        return Dataset(batches, count)

    def unbatch(self) -> "Dataset":
        """Split each batch back into its elements."""
        def elements() -> Iterator[Any]:
            for batch in self._stream():
                for i in range(int(tree_leaves(batch)[0].shape[0])):
                    yield tree_map(lambda t: t[i], batch)
        return Dataset(elements, UNKNOWN_CARDINALITY if self.cardinality() >= 0 else self.cardinality())

    def shuffle(self, buffer_size: int, seed: int | None = None, reshuffle_each_iteration: bool = True) -> "Dataset":
        """tf.data's buffer shuffle: keep ``buffer_size`` elements and emit a uniformly chosen one, refilling its slot.

        A buffer at least the dataset's length gives a uniform permutation. With a ``seed`` the order repeats
        run after run; ``reshuffle_each_iteration`` draws a new order for every pass (seeded passes in turn).
        """
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, int) or buffer_size < 1:
            raise ValueError(f"shuffle: buffer_size must be a positive integer; received buffer_size={buffer_size!r}.")
        base = random.Random(seed).getrandbits(64) if seed is not None else None
        passes = [0]

        def shuffled() -> Iterator[Any]:
            if base is None:
                rng = random.Random()
            else:
                rng = random.Random(base + passes[0])
                passes[0] += 1 if reshuffle_each_iteration else 0
            buffer: list[Any] = []
            for element in self._stream():
                if len(buffer) < buffer_size:
                    buffer.append(element)
                    continue
                i = rng.randrange(buffer_size)
                yield buffer[i]
                buffer[i] = element
            while buffer:
                yield buffer.pop(rng.randrange(len(buffer)))
        return Dataset(shuffled, self.cardinality())

    def take(self, count: int) -> "Dataset":
        """The first ``count`` elements (all of them when ``count`` is -1)."""
        if count < 0:
            return self
        n = self.cardinality()
        size = count if n == INFINITE_CARDINALITY else (n if n == UNKNOWN_CARDINALITY else min(n, count))
        return Dataset(lambda: itertools.islice(self._stream(), count), size)  # islice reads no element past the last

    def skip(self, count: int) -> "Dataset":
        """All but the first ``count`` elements."""
        n = self.cardinality()
        size = n if n < 0 else max(n - max(count, 0), 0)
        return Dataset(lambda: itertools.islice(self._stream(), max(count, 0), None), size)

    def repeat(self, count: int | None = None) -> "Dataset":
        """Repeat the dataset ``count`` times (forever when ``None`` or -1)."""
        forever = count is None or count < 0

        def repeated() -> Iterator[Any]:
            done = 0
            while forever or done < count:
                empty = True
                for element in self._stream():
                    empty = False
                    yield element
                if empty:  # repeating an empty dataset gives an empty one, not an endless loop
                    return
                done += 1
        n = self.cardinality()
        size = INFINITE_CARDINALITY if forever and n != 0 else (n * count if n >= 0 and not forever else n)
        return Dataset(repeated, size)

    def cache(self, filename: str = "") -> "Dataset":
        """Keep the elements in memory after the first complete pass; later passes read them from there.

        ``filename`` must be empty (the cache is in memory). A pass stopped part way caches nothing,
        so the next one starts again from the source.
        """
        if filename:
            raise ValueError(f"cache: only the in-memory cache is supported; received filename={filename!r} "
                             "(allowed: '').")
        store: list[list[Any]] = []

        def cached() -> Iterator[Any]:
            if store:
                yield from store[0]
                return
            seen = []
            for element in self._stream():
                seen.append(element)
                yield element
            store.append(seen)
        return Dataset(cached, self.cardinality())

    def prefetch(self, buffer_size: int) -> "Dataset":
        """Produce up to ``buffer_size`` elements ahead in a background thread (``AUTOTUNE``: 2)."""
        size = 2 if buffer_size == AUTOTUNE else buffer_size
        if size == 0:
            return self
        done = object()

        def prefetched() -> Iterator[Any]:
            ready: queue.Queue = queue.Queue(maxsize=size)
            stop = threading.Event()

            def offer(item: Any) -> bool:
                """Put ``item`` in the queue unless the consumer has stopped; False once it has."""
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        return True
                    except queue.Full:
                        continue
                return False

            def produce() -> None:
                try:
                    for element in self._stream():
                        if not offer(element):
                            return
                    offer(done)
                except BaseException as error:  # re-raised in the consuming thread
                    offer(error)
            worker = threading.Thread(target=produce, daemon=True)
            worker.start()
            try:
                while True:
                    item = ready.get()
                    if item is done:
                        return
                    if isinstance(item, BaseException):
                        raise item
                    yield item
            finally:
                stop.set()
        return Dataset(prefetched, self.cardinality())
