"""Resumable training: a ``TrainingState`` checkpoint per epoch and the ``BackupAndRestore`` callback.

The state holds everything the rest of training depends on, so that
resuming after epoch *k* continues exactly as the uninterrupted run would
(on a CPU, bit for bit): the weights and buffers, the optimizer state (its
moments, step count and learning rate), the random generators (PyTorch's CPU
and CUDA ones for dropout, NumPy's, Python's), the shuffle generator of the
training data and its position, and the History so far.

It is written with ``torch.save`` to a temporary file in the same folder,
flushed to disk, then renamed over the previous one: the file on disk is
always a complete checkpoint, even if the process is killed mid-write.

Example:
    >>> backup = BackupAndRestore("runs/mnist/backup")  # doctest: +SKIP
    >>> model.fit(x, y, epochs=10, callbacks=[backup])  # doctest: +SKIP
"""

from __future__ import annotations

import os
import pickle
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .._io import raise_naming
from ..distribution import process_group
from .callback import Callback, Logs

__all__ = ["BackupAndRestore", "TrainingState", "capture_rng", "restore_rng"]

STATE_FILE = "training_state.pt"


def capture_rng() -> dict[str, Any]:
    """The states of PyTorch's (CPU and CUDA), NumPy's and Python's global random generators.

    NumPy's state is stored as a tensor so the checkpoint loads with
    ``torch.load(weights_only=True)`` (no pickled code).
    """
    numpy_state = np.random.get_state(legacy=False)
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else [],
        "numpy": {
            "key": torch.from_numpy(numpy_state["state"]["key"].astype(np.int64)),
            "pos": int(numpy_state["state"]["pos"]),
            "has_gauss": int(numpy_state["has_gauss"]),
            "gauss": float(numpy_state["gauss"]),
        },
        "python": random.getstate(),
    }


