"""Image files that must not be decoded: bombs, FIFOs, damaged bytes; all refused with convlens's errors."""

from __future__ import annotations

import io
import os
import struct
import threading
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from convlens.datasets import load_image
from convlens.errors import ConvlensError, FileFormatError, LimitExceededError


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_decompression_bomb_is_refused_from_its_header(tmp_path):
    bomb = tmp_path / "bomb.png"  # a 30000×30000 header and no pixels: 60 bytes on disk
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
                     + _chunk(b"IEND", b""))
    with pytest.raises(LimitExceededError, match="CONVLENS_MAX_IMAGE_PIXELS"):
        load_image(bomb)


def test_pixel_limit_can_be_set(tmp_path, monkeypatch):
    path = tmp_path / "small.png"
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(path)
    monkeypatch.setenv("CONVLENS_MAX_IMAGE_PIXELS", "100")
    with pytest.raises(LimitExceededError, match="400|100"):
        load_image(path)
    monkeypatch.setenv("CONVLENS_MAX_IMAGE_PIXELS", "400")
    assert load_image(path, image_size=(20, 20)).shape == (20, 20, 3)


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "x.png"
    os.mkfifo(fifo)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(pytest.raises(FileFormatError, load_image, fifo)))
    worker.start()
    worker.join(5)
    assert not worker.is_alive() and outcome


def test_fuzzed_png_decodes_or_raises_convlens_errors(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (16, 16, 3), np.uint8)).save(buffer, "PNG")
    original, target = buffer.getvalue(), tmp_path / "fuzz.png"
    rng = np.random.default_rng(5)
    deadline, refused = time.monotonic() + 8, 0
    for _ in range(300):
        if time.monotonic() > deadline:
            break
        data = bytearray(original)
        for _ in range(int(rng.integers(1, 6))):
            data[int(rng.integers(len(data)))] = int(rng.integers(256))
        target.write_bytes(bytes(data))
        try:
            assert load_image(target, image_size=(16, 16)).shape == (16, 16, 3)
        except ConvlensError as error:
            assert str(target) in str(error)
            refused += 1
    assert refused > 0
