"""CIFAR-10: 60,000 colour photos, 32x32, in 10 classes (airplane ... truck).

Krizhevsky (2009), "Learning Multiple Layers of Features from Tiny Images".
"""

from __future__ import annotations

import os

from convlens.datasets.cifar import ArchiveFile, CifarDataset
from convlens.datasets.idx_dataset import Splits

__all__ = ["CIFAR10", "CLASS_NAMES", "MIRRORS", "load_data"]

# Label i is CLASS_NAMES[i].
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

# Default download mirror; override with `mirrors=` or $CONVLENS_MIRRORS.
MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)

# The published SHA-256 of the original archive (170,498,071 bytes; md5 c58f30108f718f92721af3b95e74349a).
CIFAR10 = CifarDataset(
    name="cifar10",
    title="CIFAR-10",
    # 170,498,071 bytes: the size Keras's own download reports for this file.
    files=(ArchiveFile("cifar-10-python.tar.gz", "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                       size=170_498_071),),
    mirrors=MIRRORS,
    folder="cifar-10-batches-py",
    train_batches=tuple(f"data_batch_{i}" for i in range(1, 6)),
    test_batch="test_batch",
)


def load_data(
    path: str | os.PathLike | None = None,
    *,
    mirrors: list[str] | tuple[str, ...] | None = None,
    download: bool = True,
    verbose: bool = True,
) -> Splits:
    """Load CIFAR-10 as ``((x_train, y_train), (x_test, y_test))``, like Keras.

    x arrays are uint8 of shape (N, 32, 32, 3), y arrays uint8 of shape (N, 1)
    with labels 0-9 (see ``CLASS_NAMES``); N is 50,000 for train and 10,000 for
    test. The archive ``cifar-10-python.tar.gz`` is looked for in ``path``, then
    ``$CONVLENS_DATA/cifar10/``, then the cache (``~/.cache/convlens/cifar10/``),
    and downloaded into the cache when missing; it is checked against the
    original's SHA-256 before it is read, and its pickled batches are read
    without running code from them (see ``convlens.datasets.cifar``).

    Args:
        path: A folder holding ``cifar-10-python.tar.gz``; when given, nothing else is tried.
        mirrors: Base URLs to download from, replacing ``MIRRORS``.
        download: Whether to download a missing archive into the cache.
        verbose: Whether to report downloads.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``.

    Raises:
        DatasetNotFoundError: The archive is nowhere and could not be downloaded.
        DatasetFileError: The archive is damaged, not the original, or holds
            something other than CIFAR's batches.

    Example:
        >>> from convlens import datasets
        >>> (x_train, y_train), _ = datasets.cifar10.load_data()  # doctest: +SKIP
        >>> x_train.shape, y_train.shape, datasets.cifar10.CLASS_NAMES[y_train[0, 0]]  # doctest: +SKIP
        ((50000, 32, 32, 3), (50000, 1), 'frog')
    """
    return CIFAR10.load(path, mirrors=mirrors, download=download, verbose=verbose)
