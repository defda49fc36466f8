"""``keras.initializers``: the weight initializers by their Keras class names and snake-case aliases.

Example:
    >>> from convlens.keras import initializers
    >>> initializers.HeNormal(seed=0)((3, 3, 1, 8)).shape
    torch.Size([3, 3, 1, 8])
"""

from ..layers.initializers import _ALIASES, _CLASSES, compute_fans, get, serialize

globals().update(_CLASSES)
globals().update({alias: _CLASSES[name] for alias, name in _ALIASES.items()})
__all__ = sorted([*_CLASSES, *_ALIASES, "compute_fans", "get", "serialize"])
