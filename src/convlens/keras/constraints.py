"""``keras.constraints``: Keras's weight constraints (the objects of :mod:`convlens.layers.constraints`).

Example:
    >>> from convlens.keras import constraints
    >>> constraints.get("non_neg").__class__.__name__
    'NonNeg'
"""

from ._export import public

globals().update(public("convlens.layers.constraints"))
__all__ = sorted(n for n in globals() if not n.startswith("_") and n != "public")
