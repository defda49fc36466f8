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


# --- geometric layers: a fixed factor (a, a) makes the transform deterministic, so outputs must equal Keras's ---

GEOMETRIC = np.random.default_rng(0).uniform(0, 255, (2, 7, 9, 3)).astype("float32")  # (N, H, W, C)
FIXED = [
    ("RandomRotation", ((0.1, 0.1),)),
    ("RandomRotation", ((-0.25, -0.25),)),
    ("RandomZoom", ((0.3, 0.3), (-0.2, -0.2))),
    ("RandomZoom", ((-0.5, -0.5),)),  # width follows height
    ("RandomTranslation", ((0.2, 0.2), (-0.3, -0.3))),
]


@pytest.mark.parametrize("name, args", FIXED)
@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_fixed_geometric_transforms_match_keras(name, args, fill_mode, interpolation):
    kwargs = {"fill_mode": fill_mode, "interpolation": interpolation, "fill_value": 5.0}
    ours = getattr(layers, name)(*args, **kwargs)(torch.from_numpy(GEOMETRIC), training=True)
    reference = keras_output(getattr(keras.layers, name)(*args, **kwargs), torch.from_numpy(GEOMETRIC))
    np.testing.assert_allclose(ours.numpy(), reference.numpy(), rtol=0, atol=2e-4)  # float32 trigonometry
    unbatched = getattr(layers, name)(*args, **kwargs)(torch.from_numpy(GEOMETRIC[1]), training=True)
    np.testing.assert_allclose(unbatched.numpy(), reference[1].numpy(), rtol=0, atol=2e-4)


@pytest.mark.parametrize("layer", [
    layers.RandomRotation(0.2, seed=3), layers.RandomZoom(0.3, seed=3), layers.RandomTranslation(0.2, 0.2, seed=3),
])
def test_geometric_layers_are_identity_in_inference_seeded_and_vary_per_image(layer):
    batch = torch.from_numpy(GEOMETRIC).repeat(4, 1, 1, 1)  # (8, 7, 9, 3): pairs of equal images
    assert torch.equal(layer(batch), batch)
    again = type(layer).from_config(layer.get_config())
    out = layer(batch, training=True)
    assert torch.equal(out, again(batch, training=True))
    assert not torch.equal(out[0], out[2])  # each image draws its own transform


def test_quarter_turn_and_shift_are_exact_permutations():
    image = torch.arange(12.0).reshape(1, 3, 4, 1)
    shifted = layers.RandomTranslation((1 / 3, 1 / 3), 0, fill_mode="wrap")(image, training=True)
    assert torch.equal(shifted, image.roll(1, dims=1))
    square = torch.arange(9.0).reshape(1, 3, 3, 1)
    turned = layers.RandomRotation((0.25, 0.25), interpolation="nearest")(square, training=True)
    assert torch.equal(turned[0, :, :, 0], torch.rot90(square[0, :, :, 0], 1))  # counter-clockwise


def test_geometric_configs_match_keras():
    pairs = [(layers.RandomRotation(0.2, fill_mode="constant", seed=1),
              keras.layers.RandomRotation(0.2, fill_mode="constant", seed=1)),
             (layers.RandomZoom(0.2, (-0.1, 0.3), seed=1), keras.layers.RandomZoom(0.2, (-0.1, 0.3), seed=1)),
             (layers.RandomTranslation(0.1, 0.2, interpolation="nearest", seed=1),
              keras.layers.RandomTranslation(0.1, 0.2, interpolation="nearest", seed=1)),
             (layers.RandomCrop(3, 4, seed=1), keras.layers.RandomCrop(3, 4, seed=1))]
    for ours, reference in pairs:
        ours_config, reference_config = ours.get_config(), reference.get_config()
        for key in set(reference_config) - {"name", "trainable", "dtype"}:
            assert np.allclose(ours_config[key], reference_config[key]) if key.endswith("factor") or key == "factor" \
                else ours_config[key] == reference_config[key], (type(ours).__name__, key)
        assert type(ours).from_config(ours_config).get_config() == ours_config


def test_geometric_errors_match_keras():
    with pytest.raises(NotImplementedError, match="Unknown `fill_mode` mirror"):
        layers.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(NotImplementedError, match="Unknown `interpolation` bicubic"):
        layers.RandomZoom(0.1, interpolation="bicubic")
    with pytest.raises(ValueError, match=r"\(-1.0, 1.0\]. Received: input_number=-1"):
        layers.RandomZoom(-1.0)
    with pytest.raises(ValueError, match="width_factor=.1, 2, 3"):
        layers.RandomTranslation(0.1, [1, 2, 3])
    with pytest.raises(ValueError, match="factor=2"):
        layers.RandomRotation(2)


def test_random_crop_windows_inference_and_small_inputs_match_keras():
    batch = torch.arange(8 * 6 * 8 * 1, dtype=torch.float32).reshape(8, 6, 8, 1)
    crop = layers.RandomCrop(4, 5, seed=2)
    out = crop(batch, training=True)
    assert out.shape == (8, 4, 5, 1)
    windows = {tuple(batch[0, i:i + 4, j:j + 5, 0].flatten().tolist()) for i in range(3) for j in range(4)}
    offsets = [(o[0, 0, 0] - b[0, 0, 0]).item() for o, b in zip(out, batch)]
    assert tuple((out[0, :, :, 0] - offsets[0]).flatten().tolist()) in windows
    assert len(set(offsets)) > 1  # each image its own window
    assert torch.equal(layers.RandomCrop(4, 5, seed=2)(batch, training=True), out)
    # Keras 3.15 returns its input unchanged with training=False and in predict (its docstring's centre crop
    # happens only for a direct call without `training`, which convlens, like fit/predict, treats as inference).
    reference = keras.Sequential([keras.Input((6, 8, 1)), keras.layers.RandomCrop(4, 5)])
    np.testing.assert_array_equal(crop(batch).numpy(), reference.predict(batch.numpy(), verbose=0))
    np.testing.assert_array_equal(crop(batch, training=False).numpy(),
                                  keras.ops.convert_to_numpy(reference(batch.numpy(), training=False)))
    for small in (batch[:, :3], batch[:, :4, :5]):  # not larger than the window: aspect crop + resize, as Keras
        reference = keras_output(keras.layers.RandomCrop(4, 5, seed=1), small)
        np.testing.assert_allclose(crop(small, training=True).numpy(), reference.numpy(), atol=1e-4)


def test_geometric_layers_save_to_keras_files_that_keras_loads(tmp_path):
    from convlens.models import Sequential, saving
    model = Sequential([layers.Input((7, 9, 3)), layers.RandomRotation(0.1, fill_mode="constant", seed=1),
                        layers.RandomZoom(0.2, seed=2), layers.RandomCrop(5, 6, seed=3)])
    saving.save_model(model, tmp_path / "aug.keras")
    restored = saving.load_model(tmp_path / "aug.keras")
    assert [layer.get_config() for layer in restored.layers] == [layer.get_config() for layer in model.layers]
    by_keras = keras.saving.load_model(tmp_path / "aug.keras")
    assert [type(layer).__name__ for layer in by_keras.layers] == ["RandomRotation", "RandomZoom", "RandomCrop"]
    assert by_keras.layers[0].get_config()["fill_mode"] == "constant"
    np.testing.assert_array_equal(by_keras.predict(GEOMETRIC, verbose=0), GEOMETRIC)  # inference: identity
