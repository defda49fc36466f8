"""A dataset of image files, decoded in a thread pool and streamed in batches.

Only the batches being prepared are in memory, so a folder larger than RAM
trains. Pillow and the NumPy resize release the GIL, so decoding threads
run in parallel; the pool works ``prefetch`` batches ahead of the consumer.
"""

from __future__ import annotations

import logging
import os
import struct
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from PIL import Image

from convlens import limits
from convlens.datasets.pipeline import Dataset, to_tensor, tree_map
from convlens.datasets.checks import check_choice, image_size_pair
from convlens.errors import FileFormatError, LimitExceededError
from convlens.datasets.resize import INTERPOLATIONS, crop_box_to_aspect_ratio, resize

__all__ = ["COLOR_MODES", "LABEL_MODES", "ImageFolderDataset", "load_image"]

logger = logging.getLogger(__name__)

# color_mode -> (channels, Pillow mode)
COLOR_MODES = {"grayscale": (1, "L"), "rgb": (3, "RGB"), "rgba": (4, "RGBA")}
LABEL_MODES = ("int", "categorical", "binary", None)


def load_image(
    path: str | os.PathLike,
    *,
    color_mode: str = "rgb",
    image_size: tuple[int, int] = (256, 256),
    interpolation: str = "bilinear",
    crop_to_aspect_ratio: bool = False,
) -> np.ndarray:
    """Decode one image file and resize it, as Keras's image-folder loader does.

    The first frame of an animated GIF is used; 16-bit PNGs are scaled to
    8 bits (top byte), like ``tf.image.decode_image``.

    Args:
        path: A JPEG, PNG, BMP or GIF file.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        image_size: Output (height, width).
        interpolation: A method of ``convlens.datasets.resize.INTERPOLATIONS``.
        crop_to_aspect_ratio: Crop the centre to the output's aspect ratio
            before resizing, instead of distorting it.

    Returns:
        (height, width, channels) float32 array with values 0..255.

    Raises:
        ValueError: A bad ``color_mode``, ``image_size`` or ``interpolation``.
        OSError: The file cannot be read or decoded (Pillow's errors).

    Example:
        >>> load_image("cats/cat.0.jpg", image_size=(64, 64)).shape  # doctest: +SKIP
        (64, 64, 3)
    """
    check_choice("color_mode", color_mode, COLOR_MODES)
    check_choice("interpolation", interpolation, INTERPOLATIONS)
    image_size = image_size_pair(image_size)
    return _fit(_decode(path, color_mode), image_size, interpolation, crop_to_aspect_ratio)


def open_image(path: str | os.PathLike) -> Image.Image:
    """Open an image file lazily, refusing what must not be decoded: a non-regular file, too many pixels.

    The pixel limit is Pillow's ``Image.MAX_IMAGE_PIXELS`` (89,478,485 by
    default, a 9459×9459 picture), checked from the header before any pixel is
    decoded; ``CONVLENS_MAX_IMAGE_PIXELS`` raises it for trusted files.

    Raises:
        FileFormatError: the path is a folder, FIFO or device, or not an image.
        LimitExceededError: the image has more pixels than the limit.

    Example:
        >>> with open_image("digit.png") as image:  # doctest: +SKIP
        ...     image.size
        (28, 28)
    """
    if not os.path.isfile(path):
        kind = "does not exist" if not os.path.exists(path) else "is not a regular file (a folder, FIFO or device)"
        raise FileFormatError(f"{os.fspath(path)} {kind}; an image file is needed.")
    cap = limits.limit("CONVLENS_MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS or 1 << 62)
    if cap > (Image.MAX_IMAGE_PIXELS or cap):
        Image.MAX_IMAGE_PIXELS = cap  # raised on purpose: Pillow's own guard (2x its limit) must not undo it
    try:
        image = Image.open(path)
    except Image.DecompressionBombError:
        image = None
    except (OSError, ValueError, SyntaxError) as error:
        raise FileFormatError(f"{os.fspath(path)} cannot be read as an image: {error}") from None
    pixels = image.width * image.height if image is not None else cap + 1
    if pixels > cap:
        if image is not None:
            image.close()
        raise LimitExceededError(
            f"{os.fspath(path)}: the image has more pixels than the limit of {cap:,} (a decompression bomb guard); "
            "if the file is trusted, raise it with the environment variable CONVLENS_MAX_IMAGE_PIXELS=<pixels>.")
    return image


def _decode(path: str | os.PathLike, color_mode: str) -> np.ndarray:
    """(H, W, C) uint8 pixels of the file's first frame."""
    channels, mode = COLOR_MODES[color_mode]
    with open_image(path) as image:
        try:
            if image.mode.startswith("I;16"):
                image = Image.fromarray((np.asarray(image) >> 8).astype(np.uint8), "L")
            pixels = np.asarray(image.convert(mode))
        except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, struct.error) as error:
            # A damaged file surfaces from Pillow's decoders as any of these.
            raise FileFormatError(f"{os.fspath(path)} cannot be decoded as an image: {error}") from None
    return pixels.reshape(pixels.shape[0], pixels.shape[1], channels)


