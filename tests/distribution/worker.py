"""One process of a small data-parallel job, started by ``launch`` (RANK, WORLD_SIZE, MASTER_* set) or run in-process.

``python worker.py SCENARIO OUT`` writes ``OUT/rank<r>.npz``: the final
weights, ``evaluate``'s results and ``predict``'s outputs.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import torch

from convlens import Sequential, layers, optimizers
from convlens.callbacks import BackupAndRestore, Callback, CSVLogger

TRAIN, TEST, BATCH, EPOCHS = 21, 7, 4, 3  # 21 = 5 batches of 4 and one of 1: one process holds no row of it


def data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, 6, 6, 1), dtype=np.float32), rng.integers(0, 3, n)


def model() -> Sequential:
    torch.manual_seed(0)
    # A regularizer, an activity regularizer and a constraint: each process adds its share of the penalties.
    net = Sequential([layers.Input((6, 6, 1)), layers.Conv2D(3, 3, kernel_regularizer="l2", activity_regularizer="l1"),
                      layers.BatchNormalization(momentum=0.5), layers.Flatten(),
                      layers.Dense(3, activation="softmax", kernel_constraint="max_norm")])
    # SGD, not Adam: the Conv bias before BatchNormalization has a true gradient of 0, and Adam would blow its
    # float32 rounding noise (which differs with the reduction order) up to steps of the learning rate.
    net.compile(optimizer=optimizers.SGD(learning_rate=0.1, momentum=0.9), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return net


class Kill(Callback):
    """SIGKILL this process at the end of training batch ``step`` or of epoch ``epoch`` (a crash, a lost machine).

    Every process has it (every process must run the same callbacks); ``step`` is None where it should not act.
    """

    def __init__(self, step: int | None = None, epoch: int | None = None) -> None:
        super().__init__()
        self.step, self.epoch = step, epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.step is not None and batch == self.step:
            os.kill(os.getpid(), signal.SIGKILL)

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)


def callbacks(rank: int) -> list[Callback]:
    """From the environment: CONVLENS_TEST_BACKUP (a BackupAndRestore folder), CONVLENS_TEST_KILL ("rank:step" or "epoch:e")."""
    found: list[Callback] = []
    if os.environ.get("CONVLENS_TEST_CSV"):
        found.append(CSVLogger(os.environ["CONVLENS_TEST_CSV"]))
    if os.environ.get("CONVLENS_TEST_BACKUP"):
        found.append(BackupAndRestore(os.environ["CONVLENS_TEST_BACKUP"], delete_checkpoint=False))
    kill = os.environ.get("CONVLENS_TEST_KILL", "")
    if kill.startswith("epoch:"):
        found.append(Kill(epoch=int(kill[6:])))
    elif kill:
        found.append(Kill(step=int(kill.split(":")[1]) if int(kill.split(":")[0]) == rank else None))
    return found


def fit_scenario(out: Path, rank: int) -> None:
    net, found = model(), callbacks(rank)
    history = net.fit(*data(TRAIN, 1), batch_size=BATCH, epochs=EPOCHS, verbose=0, device="cpu", callbacks=found)
    wrote_csv = any(isinstance(cb, CSVLogger) and cb.keys is not None for cb in found)  # its epoch hook ran
    x_test, y_test = data(TEST, 2)
    loss, accuracy = net.evaluate(x_test, y_test, batch_size=BATCH, verbose=0)
    predictions = net.predict(x_test, batch_size=BATCH, verbose=0)
    weights = {f"w{i}": w for i, w in enumerate(net.get_weights())}
    np.savez(out / f"rank{rank}.npz", loss=loss, accuracy=accuracy, predictions=predictions,
             history_loss=np.array(history.history["loss"]), csv_written=wrote_csv, **weights)


class Pace(Callback):
    """Slow every step down (so the live bar redraws mid-epoch) and keep each step's global and local logs."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[tuple[float, float]] = []

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(0.05)
        self.steps.append((logs["loss"], self.model._tracker.local_result()["loss"]))


def progress_scenario(out: Path, rank: int) -> None:
    """fit with ``verbose=1`` where rank 0 alone writes to a terminal: its live bar must show global values."""
    if rank == 0:
        os.environ["TTY_COMPATIBLE"] = "1"  # rich draws a live bar to this pipe; rank 1 has no terminal
    pace = Pace()
    net = model()
    net.fit(*data(64, 1 + rank), batch_size=BATCH, epochs=2, verbose=1, device="cpu", callbacks=[pace])
    np.save(out / f"steps{rank}.npy", np.array(pace.steps))


def main() -> None:
    scenario, out = sys.argv[1], Path(sys.argv[2])
    {"fit": fit_scenario, "progress": progress_scenario}[scenario](out, int(os.environ.get("RANK", "0")))


if __name__ == "__main__":
    main()
