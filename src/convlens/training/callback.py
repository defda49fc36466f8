"""Keras's callback protocol: ``Callback``, ``History`` and the ``CallbackList`` that dispatches hooks.

A ``Callback`` gets ``self.model`` and ``self.params`` and any of Keras's
hooks (``on_train_begin``, ``on_epoch_end(epoch, logs)``,
``on_train_batch_end(batch, logs)``, ...). Batch hooks receive the running
metrics, which must be read from the device; ``CallbackList`` therefore
calls a batch hook only on callbacks that override it, so a training loop
with epoch-level callbacks never waits for the device between steps.

The callbacks themselves are collected in ``callbacks.py``.

Example:
    >>> class Printer(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, sorted(logs))
    >>> Printer().on_epoch_end(0, {"loss": 0.5})
    0 ['loss']
"""

from __future__ import annotations

from typing import Any, Iterable

from ..distribution import process_group

__all__ = ["Callback", "CallbackList", "HOOKS", "History", "overrides"]

Logs = dict[str, Any]

HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
    "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
)


class Callback:
    """Base class of callbacks: override the hooks you need.

    Attributes:
        model: the model being trained (set by ``fit``); ``self.model.stop_training = True`` ends training.
        params: ``{"verbose", "epochs", "steps", "do_validation"}``.
        writes_files: True for a callback whose only effect is writing files;
            in data-parallel training it runs on rank 0 alone (every other
            callback runs on every process and sees the same global logs).

    Example:
        >>> class Stop(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         self.model.stop_training = logs["loss"] < 0.1
    """

    writes_files: bool = False

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: Logs | None = None) -> None: ...
    def on_train_end(self, logs: Logs | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_begin(batch, logs=logs)  # Keras's backwards-compatible alias

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs: Logs | None = None) -> None: ...
    def on_test_end(self, logs: Logs | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_predict_begin(self, logs: Logs | None = None) -> None: ...
    def on_predict_end(self, logs: Logs | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...


def overrides(callback: Callback, *hooks: str) -> bool:
    """Whether ``callback`` implements any of ``hooks`` (in its class or as an attribute).

    Example:
        >>> overrides(History(), "on_train_batch_end", "on_batch_end")
        False
    """
    for hook in hooks:
        if hook in vars(callback):
            return True
        if getattr(type(callback), hook, None) is not getattr(Callback, hook):
            return True
    return False


class History(Callback):
    """Records each epoch's logs: ``history.history["loss"]`` is the list of epoch losses.

    ``fit`` returns it and also sets it as ``model.history``.

    Attributes:
        history: metric name → one value per epoch.
        epoch: the epoch indices recorded.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self


class CallbackList:
    """The callbacks of one ``fit``/``evaluate``/``predict`` call, a ``History`` among them.

    Args:
        callbacks: the user's callbacks.
        model: set on each callback.
        params: set on each callback.
        add_history: append a ``History`` unless one was given.

    ``call("on_epoch_end", epoch, logs)`` calls a hook on every callback;
    ``batch("train_batch_end", step, logs)`` only on those that override it,
    and the loop asks ``wants("train_batch_end")`` before computing the logs.
    """

    def __init__(self, callbacks: Iterable[Callback] | None, model: Any, params: dict[str, Any],
                 add_history: bool = False) -> None:
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"Expected convlens Callback instances in `callbacks`; received {cb!r} of type {type(cb).__name__}.")
        self.history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if self.history is None and add_history:
            self.history = History()
            self.callbacks.append(self.history)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        self._batch_hooks = {
            name: [cb for cb in self.callbacks if overrides(cb, *aliases)]
            for name, aliases in {
                "train_batch_begin": ("on_train_batch_begin", "on_batch_begin"),
                "train_batch_end": ("on_train_batch_end", "on_batch_end"),
                "test_batch_begin": ("on_test_batch_begin",), "test_batch_end": ("on_test_batch_end",),
                "predict_batch_begin": ("on_predict_batch_begin",), "predict_batch_end": ("on_predict_batch_end",),
            }.items()
        }
        # Data parallel: a callback that only writes files (CSVLogger, ModelCheckpoint) runs on rank 0 alone,
        # but the batch logs it would read are computed on every process alike (their sum is a collective).
        self._wanted = {name: bool(found) for name, found in self._batch_hooks.items()}
        if process_group.rank() != 0:
            self.callbacks = [cb for cb in self.callbacks if not cb.writes_files]
            self._batch_hooks = {name: [cb for cb in found if not cb.writes_files]
                                 for name, found in self._batch_hooks.items()}

    def wants(self, batch_hook: str) -> bool:
        """Whether any callback implements ``on_<batch_hook>`` (e.g. ``"train_batch_end"``), on any process."""
        return self._wanted[batch_hook]

    def batch(self, batch_hook: str, batch: int, logs: Logs | None = None) -> None:
        """Call ``on_<batch_hook>(batch, logs)`` on the callbacks that implement it."""
        for cb in self._batch_hooks[batch_hook]:
            getattr(cb, f"on_{batch_hook}")(batch, logs)

    def call(self, hook: str, *args: Any) -> None:
        """Call ``hook`` (e.g. ``"on_epoch_end"``) on every callback, in order."""
        for cb in self.callbacks:
            getattr(cb, hook)(*args)
