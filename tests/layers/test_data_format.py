"""``data_format`` on every layer that has one, against Keras 3's own layers on the same inputs and weights.

Each case runs in both layouts: channels-last inputs ``(N, *spatial, C)`` and the same data channels-first
``(N, C, *spatial)``; outputs, output shapes and configs must equal Keras's, and configs must cross over both ways.
"""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
import torch

from convlens import Sequential, layers
from convlens.layers import data_format as data_format_lib
from convlens.lens.formulas import explain_layer
from convlens.models import saving

FORMATS = ["channels_last", "channels_first"]

# (layer, arguments, input shape written channels-last)
WEIGHTED = [
    ("Conv1D", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 9, 4)),
    ("Conv1D", {"filters": 2, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 8, 3)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"}, (2, 7, 6, 3)),
    ("Conv2D", {"filters": 4, "kernel_size": (2, 3), "groups": 2, "activation": "softmax"}, (2, 5, 6, 4)),
    ("Conv3D", {"filters": 2, "kernel_size": 2, "strides": (1, 2, 2), "padding": "same"}, (1, 3, 5, 4, 2)),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 5, 3)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
     (2, 3, 4, 3)),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2}, (1, 2, 3, 2, 2)),
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, (2, 7, 3)),
    ("DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "padding": "same", "depth_multiplier": 2}, (2, 7, 6, 3)),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3, "strides": 2}, (2, 9, 3)),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3, "padding": "same", "depth_multiplier": 2,
                         "activation": "relu"}, (2, 6, 5, 3)),
]

WEIGHTLESS = [
    ("MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 3)),
    ("MaxPooling2D", {}, (2, 6, 5, 3)),
    ("MaxPooling3D", {"pool_size": 2, "padding": "same"}, (1, 3, 5, 4, 2)),
    ("AveragePooling1D", {"pool_size": 2}, (2, 7, 3)),
    # Symmetric "same" padding: where it is uneven, Keras on torch counts the padded zeros and TensorFlow (and
    # convlens) does not (tests/layers/test_pooling.py holds those cases against NumPy).
    ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 7, 3)),
    ("AveragePooling3D", {"pool_size": (1, 2, 2), "padding": "same"}, (1, 3, 5, 4, 2)),
    ("GlobalMaxPooling1D", {}, (2, 5, 3)),
    ("GlobalAveragePooling1D", {"keepdims": True}, (2, 5, 3)),
    ("GlobalMaxPooling2D", {"keepdims": True}, (2, 4, 5, 3)),
    ("GlobalAveragePooling2D", {}, (2, 4, 5, 3)),
    ("GlobalMaxPooling3D", {}, (1, 2, 3, 4, 2)),
    ("GlobalAveragePooling3D", {"keepdims": True}, (1, 2, 3, 4, 2)),
    ("Flatten", {}, (2, 3, 4, 5)),
    ("Flatten", {}, (2, 3, 4)),
    ("Flatten", {}, (2, 2, 3, 2, 2)),
    ("ZeroPadding1D", {"padding": (1, 2)}, (2, 5, 3)),
    ("ZeroPadding2D", {"padding": ((1, 2), (0, 3))}, (2, 4, 5, 3)),
    ("ZeroPadding3D", {"padding": 1}, (1, 2, 3, 2, 2)),
    ("Cropping2D", {"cropping": ((1, 0), (2, 1))}, (2, 5, 6, 3)),
    ("Cropping3D", {"cropping": ((0, 1), (2, 1), (1, 0))}, (1, 4, 5, 3, 2)),
    ("UpSampling2D", {"size": (2, 3)}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": 2, "interpolation": "bilinear"}, (2, 3, 4, 2)),
    ("UpSampling3D", {"size": (1, 2, 3)}, (1, 2, 3, 2, 2)),
    ("SpatialDropout2D", {"rate": 0.5}, (2, 4, 5, 3)),  # inference: the identity
    ("SpatialDropout3D", {"rate": 0.5}, (1, 2, 3, 4, 2)),
    ("Resizing", {"height": 4, "width": 5}, (2, 6, 7, 3)),
    ("Resizing", {"height": 3, "width": 5, "interpolation": "nearest", "crop_to_aspect_ratio": True}, (2, 6, 7, 3)),
    ("Resizing", {"height": 4, "width": 4, "pad_to_aspect_ratio": True, "fill_value": 2.0}, (2, 4, 7, 3)),
    ("CenterCrop", {"height": 3, "width": 4}, (2, 6, 7, 3)),
    ("CenterCrop", {"height": 4, "width": 5}, (2, 3, 3, 2)),  # larger than the image: crop to aspect, resize
    ("RandomFlip", {"mode": "horizontal"}, (2, 4, 5, 3)),  # inference: the identity
]

