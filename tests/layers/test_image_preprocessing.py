"""Resizing, CenterCrop and Normalization against real Keras on fixed inputs, and a .keras round trip."""

import numpy as np
import pytest
import torch

from convlens import layers
from convlens.datasets.pipeline import Dataset
from convlens.models import Sequential, saving

keras = pytest.importorskip("keras")

IMAGES = np.random.default_rng(0).uniform(0, 255, (2, 7, 10, 3)).astype("float32")  # (N, H, W, C)


def keras_output(layer, x):
    return keras.ops.convert_to_numpy(layer(x))


@pytest.mark.parametrize("size", [(4, 5), (12, 9), (7, 10)])
@pytest.mark.parametrize("kwargs", [
    {}, {"interpolation": "nearest"}, {"interpolation": "bicubic"}, {"antialias": True},
    {"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True, "fill_value": 3.0},
    {"interpolation": "nearest", "crop_to_aspect_ratio": True},
])
def test_resizing_matches_keras(size, kwargs):
    ours = layers.Resizing(*size, **kwargs)(torch.from_numpy(IMAGES))
    reference = keras_output(keras.layers.Resizing(*size, **kwargs), IMAGES)
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours.numpy(), reference, rtol=0, atol=1e-4)


def test_resizing_unbatched_config_and_errors():
    layer = layers.Resizing(3, 4, interpolation="nearest")
    assert layer(torch.from_numpy(IMAGES[0])).shape == (3, 4, 3)
    reference = keras.layers.Resizing(3, 4, interpolation="nearest").get_config()
    ours = layer.get_config()
    for key in ("height", "width", "interpolation", "crop_to_aspect_ratio", "pad_to_aspect_ratio",
                "fill_mode", "fill_value", "antialias", "data_format"):
        assert ours[key] == reference[key], key
    assert layers.Resizing.from_config(ours).get_config() == ours
    with pytest.raises(ValueError, match="interpolation=lanczos3"):
        layers.Resizing(3, 4, interpolation="lanczos3")
    with pytest.raises(ValueError, match="Only one of"):
        layers.Resizing(3, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="fill_mode=reflect"):
        layers.Resizing(3, 4, fill_mode="reflect")


@pytest.mark.parametrize("size", [(3, 4), (7, 10), (4, 12), (9, 9)])  # crops, identity, and two smaller-than cases
def test_center_crop_matches_keras(size):
    ours = layers.CenterCrop(*size)(torch.from_numpy(IMAGES))
    reference = keras_output(keras.layers.CenterCrop(*size), IMAGES)
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours.numpy(), reference, rtol=0, atol=1e-4)
    unbatched = layers.CenterCrop(*size)(torch.from_numpy(IMAGES[1]))
    np.testing.assert_allclose(unbatched.numpy(), reference[1], rtol=0, atol=1e-4)


def test_preprocessing_is_active_in_inference_and_training():
    x = torch.from_numpy(IMAGES)
    for layer in (layers.Resizing(3, 3), layers.CenterCrop(3, 3), layers.Normalization(mean=1.0, variance=4.0)):
        assert torch.equal(layer(x, training=True), layer(x, training=False))
        assert layer(x).shape != x.shape or not torch.equal(layer(x), x)


@pytest.mark.parametrize("axis", [-1, None, (1, 3), 2])
def test_normalization_adapt_matches_keras(axis):
    data = np.random.default_rng(1).normal(3.0, 2.0, (20, 4, 5, 3)).astype("float32")
    ours, reference = layers.Normalization(axis=axis), keras.layers.Normalization(axis=axis)
    ours.adapt(data)
    reference.adapt(data)
    np.testing.assert_allclose(ours.mean.numpy(), keras.ops.convert_to_numpy(reference.adapt_mean), rtol=1e-5)
    np.testing.assert_allclose(ours.variance.numpy(), keras.ops.convert_to_numpy(reference.adapt_variance),
                               rtol=1e-5)
    np.testing.assert_allclose(ours(data[:3]).numpy(), keras_output(reference, data[:3]), rtol=1e-4, atol=1e-5)


def test_normalization_adapts_over_batches_of_a_dataset_as_over_the_whole_array():
    data = np.random.default_rng(2).uniform(0, 10, (23, 6)).astype("float32")
    whole, batched = layers.Normalization(), layers.Normalization()
    whole.adapt(data)
    batched.adapt(Dataset.from_tensor_slices((data, np.zeros(23))).batch(5))  # (x, y) batches, last one short
    np.testing.assert_allclose(batched.mean.numpy(), data.mean(0), rtol=1e-5)
    np.testing.assert_allclose(batched.variance.numpy(), data.var(0), rtol=1e-5)
    np.testing.assert_allclose(whole.variance.numpy(), data.var(0), rtol=1e-5)
    assert int(batched.count) == 23
    # (Keras 3.15's adapt on an iterable needs TensorFlow installed, so NumPy's statistics are the reference here.)


@pytest.mark.parametrize("invert", [False, True])
def test_normalization_with_given_statistics_matches_keras(invert):
    data = np.random.default_rng(3).uniform(0, 1, (4, 5, 3)).astype("float32")
    kwargs = {"mean": [0.1, 0.5, 0.9], "variance": [1.0, 0.25, 0.0], "invert": invert}  # variance 0: std floored
    ours = layers.Normalization(**kwargs)(torch.from_numpy(data))
    np.testing.assert_allclose(ours.numpy(), keras_output(keras.layers.Normalization(**kwargs), data), rtol=1e-5)
    per_row = {"axis": (1, 2), "mean": np.arange(15.0).reshape(5, 3), "variance": np.ones((5, 3))}
    np.testing.assert_allclose(layers.Normalization(**per_row)(torch.from_numpy(data)).numpy(),
                               keras_output(keras.layers.Normalization(**per_row), data), rtol=1e-5)


def test_normalization_config_and_errors_match_keras():
    ours = layers.Normalization(axis=-1, mean=[1.0, 2.0], variance=[1.0, 4.0]).get_config()
    reference = keras.layers.Normalization(axis=-1, mean=[1.0, 2.0], variance=[1.0, 4.0]).get_config()
    for key in ("axis", "invert", "mean", "variance"):
        assert list(np.atleast_1d(ours[key])) == list(np.atleast_1d(reference[key])), key
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    layer = layers.Normalization()
    layer.adapt(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="empty iterable"):
        layers.Normalization().adapt([])


def test_keras_file_round_trip_with_real_keras(tmp_path):
    data = np.random.default_rng(4).uniform(0, 255, (6, 8, 8, 3)).astype("float32")
    normalization = layers.Normalization()
    normalization.adapt(data)
    model = Sequential([layers.Input((8, 8, 3)), layers.CenterCrop(6, 6), layers.Resizing(4, 4), normalization])
    expected = model(torch.from_numpy(data)).detach().numpy()
    saving.save_model(model, tmp_path / "pre.keras")
    np.testing.assert_allclose(saving.load_model(tmp_path / "pre.keras")(torch.from_numpy(data)).detach().numpy(),
                               expected, rtol=1e-5, atol=1e-5)
    by_keras = keras.saving.load_model(tmp_path / "pre.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(by_keras(data)), expected, rtol=1e-4, atol=1e-4)
