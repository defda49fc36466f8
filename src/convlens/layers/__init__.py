"""Keras-specification layers as ``torch.nn.Module``s (channels-last inputs).

Example:
    >>> import torch
    >>> from convlens import layers
    >>> layers.Conv2D(32, 3, activation="relu")(torch.zeros(1, 28, 28, 1)).shape
    torch.Size([1, 26, 26, 32])
"""

from __future__ import annotations

from . import activations, initializers
from .activation_layers import ELU, LeakyReLU, PReLU
from .augmentation import RandomBrightness, RandomContrast, RandomFlip
from .augmentation_geometric import RandomCrop, RandomRotation, RandomTranslation, RandomZoom
from .image_preprocessing import CenterCrop, Normalization, Resizing
from .base import InputSpec, Layer
from .conv import BaseConv, Conv1D, Conv2D, Conv3D
from .core import Activation, Dense, Dropout, ReLU, Softmax
from .depthwise import (
    BaseDepthwiseConv,
    BaseSeparableConv,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from .dot import Dot, dot
from .input_layer import Input, InputLayer
from .keras_tensor import KerasTensor
from .merging import (
    Add, Average, BaseMerge, Concatenate, Maximum, Minimum, Multiply, Subtract,
    add, average, concatenate, maximum, minimum, multiply, subtract,
)
from .noise import BaseSpatialDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D
from .normalization import BatchNormalization
from .normalization_layer import GroupNormalization, LayerNormalization
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    BaseGlobalPooling,
    BasePooling,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from .preprocessing import Rescaling
from .rearranging import Permute, RepeatVector
from .borders import (
    BaseCropping,
    BaseUpSampling,
    BaseZeroPadding,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from .reshaping import Flatten, Reshape
from .transpose import BaseConvTranspose, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose

# Keras class name → class, for building layers from configs (and only these:
# loading a saved model never instantiates anything outside this table).
LAYER_CLASSES: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (
        InputLayer, Conv1D, Conv2D, Conv3D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose,
        MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D,
        GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
        GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
        Flatten, Dense, Dropout, Rescaling, RandomFlip, RandomContrast, RandomBrightness,
        Resizing, CenterCrop, Normalization, RandomRotation, RandomZoom, RandomTranslation, RandomCrop,
        BatchNormalization, Activation, ReLU, Softmax,
        Reshape, ZeroPadding2D, UpSampling2D, Cropping2D,
        Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
        LeakyReLU, PReLU, ELU, Permute, RepeatVector, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
        GaussianNoise, LayerNormalization, GroupNormalization,
        Dot, Conv1DTranspose, Conv3DTranspose, DepthwiseConv1D, SeparableConv1D, ZeroPadding1D, ZeroPadding3D, Cropping1D, Cropping3D, UpSampling1D, UpSampling3D,
    )
}
# Keras's own aliases.
LAYER_CLASSES.update({
    "Convolution1D": Conv1D, "Convolution2D": Conv2D, "Convolution3D": Conv3D,
    "Convolution1DTranspose": Conv1DTranspose, "Convolution2DTranspose": Conv2DTranspose,
    "Convolution3DTranspose": Conv3DTranspose,
    "SeparableConvolution1D": SeparableConv1D, "SeparableConvolution2D": SeparableConv2D,
    "MaxPool1D": MaxPooling1D, "MaxPool2D": MaxPooling2D, "MaxPool3D": MaxPooling3D,
    "AvgPool1D": AveragePooling1D, "AvgPool2D": AveragePooling2D, "AvgPool3D": AveragePooling3D,
    "GlobalMaxPool1D": GlobalMaxPooling1D, "GlobalMaxPool2D": GlobalMaxPooling2D,
    "GlobalAvgPool1D": GlobalAveragePooling1D, "GlobalAvgPool2D": GlobalAveragePooling2D,
})


def get_class(class_name: str) -> type[Layer]:
    """The convlens layer class for a Keras ``class_name``.

    Raises:
        ValueError: for names convlens does not implement (``Lambda`` among
            them: arbitrary code is never loaded); the message lists the known ones.

    Example:
        >>> get_class("Conv2D").__name__
        'Conv2D'
    """
    try:
        return LAYER_CLASSES[class_name]
    except KeyError:
        raise ValueError(
            f"Unknown layer class {class_name!r}: convlens can build {sorted(set(c.__name__ for c in LAYER_CLASSES.values()))}."
        ) from None


def deserialize(config: dict) -> Layer:
    """Build a layer from ``{"class_name": ..., "config": {...}}`` (Keras's serialized form).

    Example:
        >>> deserialize({"class_name": "Dense", "config": {"units": 3}}).units
        3
    """
    return get_class(config["class_name"]).from_config(dict(config.get("config") or {}))


__all__ = [
    "ELU", "GaussianNoise", "GroupNormalization", "LayerNormalization", "LeakyReLU", "PReLU", "Permute",
    "RepeatVector", "Dot", "BaseDepthwiseConv", "BaseSeparableConv", "DepthwiseConv1D", "SeparableConv1D", "BaseConvTranspose", "Conv1DTranspose", "Conv3DTranspose", "ZeroPadding1D", "ZeroPadding3D", "Cropping1D", "Cropping3D", "UpSampling1D", "UpSampling3D",
    "BaseCropping", "BaseUpSampling", "BaseZeroPadding", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "BaseSpatialDropout",
    "Activation", "Add", "Average", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "BaseConv",
    "BaseGlobalPooling", "BaseMerge", "BasePooling", "BatchNormalization", "CenterCrop", "Concatenate", "Conv1D", "Conv2D",
    "Conv2DTranspose", "Conv3D", "Cropping2D", "Dense", "DepthwiseConv2D", "Dropout", "Flatten",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalMaxPooling3D", "Input", "InputLayer", "InputSpec", "KerasTensor", "LAYER_CLASSES",
    "Layer", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "Maximum", "Minimum", "Multiply", "Normalization", "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "ReLU", "Rescaling", "Resizing",
    "Reshape", "SeparableConv2D", "Softmax", "Subtract", "UpSampling2D", "ZeroPadding2D", "activations",
    "deserialize", "get_class", "initializers",
    "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",  # merge functions
]
