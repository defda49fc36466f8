"""CIFAR-10: a tiny archive in CIFAR's layout (pickled batches in a .tar.gz) read as Keras reads the real one,
the SHA-256 check, the lookup order, and refusal of damaged or malicious files."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from convlens import datasets
from convlens.datasets import cifar, cifar10
from convlens.datasets.sources import DatasetFileError, DatasetNotFoundError

RNG = np.random.default_rng(0)
PER_BATCH = 3  # images per batch: 5 training batches and a test batch


def _batch(n: int, protocol: int = 3) -> tuple[bytes, np.ndarray, list[int]]:
    """A batch in CIFAR's layout. The originals are Python 2 pickles, which need no callable but NumPy's; Python 3's
    protocol 3 is the one that writes bytes without another callable (protocol 2 calls ``_codecs.encode``)."""
    data = RNG.integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = [int(v) for v in RNG.integers(0, 10, n)]
    content = {b"batch_label": b"training batch", b"labels": labels, b"data": data,
               b"filenames": [f"img_{i}.png".encode() for i in range(n)]}
    return pickle.dumps(content, protocol=protocol), data, labels


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return path


def _described(path: Path) -> cifar.CifarDataset:
    """CIFAR-10's description, for an archive of the test's own (its checksum instead of the published one)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return dataclasses.replace(cifar10.CIFAR10, files=(cifar.ArchiveFile(path.name, digest),))


