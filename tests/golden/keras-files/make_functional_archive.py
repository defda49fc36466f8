"""Regenerate ``functional_graph.keras`` with Keras itself (not part of the test run).

A small functional model that holds what the functional format can hold: two
named inputs, a residual block with a projection shortcut and batch
normalization, every merge layer, a layer shared by two calls, a nested
Sequential and a nested functional model, and two outputs. It is saved by
``model.save``; ``functional_graph.npz`` next to it holds the inputs
``image`` and ``extra`` and Keras's outputs ``y0``, ``y1`` of
``model([image, extra], training=False)``. Weights are random (BatchNormalization's
moving statistics included) so that every weight matters to the outputs.

Run with Keras 3 installed (any backend)::

    KERAS_BACKEND=torch python tests/golden/keras-files/make_functional_archive.py
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers

HERE = Path(__file__).resolve().parent


def functional_graph() -> keras.Model:
    image = keras.Input((8, 8, 3), name="image")
    extra = keras.Input((4,), name="extra")

    x = layers.Conv2D(4, 3, padding="same", use_bias=False, name="stem_conv")(image)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    # A residual block whose shape changes: 1×1 stride-2 projection on the shortcut.
    y = layers.Conv2D(6, 3, strides=2, padding="same", name="block_conv1")(x)
    y = layers.BatchNormalization(name="block_bn1")(y)
    y = layers.ReLU(name="block_relu1")(y)
    y = layers.Conv2D(6, 3, padding="same", name="block_conv2")(y)
    shortcut = layers.Conv2D(6, 1, strides=2, name="block_projection")(x)
    y = layers.Add(name="block_add")([y, shortcut])
    y = layers.Activation("relu", name="block_out")(y)

    shared = layers.Conv2D(6, 1, name="shared_conv")  # called twice: one set of weights
    a, b = shared(y), shared(layers.MaxPooling2D(1, name="identity_pool")(y))
    merged = layers.Concatenate(name="concat")([
        layers.Subtract(name="sub")([a, b]),
        layers.Multiply(name="mul")([a, y]),
        layers.Average(name="avg")([a, b, y]),
        layers.Maximum(name="max")([a, y]),
        layers.Minimum(name="min")([b, y]),
    ])
    pooled = layers.GlobalAveragePooling2D(name="gap")(merged)

    side = keras.Sequential([layers.Dense(5, activation="tanh"), layers.Dropout(0.3)], name="side_mlp")(extra)
    inner_input = keras.Input((30,))
    inner = keras.Model(inner_input, layers.Dense(8, activation="relu", name="inner_dense")(inner_input), name="inner")
    features = layers.Concatenate(name="features")([inner(pooled), side])
    logits = layers.Dense(3, activation="softmax", name="classes")(features)
    value = layers.Dense(1, name="value")(layers.Dropout(0.2, name="value_dropout")(features))
    return keras.Model([image, extra], [logits, value], name="functional_graph")


def main() -> None:
    rng = np.random.default_rng(20240612)
    model = functional_graph()
    for weight in model.weights:
        values = rng.normal(0.0, 0.5, weight.shape).astype("float32")
        if "variance" in weight.path:
            values = np.abs(values) + 0.5
        weight.assign(values)
    image = rng.normal(0.0, 1.0, (3, 8, 8, 3)).astype("float32")
    extra = rng.normal(0.0, 1.0, (3, 4)).astype("float32")
    y0, y1 = (keras.ops.convert_to_numpy(y) for y in model([image, extra], training=False))
    model.save(HERE / "functional_graph.keras")
    np.savez(HERE / "functional_graph.npz", image=image, extra=extra, y0=y0, y1=y1)
    print("functional_graph", y0.shape, y1.shape, f"keras {keras.__version__} ({keras.backend.backend()})")


if __name__ == "__main__":
    main()
