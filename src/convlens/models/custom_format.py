"""Subclassed models and custom layers in Keras 3's ``.keras`` format, through their ``get_config``.

Keras saves an object that is not one of its own classes as its class name,
the ``registered_name`` it was registered under, and its ``get_config()``; a
subclassed model's layers are not in its config, since ``from_config`` (its
``__init__``) makes them again::

    {"module": None, "class_name": "Net", "config": {"name": "net", ..., "units": 3},
     "registered_name": "my_package>Net", "build_config": {"input_shape": [1, 8, 8, 1]}}

Its weights are addressed by attribute, as Keras's ``saving_lib`` walks an
object: the attributes holding layers, or lists of layers, in sorted order
(private ones last), and for a model also its ``layers`` list, which holds the
layers no earlier attribute reached; list items are named by their snake-case
class, numbered in the list (``blocks/dense``, ``blocks/dense_1``)::

    vars                       (attrs: name="net")
    blocks/dense/vars/0        the first Dense of `self.blocks`
    conv/vars/0                `self.conv`'s kernel
    layers/dense/vars/0        `self.out`, reached through `layers` ("layers" < "out")

Loading builds a custom class only when the program names it: registered with
``register_keras_serializable`` or passed in ``custom_objects``. The module the
file names is never imported.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator

from .. import layers as layers_lib
from ..layers.base import Layer
from ..layers.naming import snake_case
from .registration import get_registered_name, get_registered_object

__all__ = ["attribute_entries", "custom_entry", "custom_from_entry", "is_custom", "is_custom_entry", "is_resolvable"]


def is_custom(layer: Layer) -> bool:
    """True for a subclassed model or a custom layer: not a built-in layer, ``Sequential`` or ``Functional``.

    Example:
        >>> from convlens import layers
        >>> is_custom(layers.Dense(2)), is_custom(type("Mine", (layers.Layer,), {})())
        (False, True)
    """
    from .functional import Functional  # at call time: models/model.py imports this module
    from .sequential import Sequential

    if isinstance(layer, (Sequential, Functional)):
        return False
    return layers_lib.LAYER_CLASSES.get(type(layer).__name__) is not type(layer)


def custom_entry(obj: Layer) -> dict[str, Any]:
    """``obj`` as Keras serializes a custom object: class name, registered name, ``get_config()``, build shape.

    Raises:
        ValueError: ``get_config()`` holds something JSON cannot store.

    Example:
        >>> from convlens import layers
        >>> class Doubler(layers.Layer):
        ...     def call(self, x):
        ...         return 2 * x
        >>> entry = custom_entry(Doubler(name="double"))
        >>> entry["class_name"], entry["registered_name"], entry["config"]["name"]
        ('Doubler', 'Doubler', 'double')
    """
    cls = type(obj)
    config = dict(obj.get_config())
    config.pop("batch_shape", None)  # the model's input layer carries the input shape
    if isinstance(config.get("dtype"), str):
        config["dtype"] = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": config["dtype"]},
                           "registered_name": None}
    try:
        json.dumps(config, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{cls.__qualname__} '{obj.name}' cannot be saved in the Keras format: its get_config() must hold "
            f"only JSON values (numbers, strings, lists, dicts): {error}"
        ) from None
    entry: dict[str, Any] = {"module": None if cls.__module__ == "__main__" else cls.__module__,
                             "class_name": cls.__name__, "config": config, "registered_name": get_registered_name(cls)}
    shape = obj.__dict__.get("_build_input_shape")
    if obj.built and shape is not None:
        entry["build_config"] = {"input_shape": list(shape)}
    return entry


def is_custom_entry(entry: dict[str, Any]) -> bool:
    """Whether a config entry names a class outside Keras: another registered name, a module not Keras's, or
    (Keras writes ``module: None`` for a class defined in ``__main__``) a class name no built-in layer has.

    Example:
        >>> is_custom_entry({"class_name": "Net", "module": None, "registered_name": "Net"})
        True
        >>> is_custom_entry({"class_name": "Dense", "module": "keras.layers", "registered_name": None})
        False
    """
    class_name, module = entry["class_name"], entry.get("module")
    if class_name in ("Sequential", "Functional"):
        return False
    keras_module = isinstance(module, str) and (module == "keras" or module.startswith("keras."))
    return entry.get("registered_name") not in (None, class_name) or (module is not None and not keras_module) \
        or (module is None and class_name not in layers_lib.LAYER_CLASSES)


def _resolve(entry: dict[str, Any], custom_objects: dict[str, Any] | None) -> Any:
    registered = entry.get("registered_name") or entry["class_name"]
    found = get_registered_object(registered, custom_objects)
    if found is None and custom_objects:
        found = custom_objects.get(entry["class_name"])
    return found if isinstance(found, type) and issubclass(found, Layer) else None


def is_resolvable(entry: dict[str, Any], custom_objects: dict[str, Any] | None) -> bool:
    """Whether the program names a convlens layer or model class for this custom entry (registry or custom_objects).

    Example:
        >>> is_resolvable({"class_name": "Net", "registered_name": "nowhere>Net"}, None)
        False
    """
    return _resolve(entry, custom_objects) is not None


def custom_from_entry(entry: dict[str, Any], where: str, path: str, custom_objects: dict[str, Any] | None) -> Layer:
    """Build the custom object an entry describes with the class the program names, then build it as recorded.

    Raises:
        ValueError: naming ``where`` and ``path``: the class is not named by the program, or its ``from_config``
            or ``build`` refuses the recorded config.

    Example:
        >>> custom_from_entry({"class_name": "Net", "config": {}}, "m.keras", "config", None)
        Traceback (most recent call last):
        ...
        ValueError: m.keras: config is the custom class 'Net', which this program does not name: register it with @keras.saving.register_keras_serializable() or pass custom_objects={'Net': Net}. convlens never imports code named by a file.
    """
    cls = _resolve(entry, custom_objects)
    registered = entry.get("registered_name") or entry["class_name"]
    if cls is None:
        raise ValueError(
            f"{where}: {path} is the custom class {registered!r}, which this program does not name: register it "
            f"with @keras.saving.register_keras_serializable() or pass custom_objects={{{registered!r}: "
            f"{entry['class_name']}}}. convlens never imports code named by a file."
        )
    config = dict(entry["config"])
    dtype = config.get("dtype")
    if isinstance(dtype, dict):  # Keras's DTypePolicy object -> its name
        config["dtype"] = (dtype.get("config") or {}).get("name", "float32")
    try:
        obj = cls.from_config(config)
        shape = (entry.get("build_config") or {}).get("input_shape")
        if shape and not obj.built:
            obj.build_from_shape(tuple(shape))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: cannot build {registered!r} at {path} from its config: {error}") from None
    return obj


def _name_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name  # Keras visits private attributes last


def _children(obj: Layer) -> Iterator[tuple[str, Layer | list[Layer]]]:
    """The attributes holding layers or lists of layers, in the order Keras visits them."""
    from .model import Model

    lists = {key: list(value) for key, value in vars(obj).items()
             if not key.startswith("_") and isinstance(value, (list, tuple)) and value
             and all(isinstance(item, Layer) for item in value)}
    # Model.__setattr__ registers each list item as the submodule `<attribute>_<i>`: those are reached via the list.
    expanded = {f"{key}_{i}" for key, items in lists.items() for i in range(len(items))}
    found: dict[str, Layer | list[Layer]] = {key: module for key, module in obj._modules.items()
                                             if isinstance(module, Layer) and key not in expanded}
    found.update(lists)
    if isinstance(obj, Model):
        found["layers"] = obj.layers
    for key in sorted(found, key=_name_key):
        yield key, found[key]


def attribute_entries(obj: Layer, path: str, entries: Callable[[Layer, str], Iterator[tuple[str, Layer]]],
                      visited: set[int] | None = None) -> Iterator[tuple[str, Layer]]:
    """``(path, object)`` for a custom object and every layer inside it, in Keras's attribute naming.

    ``entries`` walks a layer reached from here (a nested Sequential or a plain layer); each object comes once,
    at the first path that reaches it, as Keras saves it.
    """
    visited = set() if visited is None else visited
    visited.add(id(obj))
    yield path, obj
    for key, child in _children(obj):
        base = f"{path}/{key}" if path else key
        if isinstance(child, Layer):
            named = [(base, child)]
        else:
            used: dict[str, int] = {}
            named = []
            for layer in child:
                stem = snake_case(type(layer).__name__)
                used[stem] = used.get(stem, -1) + 1
                named.append((f"{base}/{stem}" + (f"_{used[stem]}" if used[stem] else ""), layer))
        for child_path, layer in named:
            if id(layer) in visited:
                continue
            if is_custom(layer):
                yield from attribute_entries(layer, child_path, entries, visited)
            else:
                for entry_path, entry in entries(layer, child_path):
                    visited.add(id(entry))
                    yield entry_path, entry
