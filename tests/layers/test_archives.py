"""``.keras`` archives holding the newer layers: written by convlens and loaded by Keras, and the other way round."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from convlens import Sequential, layers
from convlens.models import saving


def _model(lib):
    """The same small model built from ``lib`` (convlens's or Keras's layers namespace)."""
    return [
        lib.Input((8, 3)), lib.ZeroPadding1D((1, 2)), lib.Conv1DTranspose(4, 3, strides=2, padding="same"),
        lib.LeakyReLU(0.1), lib.Cropping1D((2, 1)), lib.UpSampling1D(2), lib.LayerNormalization(),
        lib.PReLU(shared_axes=[1]), lib.SpatialDropout1D(0.2), lib.GroupNormalization(2), lib.ELU(0.5),
        lib.Permute((2, 1)), lib.GaussianNoise(0.1), lib.Dropout(0.3, noise_shape=(None, 1, None)),
        lib.Flatten(), lib.RepeatVector(2), lib.Reshape((2, 8, 19)), lib.ZeroPadding2D(1),
        lib.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1),
    ]


def _randomize(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, 0.5, w.shape).astype("float32") for w in model.get_weights()])


@pytest.fixture
def x():
    return np.random.default_rng(3).standard_normal((2, 8, 3)).astype("float32")


def test_keras_loads_a_convlens_archive_of_the_new_layers(tmp_path, x):
    model = Sequential(_model(layers))
    _randomize(model, 0)
    saving.save_model(model, tmp_path / "m.keras")
    theirs = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs(x)), model.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)


def test_convlens_loads_a_keras_archive_of_the_new_layers(tmp_path, x):
    theirs = keras.Sequential(_model(keras.layers))
    _randomize(theirs, 1)
    theirs.save(tmp_path / "k.keras")
    ours = saving.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), keras.ops.convert_to_numpy(theirs(x)),
                               rtol=1e-4, atol=1e-5)
