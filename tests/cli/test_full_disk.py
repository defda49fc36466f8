"""A full disk ends ``train``, ``show`` and ``filter`` in one error line naming the file, and leaves no partial file.

The disk is a real 64 KiB tmpfs where the machine allows mounting one (root in
a container usually can); elsewhere every file write convlens makes fails
with ENOSPC once 64 KiB are written, through the two places that open its
output files (``convlens._io`` and the training checkpoint).
"""

from __future__ import annotations

import errno
import io
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from convlens import _io
from convlens.cli import main
from convlens.training import state

DISK_BYTES = 64 << 10


class _FullFile(io.FileIO):
    """A file on a disk with ``DISK_BYTES`` free: writes past that fail as a full disk does."""

    written = 0

    def write(self, data):
        if _FullFile.written + len(data) > DISK_BYTES:
            raise OSError(errno.ENOSPC, "No space left on device")
        _FullFile.written += len(data)
        return super().write(data)


def _full_open(path, mode="r", *args, **kwargs):
    if any(flag in mode for flag in "wxa+"):
        handle = _FullFile(path, mode.replace("b", "").replace("+", "") + ("+" if "+" in mode else ""))
        return io.BufferedRandom(handle) if "+" in mode else io.BufferedWriter(handle)
    return open(path, mode, *args, **kwargs)


@pytest.fixture(params=["tmpfs", "patched"])
def full_disk(request, tmp_path, monkeypatch):
    """A folder on a full disk: a mounted 64 KiB tmpfs (where allowed), and writes failing past 64 KiB."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = request.param == "tmpfs" and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(folder)], capture_output=True).returncode == 0
    if request.param == "tmpfs" and not mounted:
        pytest.skip("cannot mount a tmpfs here (needs root); the patched case stands in")
    if not mounted:
        _FullFile.written = 0
        monkeypatch.setattr(_io, "open", _full_open, raising=False)
        monkeypatch.setattr(state, "open", _full_open, raising=False)
    yield folder
    if mounted:
        if subprocess.run(["umount", str(folder)]).returncode:  # "target is busy": a file was left open
            subprocess.run(["umount", "--lazy", str(folder)])
            pytest.fail(f"a file on {folder} was left open")


@pytest.fixture
def photo(tmp_path):
    """A 300 x 300 noise picture: its PNG (270 KB) and every figure of it outgrow the disk."""
    path = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8)).save(path)
    return path


def check_clean_failure(result, disk: Path) -> None:
    """One error line naming a file on the disk; no traceback; every file left is complete."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {disk}") and "the disk is full" in errors[0]
    for path in disk.rglob("*"):
        assert not path.name.startswith("."), f"partial file left: {path}"
        if path.suffix == ".png":
            with Image.open(path) as image:
                image.verify()
        elif path.suffix == ".json":
            json.loads(path.read_text())


def test_filter_on_a_full_disk(full_disk, photo):
    result = CliRunner().invoke(main, ["filter", str(photo), "mean", "-o", str(full_disk / "out.png")])
    check_clean_failure(result, full_disk)
    assert not (full_disk / "out.png").exists()


def test_show_on_a_full_disk(full_disk, photo):
    result = CliRunner().invoke(main, ["show", "lenet5", str(photo), "-o", str(full_disk / "show")])
    check_clean_failure(result, full_disk)


def test_train_on_a_full_disk(full_disk):
    result = CliRunner().invoke(main, ["train", "--sample", "--epochs", "1", "--no-pictures", "--model", "lenet5",
                                       "--batch-size", "1024", "--out", str(full_disk / "run")])
    check_clean_failure(result, full_disk)
    assert not (full_disk / "run" / "model.keras").exists()
