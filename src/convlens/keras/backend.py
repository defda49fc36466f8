"""``keras.backend``: the session helpers tutorials call (``clear_session``, ``image_data_format``, ...)."""

from __future__ import annotations

import gc

from ..layers.data_format import image_data_format, set_image_data_format
from ..layers.naming import reset_names

__all__ = ["backend", "clear_session", "epsilon", "floatx", "image_data_format", "set_image_data_format"]


def clear_session(free_memory: bool = True) -> None:
    """Start layer names again from ``dense``, ``conv2d``, ... and free unused memory, as Keras does.

    Example:
        >>> from convlens import layers
        >>> clear_session(); layers.Dense(2).name
        'dense'
    """
    reset_names()
    if free_memory:
        gc.collect()
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def backend() -> str:
    """The tensor library underneath: ``"torch"``."""
    return "torch"


def floatx() -> str:
    """The default float type of weights: ``"float32"``."""
    return "float32"


def epsilon() -> float:
    """The fuzz factor Keras's losses and metrics use: ``1e-7``."""
    return 1e-7
