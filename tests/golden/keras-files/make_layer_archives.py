"""Regenerate the ``layers_*.keras`` archives with Keras itself (not part of the test run).

Each archive is a small Sequential model covering a group of layer types, saved by
``model.save``; ``<name>.npz`` next to it holds an input batch ``x`` and Keras's
output ``y = model(x, training=False)``. Weights are random (BatchNormalization's
moving statistics included) so that every weight matters to ``y``.

Run with Keras 3 installed (any backend)::

    KERAS_BACKEND=torch python tests/golden/keras-files/make_layer_archives.py
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers

HERE = Path(__file__).resolve().parent


def models() -> dict[str, keras.Sequential]:
    return {
        "layers_2d": keras.Sequential([
            keras.Input((10, 10, 3)),
            layers.Rescaling(0.5, offset=-0.25),
            layers.Conv2D(4, 3, padding="same", activation="relu"),
            layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
            layers.BatchNormalization(),
            layers.SeparableConv2D(5, 3, activation="tanh"),
            layers.ZeroPadding2D(((1, 2), (0, 1))),
            layers.Cropping2D(((1, 0), (0, 1))),
            layers.UpSampling2D(2),
            layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
            layers.MaxPooling2D(3, strides=2, padding="same"),
            layers.AveragePooling2D(2, padding="same"),
            layers.ReLU(max_value=2.0, negative_slope=0.1),
            layers.Activation("sigmoid"),
            layers.GlobalMaxPooling2D(keepdims=True),
            layers.Reshape((3,)),
            layers.Dense(6, activation="gelu"),
            layers.Dropout(0.25),
            layers.Dense(4),
            layers.Softmax(),
        ], name="layers_2d"),
        "layers_1d_3d": keras.Sequential([
            keras.Input((6, 6, 6, 2)),
            layers.Conv3D(3, 3, padding="same", activation="elu"),
            layers.MaxPooling3D(2),
            layers.AveragePooling3D(1),
            layers.Reshape((27, 3)),
            layers.Conv1D(4, 3, padding="causal", dilation_rate=2),
            layers.MaxPooling1D(2),
            layers.AveragePooling1D(2, padding="same"),
            layers.GlobalAveragePooling1D(),
            layers.Dense(3),
        ], name="layers_1d_3d"),
        "layers_nested": keras.Sequential([
            keras.Input((5, 5, 2)),
            keras.Sequential([layers.Conv2D(3, 2, name="inner_conv"), layers.Flatten()], name="block"),
            layers.BatchNormalization(trainable=False),
            layers.Dense(2, activation="softplus"),
        ], name="layers_nested"),
    }


def main() -> None:
    rng = np.random.default_rng(20240611)
    for name, model in models().items():
        for weight in model.weights:
            values = rng.normal(0.0, 0.5, weight.shape).astype("float32")
            if "variance" in weight.path:
                values = np.abs(values) + 0.5
            weight.assign(values)
        x = rng.normal(0.0, 1.0, (3, *model.input_shape[1:])).astype("float32")
        y = keras.ops.convert_to_numpy(model(x, training=False))
        model.save(HERE / f"{name}.keras")
        np.savez(HERE / f"{name}.npz", x=x, y=y)
        print(name, y.shape, f"keras {keras.__version__} ({keras.backend.backend()})")


if __name__ == "__main__":
    main()
