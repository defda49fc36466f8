"""Every layer type on an empty batch and on float64 input, against real Keras (torch backend).

Keras converts array inputs to the layer's compute dtype (float64 → float32) and passes an empty batch
through every layer; convlens must give the same shapes, dtypes and, for the same weights, values.
"""

import keras
import numpy as np
import pytest
import torch

import convlens.keras as ck
from convlens import zoo

RANDOM = {"Dropout", "SpatialDropout2D", "GaussianNoise"}  # values differ by design in training mode
CASES = [
    ("Conv1D", dict(filters=3, kernel_size=3), (10, 2)),
    ("Conv2D", dict(filters=3, kernel_size=3, padding="same"), (8, 8, 2)),
    ("Conv3D", dict(filters=2, kernel_size=2), (4, 4, 4, 1)),
    ("DepthwiseConv2D", dict(kernel_size=3), (8, 8, 2)),
    ("SeparableConv2D", dict(filters=3, kernel_size=3), (8, 8, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2), (5, 5, 2)),
    ("DepthwiseConv1D", dict(kernel_size=3), (8, 2)),
    ("MaxPooling1D", dict(), (10, 2)),
    ("MaxPooling2D", dict(), (8, 8, 2)),
    ("AveragePooling2D", dict(pool_size=2, padding="same"), (7, 7, 2)),
    ("MaxPooling3D", dict(), (4, 4, 4, 1)),
    ("GlobalAveragePooling2D", dict(), (8, 8, 2)),
    ("Dense", dict(units=4), (6,)),
    ("Dense", dict(units=4), (3, 6)),
    ("Flatten", dict(), (4, 4, 2)),
    ("Dropout", dict(rate=0.5), (6,)),
    ("SpatialDropout2D", dict(rate=0.5), (4, 4, 2)),
    ("GaussianNoise", dict(stddev=0.1), (6,)),
    ("BatchNormalization", dict(), (4, 4, 2)),
    ("LayerNormalization", dict(), (4, 4, 2)),
    ("GroupNormalization", dict(groups=2), (4, 4, 4)),
    ("UpSampling2D", dict(), (4, 4, 2)),
    ("ZeroPadding2D", dict(), (4, 4, 2)),
    ("Cropping2D", dict(cropping=1), (4, 4, 2)),
    ("Reshape", dict(target_shape=(8, 4)), (4, 4, 2)),
    ("Permute", dict(dims=(2, 1, 3)), (4, 5, 2)),
    ("Rescaling", dict(scale=1 / 255), (4, 4, 2)),
    ("Activation", dict(activation="softmax"), (6,)),
    ("ReLU", dict(), (6,)),
    ("LeakyReLU", dict(), (6,)),
    ("PReLU", dict(), (6,)),
    ("Resizing", dict(height=6, width=6), (4, 4, 2)),
    ("CenterCrop", dict(height=2, width=2), (4, 4, 2)),
    ("RepeatVector", dict(n=3), (6,)),
    ("Normalization", dict(mean=0.5, variance=2.0), (6,)),
]


def both(name, kwargs, x, training):
    ours = getattr(ck.layers, name)(**kwargs)
    out = ours(x, training=training)
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build((None, *x.shape[1:]))
    if ours.get_weights():
        theirs.set_weights(ours.get_weights())
    return out, theirs(x, training=training)


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[f"{c[0]}{len(c[2])}d" for c in CASES])
def test_layers_on_empty_and_float64_input_match_keras(name, kwargs, shape, training):
    empty = np.zeros((0, *shape), np.float32)
    ours, theirs = both(name, kwargs, empty, training)
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == torch.float32
    x = np.random.default_rng(0).random((2, *shape))  # float64
    ours, theirs = both(name, kwargs, x, training)
    assert ours.dtype == torch.float32 and str(theirs.dtype) == "torch.float32"
    if not (training and name in RANDOM):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().cpu().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["lenet5", "mnist_convnet", "resnet", "tinyvgg"])
def test_zoo_models_on_empty_and_float64_batches(name):
    model = zoo.create(name)
    shape = tuple(model.input_shape[1:])
    empty = np.zeros((0, *shape))
    assert tuple(model(empty).shape) == (0, *model.output_shape[1:])
    assert model.predict(empty, verbose=0).shape == (0, *model.output_shape[1:])
    x = np.random.default_rng(1).random((3, *shape))
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(x.astype(np.float32), verbose=0),
                               rtol=1e-6, atol=1e-6)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert len(model.evaluate(x, np.zeros(3, int), verbose=0)) == 2
    with pytest.raises(ValueError, match=r"`x` holds no samples: received an array of shape \(0,"):
        model.evaluate(empty, np.zeros(0, int), verbose=0)  # a loss over no samples is undefined
