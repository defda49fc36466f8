"""Subclassed models (``class Net(Model)`` with ``call``) and Keras-style custom layers, against real Keras."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convlens
from convlens import layers

keras = pytest.importorskip("keras")


def _net_class(lib, base_layer, base_model):
    class Scale(base_layer):
        def build(self, input_shape):
            self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

        def call(self, inputs):
            return inputs * self.gain

    class Net(base_model):
        def __init__(self):
            super().__init__()
            self.conv = lib.Conv2D(3, 3, activation="relu")
            self.pool = lib.GlobalAveragePooling2D()
            self.scale = Scale()
            self.norm = lib.BatchNormalization()
            self.out = lib.Dense(2)

        def call(self, inputs, training=None):
            x = self.scale(self.pool(self.conv(inputs)))
            return self.out(self.norm(x, training=training))

    return Net


def _pair():
    ours = _net_class(layers, layers.Layer, convlens.Model)()
    theirs = _net_class(keras.layers, keras.layers.Layer, keras.Model)()
    x = np.random.default_rng(0).normal(size=(20, 6, 6, 2)).astype("float32")
    ours(x[:1])
    theirs(x[:1])
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=w.shape).astype("float32") * 0.5 for w in theirs.get_weights()]
    weights[-3] = np.abs(weights[-3]) + 0.5  # BatchNorm moving variance stays positive
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs, x


def test_subclassed_model_tracks_layers_and_weights_as_keras():
    ours, theirs, x = _pair()
    assert [type(l).__name__ for l in ours.layers] == [type(l).__name__ for l in theirs.layers]
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert ours.count_params() == theirs.count_params() and len(ours.trainable_weights) == len(theirs.trainable_weights)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_subclassed_model_trains_to_keras_weights():
    ours, theirs, x = _pair()
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int64")
    ours.compile(optimizer=convlens.optimizers.SGD(0.1),
                 loss=convlens.losses.SparseCategoricalCrossentropy(from_logits=True))
    theirs.compile(optimizer=keras.optimizers.SGD(0.1),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    h1 = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    h2 = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_training_argument_reaches_dropout_inside():
    class Net(convlens.Model):
        def __init__(self):
            super().__init__()
            self.drop = layers.Dropout(0.5)

        def call(self, inputs, training=None):
            return self.drop(inputs, training=training)

    net = Net()
    x = torch.ones(4, 100)
    assert torch.equal(net(x), x)  # inference by default
    assert (net(x, training=True) == 0).any()


def test_custom_layer_weight_lives_under_its_attribute_and_in_keras_order():
    class Affine(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer="ones")
            self.b = self.add_weight(shape=(2,), initializer="zeros", trainable=False)

        def call(self, inputs):
            return inputs @ self.w + self.b

    layer = Affine()
    assert layer(np.ones((1, 3))).tolist() == [[3.0, 3.0]]
    assert list(dict(layer.named_parameters())) == ["w"] and "b" in dict(layer.named_buffers())
    assert [w.shape for w in layer.get_weights()] == [(3, 2), (2,)] and len(layer.trainable_weights) == 1
    x = layers.Input((3,))
    assert Affine()(x).shape == (None, 2)  # output shape found by running `call` once


def test_layer_without_call_or_forward_says_what_to_define():
    with pytest.raises(NotImplementedError, match="call"):
        layers.Layer()(torch.ones(1, 2))
