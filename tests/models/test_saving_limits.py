"""Hostile .keras and .weights.h5 files built here: every one is refused with convlens's own error, quickly.

The fuzz test mutates bytes of a valid file (seeded, at most 300 cases and
25 s) and accepts only a correct load or a ``ConvlensError`` with a message:
never a raw exception, and never more than 200 MiB of extra memory.
"""

from __future__ import annotations

import io
import json
import resource
import time
import zipfile

import numpy as np
import pytest

from convlens import Sequential, layers
from convlens.errors import ConvlensError, FileFormatError, LimitExceededError
from convlens.models import saving


def _tiny():
    return Sequential([layers.Input((4,)), layers.Dense(3, name="d"), layers.Dense(2, name="out")])


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("keras") / "tiny.keras"
    saving.save_model(_tiny(), path)
    return path


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _write(path, members, encrypt=()):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
            if name in encrypt:
                info.flag_bits |= 0x1  # written into the central directory when the archive closes
    return path


def test_member_over_the_limit_is_refused_before_it_is_read(archive, tmp_path, monkeypatch):
    members = _members(archive)
    members["model.weights.h5"] = members["model.weights.h5"] + bytes(4 << 20)  # 4 MiB of zeros: ~4 KiB deflated
    bomb = _write(tmp_path / "bomb.keras", members)
    assert bomb.stat().st_size < 100_000
    monkeypatch.setenv("CONVLENS_MAX_MEMBER_BYTES", str(1 << 20))
    with pytest.raises(LimitExceededError, match="CONVLENS_MAX_MEMBER_BYTES") as info:
        saving.load_model(bomb)
    assert "model.weights.h5" in str(info.value) and str(bomb) in str(info.value)


def test_config_over_the_json_limit_is_refused(archive, tmp_path, monkeypatch):
    members = _members(archive)
    members["config.json"] = members["config.json"][:-1] + b"," + b'"pad": "' + b" " * (2 << 20) + b'"}'
    monkeypatch.setenv("CONVLENS_MAX_JSON_BYTES", str(1 << 20))
    with pytest.raises(LimitExceededError, match="CONVLENS_MAX_JSON_BYTES"):
        saving.load_model(_write(tmp_path / "big.keras", members))


def test_deep_json_is_refused(archive, tmp_path):
    members = _members(archive)
    members["config.json"] = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(FileFormatError, match="nest"):
        saving.load_model(_write(tmp_path / "deep.keras", members))


def test_layer_larger_than_the_stored_weights_is_refused_before_allocation(archive, tmp_path):
    members = _members(archive)
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["units"] = 10**12
    members["config.json"] = json.dumps(config).encode()
    start = time.perf_counter()
    with pytest.raises(ConvlensError, match="weight values"):
        saving.load_model(_write(tmp_path / "huge.keras", members))
    assert time.perf_counter() - start < 5


def test_encrypted_member_is_refused(archive, tmp_path):
    path = _write(tmp_path / "locked.keras", _members(archive), encrypt={"config.json"})
    with pytest.raises(FileFormatError, match="encrypted"):
        saving.load_model(path)


def test_fifo_is_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "x.weights.h5"
    os.mkfifo(fifo)
    with pytest.raises(FileFormatError, match="regular file"):
        saving.load_weights(_tiny(), fifo)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("kind", ["keras", "weights"])
def test_fuzzed_files_load_or_raise_convlens_errors(archive, tmp_path, kind):
    if kind == "keras":
        original, target = archive.read_bytes(), tmp_path / "fuzz.keras"
        load = lambda: saving.load_model(target)  # noqa: E731
    else:
        target = tmp_path / "fuzz.weights.h5"
        saving.save_weights(_tiny(), target)
        original = target.read_bytes()
        load = lambda: saving.load_weights(_tiny(), target)  # noqa: E731
    rng = np.random.default_rng(12)
    deadline, peak_before, outcomes = time.monotonic() + 12, _rss_mib(), {"loaded": 0, "refused": 0}
    for case in range(150):
        if time.monotonic() > deadline:
            break
        data = bytearray(original)
        for _ in range(int(rng.integers(1, 8))):
            position = int(rng.integers(len(data)))
            if rng.random() < 0.8:
                data[position] = int(rng.integers(256))
            else:
                del data[position:position + int(rng.integers(1, 64))]
        target.write_bytes(bytes(data))
        try:
            load()
            outcomes["loaded"] += 1
        except ConvlensError as error:
            assert str(error), f"case {case}: empty message"
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0 and sum(outcomes.values()) >= 20
    assert _rss_mib() - peak_before < 200
