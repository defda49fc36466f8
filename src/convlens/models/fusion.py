"""Running a layer stack with ReLU moved after max-pooling, where nobody can tell the difference.

ReLU is non-decreasing, so it commutes with a maximum over any window:
``relu(maxpool(x)) == maxpool(relu(x))`` for every input, "same" pooling's
``-inf`` padding included. The gradients are equal too, ties included: both
orders send the pooled gradient to the window's first maximal input when
that maximum is positive (ReLU keeps positive values apart, so the first
maximum is the same element) and send nothing when it is ``<= 0``. Pooling
first does the ReLU on a tensor ``prod(pool_size)`` times smaller, in place on
the pooling's new output, instead of writing and later differentiating a
full-size activation.

Measured on the 2-core CPU (torch 2.13, best and median of 40, interleaved;
bench/profile_cpu_step.py): forward + backward of ReLU and 2x2 max-pooling
on a (128, 26, 26, 32) tensor took 4.6 / 9.2 ms in that order and 3.3 /
3.9 ms pooling first; a training step of the Keras MNIST convnet (batch 128)
23.5 / 26.3 ms against 25.1 / 27.9 ms with the layers called one by one, and
of ``zoo.mnist_fast`` (batch 256) 37.4 / 40.5 ms against 39.6 / 43.9 ms.

A pair is run this way only when it is exact in everything a user can
observe: both layers are built and carry no hooks (``lens.activations``,
Grad-CAM and other probes read layer outputs through forward hooks, and a
hooked layer runs as written), both are channels-last, neither has an activity regularizer (it reads
the layer's own output), the ReLU is plain (``Conv*D`` or
``Activation`` with ``activation="relu"``, or ``ReLU()`` with its defaults)
and the pooling is a max-pooling. Layers called one by one are unchanged.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch.nn.modules import module as torch_module

from ..layers import activations
from ..layers.base import Layer
from ..layers.conv import BaseConv
from ..layers.core import Activation, ReLU
from ..layers.pooling import BasePooling


def _observed(layer: Layer) -> bool:
    """Whether a hook would see this layer's call (the test ``torch.nn.Module.__call__`` makes for its fast path)."""
    return bool(layer._forward_hooks or layer._forward_pre_hooks or layer._backward_hooks
                or layer._backward_pre_hooks or torch_module._global_forward_hooks
                or torch_module._global_forward_pre_hooks or torch_module._global_backward_hooks
                or torch_module._global_backward_pre_hooks)


def _plain_relu(layer: Layer) -> bool:
    if isinstance(layer, (BaseConv, Activation)):
        return layer.activation is activations.relu
    return isinstance(layer, ReLU) and layer.max_value is None and layer.negative_slope == 0 and layer.threshold == 0


def relu_then_max_pool(first: Layer, second: Layer) -> bool:
    """Whether ``second(first(x))`` may run as max-pooling, then ReLU in place (see the module docstring).

    Example:
        >>> from convlens import layers
        >>> conv, pool = layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D()
        >>> conv.build_from_shape((None, 8, 8, 1)); pool.build_from_shape((None, 6, 6, 4))
        >>> relu_then_max_pool(conv, pool), relu_then_max_pool(conv, layers.AveragePooling2D())
        (True, False)
    """
    return (isinstance(second, BasePooling) and second.mode == "max" and _plain_relu(first)
            and first.built and second.built and not _observed(first) and not _observed(second)
            and second.channel_axis == first.channel_axis == -1  # the fused path speaks channels-last
            and first.activity_regularizer is None and second.activity_regularizer is None)


def run_stack(stack: Sequence[Layer], x: torch.Tensor) -> torch.Tensor:
    """Call each layer on the previous one's output, pooling before ReLU where :func:`relu_then_max_pool` allows.

    Example:
        >>> import torch
        >>> from convlens import layers
        >>> stack = [layers.ReLU(), layers.MaxPooling2D()]
        >>> for layer in stack: layer.build_from_shape((None, 4, 4, 1))
        >>> run_stack(stack, -torch.ones(1, 4, 4, 1)).flatten().tolist()
        [0.0, 0.0, 0.0, 0.0]
    """
    i = 0
    while i < len(stack):
        layer = stack[i]
        if i + 1 < len(stack) and relu_then_max_pool(layer, stack[i + 1]):
            pool = stack[i + 1]
            layer._check_input_shape(tuple(x.shape))  # the errors an ordinary call would raise
            y = layer.convolve(x) if isinstance(layer, BaseConv) else x.movedim(-1, 1)  # (N, C, *spatial)
            pool._check_input_shape((y.shape[0], *y.shape[2:], y.shape[1]))
            x = activations.activate_fresh(activations.relu, pool.pool(y))  # (N, *spatial_out, C)
            i += 2
        else:
            x = layer(x)
            i += 1
    return x
