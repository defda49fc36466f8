"""Keras 3's serialized form of a small configurable object (regularizer, constraint), both ways.

Keras writes such an object as ``{"module": "keras.regularizers", "class_name":
"L2", "config": {"l2": 0.01}, "registered_name": None}`` and reads it back from
that dict, from a bare name (``"l2"``, ``"L2"``) or from the object itself.
One resolver serves every family, given its classes by name.
"""

from __future__ import annotations

import inspect
from typing import Any


def keras_object(module: str, class_name: str, config: Any) -> dict[str, Any]:
    """Keras's serialized entry for one object of a built-in class.

    Example:
        >>> keras_object("keras.regularizers", "L2", {"l2": 0.01})["registered_name"] is None
        True
    """
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def serialize(obj: Any, module: str) -> Any:
    """``obj`` as Keras serializes it (``None`` stays ``None``); ``obj`` needs ``get_config()``.

    Raises:
        ValueError: for an object without a config (a plain function), which Keras
            could only store as code.

    Example:
        >>> class Half:
        ...     def get_config(self): return {}
        >>> serialize(Half(), "keras.constraints")["class_name"]
        'Half'
    """
    if obj is None:
        return None
    if not callable(getattr(obj, "get_config", None)):
        raise ValueError(
            f"Cannot serialize {obj!r}: only objects with a `get_config()` (the built-in classes of "
            f"`{module}` or subclasses of its base class) have a Keras serialized form."
        )
    return keras_object(module, type(obj).__name__, obj.get_config())


def resolve(identifier: Any, classes: dict[str, type], kind: str) -> Any:
    """The object ``identifier`` names: ``None``, a name, a serialized dict, a class or a callable, as Keras's ``get``.

    Args:
        identifier: what a layer argument received.
        classes: the family's classes by class name and snake-case alias.
        kind: the family's name for errors (``"regularizer"``).

    Raises:
        ValueError: for a name or class name the family does not have, in Keras's wording.

    Example:
        >>> class L9:
        ...     def __init__(self, rate=9): self.rate = rate
        ...     def __call__(self, x): return x
        >>> resolve({"class_name": "L9", "config": {"rate": 3}}, {"L9": L9}, "regularizer").rate
        3
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        if name not in classes:
            raise ValueError(f"Could not interpret {kind} identifier: {identifier} (known: {sorted(classes)}).")
        config = identifier.get("config") or {}
        if not isinstance(config, dict):
            raise ValueError(f"Could not interpret {kind} identifier: {identifier}: its config must be a dict.")
        cls = classes[name]
        return cls.from_config(dict(config)) if hasattr(cls, "from_config") else cls(**config)
    obj = classes.get(identifier) if isinstance(identifier, str) else identifier
    if not callable(obj):
        raise ValueError(f"Could not interpret {kind} identifier: {identifier!r} (known names: {sorted(classes)}).")
    return obj() if inspect.isclass(obj) else obj
