"""Making new layers and models via subclassing (keras.io guide), short version: a custom layer with
`add_weight`, a subclassed model with `call(training=)`, trained with `fit`, saved and reloaded as weights, and
saved whole as a `.keras` file through `get_config` (the serialization guide's registered classes)."""

import os
import sys
import tempfile

import numpy as np

if os.environ.get("TUTORIAL_LIBRARY") == "keras": import keras  # noqa: E701
else: import convlens.keras as keras  # noqa: E701

keras.utils.set_random_seed(0)


@keras.saving.register_keras_serializable(package="tutorial")
class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="tutorial")
class SmallNet(keras.Model):
    def __init__(self, num_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.conv = keras.layers.Conv2D(4, 3, activation="relu")
        self.pool = keras.layers.GlobalAveragePooling2D()
        self.dropout = keras.layers.Dropout(0.25)
        self.hidden = Linear(8)
        self.classifier = keras.layers.Dense(num_classes, activation="softmax")

    def call(self, inputs, training=None):
        x = self.pool(self.conv(inputs))
        x = self.dropout(x, training=training)
        return self.classifier(keras.ops.relu(self.hidden(x)))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


rng = np.random.default_rng(0)
x = rng.normal(size=(96, 8, 8, 1)).astype("float32")
y = (x.mean(axis=(1, 2, 3)) > 0).astype("int64") + (x[:, :4].mean(axis=(1, 2, 3)) > 0.3).astype("int64")

model = SmallNet()
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, batch_size=16, epochs=15, verbose=0)
loss, accuracy = model.evaluate(x, y, verbose=0)
print(f"loss {history.history['loss'][0]:.3f} -> {loss:.3f}, accuracy {accuracy:.3f}")
assert loss < history.history["loss"][0] * 0.9, "training must lower the loss"
assert len(model.trainable_weights) == 6, [w.shape for w in model.trainable_weights]
assert model.count_params() == (3 * 3 * 1 * 4 + 4) + (4 * 8 + 8) + (8 * 3 + 3)

# Inference is deterministic (dropout off); training mode draws dropout masks.
np.testing.assert_allclose(model.predict(x[:4], verbose=0), model.predict(x[:4], verbose=0))

path = os.path.join(tempfile.mkdtemp(), "small.weights.h5")
model.save_weights(path)
again = SmallNet()
again(x[:1])
again.load_weights(path)
np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)

# The whole model: its class is rebuilt from get_config(), then built and given the saved weights.
path = os.path.join(tempfile.mkdtemp(), "small.keras")
model.save(path)
restored = keras.models.load_model(path)
assert type(restored) is SmallNet and restored.num_classes == 3 and type(restored.hidden) is Linear
np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
print("ok", file=sys.stderr)
