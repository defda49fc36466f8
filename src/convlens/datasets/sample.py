"""The full dataset when it can be found, else the sample shipped with convlens.

This is what ``convlens train`` uses, so that it runs offline on a fresh
machine and says which data it trained on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from convlens.datasets.cifar import CifarDataset
from convlens.datasets.cifar10 import CIFAR10
from convlens.datasets.fashion_mnist import FASHION_MNIST
from convlens.datasets.idx_dataset import IDXDataset, Splits
from convlens.datasets.mnist import MNIST
from convlens.datasets.sources import DATA_ENV, DatasetNotFoundError, cache_dir, locate

__all__ = ["DATASETS", "LoadedData", "load_or_sample"]

# Names accepted by load_or_sample (Keras module names and folder names).
DATASETS: dict[str, IDXDataset | CifarDataset] = {
    "mnist": MNIST,
    "fashion_mnist": FASHION_MNIST,
    "fashion-mnist": FASHION_MNIST,
    "cifar10": CIFAR10,
}


@dataclass(frozen=True)
class LoadedData:
    """A loaded dataset and where it came from.

    Attributes:
        data: ``((x_train, y_train), (x_test, y_test))`` as ``load_data`` returns.
        name: The dataset's folder name (``"mnist"``, ``"fashion-mnist"``).
        is_sample: True when this is the shipped sample, not the full set.
        location: The folder the full set was read from; None for the sample.
        message: One line for the user saying which data is used and why.
        reason: Why the full set was not used (the lookup and download
            report), or None when it was.

    Example:
        >>> loaded = load_or_sample("mnist", download=False)
        >>> (x_train, y_train), (x_test, y_test) = loaded.data
        >>> print(loaded.message)  # doctest: +SKIP
        Using the full MNIST dataset from /data/mnist: 60,000 training and 10,000 test images.
    """

    data: Splits
    name: str
    is_sample: bool
    location: Path | None
    message: str
    reason: str | None = None


def load_or_sample(
    name: str = "mnist",
    *,
    path: str | os.PathLike | None = None,
    download: bool = True,
    verbose: bool = True,
) -> LoadedData:
    """Load the full dataset if it can be found or downloaded, else the shipped sample.

    The full set is looked for as ``load_data`` does (``path``, then
    ``$CONVLENS_DATA/<name>/``, then the cache, then the mirrors when
    ``download``). Only a dataset that is *not found* falls back to the
    sample, and only when no ``path`` was given: a damaged file or a wrong
    ``path`` still raises, since training on the sample would hide it. Only
    MNIST ships a sample.

    Args:
        name: ``"mnist"``, ``"fashion_mnist"`` (also ``"fashion-mnist"``) or ``"cifar10"``.
        path: A folder holding the dataset's files.
        download: Whether to try the mirrors before falling back.
        verbose: Whether to report downloads.

    Returns:
        The data with a flag and a message saying which set it is.

    Raises:
        ValueError: Unknown ``name``.
        DatasetNotFoundError: Not in ``path``, or not found and the dataset
            ships no sample.
        DatasetFileError: A file found is damaged or not the original.

    Example:
        >>> loaded = load_or_sample("mnist", download=False)
        >>> (x_train, y_train), _ = loaded.data
        >>> loaded.is_sample == (len(x_train) < 60000)
        True
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset name={name!r}; allowed: {', '.join(DATASETS)}.")
    dataset = DATASETS[name]
    try:
        paths = locate(dataset, path, download=download, verbose=verbose)
    except DatasetNotFoundError as exc:
        if dataset.sample is None or path is not None:
            raise
        data = dataset.load_sample()
        (x_train, _), (x_test, _) = data
        message = (
            f"Full {dataset.title} dataset not found, so using the sample shipped with "
            f"convlens: {len(x_train):,} training and {len(x_test):,} test images. For the "
            f"full set, set ${DATA_ENV} or put its files in {cache_dir() / dataset.name}."
        )
        return LoadedData(data, dataset.name, True, None, message, reason=str(exc))
    data = dataset.read(paths)
    (x_train, _), (x_test, _) = data
    location = next(iter(paths.values())).parent
    message = (
        f"Using the full {dataset.title} dataset from {location}: "
        f"{len(x_train):,} training and {len(x_test):,} test images."
    )
    return LoadedData(data, dataset.name, False, location, message)
