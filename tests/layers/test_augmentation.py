"""Random augmentation layers: Keras's deterministic parts, training-only activity, seeding, configs."""

import numpy as np
import pytest
import torch

from convlens import layers

keras = pytest.importorskip("keras")

IMAGES = torch.arange(2 * 3 * 4 * 2, dtype=torch.float32).reshape(2, 3, 4, 2)  # (N, H, W, C)


@pytest.mark.parametrize("mode, axes", [("horizontal", [2]), ("vertical", [1]), ("horizontal_and_vertical", [1, 2])])
def test_random_flip_gives_each_image_or_its_flip_as_keras(mode, axes):
    flip = layers.RandomFlip(mode, seed=0)
    out = flip(IMAGES, training=True)
    reference = keras.layers.RandomFlip(mode, seed=0)
    flipped_by_keras = reference(IMAGES.numpy(), training=True)
    flipped_by_keras = torch.as_tensor(keras.ops.convert_to_numpy(flipped_by_keras))
    for image, keras_image, ours in zip(IMAGES, flipped_by_keras, out):
        # Keras's stream differs from PyTorch's, so each output is checked to be one of Keras's two outcomes
        candidates = [image, image.flip([a - 1 for a in axes])]
        assert any(torch.equal(ours, c) for c in candidates)
        assert any(torch.equal(keras_image, c) for c in candidates)


def test_random_flip_is_identity_in_inference_and_seeded_in_training():
    batch = torch.rand(64, 5, 5, 3)
    assert torch.equal(layers.RandomFlip(seed=1)(batch), batch)
    first, second = layers.RandomFlip("horizontal", seed=1), layers.RandomFlip("horizontal", seed=1)
    out = first(batch, training=True)
    assert torch.equal(out, second(batch, training=True))
    flipped = sum(not torch.equal(o, b) for o, b in zip(out, batch))
    assert 16 < flipped < 48  # about half of 64 flip
    single = first(batch[0], training=True)
    assert single.shape == batch[0].shape


def test_random_flip_config_matches_keras_and_round_trips():
    ours = layers.RandomFlip("horizontal", seed=1).get_config()
    reference = keras.layers.RandomFlip("horizontal", seed=1).get_config()
    assert set(ours) == set(reference)
    assert ours["name"].startswith("random_flip") and reference["name"].startswith("random_flip")
    assert {k: ours[k] for k in ("trainable", "data_format", "seed", "mode")} == \
        {k: reference[k] for k in ("trainable", "data_format", "seed", "mode")}
    rebuilt = layers.LAYER_CLASSES["RandomFlip"].from_config(ours)
    assert (rebuilt.mode, rebuilt.seed) == ("horizontal", 1)
    with pytest.raises(ValueError, match="'diagonal'"):
        layers.RandomFlip("diagonal")


def keras_output(layer, images):
    return torch.as_tensor(keras.ops.convert_to_numpy(layer(images.numpy(), training=True)))


@pytest.mark.parametrize("factor", [0.3, (0.2, 0.5)])
def test_random_contrast_follows_keras_formula_and_factor_range(factor):
    images = torch.rand(8, 4, 5, 3) * 255
    ours = layers.RandomContrast(factor, seed=3)
    reference = keras.layers.RandomContrast(factor, seed=3)
    assert ours.factor == tuple(float(f) for f in reference.factor)
    low, high = 1 - reference.factor[0], 1 + reference.factor[1]
    mean = images.mean(dim=(1, 2), keepdim=True)
    for out in (ours(images, training=True), keras_output(reference, images)):
        # recover each image's contrast from an unclipped pixel; the whole image must follow from it
        deviation, shifted = images - mean, out - mean
        unclipped = (out > 0) & (out < 255) & (deviation.abs() > 1)
        for n in range(images.shape[0]):
            c = (shifted[n][unclipped[n]] / deviation[n][unclipped[n]]).median()
            assert low - 1e-4 <= c <= high + 1e-4
            expected = (deviation[n] * c + mean[n]).clamp(0, 255)
            torch.testing.assert_close(out[n], expected, atol=1e-3, rtol=1e-4)


def test_random_contrast_config_and_errors_match_keras():
    ours, reference = layers.RandomContrast(0.2, seed=1), keras.layers.RandomContrast(0.2, seed=1)
    assert set(ours.get_config()) == set(reference.get_config())
    assert ours.get_config()["factor"] == (0.0, 0.2) and ours.get_config()["value_range"] == (0, 255)
    with pytest.raises(ValueError, match="Received: factor=1.5"):
        layers.RandomContrast(1.5)
    assert torch.equal(layers.RandomContrast(0.9)(IMAGES), IMAGES)


@pytest.mark.parametrize("factor, value_range", [(0.2, (0, 255)), ((-0.5, 0.1), (0, 1))])
def test_random_brightness_adds_one_offset_per_image_within_keras_range(factor, value_range):
    images = torch.rand(8, 3, 4, 3) * value_range[1]
    ours = layers.RandomBrightness(factor, value_range=value_range, seed=5)
    reference = keras.layers.RandomBrightness(factor, value_range=value_range, seed=5)
    assert ours.factor == tuple(float(f) for f in reference.factor)
    span = value_range[1] - value_range[0]
    for out in (ours(images, training=True), keras_output(reference, images)):
        for n in range(images.shape[0]):
            inside = (out[n] > value_range[0]) & (out[n] < value_range[1])
            delta = (out[n] - images[n])[inside].median()
            assert reference.factor[0] * span - 1e-4 <= delta <= reference.factor[1] * span + 1e-4
            torch.testing.assert_close(out[n], (images[n] + delta).clamp(*value_range), atol=1e-4, rtol=1e-5)


def test_random_brightness_config_matches_keras():
    ours, reference = layers.RandomBrightness(0.3, seed=1), keras.layers.RandomBrightness(0.3, seed=1)
    assert set(ours.get_config()) == set(reference.get_config())
    assert ours.get_config()["factor"] == (-0.3, 0.3)
    with pytest.raises(ValueError, match="value_range=5"):
        layers.RandomBrightness(0.3, value_range=5)
