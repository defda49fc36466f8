"""``keras.applications.vgg19``: ``VGG19``, ``preprocess_input``, ``decode_predictions``.

Example:
    >>> VGG19(weights=None, include_top=False, input_shape=(32, 32, 3)).layers[0].name.startswith("input")
    True
"""

from ._vgg import application, decode_predictions, preprocess_input

VGG19 = application("vgg19")

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]
