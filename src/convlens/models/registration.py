"""Custom classes a saved model may name: Keras's ``register_keras_serializable`` and ``custom_objects``.

A ``.keras`` file names a subclassed model or custom layer by its registered
name (``"my_package>Net"``, or the class name when it is not registered).
Loading builds such a class only when the program itself says which class
that name means, by registering it or passing it in ``custom_objects``: the
module a file names is never imported.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

__all__ = ["get_custom_objects", "get_registered_name", "get_registered_object", "register_keras_serializable"]

T = TypeVar("T")

# Registered name -> class, and class -> registered name (Keras's GLOBAL_CUSTOM_OBJECTS / GLOBAL_CUSTOM_NAMES).
_OBJECTS: dict[str, Any] = {}
_NAMES: dict[Any, str] = {}


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable[[T], T]:
    """A decorator that registers a class (or function) under ``"package>name"``, as Keras's.

    Args:
        package: The package part of the registered name.
        name: The name part; the class's own name by default.

    A later registration under the same name replaces the earlier one, as in Keras.

    Raises:
        ValueError: For a class without ``get_config``.

    Example:
        >>> from convlens import layers
        >>> @register_keras_serializable(package="demo")
        ... class Doubler(layers.Layer):
        ...     def call(self, x):
        ...         return 2 * x
        >>> get_registered_name(Doubler), get_registered_object("demo>Doubler") is Doubler
        ('demo>Doubler', True)
    """

    def decorator(arg: T) -> T:
        class_name = name if name is not None else arg.__name__  # type: ignore[attr-defined]
        registered_name = f"{package}>{class_name}"
        if isinstance(arg, type) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _OBJECTS[registered_name] = arg
        _NAMES[arg] = registered_name
        return arg

    return decorator


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` is registered under, else its own ``__name__``, as Keras's.

    Example:
        >>> get_registered_name(dict)
        'dict'
    """
    return _NAMES.get(obj, obj.__name__)


def get_registered_object(name: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """The object registered as ``name``, else ``custom_objects[name]``, else None, as Keras's.

    Example:
        >>> get_registered_object("nothing>Here") is None
        True
    """
    if name in _OBJECTS:
        return _OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return None


def get_custom_objects() -> dict[str, Any]:
    """The registry itself (registered name -> object); adding to it registers, as in Keras.

    Example:
        >>> isinstance(get_custom_objects(), dict)
        True
    """
    return _OBJECTS
