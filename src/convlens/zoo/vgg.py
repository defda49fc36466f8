"""VGG16 and VGG19 (Simonyan & Zisserman, 2014) with Keras's layer names, as architecture data."""

from __future__ import annotations

from typing import Sequence

from .. import layers
from ..models import Sequential
from .registry import register
from .weights import Weights, apply_weights

# Filters per convolution, block by block; every block ends with a 2×2 max-pool.
VGG_CONFIGS: dict[str, list[list[int]]] = {
    "vgg16": [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
    "vgg19": [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]],
}


def build_vgg(name: str, include_top: bool = True, input_shape: Sequence[int | None] | None = None,
              pooling: str | None = None, classes: int = 1000, classifier_activation: str | None = "softmax",
              weights: Weights = None) -> Sequential:
    """A VGG network from :data:`VGG_CONFIGS` with Keras's names (``block1_conv1`` … ``block5_pool``, ``fc1``, ``fc2``, ``predictions``).

    Args:
        name: ``"vgg16"`` or ``"vgg19"``.
        include_top: add the 4096-4096-``classes`` classifier (needs a 224×224 input, as in Keras).
        input_shape: defaults to (224, 224, 3) with the top, (None, None, 3) without.
        pooling: without the top, ``"avg"`` or ``"max"`` global pooling, or None.
        classes: output classes of the top.
        classifier_activation: activation of the last layer.
        weights: ``None`` (random), or the path of a local weights file, such as Keras's
            ``vgg16_weights_tf_dim_ordering_tf_kernels.h5`` (convlens never downloads: see
            :func:`convlens.zoo.weights.load_pretrained`).
    """
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"{name}: received pooling={pooling!r}; allowed are None, 'avg', 'max'.")
    if input_shape is None:
        input_shape = (224, 224, 3) if include_top else (None, None, 3)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(f"{name}: input_shape must be (height, width, 3); received input_shape={input_shape}.")
    stack: list[layers.Layer] = [layers.Input(input_shape)]
    for b, filters in enumerate(VGG_CONFIGS[name], start=1):
        for c, f in enumerate(filters, start=1):
            stack.append(layers.Conv2D(f, 3, padding="same", activation="relu", name=f"block{b}_conv{c}"))
        stack.append(layers.MaxPooling2D(2, strides=2, name=f"block{b}_pool"))
    if include_top:
        stack += [
            layers.Flatten(name="flatten"),
            layers.Dense(4096, activation="relu", name="fc1"),
            layers.Dense(4096, activation="relu", name="fc2"),
            layers.Dense(classes, activation=classifier_activation, name="predictions"),
        ]
    elif pooling == "avg":
        stack.append(layers.GlobalAveragePooling2D(name="global_average_pooling2d"))
    elif pooling == "max":
        stack.append(layers.GlobalMaxPooling2D(name="global_max_pooling2d"))
    return apply_weights(Sequential(stack, name=name), weights)


@register
def vgg16(include_top: bool = True, input_shape: Sequence[int | None] | None = None, pooling: str | None = None,
          classes: int = 1000, classifier_activation: str | None = "softmax", weights: Weights = None) -> Sequential:
    """VGG16: 13 convolutions in 5 blocks + 3 dense layers; 138,357,544 parameters with the top.

    Example:
        >>> vgg16(include_top=False, input_shape=(32, 32, 3)).output_shape
        (None, 1, 1, 512)
    """
    return build_vgg("vgg16", include_top, input_shape, pooling, classes, classifier_activation, weights)


@register
def vgg19(include_top: bool = True, input_shape: Sequence[int | None] | None = None, pooling: str | None = None,
          classes: int = 1000, classifier_activation: str | None = "softmax", weights: Weights = None) -> Sequential:
    """VGG19: 16 convolutions in 5 blocks + 3 dense layers; 143,667,240 parameters with the top.

    Example:
        >>> vgg19(include_top=False, pooling="avg", input_shape=(32, 32, 3)).output_shape
        (None, 512)
    """
    return build_vgg("vgg19", include_top, input_shape, pooling, classes, classifier_activation, weights)
