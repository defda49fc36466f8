"""Fashion-MNIST: 70,000 Zalando article images, 28x28 grayscale, 10 classes.

Xiao, Rasul, Vollgraf (2017); MIT License. A drop-in replacement for MNIST.
"""

from __future__ import annotations

import os

from convlens.datasets.idx_dataset import IDXDataset, IDXFile, Splits

__all__ = ["CLASS_NAMES", "FASHION_MNIST", "MIRRORS", "load_data"]

# Label i is CLASS_NAMES[i].
CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# Default download mirrors, tried in order; override with `mirrors=` or $CONVLENS_MIRRORS.
MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)

# SHA-256 of the original distribution files and of their decompressed content.
FASHION_MNIST = IDXDataset(
    name="fashion-mnist",
    title="Fashion-MNIST",
    files=(
        IDXFile(
            "train-images-idx3-ubyte",
            (60000, 28, 28),
            sha256_gz="3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            sha256_raw="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            size_gz=26_421_880,
        ),
        IDXFile(
            "train-labels-idx1-ubyte",
            (60000,),
            sha256_gz="a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            sha256_raw="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            size_gz=29_515,
        ),
        IDXFile(
            "t10k-images-idx3-ubyte",
            (10000, 28, 28),
            sha256_gz="346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            sha256_raw="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            size_gz=4_422_102,
        ),
        IDXFile(
            "t10k-labels-idx1-ubyte",
            (10000,),
            sha256_gz="67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            sha256_raw="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            size_gz=5_148,
        ),
    ),
    mirrors=MIRRORS,
)


def load_data(
    path: str | os.PathLike | None = None,
    *,
    mirrors: list[str] | tuple[str, ...] | None = None,
    download: bool = True,
    verbose: bool = True,
) -> Splits:
    """Load Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``, like Keras.

    x arrays are uint8 of shape (N, 28, 28), y arrays uint8 of shape (N,)
    with labels 0-9 (see ``CLASS_NAMES``); N is 60,000 for train and 10,000
    for test. The files are looked for in ``path``, then
    ``$CONVLENS_DATA/fashion-mnist/``, then the cache
    (``~/.cache/convlens/fashion-mnist/``), and downloaded into the cache
    when missing; every file is checked against the original's SHA-256.

    Args:
        path: A folder holding the four IDX files (``.gz`` or decompressed);
            when given, nothing else is tried.
        mirrors: Base URLs to download from, replacing ``MIRRORS``.
        download: Whether to download missing files into the cache.
        verbose: Whether to report downloads.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``.

    Raises:
        DatasetNotFoundError: The files are nowhere and could not be downloaded.
        DatasetFileError: A file is damaged or not the original.

    Example:
        >>> from convlens import datasets
        >>> (x_train, y_train), _ = datasets.fashion_mnist.load_data()  # doctest: +SKIP
        >>> datasets.fashion_mnist.CLASS_NAMES[y_train[0]]  # doctest: +SKIP
        'Ankle boot'
    """
    return FASHION_MNIST.load(path, mirrors=mirrors, download=download, verbose=verbose)
