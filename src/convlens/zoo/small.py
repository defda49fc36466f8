"""The small CNNs of the course notes: the Keras MNIST example, LeNet-5, the tutorial CNN, TinyVGG.

Every builder takes ``weights=``: ``None`` for random weights, or the path of a
local weights file (see :mod:`convlens.zoo.weights`).
"""

from __future__ import annotations

from typing import Sequence

from .. import layers
from ..models import Sequential
from .registry import register
from .weights import Weights, apply_weights


@register
def mnist_convnet(input_shape: Sequence[int] = (28, 28, 1), num_classes: int = 10, rescale: bool = True,
                  weights: Weights = None) -> Sequential:
    """Keras's "simple MNIST convnet": Conv 32 → pool → Conv 64 → pool → Dropout 0.5 → Dense softmax.

    Args:
        input_shape: image shape, channels last.
        num_classes: output classes.
        rescale: start with ``Rescaling(1/255)`` so the model takes raw 0..255 pixels
            (the Keras example divides by 255 before the model instead).
        weights: ``None`` (random), or the path of a local weights file.

    Example:
        >>> mnist_convnet().count_params()  # 320 + 18,496 + 16,010
        34826
    """
    return apply_weights(Sequential([
        layers.Input(tuple(input_shape)),
        *([layers.Rescaling(1.0 / 255)] if rescale else []),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ], name="mnist_convnet"), weights)


@register
def lenet5(input_shape: Sequence[int] = (28, 28, 1), num_classes: int = 10, rescale: bool = True,
           weights: Weights = None) -> Sequential:
    """LeNet-5 (LeCun et al., 1998) for 28×28 digits: C1 6@28×28, S2, C3 16@10×10, S4, C5 120, F6 84, output.

    The first convolution pads "same" so a 28×28 MNIST digit plays the role of
    the paper's 32×32 input; subsampling is average pooling and units are tanh,
    as in the paper (the output is softmax instead of RBF units).

    Example:
        >>> lenet5().count_params()  # 156 + 2,416 + 48,120 + 10,164 + 850
        61706
    """
    return apply_weights(Sequential([
        layers.Input(tuple(input_shape)),
        *([layers.Rescaling(1.0 / 255)] if rescale else []),
        layers.Conv2D(6, 5, padding="same", activation="tanh", name="c1"),
        layers.AveragePooling2D(2, name="s2"),
        layers.Conv2D(16, 5, activation="tanh", name="c3"),
        layers.AveragePooling2D(2, name="s4"),
        layers.Flatten(name="flatten"),
        layers.Dense(120, activation="tanh", name="c5"),
        layers.Dense(84, activation="tanh", name="f6"),
        layers.Dense(num_classes, activation="softmax", name="output"),
    ], name="lenet5"), weights)


@register
def tutorial_cnn(input_shape: Sequence[int] = (180, 180, 3), num_classes: int = 5,
                 weights: Weights = None) -> Sequential:
    """The notes' Keras tutorial CNN: three Conv(3×3, same, relu) + MaxPool blocks of 16/32/64, Dense 128, logits.

    Example:
        >>> tutorial_cnn().count_params()
        3989285
    """
    return apply_weights(Sequential([
        layers.Rescaling(1.0 / 255, input_shape=tuple(input_shape)),
        layers.Conv2D(16, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(num_classes),
    ], name="tutorial_cnn"), weights)


@register
def tinyvgg(input_shape: Sequence[int] = (64, 64, 3), num_classes: int = 10, hidden_units: int = 10,
            weights: Weights = None) -> Sequential:
    """CNN Explainer's TinyVGG: 2 × [Conv 10 3×3 relu, Conv 10 3×3 relu, MaxPool 2], Flatten, Dense softmax.

    Example:
        >>> tinyvgg().output_shape
        (None, 10)
    """
    blocks = []
    for block in (1, 2):
        blocks += [
            layers.Conv2D(hidden_units, 3, activation="relu", name=f"conv_{block}_1"),
            layers.Conv2D(hidden_units, 3, activation="relu", name=f"conv_{block}_2"),
            layers.MaxPooling2D(2, name=f"max_pool_{block}"),
        ]
    return apply_weights(Sequential([
        layers.Input(tuple(input_shape)),
        layers.Rescaling(1.0 / 255),
        *blocks,
        layers.Flatten(name="flatten"),
        layers.Dense(num_classes, activation="softmax", name="output"),
    ], name="tinyvgg"), weights)


@register
def mnist_fast(input_shape: Sequence[int] = (28, 28, 1), num_classes: int = 10, weights: Weights = None,
               filters: Sequence[int] = (16, 32, 64), stem: str = "learned") -> Sequential:
    """The ``--recipe fast`` model: three Conv-BatchNorm-ReLU blocks (16, 32, 64 filters), 1.49 M multiply-adds per image.

    BatchNorm (momentum 0.9, so one short epoch settles its statistics) lets
    the one-cycle schedule use large steps; the convolutions carry no bias
    because the BatchNorm after each one has its own. ``filters`` sets the
    three blocks' widths. ``stem="fixed"`` makes the first block a
    non-trainable convolution (named ``"stem"``, meant to hold patch-whitening
    filters, ``training.whitening``), ReLU and pooling, with no BatchNorm: no
    gradient flows through the first block at all.

    Example:
        >>> mnist_fast().count_params()
        39642
    """
    def block(filters: int, padding: str, pool: bool) -> list[layers.Layer]:
        return [layers.Conv2D(filters, 3, padding=padding, use_bias=False), layers.BatchNormalization(momentum=0.9),
                layers.ReLU(), *([layers.MaxPooling2D(2)] if pool else [])]

    if len(filters) != 3 or not all(isinstance(f, int) and f > 0 for f in filters):
        raise ValueError(f"mnist_fast: `filters` must be three positive integers; received filters={filters!r}.")
    if stem not in ("learned", "fixed"):
        raise ValueError(f"mnist_fast: `stem` must be 'learned' or 'fixed'; received stem={stem!r}.")
    first, second, third = filters
    first_block = block(first, "same", True) if stem == "learned" else [
        layers.Conv2D(first, 3, padding="same", use_bias=False, trainable=False, name="stem"),
        layers.ReLU(), layers.MaxPooling2D(2)]
    model = Sequential([
        layers.Input(tuple(input_shape)),
        layers.Rescaling(1.0 / 255),
        *first_block,   # 28×28×16 → 14×14×16
        *block(second, "same", True),   # 14×14×32 → 7×7×32
        *block(third, "valid", False),  # 5×5×64
        layers.Flatten(),
        layers.Dense(num_classes, activation="softmax"),
    ], name="mnist_fast")
    return apply_weights(model, weights)
