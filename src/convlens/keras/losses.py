"""``keras.losses``: convlens's losses under Keras's names (the objects of :mod:`convlens.losses`)."""

from ._export import public

# convlens-only helpers and aliases stay out of the Keras namespace.
globals().update(public("convlens.losses", skip=("reduce_weighted", "logcosh")))
__all__ = sorted(n for n in globals() if not n.startswith("_") and n != "public")
