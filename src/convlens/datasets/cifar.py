"""The CIFAR archives: one verified ``.tar.gz`` of pickled batches, read without running code from the file.

CIFAR's ``cifar-10-python.tar.gz`` holds ``cifar-10-batches-py/data_batch_1`` ...
``data_batch_5`` and ``test_batch``, each a pickled dict (Python 2's, so its
keys read as bytes) of ``data``, a uint8 array of shape (N, 3072) (the red,
green and blue planes of 32x32 images, row by row), and ``labels``, N ints.

A pickle can name any Python callable to run while it loads. The archive's
SHA-256 is checked against the published one before anything is read, and
the batches are then read by an unpickler that allows only what they are
made of: dicts, lists, bytes, ints and NumPy's array reconstruction
(``numpy.core.multiarray._reconstruct``, ``numpy.ndarray``, ``numpy.dtype``);
anything else, such as a ``__reduce__`` payload calling ``os.system``, is refused.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convlens import limits
from convlens.datasets.idx_dataset import IDXDataset, Splits
from convlens.datasets.sources import DatasetFileError

__all__ = ["ArchiveFile", "CifarDataset", "RestrictedUnpickler", "load_batch"]

# The callables a CIFAR batch needs to rebuild its NumPy array (numpy < 2 and numpy >= 2 spellings); nothing else.
ALLOWED_GLOBALS = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
})
IMAGE_SHAPE = (3, 32, 32)  # each row of `data`: channel planes first


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only plain data and NumPy arrays.

    Example:
        >>> import pickle
        >>> RestrictedUnpickler(io.BytesIO(pickle.dumps({b"labels": [1, 2]}))).load()
        {b'labels': [1, 2]}
        >>> RestrictedUnpickler(io.BytesIO(pickle.dumps(print))).load()
        Traceback (most recent call last):
        ...
        _pickle.UnpicklingError: Refusing to load builtins.print from a dataset file: only plain data and NumPy arrays are allowed.
    """

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load {module}.{name} from a dataset file: only plain data and NumPy arrays are allowed."
        )


