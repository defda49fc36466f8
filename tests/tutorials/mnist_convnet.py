"""Simple MNIST convnet (keras.io), short version: the same model, preprocessing and training calls, on the
6,000-image MNIST sample shipped in the repository and one epoch."""

import os
from pathlib import Path

import numpy as np

if os.environ.get("TUTORIAL_LIBRARY") == "keras": import keras  # noqa: E701
else: import convlens.keras as keras  # noqa: E701
layers = keras.layers

keras.utils.set_random_seed(1)

# Model / data parameters
num_classes = 10
input_shape = (28, 28, 1)

# The data, split between train and test sets (the repository's MNIST sample instead of a download)
sample = np.load(Path(__file__).resolve().parents[2] / "src/convlens/datasets/sample/mnist_sample.npz")
(x_train, y_train), (x_test, y_test) = (sample["x_train"], sample["y_train"]), (sample["x_test"], sample["y_test"])

# Scale images to the [0, 1] range
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
# Make sure images have shape (28, 28, 1)
x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
print("x_train shape:", x_train.shape)

# convert class vectors to binary class matrices
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)
model.summary()
assert model.count_params() == 34826

batch_size = 128
epochs = 1
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1, verbose=0)

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
assert score[1] > 0.80, score
