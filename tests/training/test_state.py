"""Reproducibility and resume: set_random_seed, TrainingState, BackupAndRestore."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from convlens.training import callbacks
from convlens.training.state import TrainingState
from convlens.utils import set_random_seed

from .conftest import blobs, tiny_classifier


class Interrupt(callbacks.Callback):
    """Simulate a crash right after epoch ``after`` ends (and its backup is written)."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.after:
            raise KeyboardInterrupt


def new_model(seed: int):
    set_random_seed(seed)
    model = tiny_classifier(dropout=0.3)  # dropout: the resumed run must also restore the global RNG
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_set_random_seed_repeats_a_cpu_run_exactly():
    x, y = blobs()
    runs = []
    for _ in range(2):
        model = new_model(7)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        runs.append(list(model.state_dict().values()))  # layer names differ between instances
    assert all(torch.equal(a, b) for a, b in zip(*runs))
    other = new_model(8)
    other.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert not all(torch.equal(a, b) for a, b in zip(runs[0], other.state_dict().values()))
    with pytest.raises(TypeError, match="integer"):
        set_random_seed(1.5)


@pytest.mark.parametrize("steps_per_epoch", [None, 3])  # 3 of 6 batches: resume in the middle of a pass
def test_resume_after_an_interruption_equals_the_uninterrupted_run(tmp_path, steps_per_epoch):
    x, y = blobs(n=60)
    fit = dict(batch_size=8, epochs=3, validation_split=0.2, steps_per_epoch=steps_per_epoch, verbose=0)

    uninterrupted = new_model(0)
    expected = uninterrupted.fit(x, y, **fit)

    backup = tmp_path / "backup"
    first = new_model(0)
    with pytest.raises(KeyboardInterrupt):
        first.fit(x, y, **fit, callbacks=[callbacks.BackupAndRestore(backup), Interrupt(after=0)])
    assert TrainingState.load(backup / "training_state.pt").epoch == 0

    resumed = new_model(123)  # fresh objects, different seed: everything must come from the backup
    history = resumed.fit(x, y, **fit, callbacks=[callbacks.BackupAndRestore(backup)])
    for value, expected_value in zip(resumed.state_dict().values(), uninterrupted.state_dict().values()):
        assert torch.equal(value, expected_value)
    assert history.epoch == [0, 1, 2] and history.history == expected.history
    assert resumed.optimizer.iterations == uninterrupted.optimizer.iterations
    assert not backup.exists()  # deleted after a completed run


def test_backup_can_be_kept_and_training_continued_with_more_epochs(tmp_path):
    x, y = blobs()
    model = new_model(0)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)])
    assert TrainingState.load(tmp_path / "training_state.pt").epoch == 1
    history = new_model(0).fit(x, y, epochs=3, verbose=0,
                               callbacks=[callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)])
    assert history.epoch == [0, 1, 2] and len(history.history["loss"]) == 3


def test_state_file_is_replaced_atomically_and_validated(tmp_path, monkeypatch):
    model = new_model(0)
    model.fit(*blobs(), epochs=1, verbose=0)
    path = tmp_path / "state.pt"
    TrainingState.capture(model, epoch=0).save(path)
    before = path.read_bytes()

    def crash(obj, f):
        f.write(b"partial")
        raise OSError("killed")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="killed"):
        TrainingState.capture(model, epoch=1).save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["state.pt"]
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="Cannot read a training state"):
        TrainingState.load(tmp_path / "junk.pt")


def test_a_state_for_another_architecture_is_refused(tmp_path):
    model = new_model(0)
    model.fit(*blobs(), epochs=1, verbose=0)
    state = TrainingState.capture(model, epoch=0)
    other = tiny_classifier(classes=4)
    with pytest.raises(ValueError, match="does not fit model"):
        state.restore(other)


def test_rng_state_round_trip():
    from convlens.training.state import capture_rng, restore_rng

    set_random_seed(3)
    state = capture_rng()
    first = (torch.rand(2), np.random.rand(2), __import__("random").random())
    restore_rng(state)
    second = (torch.rand(2), np.random.rand(2), __import__("random").random())
    assert torch.equal(first[0], second[0]) and np.array_equal(first[1], second[1]) and first[2] == second[2]
