"""Fixtures for the dataset tests: an isolated environment, the shared files,
a local HTTP server and a tiny synthetic IDX dataset."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from convlens.datasets.idx_dataset import IDXDataset, IDXFile

# Read before the autouse fixture below removes it from each test's environment.
SHARED_DATA = os.environ.get("CONVLENS_DATA")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """No test sees the developer's data, cache or mirrors."""
    monkeypatch.delenv("CONVLENS_DATA", raising=False)
    monkeypatch.delenv("CONVLENS_MIRRORS", raising=False)
    monkeypatch.setenv("CONVLENS_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def shared_data() -> Path:
    """The original MNIST / Fashion-MNIST files ($CONVLENS_DATA)."""
    if not SHARED_DATA:
        pytest.skip("CONVLENS_DATA is not set; point it at the folder holding mnist/ and fashion-mnist/")
    root = Path(SHARED_DATA)
    if not (root / "mnist").is_dir():
        pytest.skip(f"CONVLENS_DATA={SHARED_DATA} has no mnist/ folder")
    return root


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def serve():
    """serve(folder, handler=...) -> base URL of an HTTP server on 127.0.0.1 serving folder."""
    servers = []

    def start(folder, handler=_QuietHandler) -> str:
        if issubclass(handler, http.server.SimpleHTTPRequestHandler):
            handler = functools.partial(handler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # A short poll interval makes shutdown() quick (the default waits 0.5 s).
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    """An IDX file written independently of the reader: header then big-endian data."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    header = bytes([0, 0, code, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(dtype).tobytes()


class Tiny:
    """A 4-file IDX dataset of a few random 28x28 images, with its description."""

    def __init__(self, folder: Path, seed: int = 0, name: str = "tiny"):
        rng = np.random.default_rng(seed)
        self.arrays = {
            "train-images-idx3-ubyte": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
            "train-labels-idx1-ubyte": rng.integers(0, 10, 6, dtype=np.uint8),
            "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
            "t10k-labels-idx1-ubyte": rng.integers(0, 10, 3, dtype=np.uint8),
        }
        self.raw = {stem: idx_bytes(a, 0x08) for stem, a in self.arrays.items()}
        self.gz = {stem: gzip.compress(raw, mtime=0) for stem, raw in self.raw.items()}
        self.folder = folder
        self.dataset = IDXDataset(
            name=name,
            title="Tiny",
            files=tuple(
                IDXFile(
                    stem,
                    self.arrays[stem].shape,
                    hashlib.sha256(self.gz[stem]).hexdigest(),
                    hashlib.sha256(self.raw[stem]).hexdigest(),
                )
                for stem in self.arrays
            ),
            mirrors=(),
        )

    def write(self, folder: Path | None = None, *, compressed: bool = True) -> Path:
        folder = folder or self.folder
        folder.mkdir(parents=True, exist_ok=True)
        for stem in self.arrays:
            if compressed:
                (folder / f"{stem}.gz").write_bytes(self.gz[stem])
            else:
                (folder / stem).write_bytes(self.raw[stem])
        return folder

    def check(self, splits) -> None:
        (x_train, y_train), (x_test, y_test) = splits
        for got, stem in zip((x_train, y_train, x_test, y_test), self.arrays):
            np.testing.assert_array_equal(got, self.arrays[stem])
            assert got.dtype == np.uint8


@pytest.fixture
def tiny(tmp_path) -> Tiny:
    return Tiny(tmp_path / "tiny")
