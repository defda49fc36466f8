"""Training: compile / fit / evaluate / predict with Keras's semantics, on PyTorch.

``optimizers``, ``losses``, ``metrics`` and ``callbacks`` mirror Keras's
modules of the same names; ``Trainer`` is the mixin that gives every
convlens ``Model`` its ``compile``/``fit``/``evaluate``/``predict``.

Example:
    >>> from convlens.training import callbacks, optimizers
    >>> optimizers.Adam(learning_rate=1e-3).learning_rate
    0.001
    >>> callbacks.EarlyStopping(patience=2).patience
    2
"""

from __future__ import annotations

from . import callbacks, losses, metrics, optimizers
from .callback import Callback, History
from .engine import Trainer
from .state import BackupAndRestore, TrainingState

__all__ = [
    "BackupAndRestore", "Callback", "History", "Trainer", "TrainingState", "callbacks", "losses", "metrics",
    "optimizers",
]
