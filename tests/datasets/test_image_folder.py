"""image_dataset_from_directory on small trees of PNG/JPEG/BMP/GIF files."""

from __future__ import annotations

import logging
import os

import numpy as np
import pytest
from PIL import Image

from convlens.datasets import ImageFolderDataset, image_dataset_from_directory, load_image

CAT, DOG = 30, 200  # every cat pixel is 30, every dog pixel 200


def solid(path, value, size=(12, 8), mode="RGB", **save):
    path.parent.mkdir(parents=True, exist_ok=True)
    color = {"L": value, "RGB": (value,) * 3, "RGBA": (value, value, value, 128)}[mode]
    Image.new(mode, size, color).save(path, **save)


@pytest.fixture
def pets(tmp_path):
    root = tmp_path / "pets"
    solid(root / "cats" / "c0.png", CAT)
    solid(root / "cats" / "c1.jpg", CAT, quality=95)
    solid(root / "cats" / "c2.bmp", CAT)
    solid(root / "cats" / "gray.png", CAT, mode="L")
    solid(root / "cats" / "sub" / "c3.png", CAT)  # class folders are searched recursively
    (root / "cats" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    solid(root / "dogs" / "d0.png", DOG)
    solid(root / "dogs" / "d1.gif", DOG)  # saved as a palette image
    solid(root / "dogs" / "d2.JPEG", DOG, quality=95)
    solid(root / "dogs" / "rgba.png", DOG, mode="RGBA")
    (root / "dogs" / "notes.txt").write_text("not an image")
    solid(root / ".hidden" / "h.png", 0)  # hidden folders are no class
    solid(root / "top.png", 0)  # only used without labels
    return root


@pytest.fixture
def numbered(tmp_path):
    """12 images in two classes, image i filled with the value 10 * i."""
    root = tmp_path / "numbered"
    for i in range(12):
        solid(root / ("a" if i < 6 else "b") / f"{i:02d}.png", 10 * i, size=(4, 4))
    return root


def order_of(batches) -> list[int]:
    """Image numbers (value / 10) in the order they came."""
    return [round(float(x.mean()) / 10) for xb, _ in batches for x in xb]


def test_inferred_labels_batches_and_skipped_file(pets, capsys, caplog):
    ds = image_dataset_from_directory(pets, image_size=(6, 5), batch_size=4, shuffle=False)
    assert capsys.readouterr().out == "Found 10 files belonging to 2 classes.\n"
    assert ds.class_names == ["cats", "dogs"]
    names = [os.path.relpath(p, pets) for p in ds.file_paths]
    assert names == [
        "cats/broken.png", "cats/c0.png", "cats/c1.jpg", "cats/c2.bmp", "cats/gray.png",
        os.path.join("cats", "sub", "c3.png"), "dogs/d0.png", "dogs/d1.gif", "dogs/d2.JPEG", "dogs/rgba.png",
    ]
    assert len(ds) == 3
    with caplog.at_level(logging.WARNING, logger="convlens.datasets"):
        batches = list(ds)
        assert [len(y) for _, y in batches] == [3, 4, 2]  # broken.png skipped
        list(ds)  # second epoch: no second warning for the same file
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "Skipping unreadable image" in warnings[0] and "broken.png" in warnings[0]
    for x, y in batches:
        assert x.dtype == np.float32 and x.shape[1:] == (6, 5, 3)
        assert y.dtype == np.int32
        np.testing.assert_allclose(x.mean(axis=(1, 2, 3)), np.where(y == 0, CAT, DOG), atol=1.5)


def test_color_modes(pets):
    kwargs = dict(image_size=4, shuffle=False, verbose=False)
    x, _ = next(iter(image_dataset_from_directory(pets, color_mode="grayscale", **kwargs)))
    assert x.shape == (9, 4, 4, 1)
    x, _ = next(iter(image_dataset_from_directory(pets, color_mode="rgba", **kwargs)))
    assert x.shape == (9, 4, 4, 4)
    alpha = x[..., 3].mean(axis=(1, 2))
    assert alpha[-1] == 128 and np.all(alpha[:-1] == 255)  # only rgba.png is transparent


def test_pixels_are_exact_without_resizing(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    Image.fromarray(image).save(tmp_path / "x.png")
    np.testing.assert_array_equal(load_image(tmp_path / "x.png", image_size=(6, 5)), image)
    gray = np.asarray(Image.fromarray(image).convert("L"))[..., None]
    got = load_image(tmp_path / "x.png", color_mode="grayscale", image_size=(6, 5))
    np.testing.assert_array_equal(got, gray)
    sixteen = (np.arange(20, dtype=np.uint16).reshape(4, 5) * 3000)
    Image.fromarray(sixteen).save(tmp_path / "deep.png")  # a 16-bit grayscale PNG
    got = load_image(tmp_path / "deep.png", color_mode="grayscale", image_size=(4, 5))
    np.testing.assert_array_equal(got[..., 0], sixteen >> 8)


def test_crop_to_aspect_ratio(tmp_path):
    image = np.zeros((4, 8, 3), np.uint8)
    image[:, 3:6] = 255  # columns 2..5 are the centred 4x4 crop
    Image.fromarray(image).save(tmp_path / "wide.png")
    got = load_image(tmp_path / "wide.png", image_size=(4, 4), crop_to_aspect_ratio=True)
    np.testing.assert_array_equal(got[0, :, 0], [0, 255, 255, 255])


def test_label_modes(pets):
    kwargs = dict(image_size=4, shuffle=False, verbose=False, batch_size=16)
    _, y = next(iter(image_dataset_from_directory(pets, label_mode="categorical", **kwargs)))
    assert y.dtype == np.float32 and y.shape == (9, 2)
    np.testing.assert_array_equal(y.argmax(1), [0] * 5 + [1] * 4)
    _, y = next(iter(image_dataset_from_directory(pets, label_mode="binary", **kwargs)))
    assert y.dtype == np.float32 and y.shape == (9, 1)
    np.testing.assert_array_equal(y[:, 0], [0] * 5 + [1] * 4)
    ds = image_dataset_from_directory(pets, label_mode=None, **kwargs)
    x = next(iter(ds))
    assert isinstance(x, np.ndarray) and len(x) == 11  # top.png and all class images
    assert ds.class_names is None


def test_single_samples_when_batch_size_is_none(numbered):
    kwargs = dict(image_size=4, shuffle=False, verbose=False)
    ds = image_dataset_from_directory(numbered, batch_size=None, **kwargs)
    samples = list(ds)
    assert len(ds) == len(samples) == 12
    x, y = samples[7]
    assert x.shape == (4, 4, 3) and y.dtype == np.int32 and int(y) == 1 and x.mean() == 70


def test_split_is_keras_split(numbered, capsys):
    kwargs = dict(image_size=4, seed=123, validation_split=0.3, verbose=True)
    train = image_dataset_from_directory(numbered, subset="training", **kwargs)
    val = image_dataset_from_directory(numbered, subset="validation", **kwargs)
    out = capsys.readouterr().out
    assert "Using 9 files for training." in out and "Using 3 files for validation." in out
    # Keras: sorted paths shuffled by np.random.RandomState(seed), last int(0.3 * 12) validate.
    paths = sorted(str(p) for p in numbered.rglob("*.png"))
    np.random.RandomState(123).shuffle(paths)
    assert train.file_paths == paths[:9] and val.file_paths == paths[9:]
    both = image_dataset_from_directory(numbered, subset="both", **kwargs)
    assert [d.file_paths for d in both] == [train.file_paths, val.file_paths]
    labels = np.array([int(os.path.basename(p)[:2]) >= 6 for p in paths])  # b/ holds 06..11
    np.testing.assert_array_equal(train.labels, labels[:9])
    np.testing.assert_array_equal(val.labels, labels[9:])
    assert sorted(order_of(train) + order_of(val)) == list(range(12))


def test_shuffle_is_seeded_and_changes_every_epoch(numbered):
    kwargs = dict(image_size=4, batch_size=5, verbose=False)
    assert order_of(image_dataset_from_directory(numbered, shuffle=False, **kwargs)) == list(range(12))
    first = image_dataset_from_directory(numbered, seed=7, **kwargs)
    second = image_dataset_from_directory(numbered, seed=7, **kwargs)
    epochs = [order_of(first) for _ in range(3)]
    assert epochs == [order_of(second) for _ in range(3)]
    assert all(sorted(e) == list(range(12)) for e in epochs)
    assert epochs[0] != epochs[1] != epochs[2]
    # Labels travel with their images.
    for x, y in image_dataset_from_directory(numbered, seed=3, **kwargs):
        np.testing.assert_array_equal(y, x.mean(axis=(1, 2, 3)) >= 60)


def test_explicit_labels_and_class_names(numbered, pets):
    kwargs = dict(image_size=4, shuffle=False, verbose=False)
    labels = [i % 3 for i in range(12)]
    ds = image_dataset_from_directory(numbered, labels=labels, **kwargs)
    assert ds.class_names == ["0", "1", "2"]
    np.testing.assert_array_equal(np.concatenate([y for _, y in ds]), labels)
    ds = image_dataset_from_directory(pets, class_names=["dogs", "cats"], **kwargs)
    assert ds.class_names == ["dogs", "cats"]
    np.testing.assert_array_equal(ds.labels, [0] * 4 + [1] * 6)


def test_stopping_early_then_iterating_again(numbered):
    ds = ImageFolderDataset(
        sorted(str(p) for p in numbered.rglob("*.png")), np.zeros(12, np.int32), ["a"],
        image_size=(4, 4), batch_size=2, shuffle=False, num_workers=2, prefetch=1,
    )
    for _ in ds:
        break
    assert order_of(ds) == list(range(12))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(label_mode="sparse"), "label_mode must be one of .* received label_mode='sparse'"),
        (dict(color_mode="bgr"), "received color_mode='bgr'"),
        (dict(image_size=(4,)), r"received image_size=\(4,\)"),
        (dict(interpolation="cubic"), "received interpolation='cubic'"),
        (dict(validation_split=0.2), "set both or neither"),
        (dict(validation_split=1.5, subset="training", seed=1), "between 0 and 1"),
        (dict(validation_split=0.2, subset="test", seed=1), "received subset='test'"),
        (dict(validation_split=0.2, subset="training"), "a seed is needed"),
        (dict(labels="folders"), "received labels='folders'"),
        (dict(labels=[0, 1], class_names=["a"]), "class_names can only be given"),
        (dict(labels=[0, 1]), "labels has 2 entries but 12 image files"),
        (dict(class_names=["a", "z"]), r"expected a subset of \['a', 'b'\]"),
        (dict(label_mode="binary", labels=[i % 3 for i in range(12)]), "exactly 2 classes"),
        (dict(batch_size=0), "received batch_size=0"),
    ],
)
def test_bad_arguments(numbered, kwargs, message):
    with pytest.raises(ValueError, match=message):
        image_dataset_from_directory(numbered, verbose=False, **kwargs)


