"""Keras 3's serialization schema (``config.json`` of a ``.keras`` archive), both ways.

convlens layers keep short configs (``"kernel_initializer": "glorot_uniform"``,
``"dtype": "float32"``); Keras writes every object in full::

    {"module": "keras.layers", "class_name": "Conv2D", "config": {..., "kernel_initializer":
        {"module": "keras.initializers", "class_name": "GlorotUniform",
         "config": {"seed": None, "input_axes": None, "output_axes": None}, "registered_name": None}},
     "registered_name": None, "build_config": {"input_shape": [None, 28, 28, 1]}}

``model_to_config`` writes that form for a ``Sequential`` or a functional model
(Keras's "Functional" schema: each layer entry adds its ``name`` and the calls
that connect it, ``inbound_nodes``, and the model names its ``input_layers`` and
``output_layers``); ``model_from_config`` reads it back, after ``check_safe`` has
refused anything that is not one of Keras's own built-in classes. Loading never
runs code from the file: layers come only from ``convlens.layers.get_class``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import layers as layers_lib
from ..layers import activations, initializers
from ..layers.base import Layer, dtype_policy
from ..layers.serialization import keras_object as _keras_object
from .custom_format import custom_entry, custom_from_entry, is_custom, is_custom_entry, is_resolvable

if TYPE_CHECKING:
    from .functional import Functional
    from .model import Model

# The Keras release whose archive format this module writes (and has been checked against).
KERAS_VERSION = "3.15.1"

# Config keys Keras writes that convlens layers leave out, because convlens
# implements only the default behaviour they select. Saving adds them so the entry
# is Keras's own; loading drops them when they hold that default.
KERAS_ONLY_KEYS: dict[str, dict[str, Any]] = {
    "InputLayer": {"ragged": False, "optional": False},  # for the input entry a Sequential writes itself
}

# Keras records a build_config only for layers that override `build`; these do not.
_NO_BUILD_CONFIG = frozenset({
    "InputLayer", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "Dropout", "ReLU", "Softmax", "Activation", "Reshape",
})

# Keras's fan axes options, which convlens does not implement (it uses Keras's default fans).
_AXES_KEYS = ("input_axes", "output_axes")

# Keras records in each layer call the defaults of the layer's `call` signature
# (the `mask` argument, Dropout's `training=False`); convlens writes them as Keras
# does and, reading, drops them, since they select what a plain call does anyway.
_CALL_DEFAULTS: dict[str, dict[str, Any]] = {
    "BatchNormalization": {"mask": None}, "Softmax": {"mask": None}, "GlobalAveragePooling1D": {"mask": None},
    "Sequential": {"mask": None}, "Functional": {"mask": None}, "Dropout": {"training": False},
}

# Class names that stand for Python code stored in the file.
_CODE_CLASSES = frozenset({"Lambda", "__lambda__", "TFOpLambda"})


def _keras_initializer(value: Any, where: str) -> dict[str, Any]:
    """``"glorot_uniform"`` or ``{"class_name": ..., "config": ...}`` → Keras's full initializer object."""
    if isinstance(value, str):
        class_name = value if value in initializers.KERAS_CONFIGS else "".join(p.capitalize() for p in value.split("_"))
        config: dict[str, Any] = {}
    elif isinstance(value, dict):
        class_name, config = value.get("class_name"), dict(value.get("config") or {})
    else:
        class_name = None
    if class_name not in initializers.KERAS_CONFIGS:
        raise ValueError(
            f"{where}={value!r} has no Keras serialized form; use one of Keras's initializers "
            f"({', '.join(initializers.KERAS_CONFIGS)})."
        )
    defaults = initializers.KERAS_CONFIGS[class_name]
    return _keras_object("keras.initializers", class_name, {k: config.get(k, v) for k, v in defaults.items()})


def _keras_layer_config(class_name: str, config: dict[str, Any], layer_name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in config.items():
        where = f"Layer '{layer_name}' ({class_name}): {key}"
        if key == "dtype" and class_name != "InputLayer" and not isinstance(value, dict):
            value = dtype_policy(value)  # Keras's InputLayer keeps a plain dtype name
        elif key.endswith("_initializer"):
            value = _keras_initializer(value, where)
        out[key] = value
    return {**out, **KERAS_ONLY_KEYS.get(class_name, {})}


def _check_named_activation(layer: Layer, name: Any) -> None:
    """Keras stores activations by name: the name must resolve to the very function the layer uses."""
    try:
        named = activations.get(name) is layer.activation
    except (TypeError, ValueError):
        named = False
    if not named:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}): activation={name!r} cannot be saved in the Keras "
            "format: only Keras's named activations can (a custom function would need code to load)."
        )


