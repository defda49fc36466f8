"""NumPy references of the layers, forward and backward, written to be read, and gradient checking.

Every function computes in float64 and takes Keras's layouts: images
``(N, H, W, C)``, signals ``(N, L, C)``, Conv2D kernels ``(kh, kw, C, F)``,
Dense kernels ``(in, units)``. A ``*_backward`` returns the gradients with
respect to its inputs and weights, in that order, given ``dy = ∂L/∂y``. Bad
shapes raise the errors convlens's layers raise for them.

Example:
    >>> import numpy as np
    >>> from convlens import reference
    >>> x, w = np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 2))
    >>> y = reference.conv2d_forward(x, w, np.zeros(2), padding="same")
    >>> dx, dw, db = reference.conv2d_backward(x, w, np.ones_like(y), padding="same")
    >>> y.shape, dw.shape, db
    ((1, 5, 5, 2), (3, 3, 1, 2), array([25., 25.]))
"""

from __future__ import annotations

from .activations import (relu_backward, relu_forward, sigmoid_backward, sigmoid_forward, softmax_backward,
                          softmax_forward, tanh_backward, tanh_forward)
from .conv import conv1d_backward, conv1d_forward, conv2d_backward, conv2d_forward, conv_backward, conv_forward
from .dense import dense_backward, dense_forward, flatten_backward, flatten_forward
from .gradcheck import GradCheck, gradcheck
from .losses import (categorical_crossentropy_backward, categorical_crossentropy_forward, mse_backward, mse_forward,
                     sparse_categorical_crossentropy_backward, sparse_categorical_crossentropy_forward)
from .pooling import (average_pool2d_backward, average_pool2d_forward, max_pool2d_backward, max_pool2d_forward,
                      pool_backward, pool_forward)


__all__ = [name for name in dir() if name.endswith(("_forward", "_backward"))] + ["GradCheck", "gradcheck"]
