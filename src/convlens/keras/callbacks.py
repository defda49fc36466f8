"""``keras.callbacks``: convlens's callbacks under Keras's names (the objects of :mod:`convlens.callbacks`)."""

from ._export import public

globals().update(public("convlens.callbacks", skip=("CompiledMetrics",)))
__all__ = sorted(n for n in globals() if not n.startswith("_") and n != "public")
