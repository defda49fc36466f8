"""``convlens train`` / ``evaluate`` / ``predict`` / ``summary`` end to end, and resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from convlens.cli import main
from convlens.models import load_model
from convlens.runs import RunConfig, load_config, train

SMALL = ["--sample", "--epochs", "1", "--no-pictures", "--batch-size", "256"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "mnist"
    result = CliRunner().invoke(main, ["train", *SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_the_run_folder(run_dir):
    for name in ("model.keras", "metrics.csv", "summary.txt", "run.json", "class_names.json"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "checkpoint").is_dir()  # kept: --resume --epochs N trains the finished run further
    results = json.loads((run_dir / "run.json").read_text())["results"]
    assert results["test_accuracy"] > 0.7  # one epoch on the 6,000-image sample
    header = (run_dir / "metrics.csv").read_text().splitlines()[0]
    assert header == "epoch,accuracy,loss,val_accuracy,val_loss"
    assert "⌊(28 + 2·0 − 3)/1⌋ + 1 = 26" in (run_dir / "summary.txt").read_text()


def test_train_says_which_data_it_used():
    result = CliRunner().invoke(main, ["train", "--help"])
    assert result.exit_code == 0 and "--resume" in result.output and "--model" in result.output


def test_evaluate_and_summary_commands(run_dir):
    result = CliRunner().invoke(main, ["summary", str(run_dir / "model.keras")])
    assert result.exit_code == 0 and "Total params: 34,826" in result.output
    result = CliRunner().invoke(main, ["summary", "lenet5", "--explain"])
    assert result.exit_code == 0 and "5·5·1·6 + 6 = 156" in result.output


def test_evaluate_uses_the_runs_data(run_dir, tmp_path):
    copy = tmp_path / "fashion-run"
    copy.mkdir()
    (copy / "model.keras").write_bytes((run_dir / "model.keras").read_bytes())
    record = json.loads((run_dir / "run.json").read_text())
    record["config"].update(data="fashion-mnist", sample=False)
    (copy / "run.json").write_text(json.dumps(record))
    result = CliRunner().invoke(main, ["evaluate", str(copy)])
    assert "Data: fashion-mnist (the run's" in result.output and "Traceback" not in result.output


def test_predict_any_image_size_and_mode(run_dir, tmp_path):
    from convlens import datasets

    (_, _), (x_test, y_test) = datasets.mnist.load_data(sample=True)
    # A dark digit on white paper, RGB, 3× larger than MNIST: converted as the model expects.
    digit = np.kron(255 - x_test[0], np.ones((3, 3), np.uint8))
    Image.fromarray(np.stack([digit] * 3, -1)).save(tmp_path / "digit.png")
    result = CliRunner().invoke(main, ["predict", str(run_dir), str(tmp_path / "digit.png")])
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith(str(tmp_path / "digit.png")) and line.count("%") == 3
    assert line.split(": ")[1].split(" ")[0] == str(y_test[0])
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    result = CliRunner().invoke(main, ["predict", str(run_dir), str(bad)])
    assert result.exit_code != 0 and "cannot read" in result.output


def test_bad_arguments_are_clear(tmp_path):
    result = CliRunner().invoke(main, ["train", "--model", "alexnet", "--out", str(tmp_path / "x")])
    assert result.exit_code != 0 and "Unknown model 'alexnet'" in result.output and "lenet5" in result.output
    result = CliRunner().invoke(main, ["train", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "y")])
    assert result.exit_code != 0 and "--data" in result.output
    result = CliRunner().invoke(main, ["train", "--epochs", "0"])
    assert result.exit_code != 0 and "--epochs" in result.output
    result = CliRunner().invoke(main, ["evaluate", str(tmp_path / "missing.keras")])
    assert result.exit_code != 0 and "neither a .keras file" in result.output


def _weights(path: Path) -> list[np.ndarray]:
    return load_model(path).get_weights()


def test_resume_after_kill_equals_uninterrupted_run(tmp_path):
    """Kill a training process mid-run, resume it: the final weights equal an uninterrupted run's."""
    settings = dict(sample=True, epochs=3, batch_size=256, pictures=False, seed=7, device="cpu")
    train(RunConfig(**settings, out=str(tmp_path / "straight")), verbose=0, log=lambda _: None)

    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "convlens", "train", "--sample", "--epochs", "3", "--batch-size", "256",
           "--no-pictures", "--seed", "7", "--device", "cpu", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
    checkpoint = out / "checkpoint" / "training_state.pt"
    deadline = time.monotonic() + 240
    while not checkpoint.exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no checkpoint after 240 s"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "model.keras").exists()  # it really was interrupted

    train(load_config(out), resume=True, verbose=0, log=lambda _: None)
    for a, b in zip(_weights(tmp_path / "straight" / "model.keras"), _weights(out / "model.keras")):
        np.testing.assert_array_equal(a, b)
    rows = (out / "metrics.csv").read_text().strip().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["0", "1", "2"]


def test_resume_refuses_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(ValueError, match="not a run folder"):
        load_config(tmp_path)


def test_recipe_fast_sets_model_batch_and_schedule(tmp_path):
    out = tmp_path / "fast"
    result = CliRunner().invoke(main, ["train", "--recipe", "fast", "--sample", "--no-pictures", "--out", str(out),
                                       "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "on a CPU --recipe fast-cpu" in result.output  # "fast" is tuned for a GPU
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["model"] == "mnist_fast" and run["config"]["batch_size"] == 256
    assert run["config"]["validation_split"] == 0.0 and run["config"]["lr"] == 0.02
    assert 0.0 <= run["results"]["test_accuracy"] <= 1.0  # 24 steps on the sample: the full set reaches 99 %


def test_resume_trims_metrics_rows_past_the_checkpoint(tmp_path):
    """A kill between an epoch's metrics row and its checkpoint must not leave a duplicate row after resuming."""
    from convlens.runs import _resume_point
    from convlens.training.state import STATE_FILE, TrainingState

    (tmp_path / "checkpoint").mkdir()
    TrainingState(epoch=0, model=[], optimizer=None, rng={}).save(tmp_path / "checkpoint" / STATE_FILE)
    (tmp_path / "metrics.csv").write_text("epoch,loss\n0,0.5\n1,0.4\n")
    assert _resume_point(tmp_path) == 0
    assert (tmp_path / "metrics.csv").read_text() == "epoch,loss\n0,0.5\n"
    (tmp_path / "checkpoint" / STATE_FILE).unlink()
    assert _resume_point(tmp_path) is None and not (tmp_path / "metrics.csv").exists()