def test_dataset_checks_labels_against_class_names():
    with pytest.raises(ValueError, match="labels in 0..1 .* received labels from 0 to 2"):
        ImageFolderDataset(["a", "b", "c"], [0, 1, 2], ["x", "y"], label_mode="categorical")
    with pytest.raises(ValueError, match="class_names is needed with labels"):
        ImageFolderDataset(["a"], [0], None)
    with pytest.raises(ValueError, match="labels has 1 entries but there are 2 files"):
        ImageFolderDataset(["a", "b"], [0], ["x"])


def test_no_images(tmp_path):
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="No images found in directory"):
        image_dataset_from_directory(tmp_path / "empty", verbose=False)
    with pytest.raises(ValueError, match="is not a folder"):
        image_dataset_from_directory(tmp_path / "missing", verbose=False)


def test_symlink_loops_are_followed_once_and_fifos_skipped(tmp_path):
    """A loop (cats/again -> cats) lists each image once; a FIFO named like an image is not a file to read."""
    import os

    import numpy as np
    from PIL import Image

    from convlens.datasets.image_folder import image_dataset_from_directory

    for name in ("cats", "dogs"):
        (tmp_path / name).mkdir()
        for i in range(3):
            Image.fromarray(np.full((4, 4, 3), 40 * i, np.uint8)).save(tmp_path / name / f"{i}.png")
    os.symlink(tmp_path / "cats", tmp_path / "cats" / "again")
    os.mkfifo(tmp_path / "dogs" / "x.png")
    dataset = image_dataset_from_directory(tmp_path, image_size=(4, 4), batch_size=2, follow_links=True,
                                           shuffle=False, verbose=False)
    assert len(dataset.file_paths) == 6
    assert len({os.path.realpath(p) for p in dataset.file_paths}) == 6


