"""Visualizing filters and feature maps of VGG16 (the notes' recipe), short version: weights=None, a small input."""

import os

import numpy as np

if os.environ.get("TUTORIAL_LIBRARY") == "keras": import keras  # noqa: E701
else: import convlens.keras as keras  # noqa: E701

keras.utils.set_random_seed(0)
model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))

# Filters of every convolution layer: (3, 3, channels in, filters).
conv_layers = [layer for layer in model.layers if "conv" in layer.name]
assert len(conv_layers) == 13
filters, biases = model.layers[1].get_weights()
assert filters.shape == (3, 3, 3, 64) and biases.shape == (64,)
f_min, f_max = filters.min(), filters.max()
filters = (filters - f_min) / (f_max - f_min)
assert filters.min() == 0 and filters.max() == 1

# Feature maps of the first convolution, then of the last convolution of every block.
first = keras.Model(inputs=model.inputs, outputs=model.layers[1].output)
image = keras.applications.vgg16.preprocess_input(np.random.default_rng(0).uniform(0, 255, (1, 32, 32, 3)))
maps = first.predict(image, verbose=0)
assert maps.shape == (1, 32, 32, 64) and (maps >= 0).all()

ixs = [2, 5, 9, 13, 17]
blocks = keras.Model(inputs=model.inputs, outputs=[model.layers[i].output for i in ixs])
feature_maps = blocks.predict(image, verbose=0)
assert [m.shape[1:] for m in feature_maps] == [(32, 32, 64), (16, 16, 128), (8, 8, 256), (4, 4, 512), (2, 2, 512)]
np.testing.assert_allclose(feature_maps[0][0], keras.Model(model.inputs, model.layers[2].output).predict(image, verbose=0)[0],
                           rtol=1e-5, atol=1e-5)
print([m.shape for m in feature_maps])
