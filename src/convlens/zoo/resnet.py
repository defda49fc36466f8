"""A small ResNet (He et al., 2016) for 32×32 images, built with the functional API.

The CIFAR-10 ResNets of the paper (section 4.2): ``depth = 6·n + 2`` layers
with weights: a 3×3 stem convolution, three stages of ``n`` basic residual
blocks with ``base_filters``, 2·``base_filters`` and 4·``base_filters``
filters (the second and third halve the image with stride 2), global average
pooling and a softmax classifier. ResNet-20 (n = 3) has 274,042 parameters
(272,474 trainable).

A basic block is conv 3×3 → BN → ReLU → conv 3×3 → BN, added to its input
(the shortcut) and passed through ReLU. Where the block changes the shape, the
shortcut is a 1×1 convolution with the block's stride followed by BN (the
paper's "option B" projection). Convolutions carry no bias: the batch
normalization after each one has its own shift. Layer names follow Keras's
ResNet applications (``conv2_block1_1_conv``, ``conv2_block1_0_conv`` for the
projection, ``conv2_block1_add``, ``conv2_block1_out``, ``avg_pool``,
``predictions``).
"""

from __future__ import annotations

from typing import Sequence

from .. import layers
from ..layers.keras_tensor import KerasTensor
from ..models.functional import Functional
from .registry import register
from .weights import Weights, apply_weights


def _conv_bn(x: KerasTensor, filters: int, kernel_size: int, strides: int, name: str) -> KerasTensor:
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                      kernel_initializer="he_normal", name=f"{name}_conv")(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x)


def basic_block(x: KerasTensor, filters: int, strides: int, name: str) -> KerasTensor:
    """One residual block: two 3×3 conv-BN layers plus the shortcut, then ReLU.

    Example:
        >>> from convlens import layers
        >>> basic_block(layers.Input((32, 32, 16)), 32, 2, "conv3_block1").shape
        (None, 16, 16, 32)
    """
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:  # the shape changes: project the shortcut to match
        shortcut = _conv_bn(x, filters, 1, strides, f"{name}_0")
    y = _conv_bn(x, filters, 3, strides, f"{name}_1")
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = _conv_bn(y, filters, 3, 1, f"{name}_2")
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


@register
def resnet(input_shape: Sequence[int | None] = (32, 32, 3), num_classes: int = 10, depth: int = 20,
           base_filters: int = 16, weights: Weights = None) -> Functional:
    """The CIFAR ResNet of ``depth`` = 6·n + 2 layers (20, 32, 44, 56, 110, ...).

    Args:
        input_shape: image shape, channels last (32×32 colour by default; any
            size works, global pooling ends the network).
        num_classes: output classes (softmax).
        depth: layers with weights, 6·n + 2 for n blocks per stage (at least 8).
        base_filters: filters of the first stage; the others have 2× and 4×.
        weights: ``None`` (random), or the path of a local weights file for
            :func:`convlens.zoo.weights.load_pretrained`.

    Raises:
        ValueError: for a depth that is not 6·n + 2, or a bad count.

    Example:
        >>> model = resnet()  # ResNet-20
        >>> model.output_shape, model.count_params()
        ((None, 10), 274042)
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(
            f"resnet: depth must be 6·n + 2 with n >= 1 (8, 14, 20, 32, 56, ...); received depth={depth!r}."
        )
    for arg, value in (("num_classes", num_classes), ("base_filters", base_filters)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"resnet: {arg} must be a positive int; received {arg}={value!r}.")
    blocks = (depth - 2) // 6
    inputs = layers.Input(tuple(input_shape), name="input_layer")
    x = _conv_bn(inputs, base_filters, 3, 1, "conv1")
    x = layers.Activation("relu", name="conv1_relu")(x)
    for stage in range(3):
        for block in range(blocks):
            strides = 2 if stage > 0 and block == 0 else 1
            x = basic_block(x, base_filters * 2**stage, strides, f"conv{stage + 2}_block{block + 1}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    model = Functional(inputs, outputs, name=f"resnet{depth}")
    return apply_weights(model, weights)
