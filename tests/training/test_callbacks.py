"""Callbacks in real fits: EarlyStopping, LR scheduling, ReduceLROnPlateau, CSVLogger, ModelCheckpoint, ..."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
import torch

from convlens.training import callbacks, optimizers
from convlens.training.callback import CallbackList, overrides


def scripted(key: str, values: list[float]) -> callbacks.LambdaCallback:
    """Overwrite ``logs[key]`` with the next scripted value at each epoch end (put it first)."""
    def write(epoch, logs):
        logs[key] = values[epoch]
    return callbacks.LambdaCallback(on_epoch_end=write)


def test_early_stopping_stops_after_patience_and_restores_the_best_weights(model, data):
    x, y = data
    weights = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: weights.append({k: v.clone() for k, v in model.state_dict().items()}))
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1)
    history = model.fit(x, y, epochs=20, validation_data=(x, y), verbose=0,
                        callbacks=[scripted("val_loss", [1.0, 0.8, 0.9, 0.85, 0.7] + [0.5] * 15), record, stop])
    assert history.epoch == [0, 1, 2, 3]  # best at epoch 1, two epochs without improvement
    assert stop.stopped_epoch == 3 and stop.best_epoch == 1
    for key, value in model.state_dict().items():
        assert torch.equal(value, weights[1][key])
    assert any(not torch.equal(weights[3][k], weights[1][k]) for k in weights[1])  # training did move them


def test_early_stopping_modes_min_delta_baseline_and_warm_up(model, data):
    x, y = data
    run = lambda values, **kw: model.fit(x, y, epochs=len(values), verbose=0, callbacks=[
        scripted("val_accuracy", values), callbacks.EarlyStopping(monitor="val_accuracy", **kw)]).epoch
    assert run([0.5, 0.6, 0.6, 0.6, 0.6], patience=1) == [0, 1, 2]  # accuracy: mode "auto" maximises
    assert run([0.5, 0.505, 0.51, 0.6], patience=1, min_delta=0.02) == [0, 1]  # too small to count
    # Below the baseline, epochs count against patience even while improving (Keras's rule).
    assert run([0.5, 0.6, 0.6, 0.6, 0.6], patience=2, baseline=0.9) == [0, 1, 2]
    assert run([0.5, 0.6, 0.6, 0.6, 0.6], patience=2) == [0, 1, 2, 3]
    assert run([0.5, 0.4, 0.3, 0.2], patience=0, start_from_epoch=2) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="mode='max'"):
        model.fit(x, y, verbose=0, callbacks=[scripted("val_custom", [1.0]), callbacks.EarlyStopping(monitor="val_custom")])
    with pytest.raises(ValueError, match="Unknown mode"):
        callbacks.EarlyStopping(mode="maximum")


def test_learning_rate_scheduler_sets_the_optimizer_rate_each_epoch(model, data, capsys):
    x, y = data
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * (epoch + 1), verbose=1)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[schedule])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.2, 0.3])
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(0.3)
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.30000000000000004." in capsys.readouterr().out
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.5 ** epoch)])
    assert model.optimizer.learning_rate == 0.5
    with pytest.raises(ValueError, match="should be a float"):
        model.fit(x, y, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: "fast")])


def test_reduce_lr_on_plateau_follows_keras_rule(model, data):
    x, y = data
    model.optimizer.learning_rate = 0.1
    reduce = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=0.03)
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[scripted("val_loss", [1.0, 1.0, 1.0, 1.0, 0.5]), reduce])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.03, 0.03])
    model.optimizer.learning_rate = 0.1
    cooled = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2)
    history = model.fit(x, y, epochs=6, verbose=0, callbacks=[scripted("val_loss", [1.0] * 6), cooled])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=2)


def test_csv_logger_writes_keras_header_and_appends(model, data, tmp_path):
    x, y = data
    path = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    assert float(rows[2][2]) == history.history["loss"][1]  # full float precision
    model.fit(x, y, epochs=1, validation_split=0.25, verbose=0, callbacks=[callbacks.CSVLogger(path, append=True)])
    rows = list(csv.reader(open(path)))
    assert len(rows) == 4 and rows[3][0] == "0"  # header not repeated
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), validation_freq=2,
              callbacks=[callbacks.CSVLogger(path, separator=";")])
    lines = path.read_text().splitlines()  # validation every 2nd epoch: its columns are reserved
    assert lines[0] == "epoch;accuracy;loss;val_accuracy;val_loss" and len(lines) == 2
    assert lines[1].endswith(";NA;NA")


def test_model_checkpoint_formats_names_saves_best_only_and_atomically(model, data, tmp_path):
    x, y = data
    saves = []

    def save(path, overwrite=True):
        assert os.path.basename(path).startswith(".tmp-") and path.endswith(".keras")
        open(path, "w").write("model")
        saves.append(path)

    model.save = save
    pattern = str(tmp_path / "ckpt" / "m-{epoch:02d}-{val_loss:.2f}.keras")
    model.fit(x, y, epochs=4, verbose=0, callbacks=[
        scripted("val_loss", [0.5, 0.7, 0.4, 0.45]), callbacks.ModelCheckpoint(pattern, save_best_only=True)])
    assert sorted(os.listdir(tmp_path / "ckpt")) == ["m-01-0.50.keras", "m-03-0.40.keras"]
    assert len(saves) == 2

    def broken_save(path, overwrite=True):
        open(path, "w").write("half a mod")
        raise OSError("disk full")

    model.save = broken_save
    target = tmp_path / "latest.keras"
    target.write_text("previous model")
    with pytest.raises(OSError, match="disk full"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(target)])
    assert target.read_text() == "previous model"  # untouched, and no temporary file left behind
    assert sorted(os.listdir(tmp_path)) == ["ckpt", "latest.keras"]
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        callbacks.ModelCheckpoint(tmp_path / "w.keras", save_weights_only=True)


def test_terminate_on_nan_stops_within_the_epoch(model, data, capsys):
    x, y = data
    model.optimizer.learning_rate = 1e30
    x = x.copy()
    x[8:] = np.nan
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert history.epoch == [0] and np.isnan(history.history["loss"][0])
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_batch_hooks_are_dispatched_only_to_callbacks_that_define_them():
    class EpochOnly(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    class Legacy(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):  # Keras's old name still counts
            pass

    assert not overrides(EpochOnly(), "on_train_batch_end", "on_batch_end")
    assert overrides(Legacy(), "on_train_batch_end", "on_batch_end")
    assert overrides(callbacks.LambdaCallback(on_train_batch_end=print), "on_train_batch_end")
    listing = CallbackList([EpochOnly(), callbacks.CSVLogger("x.csv")], model=None, params={}, add_history=True)
    assert not listing.wants("train_batch_end") and isinstance(listing.callbacks[-1], callbacks.History)
    assert CallbackList([Legacy()], model=None, params={}).wants("train_batch_end")
    with pytest.raises(TypeError, match="Callback instances"):
        CallbackList([print], model=None, params={})
