"""Image classification from scratch (keras.io), short version: the functional residual model with SeparableConv2D
blocks, narrower, on a generated folder of 32x32 pictures of two shapes; augmentation inside the model (the
tutorial's "option 1"), a ModelCheckpoint every epoch, then a checkpoint loaded back and used to predict.

The folder is read with ``keras.utils.load_img`` into arrays, so the program runs on real Keras without TensorFlow
(``image_dataset_from_directory`` returns a ``tf.data.Dataset`` there; image_classification.py uses it).
"""

import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

if os.environ.get("TUTORIAL_LIBRARY") == "keras": import keras  # noqa: E701
else: import convlens.keras as keras  # noqa: E701
layers = keras.layers

keras.utils.set_random_seed(1337)
os.chdir(tempfile.mkdtemp())  # the checkpoints land in the working folder, as in the tutorial

# A small image folder, two classes as cats and dogs are: bright discs and bright squares on noise.
rng = np.random.default_rng(1337)
yy, xx = np.mgrid[:32, :32]
for class_name in ["Disc", "Square"]:
    Path("Shapes", class_name).mkdir(parents=True)
    for i in range(16):
        cy, cx, r = rng.integers(11, 21), rng.integers(11, 21), rng.integers(6, 10)
        if class_name == "Disc":
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        else:
            mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
        pixels = rng.integers(0, 60, (32, 32, 3))
        pixels[mask] = rng.integers(180, 256, 3)
        Image.fromarray(pixels.astype("uint8")).save(Path("Shapes", class_name, f"{i}.png"))

image_size = (32, 32)
paths = sorted(Path("Shapes").glob("*/*.png"))
images = np.stack([keras.utils.img_to_array(keras.utils.load_img(p, target_size=image_size)) for p in paths])
labels = np.array([float(p.parent.name == "Square") for p in paths])
order = rng.permutation(len(paths))
images, labels = images[order], labels[order]
split = int(0.8 * len(paths))
x_train, y_train, x_val, y_val = images[:split], labels[:split], images[split:], labels[split:]
assert x_train.shape == (25, 32, 32, 3) and x_train.dtype == np.float32

data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = data_augmentation(inputs)

    # Entry block
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [32, 64]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(96, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)
    # We specify linear activation for the output layer, so this can be used with binary cross-entropy loss
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


model = make_model(input_shape=image_size + (3,), num_classes=2)
model.summary()
# Entry conv + BN, two residual blocks (2 separable convs + 2 BNs + a 1x1 projection each), the last separable conv
# + BN, the head: the parameter count Keras gives.
blocks = sum(
    (9 * c_in + c_in * size + size) + 4 * size + (9 * size + size * size + size) + 4 * size + (c_in * size + size)
    for c_in, size in [(16, 32), (32, 64)]
)
assert model.count_params() == (3 * 3 * 3 * 16 + 16) + 4 * 16 + blocks + (9 * 64 + 64 * 96 + 96) + 4 * 96 + (96 + 1)

epochs = 2
callbacks = [keras.callbacks.ModelCheckpoint("save_at_{epoch}.keras")]
model.compile(
    optimizer=keras.optimizers.Adam(3e-4),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(name="acc")],
)
history = model.fit(x_train, y_train, batch_size=8, epochs=epochs, callbacks=callbacks,
                    validation_data=(x_val, y_val), verbose=0)
assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"], history.history
assert sorted(os.listdir()) == ["Shapes", "save_at_1.keras", "save_at_2.keras"], os.listdir()

# Run inference on new data, with the model of the last checkpoint.
restored = keras.models.load_model("save_at_2.keras")
np.testing.assert_allclose(restored.predict(x_val, verbose=0), model.predict(x_val, verbose=0), rtol=1e-4, atol=1e-5)
first = keras.models.load_model("save_at_1.keras")
assert not np.allclose(first.get_weights()[0], restored.get_weights()[0]), "each epoch has its own checkpoint"

img = keras.utils.load_img(paths[0], target_size=image_size)
img_array = keras.utils.img_to_array(img)
img_array = keras.ops.expand_dims(img_array, 0)  # Create batch axis

predictions = restored.predict(img_array, verbose=0)
score = float(keras.ops.sigmoid(predictions[0][0]))
assert predictions.shape == (1, 1) and 0 < score < 1
print(f"This image is {100 * (1 - score):.2f}% disc and {100 * score:.2f}% square.")