# Random layers in training with a fixed draw: Keras's numbers exactly.
FIXED_TRAINING = [
    ("RandomRotation", {"factor": (0.1, 0.1), "fill_mode": "constant"}, (2, 7, 9, 3)),
    ("RandomZoom", {"height_factor": (-0.5, -0.5), "interpolation": "nearest"}, (2, 7, 9, 3)),
    ("RandomTranslation", {"height_factor": (0.2, 0.2), "width_factor": (-0.3, -0.3)}, (2, 7, 9, 3)),
    ("RandomBrightness", {"factor": (0.2, 0.2)}, (2, 4, 5, 3)),
    ("RandomCrop", {"height": 4, "width": 4}, (2, 4, 6, 3)),  # not larger than the window: crop and resize
]


def _data(shape, data_format, seed=0):
    """Fixed data of channels-last ``shape``, laid out in ``data_format``."""
    x = np.random.default_rng(seed).uniform(0, 255 if len(shape) == 4 else 1, shape).astype("float32")
    return np.ascontiguousarray(np.moveaxis(x, -1, 1)) if data_format == "channels_first" else x


def _keras(layer, x, training=False):
    return keras.ops.convert_to_numpy(layer(x, training=training))


def _randomize(keras_layer, seed):
    rng = np.random.default_rng(seed)
    keras_layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in keras_layer.get_weights()])


