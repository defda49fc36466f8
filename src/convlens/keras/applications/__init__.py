"""``keras.applications``: ``VGG16`` and ``VGG19`` with Keras's layer names, and their ``preprocess_input``.

Weights come only from a local file (``weights="path/to/vgg16_weights_tf_dim_ordering_tf_kernels.h5"``) or
``weights=None``: nothing is downloaded.

Example:
    >>> from convlens.keras.applications import VGG16
    >>> model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> model.layers[1].name, model.output_shape
    ('block1_conv1', (None, 1, 1, 512))
"""

from . import vgg16, vgg19
from .vgg16 import VGG16
from .vgg19 import VGG19

__all__ = ["VGG16", "VGG19", "vgg16", "vgg19"]
