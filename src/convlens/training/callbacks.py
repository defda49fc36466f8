"""Keras's callbacks (``keras.callbacks``): every callback convlens has, importable from here.

Defined here: ``LambdaCallback``, ``TerminateOnNaN``, ``CSVLogger``,
``LearningRateScheduler``. The ones that watch a metric (``EarlyStopping``,
``ModelCheckpoint``, ``ReduceLROnPlateau``) live in ``monitoring.py``,
``BackupAndRestore`` in ``state.py``, the ``Callback`` protocol and
``History`` in ``callback.py``.

Example:
    >>> from convlens.training import callbacks
    >>> callbacks.EarlyStopping(monitor="val_accuracy", patience=3).patience
    3
"""

from __future__ import annotations

import collections.abc
import csv
import math
import os
from typing import Any, Callable

import numpy as np

from .callback import HOOKS, Callback, History, Logs
from .monitoring import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from .optimizer import get_learning_rate, set_learning_rate
from .state import BackupAndRestore

__all__ = [
    "BackupAndRestore", "CSVLogger", "Callback", "EarlyStopping", "History", "LambdaCallback",
    "LearningRateScheduler", "ModelCheckpoint", "ReduceLROnPlateau", "TerminateOnNaN",
]


class LambdaCallback(Callback):
    """A callback from plain functions, as Keras's ``LambdaCallback``.

    Args:
        on_epoch_begin: ``f(epoch, logs)``; likewise ``on_epoch_end``,
            ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end``,
            ``on_train_begin(logs)``, ``on_train_end(logs)``.
        **kwargs: any other hook by name (``on_test_end=...``).

    Example:
        >>> seen = []
        >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
        >>> cb.on_epoch_end(3, {}); seen
        [3]
    """

    def __init__(self, on_epoch_begin: Callable | None = None, on_epoch_end: Callable | None = None,
                 on_train_begin: Callable | None = None, on_train_end: Callable | None = None,
                 on_train_batch_begin: Callable | None = None, on_train_batch_end: Callable | None = None,
                 **kwargs: Callable) -> None:
        super().__init__()
        unknown = sorted(set(kwargs) - set(HOOKS))
        if unknown:
            raise ValueError(f"LambdaCallback: unknown hooks {unknown}; allowed are {list(HOOKS)}.")
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end, "on_train_begin": on_train_begin,
                 "on_train_end": on_train_end, "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end, **kwargs}
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's running loss is NaN or infinite.

    It reads the loss after every batch, so with it the loop waits for the
    device at each step (free on a CPU).
    """

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file: header ``epoch,<sorted metric names>``, as Keras writes it.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: add to an existing file (without repeating its header)
            instead of overwriting it.

    Each row is flushed as it is written, so the file is readable during training.

    Example:
        >>> logger = CSVLogger("training.log")  # doctest: +SKIP
    """

    writes_files = True

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys: list[str] | None = None
        self.writer: csv.DictWriter | None = None
        self.csv_file: Any = None
        self.append_header = True

    def on_train_begin(self, logs: Logs | None = None) -> None:
        mode = "w"
        if self.append:
            mode = "a"
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as f:
                    self.append_header = not bool(len(f.readline()))
        self.keys, self.writer = None, None
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.params.get("do_validation") and not any(k.startswith("val_") for k in self.keys):
                # Validation every n epochs: the first rows lack val_ columns; reserve them.
                self.keys += [f"val_{k}" for k in self.keys]
        if self.writer is None:
            dialect = type("CSVDialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys], dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch, **{k: _csv_value(logs.get(k, "NA")) for k in self.keys}}
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file, self.writer = None, None


def _csv_value(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f"\"[{', '.join(map(str, value))}]\""
    return value


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)``.

    Args:
        schedule: ``f(epoch, lr) -> new_lr`` (0-based epoch, current rate),
            or ``f(epoch) -> new_lr``.
        verbose: 1 prints each update.

    The rate used in the epoch is added to its logs as ``learning_rate``.

    Example:
        >>> decay = LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr * 0.9)
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"`schedule` must be a function (epoch, lr) -> lr; received {schedule!r}.")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        try:
            learning_rate = self.schedule(epoch, get_learning_rate(optimizer))
        except TypeError:  # the one-argument form f(epoch)
            learning_rate = self.schedule(epoch)
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.floating)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {learning_rate!r}")
        set_learning_rate(optimizer, float(learning_rate))
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(learning_rate)}.")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self.model.optimizer)