def load_batch(stream: io.BufferedIOBase | bytes, where: str, label_key: str = "labels") -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR batch as ``(images, labels)``: uint8 (N, 3, 32, 32) and uint8 (N,), as Keras's ``load_batch``.

    Args:
        stream: The pickled batch (a binary file or its bytes).
        where: Names the batch in error messages.
        label_key: ``"labels"`` (CIFAR-10), ``"fine_labels"`` or ``"coarse_labels"`` (CIFAR-100).

    Raises:
        DatasetFileError: The batch is not a CIFAR batch, or its pickle names
            anything but plain data and NumPy arrays.

    Example:
        >>> batch = pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [3, 7]})
        >>> images, labels = load_batch(batch, "data_batch_1")
        >>> images.shape, labels.tolist()
        ((2, 3, 32, 32), [3, 7])
    """
    if isinstance(stream, bytes):
        stream = io.BytesIO(stream)
    try:
        batch = RestrictedUnpickler(stream, encoding="bytes").load()
    except pickle.UnpicklingError as exc:
        raise DatasetFileError(f"{where}: {exc} The file may be corrupted or malicious.") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError, MemoryError) as exc:
        raise DatasetFileError(f"{where}: not a readable CIFAR batch ({type(exc).__name__}: {exc}).") from None
    if not isinstance(batch, dict):
        raise DatasetFileError(f"{where}: a CIFAR batch is a pickled dict; found {type(batch).__name__}.")
    batch = {key.decode("utf8") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    data, labels = batch.get("data"), batch.get(label_key)
    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2
            and data.shape[1] == np.prod(IMAGE_SHAPE)):
        found = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DatasetFileError(f"{where}: 'data' must be a uint8 array of shape (N, 3072); found {found}.")
    if not (isinstance(labels, (list, np.ndarray)) and len(labels) == len(data)
            and all(isinstance(label, (int, np.integer)) and 0 <= label < 256 for label in labels)):
        raise DatasetFileError(f"{where}: {label_key!r} must hold one label in 0-255 per image ({len(data)}).")
    return data.reshape(len(data), *IMAGE_SHAPE), np.asarray(labels, dtype=np.uint8)


@dataclass(frozen=True)
class ArchiveFile:
    """A dataset shipped as one archive, identified by its published SHA-256.

    Example:
        >>> ArchiveFile("cifar-10-python.tar.gz", "6d95...").names
        ('cifar-10-python.tar.gz',)
    """

    stem: str
    sha256: str
    size: int | None = None  # bytes of the published archive: a mirror sending more is cut off

    @property
    def names(self) -> tuple[str]:
        return (self.stem,)

    @property
    def download_name(self) -> str:
        return self.stem

    @property
    def sha256_download(self) -> str:
        return self.sha256

    @property
    def download_size(self) -> int | None:
        return self.size

    def accepts(self, digest: str) -> bool:
        return digest == self.sha256

    def mismatch(self, path: Path, digest: str, title: str) -> str:
        return (f"{path}: sha256 {digest} is not that of the original {title} archive ({self.sha256}); the file "
                "is truncated, damaged or another file.")


@dataclass(frozen=True)
class CifarDataset:
    """A CIFAR dataset: its archive, the batches inside it and where to download it.

    Attributes:
        name: Folder name under ``$CONVLENS_DATA`` and the cache (``"cifar10"``).
        title: Human-readable name for messages (``"CIFAR-10"``).
        files: The one archive.
        mirrors: Base URLs that serve the archive.
        folder: The folder inside the archive that holds the batches.
        train_batches: The training batches, in order.
        test_batch: The test batch.
        label_key: The labels' key in each batch.

    Example:
        >>> from convlens.datasets.cifar10 import CIFAR10
        >>> (x_train, y_train), (x_test, y_test) = CIFAR10.load()  # doctest: +SKIP
    """

    name: str
    title: str
    files: tuple[ArchiveFile]
    mirrors: tuple[str, ...]
    folder: str
    train_batches: tuple[str, ...]
    test_batch: str
    label_key: str = "labels"
    sample: None = None  # no sample ships with convlens

    load = IDXDataset.load  # the same lookup and SHA-256 check, then this dataset's `read`

    def read(self, paths: dict[str, Path]) -> Splits:
        """Read the verified archive that ``locate`` returned: uint8 images (N, 32, 32, 3), labels (N, 1).

        Raises:
            DatasetFileError: The archive lacks a batch or a batch is not CIFAR's.

        Example:
            >>> from convlens.datasets.cifar10 import CIFAR10
            >>> splits = CIFAR10.load()  # doctest: +SKIP
        """
        path = paths[self.files[0].stem]
        batches = self._batches(path)
        images, labels = zip(*(batches[name] for name in self.train_batches))
        x_test, y_test = batches[self.test_batch]
        # (N, 3, 32, 32) -> (N, 32, 32, 3): channels last, as Keras returns them; labels (N, 1) as Keras's.
        return ((np.concatenate(images).transpose(0, 2, 3, 1), np.concatenate(labels).reshape(-1, 1)),
                (x_test.transpose(0, 2, 3, 1), y_test.reshape(-1, 1)))

    def _batches(self, path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each wanted batch, read in one pass over the archive (a gzip stream does not seek cheaply)."""
        wanted = {f"{self.folder}/{name}": name for name in (*self.train_batches, self.test_batch)}
        found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        try:
            with tarfile.open(path, "r:gz") as archive:
                for member in archive:
                    if member.name not in wanted:
                        continue
                    where = f"{path}: {member.name}"
                    if not member.isfile():
                        raise DatasetFileError(f"{where} is not a regular file in the archive.")
                    limits.check_size(member.size, "CONVLENS_MAX_MEMBER_BYTES", where)
                    with archive.extractfile(member) as stream:
                        found[wanted[member.name]] = load_batch(stream, where, self.label_key)
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise DatasetFileError(f"{path}: not a readable .tar.gz archive ({exc}).") from None
        missing = [name for name in wanted if wanted[name] not in found]
        if missing:
            raise DatasetFileError(f"{path}: the archive lacks {', '.join(missing)}; it is not {self.title}'s.")
        return found

