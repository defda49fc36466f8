"""``keras.optimizers.schedules``: learning-rate schedules (``ExponentialDecay``, ``CosineDecay``, ...)."""

from .._export import public

globals().update(public("convlens.training.schedules"))
__all__ = sorted(n for n in globals() if not n.startswith("_") and n != "public")
