"""Callbacks that watch one logged quantity: ``EarlyStopping``, ``ModelCheckpoint``, ``ReduceLROnPlateau``.

They share ``Monitor``: which way the quantity improves (``mode``: ``"min"``,
``"max"`` or ``"auto"``, where auto knows that losses fall and accuracies
rise) and by how much a change counts (``min_delta``).

Example:
    >>> stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
"""

from __future__ import annotations

import math
import os
import uuid
import warnings
from typing import Any

from .callback import Callback, Logs
from .optimizer import get_learning_rate, set_learning_rate

__all__ = ["EarlyStopping", "ModelCheckpoint", "Monitor", "ReduceLROnPlateau"]


class Monitor:
    """Improvement test for one logged quantity.

    Args:
        monitor: the log key, e.g. ``"val_loss"``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (losses are minimised,
            metrics go the way they declare, e.g. accuracies up).
        min_delta: the smallest change that counts as an improvement.

    Example:
        >>> m = Monitor("val_loss", "auto", 0.1)
        >>> m.resolve(None); m.is_improvement(0.85, 1.0), m.is_improvement(0.95, 1.0)
        (True, False)
    """

    def __init__(self, monitor: str, mode: str = "auto", min_delta: float = 0.0) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"Unknown mode: mode={mode!r}. Allowed are 'auto', 'min', 'max'.")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(float(min_delta))
        self.direction: str | None = None if mode == "auto" else mode

    def resolve(self, model: Any) -> None:
        """Settle ``mode="auto"`` from the model's metrics (once they exist: at the first epoch end).

        Raises:
            ValueError: when the direction of the quantity is unknown.
        """
        if self.direction is not None:
            return
        name = self.monitor.removeprefix("val_")
        if name == "loss":
            self.direction = "min"
            return
        for metric in getattr(model, "metrics", None) or []:
            if metric.name == name and metric.direction is not None:
                self.direction = "max" if metric.direction == "up" else "min"
                return
        raise ValueError(
            f"Received monitor={self.monitor!r} but convlens cannot tell whether that quantity should be maximized "
            "or minimized. Pass mode='max' to keep the highest value, or mode='min' for the lowest."
        )

    @property
    def worst(self) -> float:
        """The starting "best" value: +inf when minimising, -inf when maximising."""
        return math.inf if self.direction == "min" else -math.inf

    def is_improvement(self, current: float, reference: float | None) -> bool:
        """Whether ``current`` beats ``reference`` by more than ``min_delta``."""
        if reference is None:
            return True
        if self.direction == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def value(self, logs: Logs | None, who: str) -> float | None:
        """The monitored value from ``logs``, or ``None`` (with a warning naming the available keys)."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"{who} is conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs or {})}", stacklevel=3,
            )
        return value


class EarlyStopping(Callback):
    """Stop training when the monitored quantity has stopped improving (Keras's rule).

    Args:
        monitor: the log key to watch.
        min_delta: smaller changes do not count as improvements.
        patience: epochs without improvement before stopping.
        verbose: 1 prints when it stops and when it restores weights.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        baseline: training stops if the value does not beat this within ``patience`` epochs.
        restore_best_weights: at the end of training, go back to the weights
            of the best epoch.
        start_from_epoch: epochs to wait before watching (warm-up).

    Example:
        >>> EarlyStopping(monitor="val_accuracy", patience=3).patience
        3
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0) -> None:
        super().__init__()
        self.watch = Monitor(monitor, mode, min_delta)
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.on_train_begin()

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_weights: dict[str, Any] | None = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.watch.resolve(self.model)
        current = self.watch.value(logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = _copy_weights(self.model), epoch
        self.wait += 1
        if self.watch.is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = _copy_weights(self.model)
            # Restart the wait only when both the baseline and the previous best are beaten.
            if self.baseline is None or self.watch.is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)


def _copy_weights(model: Any) -> dict[str, Any]:
    # A copy on the model's device: no host round trip, buffers (BatchNorm statistics) included.
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class ModelCheckpoint(Callback):
    """Save the model (``.keras``) or its weights (``.weights.h5``) at the end of every epoch.

    Args:
        filepath: may hold ``{epoch:02d}`` and any log key, e.g.
            ``"ckpt/model-{epoch:02d}-{val_loss:.2f}.keras"``.
        monitor: the log key that decides what "best" is.
        verbose: 1 prints a line for each save.
        save_best_only: save only when ``monitor`` improves (the file is then
            the best model so far).
        save_weights_only: ``model.save_weights`` (path ending ``.weights.h5``)
            instead of ``model.save`` (path ending ``.keras``).
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        save_freq: ``"epoch"``.
        initial_value_threshold: only values better than this are saved.

    Files are written to a temporary name in the same folder and renamed
    into place, so an interrupted save never leaves a partial file.

    Example:
        >>> ModelCheckpoint("best.keras", save_best_only=True).monitor
        'val_loss'
    """

    writes_files = True

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto",
                 save_freq: str = "epoch", initial_value_threshold: float | None = None) -> None:
        super().__init__()
        self.filepath = os.fspath(filepath)
        suffix = ".weights.h5" if save_weights_only else ".keras"
        if not self.filepath.endswith(suffix):
            kind = "When using `save_weights_only=True` in `ModelCheckpoint`, the" if save_weights_only else "The"
            raise ValueError(f"{kind} filepath provided must end in `{suffix}`. Received: filepath={self.filepath}")
        if save_freq != "epoch":
            raise ValueError(f"ModelCheckpoint: only save_freq='epoch' is supported. Received: save_freq={save_freq!r}")
        self.watch = Monitor(monitor, mode)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.best: float | None = initial_value_threshold

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        try:
            filepath = self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as error:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}') from None
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: saving model to {filepath}")
            self._save(filepath)
            return
        self.watch.resolve(self.model)
        if self.best is None:
            self.best = self.watch.worst
        current = self.watch.value(logs, "ModelCheckpoint")
        if current is None:
            return
        if self.watch.is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, saving model to {filepath}")
            self.best = current
            self._save(filepath)
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")

    def _save(self, filepath: str) -> None:
        folder, name = os.path.split(os.path.abspath(filepath))
        os.makedirs(folder, exist_ok=True)
        # Same folder (so the rename is atomic) and same suffix (the saver checks it).
        temporary = os.path.join(folder, f".tmp-{uuid.uuid4().hex[:8]}-{name}")
        try:
            if self.save_weights_only:
                self.model.save_weights(temporary)
            else:
                self.model.save(temporary)
            os.replace(temporary, filepath)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when the monitored quantity stops improving.

    Args:
        monitor: the log key to watch.
        factor: the multiplier (< 1).
        patience: epochs without improvement before reducing.
        verbose: 1 prints each reduction.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        min_delta: smaller changes do not count as improvements.
        cooldown: epochs to wait after a reduction before watching again.
        min_lr: the rate never goes below this.

    The rate used in the epoch is added to its logs as ``learning_rate``.

    Example:
        >>> ReduceLROnPlateau(factor=0.5, patience=2).factor
        0.5
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0) -> None:
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.watch = Monitor(monitor, mode, min_delta)
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.on_train_begin()

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.best: float | None = None
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = get_learning_rate(optimizer)
        self.watch.resolve(self.model)
        current = self.watch.value(logs, "Learning rate reduction")
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.watch.is_improvement(current, self.best if self.best is not None else self.watch.worst):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = get_learning_rate(optimizer)
                if old_lr > self.min_lr:
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    set_learning_rate(optimizer, new_lr)
                    if self.verbose > 0:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
