"""Where dataset files come from: an explicit folder, $CONVLENS_DATA, the cache, a mirror.

Every file found is checked against the SHA-256 of the original distribution
file (or of its decompressed content) before it is read, so a damaged or
different file is reported, never used. A dataset is any description with a
``name``, ``title``, ``mirrors`` and ``files``; each file gives the ``names`` it
may have, its ``download_name``, ``sha256_download`` and ``download_size`` (None: unknown), ``accepts(digest)``
and ``mismatch(path, digest, title)`` (why a file that is not the original
differs): ``IDXFile`` (MNIST, Fashion-MNIST) and ``ArchiveFile`` (CIFAR-10). Hashing is cheap next to reading:
on one 2-core CPU core SHA-256 runs at ~1.5 GB/s (6.6 ms for MNIST's 9.9 MB
train images, 31 ms for their 47 MB decompressed), while decompressing them
takes 170 ms, so there is no "already verified" marker to go stale.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from convlens.datasets import download as downloads
from convlens.errors import ConvlensError, FileFormatError

if TYPE_CHECKING:
    from convlens.datasets.idx_dataset import IDXDataset, IDXFile

__all__ = [
    "DATA_ENV",
    "CACHE_ENV",
    "MIRRORS_ENV",
    "DatasetNotFoundError",
    "DatasetFileError",
    "cache_dir",
    "locate",
]

# A folder with one subfolder per dataset (mnist/, fashion-mnist/).
DATA_ENV = "CONVLENS_DATA"
# The convlens cache folder; defaults to $XDG_CACHE_HOME/convlens or ~/.cache/convlens.
CACHE_ENV = "CONVLENS_CACHE"
# Base URLs (space- or comma-separated) of servers laid out like $CONVLENS_DATA:
# <base>/<dataset name>/<file>. They replace each dataset's default mirrors.
MIRRORS_ENV = "CONVLENS_MIRRORS"


class DatasetNotFoundError(ConvlensError, FileNotFoundError):
    """The dataset's files are in none of the places looked at and could not be downloaded."""


class DatasetFileError(FileFormatError):
    """A dataset file is present but truncated, corrupt or not the original file."""


