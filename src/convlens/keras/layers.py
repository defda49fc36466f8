"""``keras.layers``: every convlens layer, under Keras's names.

Example:
    >>> from convlens.keras import layers
    >>> layers.Conv2D(16, 3, padding="same").padding
    'same'
"""

from ._export import public

globals().update(public("convlens.layers", skip=("LAYER_CLASSES", "activations", "initializers", "get_class")))
__all__ = sorted(n for n in globals() if not n.startswith("_") and n != "public")
