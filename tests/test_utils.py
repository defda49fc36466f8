"""keras.utils's array helpers: to_categorical and normalize against real Keras."""

import io

import numpy as np
import pytest
import torch

from convlens.utils import normalize, set_random_seed, to_categorical

keras = pytest.importorskip("keras")


@pytest.mark.parametrize("labels, num_classes", [
    ([0, 1, 2, 3], None),
    ([[1], [0], [2]], 4),          # trailing axis of 1 is dropped
    (np.array([[0, 1], [2, 1]]), 3),  # class axis appended to a 2D label array
])
def test_to_categorical_matches_keras(labels, num_classes):
    ours = to_categorical(labels, num_classes)
    reference = keras.utils.to_categorical(np.array(labels), num_classes)
    assert ours.shape == reference.shape
    np.testing.assert_array_equal(ours, reference)


def test_to_categorical_accepts_tensors_and_rejects_out_of_range_labels():
    np.testing.assert_array_equal(to_categorical(torch.tensor([2, 0])), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="num_classes=2"):
        to_categorical([0, 2], num_classes=2)


@pytest.mark.parametrize("axis, order", [(-1, 2), (1, 2), (-1, 1)])
def test_normalize_matches_keras(axis, order):
    x = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
    reference = keras.utils.normalize(x, axis=axis, order=order)
    np.testing.assert_allclose(normalize(x, axis=axis, order=order), reference)
    np.testing.assert_allclose(normalize(torch.tensor(x), axis=axis, order=order).numpy(), reference)


def test_normalize_along_axis_0_divides_each_column_by_its_norm():
    # Keras 3.15 expands the norm at axis -1 whenever axis is 0 (`axis or -1`), which divides rows by column norms;
    # the reference here is the column-wise definition.
    x = np.array([[3.0, 0.0], [4.0, 2.0]])
    np.testing.assert_allclose(normalize(x, axis=0), x / np.linalg.norm(x, axis=0, keepdims=True))


def test_set_random_seed_repeats_numpy_and_torch_draws():
    set_random_seed(3)
    first = (np.random.rand(2), torch.rand(2))
    set_random_seed(3)
    np.testing.assert_array_equal(first[0], np.random.rand(2))
    assert torch.equal(first[1], torch.rand(2))


# --- image files: load_img / img_to_array / array_to_img / save_img against keras.utils ---

from PIL import Image  # noqa: E402

from convlens.utils import array_to_img, img_to_array, load_img, save_img  # noqa: E402


@pytest.fixture
def png(tmp_path):
    """A 7x10 RGB PNG of fixed random pixels."""
    pixels = np.random.default_rng(0).integers(0, 256, (7, 10, 3), dtype=np.uint8)
    path = tmp_path / "image.png"
    Image.fromarray(pixels, "RGB").save(path)
    return path


@pytest.mark.parametrize("kwargs", [
    {},
    {"color_mode": "grayscale"},
    {"color_mode": "rgba"},
    {"target_size": (5, 4)},
    {"target_size": (5, 4), "interpolation": "bilinear"},
    {"target_size": (4, 8), "interpolation": "bicubic", "keep_aspect_ratio": True},
    {"target_size": (6, 3), "keep_aspect_ratio": True},
])
def test_load_img_matches_keras(png, kwargs):
    ours, reference = load_img(png, **kwargs), keras.utils.load_img(png, **kwargs)
    assert ours.mode == reference.mode and ours.size == reference.size
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(reference))


def test_load_img_takes_str_and_bytes_io(png):
    expected = np.asarray(Image.open(png))
    np.testing.assert_array_equal(np.asarray(load_img(str(png))), expected)
    np.testing.assert_array_equal(np.asarray(load_img(io.BytesIO(png.read_bytes()))), expected)


def test_load_img_errors(tmp_path, png):
    with pytest.raises(FileNotFoundError, match="missing.png"):
        load_img(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="color_mode=.hsv"):
        load_img(png, color_mode="hsv")
    with pytest.raises(ValueError, match="interpolation"):
        load_img(png, target_size=(2, 2), interpolation="cubic")
    with pytest.raises(TypeError, match="path-like"):
        load_img(3)


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_img_to_array_matches_keras(png, mode, data_format):
    img = Image.open(png).convert(mode)
    ours = img_to_array(img, data_format=data_format)
    reference = keras.utils.img_to_array(img, data_format=data_format)
    assert ours.dtype == reference.dtype == np.float32
    np.testing.assert_array_equal(ours, reference)
    assert img_to_array(img, dtype="uint8").dtype == np.uint8


@pytest.mark.parametrize("shape, data_format, scale", [
    ((5, 6, 3), "channels_last", True),
    ((4, 5, 6), "channels_first", True),
    ((5, 6, 1), "channels_last", True),
    ((5, 6, 1), "channels_last", False),   # values up to 1000: 32-bit grayscale
    ((5, 6, 3), "channels_last", False),
])
def test_array_to_img_matches_keras(shape, data_format, scale):
    x = np.random.default_rng(1).uniform(0, 1000 if not scale else 3, shape)
    if not scale and shape[-1] == 3:
        x = x % 256
    ours = array_to_img(x, data_format=data_format, scale=scale)
    reference = keras.utils.array_to_img(x, data_format=data_format, scale=scale)
    assert ours.mode == reference.mode
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(reference))


def test_array_to_img_errors():
    with pytest.raises(ValueError, match="rank 3"):
        array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="channel number: 2"):
        array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="data_format=channels_middle"):
        img_to_array(Image.new("L", (2, 2)), data_format="channels_middle")


def test_save_img_round_trip_matches_keras(tmp_path):
    x = np.random.default_rng(2).uniform(0, 1, (6, 5, 4))
    save_img(tmp_path / "ours.png", x)
    keras.utils.save_img(tmp_path / "keras.png", x)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "ours.png")),
                                  np.asarray(Image.open(tmp_path / "keras.png")))
    with pytest.warns(UserWarning, match="RGBA"):
        save_img(tmp_path / "ours.jpg", x)
    assert Image.open(tmp_path / "ours.jpg").mode == "RGB"
    with pytest.raises(ValueError, match="channel number"):
        save_img(tmp_path / "bad.png", np.zeros((2, 2, 2)))
    assert not (tmp_path / "bad.png").exists()
