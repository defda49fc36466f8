"""Shared fixtures of the lens tests: models built once per session."""

from __future__ import annotations

import pytest

from convlens import zoo


@pytest.fixture(scope="session")
def vgg16():
    """The full VGG16 (138 M parameters, about 5 s to build): built once for every test that needs it."""
    return zoo.create("vgg16")


@pytest.fixture(scope="session")
def mnist_convnet():
    return zoo.create("mnist-convnet")
