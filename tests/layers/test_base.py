"""The Keras layer contract: names, lazy build, config round trip, weights checks, torch interop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens import layers
from convlens.layers.naming import reset_names


def test_default_names_are_unique_like_keras():
    reset_names()
    names = [layers.Conv2D(2, 3).name, layers.Conv2D(2, 3).name, layers.MaxPooling2D().name,
             layers.Conv2DTranspose(2, 3).name, layers.Dense(1).name]
    assert names == ["conv2d", "conv2d_1", "max_pooling2d", "conv2d_transpose", "dense"]


def test_lazy_build_on_first_call():
    conv = layers.Conv2D(4, 3)
    assert not conv.built and conv.get_weights() == []
    conv(torch.zeros(1, 8, 8, 2))
    assert conv.built and conv.count_params() == 3 * 3 * 2 * 4 + 4
    with pytest.raises(ValueError, match="isn't built"):
        layers.Dense(3).count_params()


def test_set_weights_checks_everything_before_changing_anything():
    conv = layers.Conv2D(2, 3)
    conv.build_from_shape((None, 5, 5, 1))
    before = conv.get_weights()
    with pytest.raises(ValueError, match="expects 2 weights"):
        conv.set_weights([before[0]])
    with pytest.raises(ValueError, match=r"'bias' has shape \(2,\); received an array of shape \(3,\)"):
        conv.set_weights([np.ones_like(before[0]), np.ones(3)])
    for old, now in zip(before, conv.get_weights()):
        np.testing.assert_array_equal(old, now)
    with pytest.raises(ValueError, match="no weights yet"):
        layers.Dense(2).set_weights([np.ones((2, 2)), np.ones(2)])


ALL_LAYERS = [
    (layers.Conv1D(3, 2, padding="causal"), (None, 9, 2)),
    (layers.Conv2D(3, (2, 3), strides=(2, 1), activation="relu"), (None, 8, 8, 2)),
    (layers.Conv3D(2, 2), (None, 4, 4, 4, 1)),
    (layers.DepthwiseConv2D(3, depth_multiplier=2), (None, 6, 6, 2)),
    (layers.SeparableConv2D(4, 3, padding="same"), (None, 6, 6, 2)),
    (layers.Conv2DTranspose(2, 3, strides=2, padding="same"), (None, 4, 4, 3)),
    (layers.MaxPooling1D(), (None, 8, 2)), (layers.MaxPooling2D(3, 2, "same"), (None, 7, 7, 2)),
    (layers.MaxPooling3D(), (None, 4, 4, 4, 1)), (layers.AveragePooling1D(), (None, 8, 2)),
    (layers.AveragePooling2D(), (None, 6, 6, 1)), (layers.AveragePooling3D(), (None, 4, 4, 4, 1)),
    (layers.GlobalMaxPooling1D(), (None, 5, 2)), (layers.GlobalMaxPooling2D(), (None, 5, 5, 2)),
    (layers.GlobalAveragePooling1D(), (None, 5, 2)), (layers.GlobalAveragePooling2D(), (None, 5, 5, 2)),
    (layers.Flatten(), (None, 3, 3, 2)), (layers.Dense(4, activation="softmax"), (None, 6)),
    (layers.Dropout(0.3), (None, 6)), (layers.Rescaling(0.5, 1.0), (None, 4, 4, 3)),
    (layers.BatchNormalization(), (None, 4, 4, 3)), (layers.Activation("tanh"), (None, 3)),
    (layers.ReLU(6.0), (None, 3)), (layers.Softmax(), (None, 3)), (layers.Reshape((2, 9)), (None, 3, 3, 2)),
    (layers.ZeroPadding2D(1), (None, 3, 3, 1)), (layers.UpSampling2D(2), (None, 3, 3, 1)),
    (layers.Cropping2D(1), (None, 5, 5, 1)),
]


@pytest.mark.parametrize("layer,shape", ALL_LAYERS, ids=lambda v: type(v).__name__ if isinstance(v, layers.Layer) else "")
def test_every_layer_honours_the_contract(layer, shape):
    x = torch.randn(2, *shape[1:])
    y = layer(x)
    assert tuple(y.shape[1:]) == tuple(layer.compute_output_shape(shape)[1:])
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    clone.build_from_shape(shape)
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(x), y)
    assert isinstance(layer, torch.nn.Module) and repr(layer).startswith(type(layer).__name__)
    assert layer.count_params() == sum(w.size for w in layer.get_weights())


def test_layers_work_in_a_plain_pytorch_loop():
    conv = layers.Conv2D(2, 3)
    conv.build_from_shape((None, 6, 6, 1))
    opt = torch.optim.SGD(conv.parameters(), lr=0.1)
    x = torch.randn(4, 6, 6, 1)
    before = conv.kernel.detach().clone()
    conv.train()
    conv(x).pow(2).mean().backward()
    opt.step()
    assert not torch.equal(before, conv.kernel)


def test_trainable_false_freezes_weights():
    dense = layers.Dense(2)
    dense.build_from_shape((None, 3))
    dense.trainable = False
    assert not dense.kernel.requires_grad and dense.trainable_weights == [] and len(dense.non_trainable_weights) == 2


def test_keras_full_config_is_accepted():
    config = {
        "name": "c", "trainable": True,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None},
        "filters": 2, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last",
        "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": True,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None}, "registered_name": None},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }
    conv = layers.Conv2D.from_config(config)
    assert conv.name == "c" and conv.kernel_size == (3, 3)
    regularized = layers.Conv2D.from_config({**config, "kernel_regularizer": {"class_name": "L2", "config": {}}})
    assert type(regularized.kernel_regularizer).__name__ == "L2" and regularized.kernel_regularizer.l2 == 0.01
    with pytest.raises(ValueError, match="kernel_regularizer"):
        layers.Conv2D.from_config({**config, "kernel_regularizer": {"class_name": "L5"}})


def test_glorot_uniform_limits_follow_keras_fans():
    dense = layers.Dense(300)
    dense.build_from_shape((None, 500))
    limit = np.sqrt(6 / (500 + 300))
    kernel = dense.get_weights()[0]
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.95 * limit
    assert np.allclose(dense.get_weights()[1], 0)


def test_deserialize_refuses_unknown_classes():
    with pytest.raises(ValueError, match="Unknown layer class 'Lambda'"):
        layers.deserialize({"class_name": "Lambda", "config": {}})