def restore_rng(state: dict[str, Any]) -> None:
    """Put back the generator states of ``capture_rng``."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    numpy_state = state["numpy"]
    np.random.set_state({
        "bit_generator": "MT19937",
        "state": {"key": numpy_state["key"].numpy().astype(np.uint32), "pos": numpy_state["pos"]},
        "has_gauss": numpy_state["has_gauss"], "gauss": numpy_state["gauss"],
    })
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


@dataclass
class TrainingState:
    """A complete snapshot of a training run at the end of an epoch.

    Attributes:
        epoch: the epoch just completed (0-based); training resumes at ``epoch + 1``.
        model: the values of the model's ``state_dict`` (weights and buffers)
            in order: layer names are generated per process (``dense_3``), so
            the state is matched by position, not by name.
        optimizer: the optimizer's ``state_dict``.
        rng: ``capture_rng()`` at the end of the epoch.
        batches: the training data's shuffle state (generator and position).
        history: ``{"history": {name: [values]}, "epoch": [indices]}`` up to ``epoch``.
    """

    epoch: int
    model: list[torch.Tensor]
    optimizer: dict[str, Any] | None
    rng: dict[str, Any]
    batches: dict[str, Any] | None = None
    history: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def capture(cls, model: Any, epoch: int, logs: Logs | None = None) -> "TrainingState":
        """The state of ``model``'s running ``fit`` at the end of ``epoch`` (``logs``: that epoch's logs).

        The History records an epoch after the other callbacks have seen it,
        so ``logs`` completes it here.
        """
        history = getattr(model, "history", None)
        values = {k: list(v) for k, v in getattr(history, "history", {}).items()}
        epochs = list(getattr(history, "epoch", []))
        if logs is not None and (not epochs or epochs[-1] != epoch):
            epochs.append(epoch)
            for key, value in logs.items():
                values.setdefault(key, []).append(value)
        batches = getattr(model, "_train_batches", None)
        optimizer = getattr(model, "optimizer", None)
        return cls(
            epoch=epoch,
            model=[v.detach().cpu() for v in model.state_dict().values()],
            optimizer=optimizer.state_dict() if optimizer is not None else None,
            rng=capture_rng(),
            batches=batches.state_dict() if batches is not None else None,
            history={"history": values, "epoch": epochs},
        )

    def restore(self, model: Any) -> None:
        """Load this state into ``model``, its optimizer, its running ``fit`` and the global generators.

        Raises:
            ValueError: when the state was written for another architecture.
        """
        current = model.state_dict()
        shapes = [tuple(t.shape) for t in current.values()]
        if shapes != [tuple(t.shape) for t in self.model]:
            raise ValueError(
                f"The training state does not fit model '{getattr(model, 'name', type(model).__name__)}': it holds "
                f"{len(self.model)} tensors of shapes {[tuple(t.shape) for t in self.model]}, the model "
                f"{len(shapes)} of shapes {shapes}. Resume with the architecture that wrote it."
            )
        model.load_state_dict(dict(zip(current, self.model)))
        if self.optimizer is not None and getattr(model, "optimizer", None) is not None:
            model.optimizer.load_state_dict(self.optimizer)
        batches = getattr(model, "_train_batches", None)
        if self.batches is not None and batches is not None:
            batches.load_state_dict(self.batches)
        history = getattr(model, "history", None)
        if history is not None and self.history:
            history.history = {k: list(v) for k, v in self.history["history"].items()}
            history.epoch = list(self.history["epoch"])
        restore_rng(self.rng)

    def save(self, path: str | os.PathLike) -> None:
        """Write atomically: temporary file in the same folder, fsync, rename."""
        path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        temporary = os.path.join(folder, f".tmp-{uuid.uuid4().hex[:8]}-{os.path.basename(path)}")
        try:
            with open(temporary, "wb") as f:
                torch.save(self.__dict__, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, path)
        except (OSError, RuntimeError) as error:  # a full disk: torch.save wraps the OSError in a RuntimeError
            raise_naming(error, path)
            raise
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TrainingState":
        """Read a state written by ``save`` (tensors only: nothing is executed while loading).

        Raises:
            ValueError: when the file is not a convlens training state.
        """
        try:
            content = torch.load(os.fspath(path), map_location="cpu", weights_only=True)
        except (RuntimeError, EOFError, OSError, pickle.UnpicklingError) as error:
            raise ValueError(f"Cannot read a training state from {os.fspath(path)!r}: {error}") from None
        expected = {"epoch", "model", "optimizer", "rng", "batches", "history"}
        if not isinstance(content, dict) or set(content) != expected:
            raise ValueError(f"{os.fspath(path)!r} is not a convlens training state (expected the keys {sorted(expected)}).")
        return cls(**content)


class BackupAndRestore(Callback):
    """Keep a ``TrainingState`` in ``backup_dir`` each epoch; resume from it when ``fit`` starts again.

    If ``fit`` is interrupted (an error, a killed process), calling ``fit``
    again with the same callback restores the weights, optimizer, random
    generators, data order and History, and continues with the next epoch.
    After training completes the backup is deleted unless
    ``delete_checkpoint=False`` (a run folder that should stay resumable).

    Args:
        backup_dir: the folder holding ``training_state.pt``.
        save_freq: ``"epoch"``.
        delete_checkpoint: delete the backup when training finishes.

    Example:
        >>> cb = BackupAndRestore("/tmp/backup")
        >>> cb.path.endswith("training_state.pt")
        True
    """

    def __init__(self, backup_dir: str | os.PathLike, save_freq: str = "epoch", delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed: give the folder to keep the training state in.")
        if save_freq != "epoch":
            raise ValueError(f"BackupAndRestore: only save_freq='epoch' is supported. Received: save_freq={save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.path = os.path.join(self.backup_dir, STATE_FILE)
        self.delete_checkpoint = delete_checkpoint

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if os.path.exists(self.path):
            state = TrainingState.load(self.path)
            state.restore(self.model)
            self.model._initial_epoch = state.epoch + 1

    # Data parallel: every process restores the backup, rank 0 alone writes it (all hold the same state at an
    # epoch's end: its last step's gradient sum needed every process, so rank 0's backup is one they all completed).
    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if process_group.rank() == 0:
            TrainingState.capture(self.model, epoch, logs).save(self.path)

    def on_train_end(self, logs: Logs | None = None) -> None:
        if process_group.rank() == 0 and self.delete_checkpoint and os.path.exists(self.path):
            os.remove(self.path)
            if os.path.isdir(self.backup_dir) and not os.listdir(self.backup_dir):
                os.rmdir(self.backup_dir)
