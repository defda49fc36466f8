"""Where files are looked for, in which order, and how damaged files are reported."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from convlens.datasets.sources import DatasetFileError, DatasetNotFoundError, cache_dir, locate
from tests.datasets.conftest import idx_bytes

NAMES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


def folders_of(paths: dict[str, Path]) -> set[Path]:
    return {p.parent for p in paths.values()}


def spoil(folder: Path) -> None:
    """Make a folder's labels file damaged, so using it would raise."""
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")


def test_explicit_path_beats_env_beats_cache(tiny, tmp_path, monkeypatch):
    explicit = tiny.write(tmp_path / "explicit")
    env = tiny.write(tmp_path / "env" / "tiny")
    cache = tiny.write(tmp_path / "cache" / "tiny")
    monkeypatch.setenv("CONVLENS_DATA", str(tmp_path / "env"))

    assert folders_of(locate(tiny.dataset, explicit, download=False)) == {explicit}
    spoil(env)
    spoil(cache)
    tiny.check(tiny.dataset.load(explicit, download=False))  # the others are never opened

    tiny.write(env)
    assert folders_of(locate(tiny.dataset, download=False)) == {env}
    tiny.check(tiny.dataset.load(download=False))  # the spoiled cache is never opened

    tiny.write(cache)
    (env / "t10k-labels-idx1-ubyte.gz").unlink()  # env incomplete: falls through to the cache
    assert folders_of(locate(tiny.dataset, download=False)) == {cache}
    monkeypatch.delenv("CONVLENS_DATA")
    assert folders_of(locate(tiny.dataset, download=False)) == {cache}


def test_explicit_path_must_hold_all_files(tiny, tmp_path):
    folder = tiny.write(tmp_path / "explicit")
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    tiny.write(tmp_path / "cache" / "tiny")  # a complete cache is not a substitute
    with pytest.raises(DatasetNotFoundError) as info:
        locate(tiny.dataset, folder, mirrors=["http://127.0.0.1:9/"])
    message = str(info.value)
    assert f"missing in {folder}: t10k-images-idx3-ubyte.gz." in message
    assert all(name in message for name in NAMES)


def test_decompressed_and_mixed_files_are_accepted(tiny, tmp_path):
    raw = tiny.write(tmp_path / "raw", compressed=False)
    tiny.check(tiny.dataset.load(raw))
    (raw / "train-images-idx3-ubyte").unlink()
    (raw / "train-images-idx3-ubyte.gz").write_bytes(tiny.gz["train-images-idx3-ubyte"])
    tiny.check(tiny.dataset.load(raw))


def test_not_found_without_download_says_where_to_put_files(tiny, tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        locate(tiny.dataset, download=False)
    message = str(info.value)
    assert f"in {tmp_path / 'cache' / 'tiny'}" in message
    assert all(name in message for name in NAMES)
    assert "$CONVLENS_DATA (not set)" in message
    assert "Downloading was switched off." in message
    assert "load_data(sample=True)" in message  # what works offline


def _images(shape, code=0x08, extra=b""):
    return gzip.compress(idx_bytes(np.zeros(shape, np.uint8), code) + extra)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (lambda t: t.gz["train-images-idx3-ubyte"][:-100], "truncated gzip stream"),
        (lambda t: b"\x1f\x8b" + b"\x00" * 40, "corrupt gzip data"),
        (
            lambda t: gzip.compress(b"\x08\x03" + t.raw["train-images-idx3-ubyte"][2:]),
            "bad magic number",
        ),
        (
            lambda t: _images((6, 27, 28)),
            r"holds uint8 \(6, 27, 28\), but Tiny's train-images-idx3-ubyte is uint8 \(6, 28, 28\)",
        ),
        (lambda t: _images((6, 28, 28), extra=b"\x00"), "size mismatch: 1 bytes follow"),
        (lambda t: _images((6, 28, 28)), "well-formed but its content differs"),
    ],
    ids=["truncated", "bad-gzip", "bad-magic", "wrong-dims", "size-mismatch", "wrong-checksum"],
)
@pytest.mark.parametrize("where", ["env", "cache"])
def test_damaged_file_is_reported_never_used(tiny, tmp_path, monkeypatch, content, problem, where):
    if where == "env":
        folder = tiny.write(tmp_path / "env" / "tiny")
        monkeypatch.setenv("CONVLENS_DATA", str(tmp_path / "env"))
    else:
        folder = tiny.write(tmp_path / "cache" / "tiny")
    bad = folder / "train-images-idx3-ubyte.gz"
    bad.write_bytes(content(tiny))
    with pytest.raises(DatasetFileError, match=problem) as info:
        tiny.dataset.load(download=False)
    assert str(info.value).startswith(str(bad))
    assert "Replace it with the original file" in str(info.value)


def test_decompressed_file_with_wrong_checksum(tiny, tmp_path):
    folder = tiny.write(tmp_path / "raw", compressed=False)
    raw = bytearray(tiny.raw["t10k-labels-idx1-ubyte"])
    raw[-1] ^= 1
    (folder / "t10k-labels-idx1-ubyte").write_bytes(raw)
    with pytest.raises(DatasetFileError, match="t10k-labels-idx1-ubyte: sha256 .* matches neither"):
        tiny.dataset.load(folder)


def test_cache_dir_resolution(monkeypatch, tmp_path):
    assert cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("CONVLENS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "convlens"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "convlens"
