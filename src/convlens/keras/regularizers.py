"""``keras.regularizers``: Keras's weight regularizers (the objects of :mod:`convlens.layers.regularizers`).

Example:
    >>> from convlens.keras import regularizers
    >>> regularizers.get("l2").__class__.__name__
    'L2'
"""

from ._export import public

globals().update(public("convlens.layers.regularizers"))
__all__ = sorted(n for n in globals() if not n.startswith("_") and n != "public")
