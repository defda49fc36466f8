"""Named architectures: ``convlens.zoo.create("vgg16")``, ``convlens.zoo.list()``.

Example:
    >>> from convlens import zoo
    >>> zoo.create("lenet5").output_shape
    (None, 10)
"""

from __future__ import annotations

from .registry import create, list, register
# Importing the builders registers them.
from .resnet import basic_block, resnet
from .small import lenet5, mnist_convnet, tinyvgg, tutorial_cnn
from .vgg import VGG_CONFIGS, build_vgg, vgg16, vgg19
from .weights import load_pretrained, load_state_dict

__all__ = ["VGG_CONFIGS", "basic_block", "build_vgg", "create", "lenet5", "list", "load_pretrained", "load_state_dict",
           "mnist_convnet", "register", "resnet", "tinyvgg", "tutorial_cnn", "vgg16", "vgg19"]
