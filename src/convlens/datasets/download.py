"""Download one file, verify its SHA-256, and only then move it into place.

The bytes go to a temporary file next to the destination and are hashed as
they arrive; the verified file then appears at once (``atomic_write``), so an
interrupted, truncated or wrong download never leaves a file behind, and
processes downloading the same file at once cannot see each other's halves.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from convlens._io import atomic_write
from convlens.errors import ConvlensError

__all__ = ["DOWNLOAD_TIMEOUT_S", "DownloadError", "download"]

# Seconds to wait for the connection and for each read before giving up on a mirror.
DOWNLOAD_TIMEOUT_S = 30.0
_CHUNK = 1 << 16
_USER_AGENT = "convlens (+https://pypi.org/project/convlens/)"


class DownloadError(ConvlensError, OSError):
    """A download failed: unreachable server, HTTP error, timeout, truncation or wrong checksum."""


def download(
    url: str,
    destination: str | os.PathLike,
    sha256: str,
    *,
    size: int | None = None,
    timeout: float = DOWNLOAD_TIMEOUT_S,
    verbose: bool = True,
) -> Path:
    """Download ``url`` to ``destination`` if its SHA-256 is ``sha256``.

    With ``size`` known, a mirror that announces or sends more bytes is
    refused as soon as it does: at most ``size + 1`` bytes are read, so a
    mirror streaming endless data costs no more than the real file.

    Shows a progress bar when ``verbose`` and standard error is a terminal.

    Args:
        url: The file to fetch.
        destination: Where the verified file goes; its folder must exist.
        sha256: Expected hex digest of the file.
        size: Expected bytes of the file, or None if unknown (no cap).
        timeout: Seconds to wait for the connection and for each read.
        verbose: Whether to print the URL and show progress.

    Returns:
        ``destination`` as a Path.

    Raises:
        DownloadError: The download failed or its checksum did not match; no
            file is left at ``destination`` or next to it.

    Example:
        >>> download("https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
        ...          "t10k-labels-idx1-ubyte.gz",
        ...          "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6")
        ... # doctest: +SKIP
    """
    destination = Path(destination)
    if verbose:
        print(f"Downloading data from {url}")
    with atomic_write(destination) as out:
        digest, received = _fetch(url, out, size=size, timeout=timeout, verbose=verbose)
        if digest != sha256:
            raise DownloadError(
                f"sha256 mismatch: got {digest}, expected {sha256} ({received} bytes received)"
            )
    return destination


def _fetch(url: str, out: BinaryIO, *, size: int | None, timeout: float, verbose: bool) -> tuple[str, int]:
    """Stream ``url`` into ``out``; return the SHA-256 hex digest and the byte count.

    Reads at most ``size + 1`` bytes when ``size`` is known: one byte more
    than the file proves the mirror sends something else.
    """
    digest = hashlib.sha256()
    received = 0
    try:
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            # Content-Length, or None; read before reading the body because
            # http.client counts response.length down as bytes arrive.
            expected = response.length
            if size is not None and expected is not None and expected > size:
                raise DownloadError(f"the server announces {expected:,} bytes; the file has {size:,}")
            with _progress(url, expected, verbose) as advance:
                while block := response.read(_CHUNK if size is None else min(_CHUNK, size + 1 - received)):
                    out.write(block)
                    digest.update(block)
                    received += len(block)
                    advance(len(block))
                    if size is not None and received > size:
                        raise DownloadError(f"the server sends more than the file's {size:,} bytes; stopped")
    except DownloadError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # URLError, HTTPError and timeouts are OSErrors; IncompleteRead is an
        # HTTPException; a malformed URL is a ValueError.
        raise DownloadError(f"{type(exc).__name__}: {exc}") from exc
    if expected is not None and received < expected:
        # http.client returns b"" rather than raising when a connection closes early.
        raise DownloadError(
            f"incomplete: the connection closed after {received} of {expected} bytes"
        )
    return digest.hexdigest(), received


@contextlib.contextmanager
def _progress(url: str, total: int | None, verbose: bool) -> Iterator[Callable[[int], None]]:
    """Yield a function that advances a rich progress bar (or does nothing)."""
    if not (verbose and sys.stderr.isatty()):
        yield lambda n: None
        return
    # Imported here: rich.progress takes 60 ms to import and is only needed
    # when a download actually runs in a terminal.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(url.rsplit("/", 1)[-1], total=total)
        yield lambda n: bar.advance(task, n)
