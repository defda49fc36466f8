"""``keras.config``: the process-wide settings convlens has (the image layout; float type, fuzz factor, backend).

Example:
    >>> import convlens.keras as keras
    >>> keras.config.image_data_format()
    'channels_last'
"""

from __future__ import annotations

from ..layers.data_format import image_data_format, set_image_data_format
from .backend import backend, epsilon, floatx

__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_image_data_format"]
