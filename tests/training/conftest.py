"""Tiny models and data shared by the training tests (fast: a few ms per fit)."""

from __future__ import annotations

import numpy as np
import pytest

from convlens import Sequential, layers
from convlens.utils import set_random_seed


def tiny_classifier(inputs: int = 6, classes: int = 3, dropout: float = 0.0, activation: str | None = "softmax") -> Sequential:
    """Dense → (Dropout) → Dense classifier on flat features."""
    stack = [layers.Input((inputs,)), layers.Dense(8, activation="relu")]
    if dropout:
        stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(classes, activation=activation))
    return Sequential(stack)


def blobs(n: int = 64, inputs: int = 6, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Separable Gaussian blobs: float32 features and int64 labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    centers = rng.normal(0, 3, (classes, inputs))
    x = centers[y] + rng.normal(0, 1, (n, inputs))
    return x.astype(np.float32), y.astype(np.int64)


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    return blobs()


@pytest.fixture
def model() -> Sequential:
    set_random_seed(0)
    m = tiny_classifier()
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m