@pytest.fixture
def tiny(tmp_path):
    """A CIFAR-format archive in tmp_path/tiny/, with the arrays it holds."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    members, train, test = {}, [], None
    for name in [*cifar10.CIFAR10.train_batches, cifar10.CIFAR10.test_batch]:
        payload, data, labels = _batch(PER_BATCH)
        members[f"cifar-10-batches-py/{name}"] = payload
        (train.append((data, labels)) if name != "test_batch" else None)
        test = (data, labels) if name == "test_batch" else test
    members["cifar-10-batches-py/batches.meta"] = pickle.dumps({b"label_names": [b"airplane"]}, protocol=3)
    path = _tar(folder / "cifar-10-python.tar.gz", members)
    return path, train, test


def test_reads_keras_shapes_dtypes_and_values(tiny):
    path, train, test = tiny
    (x_train, y_train), (x_test, y_test) = _described(path).load(path.parent)
    assert x_train.shape == (5 * PER_BATCH, 32, 32, 3) and x_test.shape == (PER_BATCH, 32, 32, 3)
    assert y_train.shape == (5 * PER_BATCH, 1) and y_test.shape == (PER_BATCH, 1)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype("uint8")}
    # Keras: each row is the red, green and blue planes of a 32x32 image, made channels-last.
    expected = np.concatenate([d for d, _ in train]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(x_train, expected)
    assert x_train[0, 0, 1, 2] == train[0][0][0, 2 * 1024 + 1]  # row 0, column 1, blue
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate([l for _, l in train]))
    np.testing.assert_array_equal(x_test, test[0].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_test[:, 0], test[1])


def test_batches_match_keras_own_reader(tiny, tmp_path):
    keras_cifar = pytest.importorskip("keras.src.datasets.cifar")
    path, _, _ = tiny
    with tarfile.open(path) as archive:
        archive.extractall(tmp_path / "out", filter="data")
    data, labels = keras_cifar.load_batch(str(tmp_path / "out/cifar-10-batches-py/data_batch_2"))
    (x_train, y_train), _ = _described(path).load(path.parent)
    np.testing.assert_array_equal(x_train[PER_BATCH:2 * PER_BATCH], data.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train[PER_BATCH:2 * PER_BATCH, 0], labels)


def test_the_published_checksum_is_required(tiny):
    path, _, _ = tiny
    with pytest.raises(DatasetFileError, match="sha256 .* is not that of the original CIFAR-10 archive"):
        cifar10.load_data(path.parent)


def test_lookup_order_and_not_found_message(tiny, tmp_path, monkeypatch):
    path, _, _ = tiny
    dataset = _described(path)
    monkeypatch.setenv("CONVLENS_DATA", str(tmp_path / "data"))
    (tmp_path / "data" / "cifar10").mkdir(parents=True)
    os.link(path, tmp_path / "data" / "cifar10" / path.name)
    (x_train, _), _ = dataset.load(download=False)
    assert len(x_train) == 5 * PER_BATCH
    monkeypatch.delenv("CONVLENS_DATA")
    with pytest.raises(DatasetNotFoundError) as error:
        cifar10.load_data(download=False)
    message = str(error.value)
    assert "Put the file cifar-10-python.tar.gz in" in message and "cifar10" in message
    assert "Downloading was switched off" in message


def test_no_network_gives_a_clear_error(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="Downloads failed: http://127.0.0.1:9/cifar-10-python.tar.gz"):
        cifar10.load_data(mirrors=["http://127.0.0.1:9/"], verbose=False)
    assert not any((tmp_path / "cache").rglob("*.tar.gz")), "a failed download leaves no file"


class _Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_a_reduce_payload_is_refused_and_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = pickle.dumps({b"data": _Payload(), b"labels": [1]}, protocol=3)
    with pytest.raises(DatasetFileError, match="Refusing to load posix.system .* corrupted or malicious"):
        cifar.load_batch(evil, "data_batch_1")
    members = {f"cifar-10-batches-py/{n}": evil for n in (*cifar10.CIFAR10.train_batches, "test_batch")}
    path = _tar(tmp_path / "cifar-10-python.tar.gz", members)
    with pytest.raises(DatasetFileError, match="Refusing to load"):
        _described(path).load(tmp_path)
    assert not (tmp_path / "pwned.txt").exists()


@pytest.mark.parametrize("content, problem", [
    ([1, 2, 3], "a pickled dict; found list"),
    ({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, r"shape \(N, 3072\); found uint8 \(2, 100\)"),
    ({b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]}, "uint8 array"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, "one label in 0-255 per image"),
    ({b"labels": [0]}, "found NoneType"),
])
def test_malformed_batches_are_refused(content, problem):
    with pytest.raises(DatasetFileError, match=problem):
        cifar.load_batch(pickle.dumps(content, protocol=3), "data_batch_1")


def test_truncated_archive_and_missing_batch(tiny, tmp_path):
    path, _, _ = tiny
    for name in ("cut", "short"):
        (tmp_path / name).mkdir()
    cut = tmp_path / "cut" / path.name
    cut.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(DatasetFileError, match="not a readable (.tar.gz archive|CIFAR batch .*EOFError)"):
        _described(cut).load(cut.parent)
    payload, _, _ = _batch(2)
    short = _tar(tmp_path / "short" / path.name, {"cifar-10-batches-py/data_batch_1": payload})
    with pytest.raises(DatasetFileError, match="lacks cifar-10-batches-py/data_batch_2"):
        _described(short).load(short.parent)


def test_keras_namespace_and_registry():
    import convlens.keras as keras

    assert keras.datasets.cifar10.load_data is cifar10.load_data
    assert datasets.sample.DATASETS["cifar10"] is cifar10.CIFAR10
    assert cifar10.CLASS_NAMES[9] == "truck"


def test_convlens_train_data_cifar10_gets_channels_last_images_and_flat_labels(tiny, monkeypatch):
    from convlens import runs

    path, train, _ = tiny
    monkeypatch.setitem(datasets.sample.DATASETS, "cifar10", _described(path))
    monkeypatch.setenv("CONVLENS_DATA", str(path.parent.parent))
    (path.parent.parent / "cifar10").mkdir()
    os.link(path, path.parent.parent / "cifar10" / path.name)
    data = runs._load_data(runs.RunConfig(data="cifar10"), log=lambda message: None)
    assert data["x_train"].shape == (5 * PER_BATCH, 32, 32, 3) and data["input_shape"] == (32, 32, 3)
    assert data["y_train"].shape == (5 * PER_BATCH,) and data["class_names"][0] == "airplane"
    assert not data["sample"]
