"""Learning check: the Keras MNIST convnet learns real digits with fit/evaluate (skipped without $CONVLENS_DATA).

The model, optimizer and loss are those of the keras.io "Simple MNIST convnet"
example; 2,000 training images and 2 epochs keep it to a few seconds.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from convlens import Sequential, layers
from convlens.utils import set_random_seed


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzip) as a NumPy array: magic (2 zero bytes, dtype, ndim), big-endian sizes, data."""
    with gzip.open(path) as f:
        data = f.read()
    ndim = data[3]
    shape = np.frombuffer(data, ">i4", count=ndim, offset=4)
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


@pytest.fixture(scope="module")
def mnist() -> tuple[np.ndarray, ...]:
    root = os.environ.get("CONVLENS_DATA")
    if not root:
        pytest.skip("set CONVLENS_DATA to the folder holding mnist/*.gz to run the learning check")
    folder = Path(root) / "mnist"
    return tuple(read_idx(folder / f"{name}.gz") for name in (
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))


def mnist_convnet() -> Sequential:
    return Sequential([
        layers.Input((28, 28, 1)), layers.Rescaling(1 / 255),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])


def test_keras_mnist_convnet_learns_from_2000_digits(mnist):
    x_train, y_train, x_test, y_test = mnist
    set_random_seed(0)
    model = mnist_convnet()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # uint8 (N, 28, 28) as loaded: the channel axis is added and pixels are cast per batch.
    history = model.fit(x_train[:2000], y_train[:2000], batch_size=32, epochs=2, validation_split=0.1, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(x_test[:1000], y_test[:1000], verbose=0)
    assert accuracy > 0.8 and loss < 0.6  # chance is 0.1; seeds 0-2 give 0.86-0.88
