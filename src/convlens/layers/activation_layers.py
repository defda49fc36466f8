"""The parametrised activation layers: LeakyReLU, ELU and PReLU (whose slope is learned)."""

from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn.functional as F

from . import activations as activations_lib
from . import initializers
from .base import Layer, Shape


class LeakyReLU(Layer):
    """``x`` for x >= 0, ``negative_slope·x`` below (Keras's layer default slope 0.3).

    Example:
        >>> LeakyReLU()(torch.tensor([-10.0, 1.0])).tolist()
        [-3.0, 1.0]
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:  # Keras 2's name of the argument
            negative_slope = kwargs.pop("alpha")
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
                f"Expected a float. Received: negative_slope={negative_slope}"
            )
        self.negative_slope = float(negative_slope)
        super().__init__(**kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return activations_lib.leaky_relu(x, self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """Exponential linear unit: ``x`` for x > 0, ``alpha·(exp(x) - 1)`` below.

    Example:
        >>> round(ELU()(torch.tensor([-1.0])).item(), 4)
        -0.6321
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        self.alpha = float(alpha)
        super().__init__(**kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return activations_lib.elu(x, self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """Leaky ReLU whose negative slope ``alpha`` is a weight, one per input element or shared over ``shared_axes``.

    ``alpha`` has the input's shape without the batch axis, with 1 on each
    shared axis (axes counted with the batch axis as 0, as in Keras).

    Example:
        >>> layer = PReLU(shared_axes=[1, 2]); layer.build_from_shape((None, 4, 4, 3))
        >>> layer.get_weights()[0].shape
        (1, 1, 3)
    """

    weight_options = ("alpha",)

    def __init__(self, alpha_initializer: Any = "Zeros", shared_axes: int | Sequence[int] | None = None,
                 **kwargs: Any) -> None:
        self.alpha_initializer = initializers.get(alpha_initializer)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = [int(a) for a in (shared_axes if isinstance(shared_axes, (list, tuple)) else [shared_axes])]
        super().__init__(**kwargs)

    def build(self, input_shape: Shape) -> None:
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < len(input_shape):
                raise ValueError(
                    f"PReLU: each shared axis must be between 1 and {len(input_shape) - 1} for input shape "
                    f"{input_shape}. Received: shared_axes={self.shared_axes}"
                )
            shape[axis - 1] = 1
        if any(s is None for s in shape):
            raise ValueError(f"PReLU needs every unshared axis known; received input shape {input_shape}.")
        self.add_weight("alpha", shape, self.alpha_initializer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x) - self.alpha * F.relu(-x)

    def get_config(self) -> dict[str, Any]:
        # alpha_regularizer and alpha_constraint: written by Layer.get_config (weight_options)
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "shared_axes": self.shared_axes}
