"""Atomic file writing: a temporary file in the target's folder, flushed and synced, then renamed.

A reader (or a crash) never sees a half-written file: the target is either
the old complete file or the new complete file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO, Iterator


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a temporary binary file that replaces ``path`` only if the block completes.

    Example:
        >>> with atomic_write("/tmp/example.bin") as f:
        ...     _ = f.write(b"complete")
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # open(..., "xb") rather than mkstemp: the file gets the usual umask
    # permissions instead of owner-only 0600.
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    try:
        # "x+b": readable too, for writers that seek back and read (h5py, zipfile).
        with open(tmp, "x+b") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise_naming(error, target)
        raise
    _fsync_folder(target.parent)


def raise_naming(error: BaseException, path: str | os.PathLike) -> None:
    """Re-raise a failed write as the OSError behind it, naming ``path``; return if there is none.

    A full disk surfaces as an OSError without a file name, or wrapped by the
    writer (``torch.save`` raises RuntimeError with the OSError as its
    context); either way the user should read which file could not be written.

    Example:
        >>> try:
        ...     raise_naming(OSError(28, "No space left on device"), "/runs/x/model.keras")
        ... except OSError as error:
        ...     error.filename, error.errno
        ('/runs/x/model.keras', 28)
    """
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__ or cause.__context__
    if cause is None or cause.errno is None:
        return
    raise OSError(cause.errno, cause.strerror or str(cause), os.fspath(path)) from error


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; some systems cannot open folders, and
    # there the rename is still atomic, just not yet flushed.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Example:
        >>> atomic_write_text("/tmp/example.txt", "hello")
    """
    with atomic_write(path) as handle:
        handle.write(text.encode("utf-8"))