def _fit(
    pixels: np.ndarray, image_size: tuple[int, int], interpolation: str, crop_to_aspect_ratio: bool
) -> np.ndarray:
    if crop_to_aspect_ratio:
        top, left, height, width = crop_box_to_aspect_ratio(*pixels.shape[:2], image_size)
        pixels = pixels[top : top + height, left : left + width]
    return resize(pixels, image_size, interpolation)


class ImageFolderDataset(Dataset):
    """Batches of (images, labels) decoded from files, reshuffled every epoch.

    Usually made by ``image_dataset_from_directory``. Iterating yields
    ``(x, y)`` with x float32 (B, H, W, C) in 0..255 and y per label mode:
    ``"int"`` int32 (B,), ``"categorical"`` float32 one-hot (B, K),
    ``"binary"`` float32 (B, 1); with ``label_mode=None`` only x (NumPy arrays). tf.data's methods
    (``map``, ``cache``, ``shuffle``, ``prefetch``, ``take``, ... of ``convlens.datasets.pipeline.Dataset``)
    stream the same batches on as CPU torch tensors, which have ``.numpy()``. With
    ``batch_size=None`` single samples come out, without the batch axis.

    A file that cannot be decoded is skipped with a warning naming it
    (logged once per file), so its batch is one image shorter; a batch
    left empty is not yielded. An epoch in which no file at all could be
    decoded raises ``FileFormatError`` naming the folder, how many files were
    skipped and why (the first few), instead of yielding nothing.

    Args:
        file_paths: The image files.
        labels: One int label per file, or None for images only.
        class_names: Label i's name is ``class_names[i]``; None without labels.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"``, or None
            (exactly when ``labels`` is None).
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        image_size: (height, width) every image is resized to.
        interpolation: A method of ``convlens.datasets.resize.INTERPOLATIONS``.
        crop_to_aspect_ratio: Crop the centre to the aspect ratio of
            ``image_size`` before resizing.
        batch_size: Images per batch, or None for single images.
        shuffle: Visit the files in a new random order every epoch; if
            False, in the order of ``file_paths``.
        seed: Seed of the epoch orders (drawn at random when None).
        num_workers: Decoding threads (default: the number of CPUs).
        prefetch: Batches decoded ahead of the one being consumed.

    Attributes:
        file_paths: The files, as given.
        class_names: The class names, or None.
        labels: int32 label of each file, or None.

    Example:
        >>> ds = ImageFolderDataset(["a.png", "b.png"], np.array([0, 1]), ["a", "b"],
        ...                         image_size=(32, 32), batch_size=2, seed=0)
        >>> len(ds)
        1
    """

    def __init__(
        self,
        file_paths: Sequence[str],
        labels: np.ndarray | None,
        class_names: Sequence[str] | None,
        *,
        label_mode: str | None = "int",
        color_mode: str = "rgb",
        image_size: tuple[int, int] = (256, 256),
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        batch_size: int | None = 32,
        shuffle: bool = True,
        seed: int | None = None,
        num_workers: int | None = None,
        prefetch: int = 2,
    ):
        check_choice("label_mode", label_mode, LABEL_MODES)
        check_choice("color_mode", color_mode, COLOR_MODES)
        check_choice("interpolation", interpolation, INTERPOLATIONS)
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(
                f"batch_size must be a positive int or None, received batch_size={batch_size!r}."
            )
        if prefetch < 0:
            raise ValueError(f"prefetch must be >= 0, received prefetch={prefetch!r}.")
        if (labels is None) != (label_mode is None):
            raise ValueError(
                f"labels and label_mode must both be given or both be None, received "
                f"label_mode={label_mode!r} and labels {'None' if labels is None else 'given'}."
            )
        if labels is not None and len(labels) != len(file_paths):
            raise ValueError(
                f"labels has {len(labels)} entries but there are {len(file_paths)} files."
            )
        if labels is not None and class_names is None:
            raise ValueError("class_names is needed with labels (label i is class_names[i]).")
        if label_mode == "categorical" and len(labels) and not (
            0 <= np.min(labels) and np.max(labels) < len(class_names)
        ):
            raise ValueError(
                f"label_mode='categorical' needs labels in 0..{len(class_names) - 1} (one per "
                f"class name), received labels from {np.min(labels)} to {np.max(labels)}."
            )
        self.file_paths = list(file_paths)
        self.labels = None if labels is None else np.asarray(labels, dtype=np.int32)
        self.class_names = None if class_names is None else list(class_names)
        self.label_mode = label_mode
        self.color_mode = color_mode
        self.image_size = image_size_pair(image_size)
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.batch_size = batch_size
        self.shuffle_files = shuffle
        # Like Keras, shuffling without a seed draws one: unseeded runs differ.
        self.seed = np.random.randint(1_000_000) if seed is None and shuffle else seed
        self.num_workers = num_workers or os.cpu_count() or 1
        self.prefetch_batches = prefetch
        self._epoch = 0
        self._reported: set[str] = set()

    def __len__(self) -> int:
        """Number of batches per epoch (files when ``batch_size`` is None)."""
        if self.batch_size is None:
            return len(self.file_paths)
        return -(-len(self.file_paths) // self.batch_size)

    def cardinality(self) -> int:
        """Number of batches per epoch, as tf.data's ``cardinality()``."""
        return len(self)

    def _stream(self) -> Iterator:
        # tf.data's methods (map, take, ...) hand on torch tensors, which have ``.numpy()`` as tf tensors do
        return (tree_map(to_tensor, element) for element in self)

    def __repr__(self) -> str:
        classes = "no labels" if self.class_names is None else f"{len(self.class_names)} classes"
        return (
            f"ImageFolderDataset({len(self.file_paths)} files, {classes}, "
            f"batch_size={self.batch_size}, image_size={self.image_size}, "
            f"color_mode={self.color_mode!r})"
        )

    def __iter__(self) -> Iterator:
        order = self._epoch_order()
        self._epoch += 1
        step = self.batch_size or 1
        batches = (order[i : i + step] for i in range(0, len(order), step))
        # Single images are too small a unit to keep every worker busy, so
        # look further ahead for them.
        ahead = self.prefetch_batches if self.batch_size else max(self.prefetch_batches, 2 * self.num_workers)
        pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="convlens-images")
        pending: deque[tuple[np.ndarray, list[Future]]] = deque()
        failures: list[tuple[str, str]] = []
        yielded = 0
        try:
            for batch in batches:
                pending.append((batch, [pool.submit(self._load, int(i)) for i in batch]))
                if len(pending) > ahead:
                    for element in self._collate(*pending.popleft(), failures):
                        yielded += 1
                        yield element
            while pending:
                for element in self._collate(*pending.popleft(), failures):
                    yielded += 1
                    yield element
        finally:
            # Also runs when the consumer stops early: drop the queued work.
            pool.shutdown(wait=False, cancel_futures=True)
        if not yielded and failures:
            raise FileFormatError(_none_readable(self.file_paths, failures))

    def _epoch_order(self) -> np.ndarray:
        order = np.arange(len(self.file_paths))
        if self.shuffle_files:
            # Seeded by (seed, epoch): every epoch differs, runs repeat.
            np.random.default_rng([self.seed, self._epoch]).shuffle(order)
        return order

    def _load(self, i: int) -> np.ndarray | str:
        """The image, or a description of why its file cannot be decoded."""
        try:
            pixels = _decode(self.file_paths[i], self.color_mode)
        except Exception as exc:  # noqa: BLE001 - any undecodable file is skipped, not fatal
            # Pillow signals bad files with OSError, ValueError, SyntaxError,
            # DecompressionBombError...; one bad file must not end an epoch.
            return f"{type(exc).__name__}: {exc}"
        return _fit(pixels, self.image_size, self.interpolation, self.crop_to_aspect_ratio)

    def _collate(self, batch: np.ndarray, futures: list[Future], failures: list[tuple[str, str]]) -> Iterator:
        """Yield the batch's (x, y), or x alone; nothing if none of its files decoded (those go to ``failures``)."""
        images, keep = [], []
        for i, future in zip(batch, futures):
            result = future.result()
            if isinstance(result, str):
                self._report(self.file_paths[i], result)
                failures.append((self.file_paths[i], result))
                continue
            images.append(result)
            keep.append(i)
        if not images:
            return
        labels = None if self.labels is None else self._encode(self.labels[keep])
        if self.batch_size is None:
            x = images[0]
            y = None if labels is None else labels[0]
        else:
            x = np.stack(images)  # (B, H, W, C)
            y = labels
        yield x if y is None else (x, y)

    def _encode(self, labels: np.ndarray) -> np.ndarray:
        if self.label_mode == "categorical":
            return np.eye(len(self.class_names), dtype=np.float32)[labels]  # (B, K)
        if self.label_mode == "binary":
            return labels.astype(np.float32)[:, None]  # (B, 1)
        return labels  # (B,) int32

    def _report(self, path: str, error: str) -> None:
        if path not in self._reported:
            self._reported.add(path)
            logger.warning("Skipping unreadable image %s (%s)", path, error)


def _none_readable(paths: list[str], failures: list[tuple[str, str]], shown: int = 3) -> str:
    """The message for an epoch in which every file failed: the folder, the count, the first few and why."""
    folder = os.path.commonpath([os.path.dirname(os.path.abspath(p)) for p in paths]) if paths else "."
    first = "; ".join(f"{os.path.relpath(path, folder)} ({why})" for path, why in failures[:shown])
    more = f"; and {len(failures) - shown} more" if len(failures) > shown else ""
    return (f"{folder}: none of its {len(paths)} image files can be read; all {len(failures)} were skipped: "
            f"{first}{more}.")