def test_a_folder_of_only_unreadable_files_is_an_error_naming_it(tmp_path, caplog):
    from convlens.errors import FileFormatError

    for k, cls in enumerate(["cat", "cat", "dog", "dog", "dog"]):
        (tmp_path / cls).mkdir(exist_ok=True)
        (tmp_path / cls / f"{k}.png").write_bytes(b"not a png at all")
    ds = image_dataset_from_directory(tmp_path, image_size=(8, 8), batch_size=2, seed=0, verbose=False)
    with caplog.at_level(logging.ERROR, logger="convlens"), pytest.raises(FileFormatError) as caught:
        list(ds)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path}: none of its 5 image files can be read; all 5 were skipped: ")
    assert message.count("cannot identify image file") == 3 and message.endswith("; and 2 more.")
    import re

    assert len(re.findall(r"\.png \(", message)) == 3  # three files named, then the rest counted
    assert re.search(r"skipped: (cat|dog)/\d\.png \(", message)  # each named from the folder


def test_one_readable_file_is_enough_for_an_epoch(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "bad.png").write_bytes(b"nope")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "a" / "good.png")
    ds = image_dataset_from_directory(tmp_path, image_size=(4, 4), batch_size=1, seed=0, verbose=False)
    assert [x.shape for x, _ in ds] == [(1, 4, 4, 3)]
