"""Run folders survive kills at any instant, and --resume writes only into the folder it is given.

The kill cases run ``convlens train`` in a real subprocess that SIGKILLs
itself at an exact instant: half-way through writing the checkpoint, after
the last epoch's checkpoint before the model is saved, and half-way through
writing ``model.keras``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from convlens.cli import main
from convlens.errors import RunStateError
from convlens.models import load_model
from convlens.runs import RunConfig, resume_config, train

SETTINGS = dict(sample=True, epochs=2, batch_size=512, pictures=False, seed=3, device="cpu", model="lenet5")
QUIET = dict(verbose=0, log=lambda _: None)

# The child trains as `convlens train` does and SIGKILLs itself at the chosen
# instant, after writing half of the file being written then.
CHILD = textwrap.dedent("""
    import os, signal, sys
    import torch
    from convlens import _io
    from convlens.models import saving
    from convlens.runs import RunConfig, train
    instant, out = sys.argv[1], sys.argv[2]
    calls = {"checkpoint": 0}
    real_save = torch.save
    def dying_save(obj, f, *a, **k):
        calls["checkpoint"] += 1
        if instant == "inside-checkpoint" and calls["checkpoint"] == 2:
            f.write(b"half a checkpoint"); f.flush(); os.kill(os.getpid(), signal.SIGKILL)
        return real_save(obj, f, *a, **k)
    torch.save = dying_save
    real_model_save = saving.save_model
    def dying_model_save(model, path, *a, **k):
        if instant == "before-model-save":
            os.kill(os.getpid(), signal.SIGKILL)
        if instant == "inside-model-save":
            with _io.atomic_write(path) as handle:
                handle.write(b"PK half an archive"); handle.flush(); os.kill(os.getpid(), signal.SIGKILL)
        return real_model_save(model, path, *a, **k)
    saving.save_model = dying_model_save
    train(RunConfig(sample=True, epochs=2, batch_size=512, pictures=False, seed=3, device="cpu", model="lenet5",
                    out=out), verbose=0, log=lambda _: None)
""")


def _temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(".part") or p.name.startswith(".tmp-")]


@pytest.mark.parametrize("instant", ["inside-checkpoint", "before-model-save", "inside-model-save"])
def test_a_kill_at_any_instant_resumes_to_a_complete_run(tmp_path, instant):
    out = tmp_path / "run"
    child = subprocess.run([sys.executable, "-c", CHILD, instant, str(out)], capture_output=True,
                           env=os.environ.copy(), timeout=240)
    assert child.returncode == -9, child.stderr.decode()[-2000:]
    assert not (out / "model.keras").exists()
    if instant != "before-model-save":
        assert _temporaries(out)  # the kill really left a half-written file

    result = train(resume_config(out), resume=True, **QUIET)
    assert result.out == out and not _temporaries(out)
    rows = (out / "metrics.csv").read_text().strip().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["0", "1"]
    assert len(load_model(out / "model.keras").get_weights()) > 0
    assert "results" in json.loads((out / "run.json").read_text())


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "run"
    train(RunConfig(**{**SETTINGS, "epochs": 1}, out=str(out)), **QUIET)
    return out


def test_resume_writes_only_into_the_folder_given_and_epochs_extends(finished, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(finished, copy)
    before = {p.name: p.read_bytes() for p in finished.iterdir() if p.is_file()}
    result = train(resume_config(copy, epochs=2), resume=True, **QUIET)
    assert result.out == copy
    assert {p.name: p.read_bytes() for p in finished.iterdir() if p.is_file()} == before  # the original untouched
    rows = (copy / "metrics.csv").read_text().strip().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["0", "1"]
    assert json.loads((copy / "run.json").read_text())["config"]["epochs"] == 2


def test_a_finished_run_is_not_retrained_without_epochs(finished):
    with pytest.raises(RunStateError, match="finished run of 1 epochs; pass --epochs"):
        resume_config(finished)
    result = CliRunner().invoke(main, ["train", "--resume", str(finished)])
    assert result.exit_code != 0 and "finished run" in result.output and "Traceback" not in result.output


def test_run_json_records_the_shipped_sample(finished):
    record = json.loads((finished / "run.json").read_text())
    assert record["config"]["sample"] is True and record["results"]["sample"] is True


def test_a_run_that_cannot_start_leaves_no_folder(tmp_path):
    out = tmp_path / "never"
    result = CliRunner().invoke(main, ["train", "--sample", "--model", "no-such-model", "--out", str(out)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert not out.exists()


def test_read_only_run_folder_is_a_clean_error(tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o500)
    if os.geteuid() == 0:  # root writes through chmod: sysfs refuses new folders even to root
        parent = Path("/sys/convlens-run")
    try:
        result = CliRunner().invoke(main, ["train", *"--sample --epochs 1 --no-pictures --model lenet5".split(),
                                           "--out", str(parent / "run")])
    finally:
        (tmp_path / "locked").chmod(0o700)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert str(parent) in result.output and ("permission denied" in result.output or "not permitted" in result.output)


def test_run_json_records_the_image_size_the_run_had(finished):
    # --image-size resizes folder images; MNIST's digits stay 28 x 28, and run.json says so.
    record = json.loads((finished / "run.json").read_text())
    assert record["config"]["image_size"] == [28, 28]
    assert record["results"]["scored_on"] == "test" and "test_accuracy" in record["results"]


def test_a_folder_run_reports_its_validation_score_as_such(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for cls, level in (("dark", 40), ("light", 210)):
        (tmp_path / "data" / cls).mkdir(parents=True)
        for k in range(10):
            pixels = np.clip(level + rng.integers(-20, 20, (12, 12, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "data" / cls / f"{k}.png")
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", "--data", str(tmp_path / "data"), "--model", "tinyvgg",
                                       "--image-size", "16", "16", "--epochs", "1", "--batch-size", "8",
                                       "--validation-split", "0.25", "--no-pictures", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Validation accuracy: " in result.output and "Test accuracy" not in result.output
    assert "for validation (the score; a folder has no separate test set)" in result.output
    record = json.loads((out / "run.json").read_text())
    results = record["results"]
    assert results["scored_on"] == "validation" and "test_accuracy" not in results
    assert 0 <= results["validation_accuracy"] <= 1 and record["config"]["image_size"] == [16, 16]
