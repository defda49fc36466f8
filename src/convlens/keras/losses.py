"""``keras.losses``: convlens's losses under Keras's names (the objects of :mod:`convlens.losses`)."""

from ._export import public

globals().update(public("convlens.losses", skip=("CompiledMetrics",)))
__all__ = sorted(n for n in globals() if not n.startswith("_") and n != "public")