def _ours_like(keras_layer, cls, config, x):
    ours = cls.from_config(config) if isinstance(config, dict) else cls(**config[1])
    ours.build_from_shape((None, *x.shape[1:]))
    ours.set_weights(keras_layer.get_weights())  # Keras's kernel layout, whatever the data_format
    return ours


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("name, kwargs, shape", WEIGHTED)
def test_weighted_layers_match_keras_on_copied_weights(name, kwargs, shape, data_format):
    x = _data(shape, data_format)
    theirs = getattr(keras.layers, name)(**kwargs, data_format=data_format)
    theirs(x)
    _randomize(theirs, 1)
    expected = _keras(theirs, x)
    ours = _ours_like(theirs, getattr(layers, name), (None, {**kwargs, "data_format": data_format}), x)
    np.testing.assert_allclose(ours(torch.from_numpy(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    assert ours.compute_output_shape((None, *x.shape[1:])) == (None, *expected.shape[1:])
    assert ours.get_config()["data_format"] == theirs.get_config()["data_format"] == data_format
    # Configs cross over both ways and make the same layer.
    from_theirs = _ours_like(theirs, getattr(layers, name), theirs.get_config(), x)
    np.testing.assert_allclose(from_theirs(torch.from_numpy(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    from_ours = type(theirs).from_config(ours.get_config())
    from_ours(x)
    from_ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(_keras(from_ours, x), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, kwargs, shape", [case for case in WEIGHTED if "softmax" not in case[1].values()])
def test_channels_first_is_channels_last_transposed_on_the_same_weights(name, kwargs, shape):
    last = getattr(layers, name)(**kwargs)
    first = getattr(layers, name)(**kwargs, data_format="channels_first")
    x = torch.from_numpy(_data(shape, "channels_last", seed=2))
    y = last(x)
    first.build_from_shape((None, *x.movedim(-1, 1).shape[1:]))
    first.set_weights(last.get_weights())
    torch.testing.assert_close(first(x.movedim(-1, 1).contiguous()), y.movedim(-1, 1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("name, kwargs, shape", WEIGHTLESS)
def test_weightless_layers_match_keras(name, kwargs, shape, data_format):
    x = _data(shape, data_format)
    theirs = getattr(keras.layers, name)(**kwargs, data_format=data_format)
    ours = getattr(layers, name)(**kwargs, data_format=data_format)
    expected = _keras(theirs, x)
    np.testing.assert_allclose(ours(torch.from_numpy(x)).numpy(), expected, rtol=1e-5, atol=1e-4)
    assert ours.compute_output_shape((None, *x.shape[1:])) == (None, *expected.shape[1:])
    assert ours.get_config()["data_format"] == theirs.get_config()["data_format"] == data_format
    from_theirs = type(ours).from_config(theirs.get_config())
    np.testing.assert_allclose(from_theirs(torch.from_numpy(x)).numpy(), expected, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(_keras(type(theirs).from_config(ours.get_config()), x), expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("name, kwargs, shape", FIXED_TRAINING)
def test_image_layers_in_training_with_a_fixed_draw_match_keras(name, kwargs, shape, data_format):
    x = _data(shape, data_format)
    expected = _keras(getattr(keras.layers, name)(**kwargs, data_format=data_format), x, training=True)
    ours = getattr(layers, name)(**kwargs, data_format=data_format)
    np.testing.assert_allclose(ours(torch.from_numpy(x), training=True).numpy(), expected, rtol=1e-5, atol=2e-3)
    unbatched = ours(torch.from_numpy(x[1]), training=True)  # one image, (C, H, W) when channels first
    np.testing.assert_allclose(unbatched.numpy(), expected[1], rtol=1e-5, atol=2e-3)
    assert ours.get_config()["data_format"] == data_format


@pytest.mark.parametrize("layer", ["RandomFlip", "RandomContrast", "RandomRotation", "RandomZoom", "RandomCrop"])
def test_seeded_random_layers_draw_alike_in_both_layouts(layer):
    args = {"RandomFlip": {}, "RandomContrast": {"factor": 0.5}, "RandomRotation": {"factor": 0.3},
            "RandomZoom": {"height_factor": 0.4}, "RandomCrop": {"height": 3, "width": 4}}[layer]
    x = torch.from_numpy(_data((4, 6, 7, 3), "channels_last"))
    last = getattr(layers, layer)(**args, seed=7)(x, training=True)
    first = getattr(layers, layer)(**args, seed=7, data_format="channels_first")(x.movedim(-1, 1), training=True)
    torch.testing.assert_close(first, last.movedim(-1, 1))


def test_spatial_dropout_channels_first_drops_whole_maps():
    y = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=0)(torch.ones(4, 6, 5, 5), training=True)
    assert bool((y.amax((2, 3)) == y.amin((2, 3))).all()) and set(y.unique().tolist()) <= {0.0, 2.0}


def test_batch_normalization_on_axis_1_matches_keras_in_training_and_inference():
    x = _data((4, 5, 6, 3), "channels_first")
    theirs, ours = keras.layers.BatchNormalization(axis=1, momentum=0.5), layers.BatchNormalization(axis=1, momentum=0.5)
    theirs(x)
    _randomize(theirs, 3)
    theirs.set_weights([np.abs(w) if i == 3 else w for i, w in enumerate(theirs.get_weights())])
    ours.build_from_shape((None, *x.shape[1:]))
    ours.set_weights(theirs.get_weights())
    with torch.no_grad():
        np.testing.assert_allclose(ours(torch.from_numpy(x)).numpy(), _keras(theirs, x), rtol=1e-4, atol=1e-4)
        trained = ours(torch.from_numpy(x), training=True)
    np.testing.assert_allclose(trained.numpy(), _keras(theirs, x, training=True), rtol=1e-4, atol=1e-4)
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):  # the moving statistics moved alike
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-4)
    assert ours(torch.from_numpy(x[:, :, :4, :2])).shape == (4, 3, 4, 2)  # other spatial sizes, same channels


def test_built_channels_first_layers_check_the_channel_axis():
    conv = layers.Conv2D(2, 3, data_format="channels_first")
    conv(torch.zeros(1, 3, 8, 8))
    assert conv(torch.zeros(1, 3, 10, 12)).shape == (1, 2, 8, 10)  # a fully convolutional call on a larger image
    with pytest.raises(ValueError, match="expected axis 1 of input shape to have value 3"):
        conv(torch.zeros(1, 4, 8, 8))


def _model(lib, data_format):
    """The same channels-first CNN from ``lib`` (convlens's or Keras's layers namespace)."""
    kw = {"data_format": data_format}
    return [
        lib.Input((3, 12, 12)), lib.Conv2D(4, 3, padding="same", activation="relu", **kw), lib.MaxPooling2D(**kw),
        lib.BatchNormalization(axis=1), lib.DepthwiseConv2D(3, depth_multiplier=2, **kw),
        lib.Conv2DTranspose(3, 3, strides=2, padding="same", **kw), lib.ZeroPadding2D(1, **kw),
        lib.SeparableConv2D(4, 3, strides=2, **kw), lib.UpSampling2D(**kw), lib.Cropping2D(1, **kw),
        lib.AveragePooling2D(2, **kw), lib.Flatten(**kw), lib.Dense(5),
    ]


def test_channels_first_model_matches_keras_layer_by_layer():
    theirs = keras.Sequential(_model(keras.layers, "channels_first"))
    ours = Sequential(_model(layers, "channels_first"))
    _randomize(theirs, 4)
    ours.set_weights(theirs.get_weights())
    assert [layer.output.shape for layer in ours.layers] == [tuple(layer.output.shape) for layer in theirs.layers]
    assert ours.count_params() == theirs.count_params()
    x = _data((2, 12, 12, 3), "channels_first")
    np.testing.assert_allclose(ours.predict(x, verbose=0), _keras(theirs, x), rtol=1e-4, atol=1e-4)


def test_channels_first_keras_archives_load_both_ways(tmp_path):
    x = _data((2, 12, 12, 3), "channels_first")
    ours = Sequential(_model(layers, "channels_first"))
    theirs = keras.Sequential(_model(keras.layers, "channels_first"))
    _randomize(theirs, 5)
    ours.set_weights(theirs.get_weights())
    saving.save_model(ours, tmp_path / "ours.keras")
    loaded_by_keras = keras.models.load_model(tmp_path / "ours.keras")
    assert loaded_by_keras.layers[0].get_config()["data_format"] == "channels_first"
    np.testing.assert_allclose(_keras(loaded_by_keras, x), ours.predict(x, verbose=0), rtol=1e-4, atol=1e-4)
    theirs.save(tmp_path / "theirs.keras")
    loaded_by_us = saving.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(loaded_by_us.predict(x, verbose=0), _keras(theirs, x), rtol=1e-4, atol=1e-4)


def test_fused_relu_and_max_pooling_keep_the_channels_first_layout():
    theirs = keras.Sequential([keras.Input((2, 8, 8)),
                               keras.layers.Conv2D(3, 3, activation="relu", data_format="channels_first"),
                               keras.layers.MaxPooling2D(data_format="channels_first")])
    ours = Sequential([layers.Input((2, 8, 8)), layers.Conv2D(3, 3, activation="relu", data_format="channels_first"),
                       layers.MaxPooling2D(data_format="channels_first")])
    _randomize(theirs, 6)
    ours.set_weights(theirs.get_weights())
    x = _data((2, 8, 8, 2), "channels_first")
    np.testing.assert_allclose(ours.predict(x, verbose=0), _keras(theirs, x), rtol=1e-5, atol=1e-5)


def test_formulas_read_channels_first_shapes_as_the_same_layer():
    first, last = layers.Conv2D(4, 3, strides=2, data_format="channels_first"), layers.Conv2D(4, 3, strides=2)
    first.build_from_shape((None, 3, 9, 9))
    last.build_from_shape((None, 9, 9, 3))
    a = explain_layer(first, (None, 3, 9, 9), first.compute_output_shape((None, 3, 9, 9)))
    b = explain_layer(last, (None, 9, 9, 3), last.compute_output_shape((None, 9, 9, 3)))
    assert [f.text for f in a.output] == [f.text for f in b.output] and a.params.text == b.params.text == "3·3·3·4 + 4 = 112"


def test_none_follows_the_image_data_format_as_in_keras():
    import convlens.keras as ckeras

    assert ckeras.config.image_data_format() == keras.config.image_data_format() == "channels_last"
    ckeras.config.set_image_data_format("channels_first")
    try:
        assert ckeras.backend.image_data_format() == "channels_first"
        conv, flatten = layers.Conv2D(2, 3), layers.Flatten()
        assert conv.get_config()["data_format"] == flatten.get_config()["data_format"] == "channels_first"
        assert conv(torch.zeros(1, 3, 5, 5)).shape == (1, 2, 3, 3)
        assert layers.MaxPooling2D(data_format="channels_last").data_format == "channels_last"
    finally:
        ckeras.config.set_image_data_format("channels_last")
    assert layers.Conv2D(2, 3).data_format == "channels_last"


ALL = [(name, kwargs) for name, kwargs, _ in WEIGHTED + WEIGHTLESS + FIXED_TRAINING]


@pytest.mark.parametrize("name, kwargs", ALL)
def test_an_unknown_data_format_raises_keras_error(name, kwargs):
    with pytest.raises(ValueError) as reference:
        getattr(keras.layers, name)(**kwargs, data_format="channels_middle")
    with pytest.raises(ValueError) as ours:
        getattr(layers, name)(**kwargs, data_format="channels_middle")
    assert str(ours.value) == str(reference.value)


def test_setting_an_unknown_image_data_format_raises_keras_error_and_changes_nothing():
    with pytest.raises(ValueError) as reference:
        keras.config.set_image_data_format("nchw")
    with pytest.raises(ValueError) as ours:
        data_format_lib.set_image_data_format("nchw")
    assert str(ours.value) == str(reference.value)
    assert data_format_lib.image_data_format() == "channels_last"


@pytest.mark.parametrize("name", ["Cropping1D", "UpSampling1D", "SpatialDropout1D"])
def test_layers_keras_gives_no_data_format_take_none(name):
    # Keras's 1D cropping, upsampling and spatial dropout are channels-last only and have no such argument.
    args = {"SpatialDropout1D": (0.5,)}.get(name, ())
    with pytest.raises((TypeError, ValueError), match="data_format"):
        getattr(keras.layers, name)(*args, data_format="channels_first")
    with pytest.raises(TypeError, match="data_format"):
        getattr(layers, name)(*args, data_format="channels_first")


@pytest.mark.parametrize("name", sorted({name for name, _ in ALL} | {"Cropping1D", "UpSampling1D", "SpatialDropout1D"}))
def test_data_format_sits_where_keras_puts_it_among_the_arguments(name):
    # Positional calls such as Conv2D(8, 3, 1, "same", "channels_first") mean what they mean in Keras.
    def position(cls):
        names = list(inspect.signature(cls.__init__).parameters)
        return names.index("data_format") if "data_format" in names else None

    assert position(getattr(layers, name)) == position(getattr(keras.layers, name))