def _layer_entry(layer: Layer, input_shape: Any) -> dict[str, Any]:
    from .functional import Functional  # at call time: models/model.py imports this module
    from .sequential import Sequential

    if isinstance(layer, (Sequential, Functional)):
        return model_to_config(layer)
    if is_custom(layer):
        return custom_entry(layer)
    class_name = type(layer).__name__
    if layers_lib.LAYER_CLASSES.get(class_name) is not type(layer):
        raise TypeError(
            f"Layer '{layer.name}' of type {type(layer).__qualname__} cannot be saved in the Keras format: "
            "only convlens's built-in Keras layers and nested Sequential or functional models can."
        )
    config = layer.get_config()
    config.pop("batch_shape", None)  # the model carries the input shape in its InputLayer
    if "activation" in config:
        _check_named_activation(layer, config["activation"])
    entry = _keras_object("keras.layers", class_name, _keras_layer_config(class_name, config, layer.name))
    if input_shape is not None and class_name not in _NO_BUILD_CONFIG:
        entry["build_config"] = {"input_shape": list(input_shape)}
    return entry


def model_to_config(model: Model) -> dict[str, Any]:
    """A ``Sequential``, functional or subclassed model as Keras serializes it: the content of ``config.json``.

    ``compile_config`` is ``model.compile_config`` (a dict in Keras's schema)
    when the model has one, else ``{}`` as Keras writes for an uncompiled model.

    Example:
        >>> from convlens import Sequential, layers
        >>> entry = model_to_config(Sequential([layers.Input((4,)), layers.Dense(2)]))
        >>> entry["class_name"], [item["class_name"] for item in entry["config"]["layers"]]
        ('Sequential', ['InputLayer', 'Dense'])
    """
    from .functional import Functional  # at call time: models/model.py imports this module

    if is_custom(model):
        entry = custom_entry(model)
    else:
        entry = _functional_entry(model) if isinstance(model, Functional) else _sequential_entry(model)
    compile_config = getattr(model, "compile_config", None)
    if compile_config is not None and not isinstance(compile_config, dict):
        raise TypeError(f"model.compile_config must be a dict in Keras's schema; received {compile_config!r}.")
    entry["compile_config"] = compile_config or {}
    return entry


def _sequential_entry(model: Model) -> dict[str, Any]:
    base = model.get_config()
    entries = []
    if base["layers"] and base["layers"][0]["class_name"] == "InputLayer":
        first = base["layers"][0]["config"]
        input_config = _keras_layer_config("InputLayer", first, first["name"])
        entries.append(_keras_object("keras.layers", "InputLayer", input_config))
    input_shapes = [model.input_shape, *model.layer_output_shapes[:-1]] if model.built else [None] * len(model.layers)
    entries += [_layer_entry(layer, shape) for layer, shape in zip(model.layers, input_shapes)]
    config: dict[str, Any] = {"name": base["name"], "trainable": base["trainable"],
                              "dtype": base["dtype"] if isinstance(base["dtype"], dict) else dtype_policy(base["dtype"]),
                              "layers": entries}
    entry = _keras_object("keras", "Sequential", config)
    if model.built:
        config["build_input_shape"] = list(model.input_shape)
        entry["build_config"] = {"input_shape": list(model.input_shape)}
    return entry


def _functional_entry(model: Functional) -> dict[str, Any]:
    base = model.get_config()
    entries = []
    for layer, item in zip(model.layers, base["layers"]):
        if item["class_name"] == "InputLayer":
            config = _keras_layer_config("InputLayer", item["config"], layer.name)
            entry = _keras_object("keras.layers", "InputLayer", config)
        else:  # Keras records the shapes of the layer's first call as its build_config
            entry = _layer_entry(layer, _argument_shapes(item["inbound_nodes"][0]["args"][0]))
        defaults = _CALL_DEFAULTS.get(item["class_name"], {})
        nodes = [{"args": node["args"], "kwargs": {**defaults, **node["kwargs"]}} for node in item["inbound_nodes"]]
        entries.append({**entry, "name": item["name"], "inbound_nodes": nodes})
    config = {**base, "layers": entries}
    # A functional model builds from its inputs, so Keras records no build input shape.
    return {**_keras_object("keras.src.models.functional", "Functional", config),
            "registered_name": "Functional", "build_config": {"input_shape": None}}


