"""Downloads from a local HTTP server: success, bad checksum, dead and partial mirrors."""

from __future__ import annotations

import http.server
import socket

import numpy as np
import pytest

from convlens.datasets import fashion_mnist, mnist
from convlens.datasets.download import DownloadError, download
from convlens.datasets.sources import DatasetNotFoundError, locate


def dead_url() -> str:
    """A URL on a local port that nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_downloads_real_mnist_into_cache(shared_data, serve, tmp_path, capsys):
    base = serve(shared_data)
    splits = mnist.load_data(mirrors=[base + "mnist/"])
    (x_train, y_train), (x_test, y_test) = splits
    (x_train0, y_train0), (x_test0, y_test0) = mnist.load_data(shared_data / "mnist")
    # np.array_equal: assert_array_equal takes 1.4 s on 47 million pixels, this 14 ms.
    for got, want in [(x_train, x_train0), (y_train, y_train0), (x_test, x_test0), (y_test, y_test0)]:
        assert got.shape == want.shape and np.array_equal(got, want)
    cache = tmp_path / "cache" / "mnist"
    assert leftovers(cache) == sorted(f.gz_name for f in mnist.MNIST.files)
    for name in leftovers(cache):
        assert (cache / name).read_bytes() == (shared_data / "mnist" / name).read_bytes()
    assert f"Downloading data from {base}mnist/train-images-idx3-ubyte.gz" in capsys.readouterr().out
    # Now cached: no server needed.
    mnist.load_data(mirrors=[dead_url()], verbose=False)


def test_checksum_mismatch_leaves_no_file(tiny, serve, tmp_path):
    served = tiny.write(tmp_path / "served")
    corrupted = bytearray(tiny.gz["t10k-labels-idx1-ubyte"])
    corrupted[20] ^= 0xFF
    (served / "t10k-labels-idx1-ubyte.gz").write_bytes(corrupted)
    with pytest.raises(DatasetNotFoundError, match="t10k-labels-idx1-ubyte.gz: sha256 mismatch"):
        locate(tiny.dataset, mirrors=[serve(served)], verbose=False)
    cache = tmp_path / "cache" / "tiny"
    # The three good files are kept; the bad one, and any temporary file, are gone.
    assert leftovers(cache) == sorted(
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]
    )


class _Counting404(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - the base class's name
        self.requests.append(self.path)
        self.send_error(404)

    def log_message(self, format, *args):  # noqa: A002
        pass


def test_unreachable_and_missing_mirrors_fall_through(tiny, serve, tmp_path):
    good = serve(tiny.write(tmp_path / "served"))
    missing = serve(tmp_path, handler=_Counting404)
    _Counting404.requests = []
    paths = locate(tiny.dataset, mirrors=[dead_url(), missing, good], verbose=False)
    tiny.check(tiny.dataset.read(paths))
    assert {p.parent for p in paths.values()} == {tmp_path / "cache" / "tiny"}
    # Once a mirror works, the remaining files come from it first.
    assert _Counting404.requests == ["/train-images-idx3-ubyte.gz"]


def test_all_mirrors_fail_names_folder_and_files(tiny, serve, tmp_path):
    dead, empty = dead_url(), serve(tmp_path)
    with pytest.raises(DatasetNotFoundError) as info:
        locate(tiny.dataset, mirrors=[dead, empty], verbose=False)
    message = str(info.value)
    cache = tmp_path / "cache" / "tiny"
    assert (
        "Put the four files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        f"t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (gzipped or decompressed) in {cache}."
    ) in message
    assert f"{dead}train-images-idx3-ubyte.gz: URLError" in message
    assert f"{empty}train-images-idx3-ubyte.gz: HTTPError: HTTP Error 404" in message
    assert leftovers(cache) == []


def test_env_mirrors_are_laid_out_like_convlens_data(tiny, serve, tmp_path, monkeypatch):
    tiny.write(tmp_path / "served" / "tiny")
    monkeypatch.setenv("CONVLENS_MIRRORS", f"{dead_url()}, {serve(tmp_path / 'served')}")
    tiny.check(tiny.dataset.load(verbose=False))


class _ShortBody(http.server.BaseHTTPRequestHandler):
    """Promises 1000 bytes, sends 10, then closes."""

    def do_GET(self):  # noqa: N802 - the base class's name
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.close_connection = True

    def log_message(self, format, *args):  # noqa: A002
        pass


def test_interrupted_download_leaves_no_file(serve, tmp_path):
    url = serve(tmp_path, handler=_ShortBody) + "file.gz"
    target = tmp_path / "out" / "file.gz"
    target.parent.mkdir()
    with pytest.raises(DownloadError, match="incomplete: the connection closed after 10 of 1000 bytes"):
        download(url, target, "0" * 64, verbose=False)
    assert leftovers(target.parent) == []


@pytest.mark.parametrize(
    ("url", "error"), [("nope://x/f.gz", "URLError"), ("no-scheme/f.gz", "ValueError")]
)
def test_malformed_url_is_a_download_error(tmp_path, url, error):
    with pytest.raises(DownloadError, match=error):
        download(url, tmp_path / "file.gz", "0" * 64, verbose=False)
    assert leftovers(tmp_path) == []


class _Endless(http.server.BaseHTTPRequestHandler):
    """Streams up to 200 MB for any file, with no Content-Length, counting what it manages to send."""

    sent = 0
    announce: int | None = None

    def do_GET(self):  # noqa: N802 - the base class's name
        self.send_response(200)
        if self.announce is not None:
            self.send_header("Content-Length", str(self.announce))
        self.end_headers()
        block = b"x" * (1 << 16)
        try:
            for _ in range(200 * 16):  # 200 MB
                self.wfile.write(block)
                type(self).sent += len(block)
        except OSError:  # the client hung up
            pass
        self.close_connection = True

    def log_message(self, format, *args):  # noqa: A002
        pass


def test_a_mirror_sending_more_than_the_file_is_cut_off_early(serve, tmp_path):
    _Endless.sent, _Endless.announce = 0, None
    url = serve(tmp_path, handler=_Endless) + "file.gz"
    target = tmp_path / "out" / "file.gz"
    target.parent.mkdir()
    with pytest.raises(DownloadError, match="sends more than the file's 100,000 bytes"):
        download(url, target, "0" * 64, size=100_000, verbose=False)
    assert leftovers(target.parent) == []
    # The client stopped reading at 100,001 bytes; the server got no further than the socket buffers hold.
    assert _Endless.sent < 32 << 20


def test_a_mirror_announcing_more_than_the_file_is_refused_before_the_body(serve, tmp_path):
    _Endless.sent, _Endless.announce = 0, 200 << 20
    url = serve(tmp_path, handler=_Endless) + "file.gz"
    with pytest.raises(DownloadError, match="announces 209,715,200 bytes; the file has 9,912,422"):
        download(url, tmp_path / "file.gz", "0" * 64, size=9_912_422, verbose=False)
    assert leftovers(tmp_path) == []


def test_known_sizes_are_the_originals(shared_data):
    for dataset, folder in [(mnist.MNIST, "mnist"), (fashion_mnist.FASHION_MNIST, "fashion-mnist")]:
        for file in dataset.files:
            assert file.size_gz == (shared_data / folder / file.gz_name).stat().st_size