def cache_dir() -> Path:
    """The convlens cache folder: ``$CONVLENS_CACHE``, else ``$XDG_CACHE_HOME/convlens``,
    else ``~/.cache/convlens``.

    Example:
        >>> cache_dir().name  # doctest: +SKIP
        'convlens'
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "convlens"


def locate(
    dataset: IDXDataset,
    path: str | os.PathLike | None = None,
    *,
    mirrors: list[str] | tuple[str, ...] | None = None,
    download: bool = True,
    verbose: bool = True,
) -> dict[str, Path]:
    """Find the dataset's files, downloading the missing ones if allowed.

    Lookup order:

    1. ``path``, when given: the folder must hold all the files; nothing
       else is tried.
    2. ``$CONVLENS_DATA/<name>/``, when it holds all the files.
    3. The cache, ``cache_dir()/<name>/``.
    4. Files still missing from the cache are downloaded into it from the
       mirrors (``mirrors``, else ``$CONVLENS_MIRRORS``, else the dataset's
       own), each verified by SHA-256 before it is moved into place.

    An IDX file may be the original ``.gz`` or its decompressed content.

    Args:
        dataset: The dataset to find.
        path: A folder holding the files.
        mirrors: Base URLs that serve the distribution files of this dataset.
        download: Whether to download missing files into the cache.
        verbose: Whether to report downloads.

    Returns:
        File stem (e.g. ``"train-images-idx3-ubyte"``) -> verified path.

    Raises:
        DatasetNotFoundError: Files are missing and could not be downloaded;
            the message names the folder to put them in and the file names.
        DatasetFileError: A file found is damaged or differs from the original.

    Example:
        >>> from convlens.datasets.mnist import MNIST
        >>> paths = locate(MNIST, download=False)  # doctest: +SKIP
    """
    if path is not None:
        folder = Path(path).expanduser()
        found = _present(folder, dataset)
        if len(found) < len(dataset.files):
            raise DatasetNotFoundError(
                f"{dataset.title} files missing in {folder}: {_missing_names(dataset, found)}. "
                f"{_where_to_put(dataset, folder)}"
            )
        return _verified(found, dataset)

    looked_in: list[str] = []
    data_root = os.environ.get(DATA_ENV)
    if data_root:
        folder = Path(data_root).expanduser() / dataset.name
        found = _present(folder, dataset)
        if len(found) == len(dataset.files):
            return _verified(found, dataset)
        looked_in.append(f"{folder} (${DATA_ENV}; missing {_missing_names(dataset, found)})")
    else:
        looked_in.append(f"${DATA_ENV} (not set)")

    cache = cache_dir() / dataset.name
    found = _verified(_present(cache, dataset), dataset)
    missing = [f for f in dataset.files if f.stem not in found]
    if not missing:
        return found
    looked_in.append(f"{cache} (cache; missing {_missing_names(dataset, found)})")
    if not download:
        raise DatasetNotFoundError(_not_found_message(dataset, cache, looked_in, None))

    bases = _mirror_bases(dataset, mirrors)
    failures: list[str] = [] if bases else ["no mirror URLs given"]
    cache.mkdir(parents=True, exist_ok=True)
    for file in missing:
        for base in bases:
            url = base + file.download_name
            try:
                downloads.download(url, cache / file.download_name, file.sha256_download, size=file.download_size,
                                   verbose=verbose)
            except downloads.DownloadError as exc:
                failures.append(f"{url}: {exc}")
                continue
            found[file.stem] = cache / file.download_name
            # Try the mirror that worked first for the remaining files, so a
            # dead mirror costs one timeout, not one per file.
            bases = [base] + [b for b in bases if b != base]
            break
        else:
            raise DatasetNotFoundError(_not_found_message(dataset, cache, looked_in, failures))
    return found


def _mirror_bases(dataset: IDXDataset, mirrors: list[str] | tuple[str, ...] | None) -> list[str]:
    if mirrors is not None:
        bases = list(mirrors)
    elif os.environ.get(MIRRORS_ENV, "").strip():
        roots = re.split(r"[\s,]+", os.environ[MIRRORS_ENV].strip())
        bases = [f"{root.rstrip('/')}/{dataset.name}/" for root in roots]
    else:
        bases = list(dataset.mirrors)
    return [base if base.endswith("/") else base + "/" for base in bases]


def _present(folder: Path, dataset: IDXDataset) -> dict[str, Path]:
    """The first existing accepted name of each file (an IDX ``.gz`` before its decompressed form)."""
    found = {}
    for file in dataset.files:
        for name in file.names:
            if (folder / name).is_file():
                found[file.stem] = folder / name
                break
    return found


def _verified(found: dict[str, Path], dataset: IDXDataset) -> dict[str, Path]:
    for file in dataset.files:
        if file.stem in found:
            _verify(found[file.stem], file, dataset)
    return found


def _verify(path: Path, file: IDXFile, dataset: IDXDataset) -> None:
    digest = _sha256(path)
    if file.accepts(digest):
        return
    raise DatasetFileError(
        f"{file.mismatch(path, digest, dataset.title)} Replace it with the original file, or delete it to "
        "download it again."
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _missing_names(dataset: IDXDataset, found: dict[str, Path]) -> str:
    return ", ".join(f.download_name for f in dataset.files if f.stem not in found)


def _where_to_put(dataset: IDXDataset, folder: Path) -> str:
    names = ", ".join(f.download_name for f in dataset.files)
    count = {1: "the file", 4: "the four files"}.get(len(dataset.files), f"the {len(dataset.files)} files")
    forms = " (gzipped or decompressed)" if any(len(f.names) > 1 for f in dataset.files) else ""
    return f"Put {count} {names}{forms} in {folder}."


def _not_found_message(
    dataset: IDXDataset, cache: Path, looked_in: list[str], failures: list[str] | None
) -> str:
    """``failures`` lists each failed download, or is None when downloading was off."""
    lines = [
        f"{dataset.title} not found. {_where_to_put(dataset, cache)} "
        f"Or set ${DATA_ENV} to a folder whose {dataset.name}/ subfolder holds them.",
        "Looked in: " + "; ".join(looked_in) + ".",
    ]
    if failures is None:
        lines.append("Downloading was switched off.")
    else:
        lines.append("Downloads failed: " + "; ".join(failures) + ".")
    # Offline, the 6,000-image MNIST sample inside the package is what works now: say how to use it.
    lines.append("Offline, the MNIST sample shipped with convlens works: datasets.mnist.load_data(sample=True), "
                 "or `convlens train --sample`.")
    return "\n".join(lines)