def _argument_shapes(argument: Any) -> Any:
    """The shape of a serialized tensor argument, or the list of shapes of a list of them."""
    if isinstance(argument, list):
        return [_argument_shapes(a) for a in argument]
    return argument["config"]["shape"]


def check_safe(config: Any, where: str, path: str = "config", custom_objects: dict[str, Any] | None = None) -> None:
    """Refuse anything in a Keras config that is not one of Keras's built-in objects or a class the program names.

    Refused: ``Lambda`` layers and ``__lambda__`` functions (Python code in the
    file), and objects whose ``module`` is not Keras's or that carry a
    ``registered_name`` (custom classes), unless the program names their class
    (registered with ``register_keras_serializable``, or in ``custom_objects``).

    Raises:
        ValueError: naming the object refused and where it is in the config.

    Example:
        >>> check_safe({"class_name": "Lambda", "module": "keras.layers", "config": {}}, "m.keras")
        Traceback (most recent call last):
        ...
        ValueError: m.keras: refusing to load 'Lambda' at config: it holds Python code, and convlens never runs code from a file.
    """
    if isinstance(config, list):
        for i, item in enumerate(config):
            check_safe(item, where, f"{path}[{i}]", custom_objects)
        return
    if not isinstance(config, dict):
        return
    if "class_name" in config:
        _check_object(config, where, path, custom_objects)
    for key, value in config.items():
        check_safe(value, where, f"{path}.{key}", custom_objects)


def _check_object(config: dict[str, Any], where: str, path: str, custom_objects: dict[str, Any] | None) -> None:
    class_name, module = config["class_name"], config.get("module")
    registered = config.get("registered_name")
    if class_name == "__keras_tensor__" and module is None:
        return  # a reference to a tensor of a functional graph: shape, dtype and where it comes from
    if class_name in _CODE_CLASSES:
        raise ValueError(
            f"{where}: refusing to load {class_name!r} at {path}: it holds Python code, "
            "and convlens never runs code from a file."
        )
    if class_name == "function":
        # Keras writes built-in functions (activations, losses) by name.
        if isinstance(config.get("config"), str) and (module == "builtins" or _is_keras_module(module)):
            return
    elif _is_keras_module(module) and registered in (None, class_name):
        return  # Keras's own class (backend-specific ones, like torch's SGD, repeat their class name there)
    elif module is None and registered is None and isinstance(class_name, str) and not is_custom_entry(config):
        return  # a built-in class named without its module, as legacy `.h5` configs name layers and models
    elif isinstance(class_name, str) and is_resolvable(config, custom_objects):
        return  # a subclassed model or custom layer whose class the program registered or passed
    raise ValueError(
        f"{where}: refusing to load custom object {class_name!r} at {path} "
        f"(module={module!r}, registered_name={registered!r}): convlens builds only Keras's built-in "
        "classes and the custom classes this program names (register the class with "
        "@keras.saving.register_keras_serializable(), or pass custom_objects={name: class}); it never imports "
        "code named by a file."
    )


def _is_keras_module(module: Any) -> bool:
    return isinstance(module, str) and (module == "keras" or module.startswith("keras."))


def _convlens_layer_config(cls: type[Layer], config: dict[str, Any]) -> dict[str, Any]:
    defaults = KERAS_ONLY_KEYS.get(cls.__name__, {})
    out = {}
    for key, value in config.items():
        if key in defaults and value == defaults[key]:
            continue
        if key.endswith("_initializer") and isinstance(value, dict):
            inner = dict(value.get("config") or {})
            if any(inner.pop(axes, None) is not None for axes in _AXES_KEYS):
                raise ValueError(f"{key}: convlens supports input_axes/output_axes only at their default None.")
            value = {"class_name": value["class_name"], "config": inner}
        out[key] = value
    return out


def _entry_parts(entry: Any, where: str, path: str) -> tuple[str, dict[str, Any]]:
    if not (isinstance(entry, dict) and isinstance(entry.get("class_name"), str)
            and isinstance(entry.get("config"), dict)):
        raise ValueError(f"{where}: {path} is not a Keras object entry {{'class_name': ..., 'config': {{...}}}}.")
    return entry["class_name"], entry["config"]


