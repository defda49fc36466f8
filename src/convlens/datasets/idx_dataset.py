"""One description serves every four-file IDX dataset (MNIST, Fashion-MNIST).

A dataset is its name, its four files with their checksums and its mirrors;
``mnist.py`` and ``fashion_mnist.py`` are thin variants that only fill these in.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from convlens.datasets.idx import IDXError, read_idx
from convlens.datasets.sources import locate

__all__ = ["IDXDataset", "IDXFile", "Splits"]

# ((x_train, y_train), (x_test, y_test)), as keras.datasets returns them.
Splits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class IDXFile:
    """One file of an IDX dataset, identified by its original checksums.

    Attributes:
        stem: The decompressed file name, e.g. ``"train-images-idx3-ubyte"``.
        shape: The array shape the file holds.
        sha256_gz: SHA-256 of the original ``.gz`` distribution file.
        sha256_raw: SHA-256 of the decompressed file.
        size_gz: Bytes of the ``.gz`` file, or None if unknown: a download
            stops reading once a mirror sends more.

    Example:
        >>> IDXFile("t10k-labels-idx1-ubyte", (10000,), "f7ae...", "ff7b...").gz_name
        't10k-labels-idx1-ubyte.gz'
    """

    stem: str
    shape: tuple[int, ...]
    sha256_gz: str
    sha256_raw: str
    size_gz: int | None = None

    @property
    def gz_name(self) -> str:
        """The original distribution file name."""
        return f"{self.stem}.gz"

    @property
    def names(self) -> tuple[str, str]:
        """Accepted file names, in the order they are looked for."""
        return self.gz_name, self.stem

    @property
    def download_name(self) -> str:
        """The name the mirrors serve the file under."""
        return self.gz_name

    @property
    def sha256_download(self) -> str:
        """SHA-256 of the file the mirrors serve."""
        return self.sha256_gz

    @property
    def download_size(self) -> int | None:
        """Bytes of the file the mirrors serve (a mirror sending more is cut off), or None if unknown."""
        return self.size_gz

    def accepts(self, digest: str) -> bool:
        """Whether ``digest`` is the SHA-256 of the original ``.gz`` or of its decompressed content."""
        return digest in (self.sha256_gz, self.sha256_raw)

    def mismatch(self, path: Path, digest: str, title: str) -> str:
        """How the file at ``path`` (SHA-256 ``digest``) differs from the original, for the error message.

        The checksum only says "different"; parsing says how, which is what
        the user needs to fix it (truncated download, wrong file, ...).
        """
        try:
            array = read_idx(path)
        except IDXError as exc:
            return str(exc)
        if array.shape != self.shape or array.dtype.name != "uint8":
            return f"{path}: holds {array.dtype.name} {array.shape}, but {title}'s {self.stem} is uint8 {self.shape}."
        return (
            f"{path}: sha256 {digest} matches neither the original {self.gz_name} ({self.sha256_gz}) nor its "
            f"decompressed content ({self.sha256_raw}); the file is well-formed but its content differs from "
            "the original."
        )


@dataclass(frozen=True)
class IDXDataset:
    """A dataset stored as four IDX files: train/test images and labels.

    Attributes:
        name: Folder name under ``$CONVLENS_DATA`` and the cache (``"mnist"``).
        title: Human-readable name for messages (``"MNIST"``).
        files: Train images, train labels, test images, test labels.
        mirrors: Base URLs that serve the four ``.gz`` files.
        sample: File name of a sample shipped in ``convlens/datasets/sample/``,
            or None when the dataset has none.

    Example:
        >>> from convlens.datasets.mnist import MNIST
        >>> (x_train, y_train), (x_test, y_test) = MNIST.load()  # doctest: +SKIP
    """

    name: str
    title: str
    files: tuple[IDXFile, IDXFile, IDXFile, IDXFile]
    mirrors: tuple[str, ...]
    sample: str | None = None

    def load(
        self,
        path: str | os.PathLike | None = None,
        *,
        mirrors: list[str] | tuple[str, ...] | None = None,
        download: bool = True,
        verbose: bool = True,
    ) -> Splits:
        """Find (or download) the dataset's files, verify them and read them (with ``self.read``).

        See ``convlens.datasets.sources.locate`` for the lookup order; ``CifarDataset`` loads the same way.

        Example:
            >>> from convlens.datasets.mnist import MNIST
            >>> (x_train, y_train), _ = MNIST.load("data/mnist")  # doctest: +SKIP
        """
        return self.read(locate(self, path, mirrors=mirrors, download=download, verbose=verbose))

    def read(self, paths: dict[str, Path]) -> Splits:
        """Read the four verified files that ``locate`` returned.

        Example:
            >>> from convlens.datasets.mnist import MNIST
            >>> splits = MNIST.read(locate(MNIST))  # doctest: +SKIP
        """
        x_train, y_train, x_test, y_test = (read_idx(paths[f.stem]) for f in self.files)
        return (x_train, y_train), (x_test, y_test)

    def load_sample(self) -> Splits:
        """Load the small sample of this dataset that ships with convlens.

        Raises:
            ValueError: The dataset ships no sample.

        Example:
            >>> from convlens.datasets.mnist import MNIST
            >>> (x_train, y_train), (x_test, y_test) = MNIST.load_sample()
            >>> x_train.dtype, x_train.shape[1:]
            (dtype('uint8'), (28, 28))
        """
        if self.sample is None:
            raise ValueError(f"{self.title} ships no sample; only the full set can be loaded.")
        blob = resources.files("convlens.datasets").joinpath("sample", self.sample).read_bytes()
        with np.load(io.BytesIO(blob)) as archive:
            return (archive["x_train"], archive["y_train"]), (archive["x_test"], archive["y_test"])
