"""Named architectures: ``convlens.zoo.create("vgg16")``, ``convlens.zoo.list()``.

Example:
    >>> from convlens import zoo
    >>> zoo.create("lenet5").output_shape
    (None, 10)
"""

from __future__ import annotations

from . import small, vgg  # noqa: F401 - importing registers the architectures
from .registry import create, list, register
from .small import lenet5, mnist_convnet, tinyvgg, tutorial_cnn
from .vgg import VGG_CONFIGS, build_vgg, vgg16, vgg19

__all__ = ["VGG_CONFIGS", "build_vgg", "create", "lenet5", "list", "mnist_convnet", "register", "tinyvgg",
           "tutorial_cnn", "vgg16", "vgg19"]