def _layer_from_entry(entry: Any, where: str, path: str, custom_objects: dict[str, Any] | None = None) -> Layer:
    class_name, config = _entry_parts(entry, where, path)
    if class_name in ("Sequential", "Functional"):
        return model_from_config(entry, where, path, custom_objects)
    if is_custom_entry(entry):
        return custom_from_entry(entry, where, path, custom_objects)
    try:
        cls = layers_lib.get_class(class_name)
        return cls.from_config(_convlens_layer_config(cls, config))
    except (TypeError, ValueError) as error:
        name = config.get("name")
        raise ValueError(f"{where}: cannot build layer {name!r} ({class_name}) at {path}: {error}") from None


def model_from_config(entry: Any, where: str, path: str = "config", custom_objects: dict[str, Any] | None = None) -> Model:
    """Build the model that Keras's ``config.json`` (or a nested entry) describes, weights not set.

    A subclassed model is built by its class (registered, or in ``custom_objects``) from its config.

    Call :func:`check_safe` on the whole config first.

    Raises:
        ValueError: naming ``where`` and the entry that cannot be built
            (a model other than ``Sequential`` or ``Functional``, a layer class
            convlens does not have, an option it does not implement, or a
            graph that does not connect).

    Example:
        >>> entry = {"class_name": "Sequential", "config": {"name": "m", "layers": [
        ...     {"class_name": "InputLayer", "config": {"batch_shape": [None, 3]}},
        ...     {"class_name": "Dense", "config": {"units": 2}}]}}
        >>> model_from_config(entry, "m.keras").count_params()
        8
    """
    from .functional_config import functional_from_config  # at call time: models/model.py imports this module
    from .sequential import Sequential

    class_name, config = _entry_parts(entry, where, path)
    if class_name not in ("Sequential", "Functional"):
        if is_custom_entry(entry):
            return custom_from_entry(entry, where, path, custom_objects)  # type: ignore[return-value]
        raise ValueError(f"{where}: {path} is a {class_name!r} model; convlens loads Sequential, Functional "
                         "and subclassed models.")
    items = config.get("layers", [])
    if not isinstance(items, list):
        raise ValueError(f"{where}: {path}.config.layers must be a list of layer entries; received {items!r}.")
    layers = [_layer_from_entry(item, where, f"{path}.config.layers[{i}]", custom_objects)
              for i, item in enumerate(items)]
    if class_name == "Functional":
        try:
            return functional_from_config({**config, "layers": [_without_call_defaults(item) for item in items]},
                                          lambda item, i: layers[i])
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: cannot build the Functional model at {path}: {error}") from None
    options = {key: config[key] for key in ("name", "trainable", "dtype") if key in config}
    try:
        model = Sequential(layers, **options)
        shape = config.get("build_input_shape") or (entry.get("build_config") or {}).get("input_shape")
        if not model.built and shape:
            model.build_from_shape(tuple(shape))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: cannot build the Sequential model at {path}: {error}") from None
    return model


def _without_call_defaults(item: dict[str, Any]) -> dict[str, Any]:
    """A layer entry whose recorded calls keep only what differs from a plain call."""
    defaults = {"mask": None, **_CALL_DEFAULTS.get(item["class_name"], {})}
    nodes = item.get("inbound_nodes")
    if not isinstance(nodes, list) or not all(isinstance(n, dict) and isinstance(n.get("kwargs"), dict) for n in nodes):
        return item  # malformed: functional_from_config names the problem
    kept = [{**node, "kwargs": {k: v for k, v in node["kwargs"].items() if not (k in defaults and v == defaults[k])}}
            for node in nodes]
    return {**item, "inbound_nodes": kept}


def compile_arguments(compile_config: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``model.compile`` from Keras's ``compile_config``.

    Objects stay in Keras's serialized form (the optimizer as
    ``{"module": "keras.optimizers", "class_name": "Adam", "config": {...}}``),
    which Keras's ``compile`` accepts as well as names.

    Example:
        >>> compile_arguments({"optimizer": "adam", "loss": "mse", "metrics": None, "jit_compile": True})
        {'optimizer': 'adam', 'loss': 'mse'}
    """
    keys = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics")
    return {key: compile_config[key] for key in keys if compile_config.get(key) is not None}
