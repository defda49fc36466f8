"""``keras.metrics``: convlens's metrics under Keras's names (the objects of :mod:`convlens.metrics`)."""

from ._export import public

globals().update(public("convlens.metrics", skip=("CompiledMetrics",)))
__all__ = sorted(n for n in globals() if not n.startswith("_") and n != "public")
