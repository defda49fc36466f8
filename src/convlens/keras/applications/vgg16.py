"""``keras.applications.vgg16``: ``VGG16``, ``preprocess_input``, ``decode_predictions``.

Example:
    >>> VGG16(weights=None, include_top=False, input_shape=(32, 32, 3)).layers[0].name.startswith("input")
    True
"""

from ._vgg import application, decode_predictions, preprocess_input

VGG16 = application("vgg16")

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]
