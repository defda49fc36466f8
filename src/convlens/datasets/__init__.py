"""Datasets: MNIST, Fashion-MNIST and CIFAR-10 as NumPy arrays, and labelled images in folders.

Example:
    >>> from convlens import datasets
    >>> (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data(sample=True)
    >>> x_train.shape, x_train.dtype
    ((6000, 28, 28), dtype('uint8'))
"""

from convlens.datasets import cifar10, fashion_mnist, mnist
from convlens.datasets.idx import IDXError, read_idx
from convlens.datasets.image_dataset import ImageFolderDataset, load_image
from convlens.datasets.image_folder import image_dataset_from_directory
from convlens.datasets.pipeline import AUTOTUNE, Dataset
from convlens.datasets.sample import LoadedData, load_or_sample
from convlens.datasets.sources import DatasetFileError, DatasetNotFoundError, cache_dir

__all__ = [
    "AUTOTUNE",
    "Dataset",
    "DatasetFileError",
    "DatasetNotFoundError",
    "IDXError",
    "ImageFolderDataset",
    "LoadedData",
    "cache_dir",
    "cifar10",
    "fashion_mnist",
    "image_dataset_from_directory",
    "load_image",
    "load_or_sample",
    "mnist",
    "read_idx",
]
