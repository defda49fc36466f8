"""``image_dataset_from_directory``: a labelled image dataset from a folder of class folders.

Follows ``keras.utils.image_dataset_from_directory``: the same arguments and
defaults, the same file order, and the same train/validation split for a
given seed (the file list is shuffled with ``np.random.RandomState(seed)``
and the last ``validation_split`` fraction is the validation set), so a
split made here holds the same files as Keras's.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from convlens.datasets.checks import check_choice, image_size_pair
from convlens.datasets.image_dataset import COLOR_MODES, LABEL_MODES, ImageFolderDataset
from convlens.datasets.resize import INTERPOLATIONS

__all__ = ["ALLOWED_FORMATS", "image_dataset_from_directory"]

ALLOWED_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_SUBSETS = ("training", "validation", "both")


def image_dataset_from_directory(
    directory: str | os.PathLike,
    labels: str | Sequence[int] | None = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: int | tuple[int, int] = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    verbose: bool = True,
) -> ImageFolderDataset | list[ImageFolderDataset]:
    """Make a dataset of (images, labels) from image files in a folder.

    With ``labels="inferred"``, ``directory`` holds one subfolder per class
    (searched recursively); classes are the sorted subfolder names, label i
    being ``class_names[i]``::

        directory/
        ├── cats/  cat_001.jpg  cat_002.png ...
        └── dogs/  dog_001.jpg ...

    Files with the extensions in ``ALLOWED_FORMATS`` are used; images are
    decoded with Pillow in background threads, batch by batch, so the
    folder need not fit in memory.

    Args:
        directory: The folder.
        labels: ``"inferred"`` (from subfolder names), None (images only), or
            one int label per file, in the sorted order of the file paths.
        label_mode: ``"int"`` (int32 (B,)), ``"categorical"`` (float32
            one-hot (B, K)), ``"binary"`` (float32 (B, 1), exactly 2 classes)
            or None (images only).
        class_names: With ``labels="inferred"``, the subfolders to use, in
            this order.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"`` (1, 3, 4 channels).
        batch_size: Images per batch, or None for single images.
        image_size: (height, width) every image is resized to (or one int).
        shuffle: Shuffle the files (reshuffled every epoch); if False they
            come in sorted order.
        seed: Seed for shuffling and splitting.
        validation_split: Fraction of files (0..1) kept for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a list of
            the two datasets); needs ``validation_split``.
        interpolation: Resize method, one of ``INTERPOLATIONS`` in
            ``convlens.datasets.resize``.
        follow_links: Follow symbolic links to subfolders.
        crop_to_aspect_ratio: Crop the centre to the aspect ratio of
            ``image_size`` before resizing, instead of distorting.
        verbose: Print how many files and classes were found.

    Returns:
        An ``ImageFolderDataset``, or ``[training, validation]`` for
        ``subset="both"``.

    Raises:
        ValueError: An argument is invalid, ``class_names`` names a missing
            subfolder, or no images were found.

    Example:
        >>> train, val = image_dataset_from_directory(
        ...     "flower_photos", validation_split=0.2, subset="both", seed=123,
        ...     image_size=(180, 180), batch_size=32)  # doctest: +SKIP
        Found 3670 files belonging to 5 classes.
        Using 2936 files for training.
        Using 734 files for validation.
        >>> x, y = next(iter(train))  # doctest: +SKIP
        >>> x.shape, y.shape  # doctest: +SKIP
        ((32, 180, 180, 3), (32,))
    """
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple, np.ndarray)):
            raise ValueError(
                "labels must be 'inferred', None, or a list/tuple of int labels, one per image "
                f"file; received labels={labels!r}."
            )
        if class_names is not None:
            raise ValueError(
                "class_names can only be given with labels='inferred' (with explicit labels the "
                f"class names are the sorted labels); received class_names={class_names!r}."
            )
    check_choice("label_mode", label_mode, LABEL_MODES)
    if labels is None or label_mode is None:
        if class_names is not None:
            raise ValueError(
                "class_names cannot be given without labels (labels=None or label_mode=None); "
                f"received class_names={class_names!r}."
            )
        labels, label_mode = None, None
    check_choice("color_mode", color_mode, COLOR_MODES)
    image_size = image_size_pair(image_size)
    interpolation = interpolation.lower() if isinstance(interpolation, str) else interpolation
    check_choice("interpolation", interpolation, INTERPOLATIONS)
    _check_split(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1_000_000)

    paths, label_array, class_names = _index_directory(
        os.fspath(directory), labels, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f"label_mode='binary' needs exactly 2 classes, received class_names={class_names}."
        )

    def make(subset_name: str | None, reshuffle: bool) -> ImageFolderDataset:
        files, file_labels = _split(paths, label_array, validation_split, subset_name, verbose)
        if not files:
            what = {"training": "training ", "validation": "validation "}.get(subset_name, "")
            raise ValueError(
                f"No {what}images found in directory {directory}. "
                f"Allowed formats: {ALLOWED_FORMATS}"
            )
        return ImageFolderDataset(
            files,
            file_labels,
            class_names,
            label_mode=label_mode,
            color_mode=color_mode,
            image_size=image_size,
            interpolation=interpolation,
            crop_to_aspect_ratio=crop_to_aspect_ratio,
            batch_size=batch_size,
            shuffle=reshuffle,
            seed=seed,
        )

    if subset == "both":
        # As in Keras, only the training half is reshuffled each epoch.
        return [make("training", shuffle), make("validation", False)]
    return make(subset, shuffle)


def _check_split(
    validation_split: float | None, subset: str | None, shuffle: bool, seed: int | None
) -> None:
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            "validation_split must be between 0 and 1, "
            f"received validation_split={validation_split!r}."
        )
    if bool(validation_split) != bool(subset):
        raise ValueError(
            "validation_split and subset go together: set both or neither; received "
            f"validation_split={validation_split!r}, subset={subset!r}."
        )
    check_choice("subset", subset, (*_SUBSETS, None))
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "With validation_split and shuffle=True a seed is needed, so that the training and "
            "validation subsets do not overlap; received seed=None."
        )


def _index_directory(
    directory: str,
    labels: str | Sequence[int] | None,
    class_names: Sequence[str] | None,
    shuffle: bool,
    seed: int,
    follow_links: bool,
    verbose: bool,
) -> tuple[list[str], np.ndarray | None, list[str] | None]:
    """File paths, labels and class names, in Keras's order (see ``keras.utils.dataset_utils``)."""
    if not os.path.isdir(directory):
        raise ValueError(f"directory {directory!r} is not a folder.")
    if labels == "inferred":
        subdirs = sorted(
            name
            for name in os.listdir(directory)
            if not name.startswith(".") and os.path.isdir(os.path.join(directory, name))
        )
        if class_names is not None:
            if not set(class_names) <= set(subdirs):
                raise ValueError(
                    "class_names must name subfolders of the directory: expected a subset of "
                    f"{subdirs}, received class_names={list(class_names)}."
                )
            subdirs = list(class_names)  # keeps the order given
    else:
        subdirs = [""]  # no classes: every file under the directory

    paths: list[str] = []
    inferred: list[int] = []
    for label, subdir in enumerate(subdirs):
        found = _image_files(os.path.join(directory, subdir), follow_links)
        paths += found
        inferred += [label] * len(found)

    if labels == "inferred":
        label_array, class_names = np.array(inferred, dtype=np.int32), list(subdirs)
    elif labels is None:
        label_array, class_names = None, None
    else:
        if len(labels) != len(paths):
            raise ValueError(
                f"labels has {len(labels)} entries but {len(paths)} image files were found in "
                f"directory {directory}; give one label per file."
            )
        label_array = np.asarray(labels, dtype=np.int32)
        class_names = [str(label) for label in sorted(set(label_array.tolist()))]
    if verbose:
        if class_names is None:
            print(f"Found {len(paths)} files.")
        else:
            print(f"Found {len(paths)} files belonging to {len(class_names)} classes.")

    if shuffle:
        # Shuffle globally to erase the class-by-class order, exactly as
        # Keras does, so a given seed splits into the same subsets.
        np.random.RandomState(seed).shuffle(paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return paths, label_array, class_names


def _image_files(folder: str, follow_links: bool) -> list[str]:
    """Image files under ``folder``, by sorted folder then sorted name (os.walk order).

    Only regular files count (a FIFO named ``x.png`` would block the reader
    forever), and with ``follow_links`` each real folder is walked once, so a
    symlink loop cannot list the same images again (and leak them from the
    training subset into the validation one).
    """
    walked, seen = [], set()
    for root, dirs, files in os.walk(folder, followlinks=follow_links):  # pruned while walking: lazily
        status = os.stat(root)
        if (status.st_dev, status.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((status.st_dev, status.st_ino))
        walked.append((root, files))
    found = []
    for root, files in sorted(walked, key=lambda w: w[0]):
        images = (name for name in sorted(files) if name.lower().endswith(ALLOWED_FORMATS))
        found += [path for path in (os.path.join(root, name) for name in images) if os.path.isfile(path)]
    return found


def _split(
    paths: list[str],
    labels: np.ndarray | None,
    validation_split: float | None,
    subset: str | None,
    verbose: bool,
) -> tuple[list[str], np.ndarray | None]:
    """Keras's split: the last ``int(validation_split * n)`` files are the validation set."""
    if not validation_split:
        return paths, labels
    num_val = int(validation_split * len(paths))
    cut = len(paths) - num_val
    kept = slice(0, cut) if subset == "training" else slice(cut, None)
    files = paths[kept]
    if verbose:
        print(f"Using {len(files)} files for {subset}.")
    return files, None if labels is None else labels[kept]
