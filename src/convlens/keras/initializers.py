"""``keras.initializers``: the weight initializers (``GlorotUniform``, ``HeNormal``, ``Zeros``, ...)."""

from ._export import public

globals().update(public("convlens.layers.initializers"))
__all__ = sorted(n for n in globals() if not n.startswith("_") and n != "public")
