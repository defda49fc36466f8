"""``keras.activations``: the activation functions, and ``get`` / ``serialize`` / ``deserialize`` by name."""

from ._export import public

globals().update(public("convlens.layers.activations"))
__all__ = sorted(n for n in globals() if not n.startswith("_") and n != "public")
