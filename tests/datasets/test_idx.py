"""read_idx against IDX files written independently, and every kind of damage."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from convlens.datasets.idx import IDXError, read_idx
from tests.datasets.conftest import idx_bytes

CODES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.int16, 0x0C: np.int32, 0x0D: np.float32, 0x0E: np.float64}


@pytest.mark.parametrize("code", sorted(CODES))
@pytest.mark.parametrize("compressed", [False, True])
def test_round_trip_every_dtype(code, compressed, tmp_path):
    dtype = CODES[code]
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else np.finfo(dtype)
    # Extremes and a non-palindromic pattern catch byte-order and layout errors.
    array = np.array([[info.min, -1 if info.min < 0 else 1, 0], [2, 3, info.max]], dtype=dtype)
    data = idx_bytes(array, code)
    if compressed:
        data = gzip.compress(data)
    path = tmp_path / "a.idx"
    path.write_bytes(data)
    for source in (data, path, str(path)):
        got = read_idx(source)
        assert got.dtype == np.dtype(dtype) and got.dtype.isnative
        assert got.shape == (2, 3)
        assert got.flags.writeable
        np.testing.assert_array_equal(got, array)


def test_multi_member_gzip_reads_as_gunzip_does():
    data = idx_bytes(np.arange(10, dtype=np.uint8), 0x08)
    two_members = gzip.compress(data[:7]) + gzip.compress(data[7:])
    np.testing.assert_array_equal(read_idx(two_members), np.arange(10))


def test_mnist_labels_match_published_histogram(shared_data):
    labels = read_idx(shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,)
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


GOOD = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4), 0x08)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "truncated header: 0 bytes"),
        (GOOD[:3], "truncated header: 3 bytes"),
        (b"\x01\x00" + GOOD[2:], "bad magic number 0x01000803"),
        (b"\x00\x00\x07\x03" + GOOD[4:], "unknown data type code 0x07"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (GOOD[:10], "truncated header: 3 dimensions need 12 bytes"),
        (GOOD[:-1], "needs 24 bytes, more than the file holds (23)"),
        (GOOD + b"\x00\x00", "size mismatch: 2 bytes follow the 24 data bytes"),
    ],
)
@pytest.mark.parametrize("compressed", [False, True])
def test_damaged_file_is_named_and_explained(data, message, compressed, tmp_path):
    if compressed:
        data = gzip.compress(data)
        # In a gzip file the decompressed size is only known after reading.
        message = message.replace("more than the file holds (23)", "found 23")
    path = tmp_path / "damaged.idx"
    path.write_bytes(data)
    with pytest.raises(IDXError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_stream(tmp_path):
    data = gzip.compress(GOOD)
    for cut in (len(data) - 4, len(data) // 2):  # only the trailer / half the stream lost
        with pytest.raises(IDXError, match="truncated gzip stream|truncated data"):
            read_idx(data[:cut])


def test_bad_gzip_data_and_crc():
    data = bytearray(gzip.compress(GOOD))
    crc_broken = bytes(data[:-8]) + bytes([data[-8] ^ 0xFF]) + bytes(data[-7:])
    with pytest.raises(IDXError, match="<bytes>: corrupt gzip data.*incorrect data check"):
        read_idx(crc_broken)
    not_deflate = bytes(data[:10]) + b"\xff" * 20 + bytes(data[30:])
    with pytest.raises(IDXError, match="corrupt gzip data"):
        read_idx(not_deflate)


def test_absurd_header_is_rejected_before_allocating():
    header = b"\x00\x00\x0e\x03" + (2**31).to_bytes(4, "big") * 3  # 8 * 2**93 bytes
    with pytest.raises(IDXError, match="more than a .*-byte gzip file can hold"):
        read_idx(gzip.compress(header))


def test_rejects_other_sources():
    with pytest.raises(TypeError, match="received source of type int"):
        read_idx(3)


def test_fuzzed_idx_bytes_read_or_raise_convlens_errors():
    """Seeded mutations of a plain and a gzipped IDX file: an array or an IDXError (a ConvlensError), nothing else."""
    import gzip
    import time

    from convlens.errors import ConvlensError

    raw = bytes([0, 0, 0x08, 3]) + np.array([5, 4, 3], ">u4").tobytes() + bytes(range(60))
    rng = np.random.default_rng(9)
    deadline, refused = time.monotonic() + 5, 0
    for case in range(400):
        if time.monotonic() > deadline:
            break
        data = bytearray(raw if case % 2 else gzip.compress(raw))
        for _ in range(int(rng.integers(1, 5))):
            data[int(rng.integers(len(data)))] = int(rng.integers(256))
        try:
            array = read_idx(bytes(data))
            assert array.nbytes <= 64 * len(data)  # nothing larger than the bytes could hold
        except ConvlensError as error:
            assert str(error)
            refused += 1
    assert refused > 0
