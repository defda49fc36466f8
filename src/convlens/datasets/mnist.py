"""MNIST: 70,000 handwritten digits, 28x28 grayscale, labels 0-9.

LeCun, Bottou, Bengio, Haffner (1998); CC BY-SA 3.0.
"""

from __future__ import annotations

import os

from convlens.datasets.idx_dataset import IDXDataset, IDXFile, Splits

__all__ = ["MIRRORS", "MNIST", "load_data"]

# Default download mirrors, tried in order; override with `mirrors=` or $CONVLENS_MIRRORS.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

# SHA-256 of the original distribution files and of their decompressed content.
MNIST = IDXDataset(
    name="mnist",
    title="MNIST",
    files=(
        IDXFile(
            "train-images-idx3-ubyte",
            (60000, 28, 28),
            sha256_gz="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            sha256_raw="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            size_gz=9_912_422,
        ),
        IDXFile(
            "train-labels-idx1-ubyte",
            (60000,),
            sha256_gz="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            sha256_raw="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            size_gz=28_881,
        ),
        IDXFile(
            "t10k-images-idx3-ubyte",
            (10000, 28, 28),
            sha256_gz="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            sha256_raw="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            size_gz=1_648_877,
        ),
        IDXFile(
            "t10k-labels-idx1-ubyte",
            (10000,),
            sha256_gz="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            sha256_raw="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            size_gz=4_542,
        ),
    ),
    mirrors=MIRRORS,
    sample="mnist_sample.npz",
)


def load_data(
    path: str | os.PathLike | None = None,
    *,
    sample: bool = False,
    mirrors: list[str] | tuple[str, ...] | None = None,
    download: bool = True,
    verbose: bool = True,
) -> Splits:
    """Load MNIST as ``((x_train, y_train), (x_test, y_test))``, like Keras.

    x arrays are uint8 of shape (N, 28, 28), y arrays uint8 of shape (N,);
    N is 60,000 for train and 10,000 for test. The files are looked for in
    ``path``, then ``$CONVLENS_DATA/mnist/``, then the cache
    (``~/.cache/convlens/mnist/``), and downloaded into the cache when
    missing; every file is checked against the original's SHA-256.

    Args:
        path: A folder holding the four IDX files (``.gz`` or decompressed);
            when given, nothing else is tried.
        sample: Return the stratified sample shipped with convlens instead
            (6,000 train and 1,000 test images), which needs no files.
        mirrors: Base URLs to download from, replacing ``MIRRORS``.
        download: Whether to download missing files into the cache.
        verbose: Whether to report downloads.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``.

    Raises:
        DatasetNotFoundError: The files are nowhere and could not be downloaded.
        DatasetFileError: A file is damaged or not the original.
        ValueError: ``sample=True`` together with ``path`` or ``mirrors``.

    Example:
        >>> from convlens import datasets
        >>> (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data(sample=True)
        >>> x_train.shape, y_test.shape
        ((6000, 28, 28), (1000,))
    """
    if sample:
        if path is not None or mirrors is not None:
            raise ValueError(
                "sample=True loads the shipped sample and takes no path or mirrors; "
                f"received path={path!r}, mirrors={mirrors!r}."
            )
        return MNIST.load_sample()
    return MNIST.load(path, mirrors=mirrors, download=download, verbose=verbose)
