"""The legacy HDF5 model file (``model.save("m.h5")``), written as Keras 3 writes it, and read back.

Keras 3 still writes a whole model to a ``.h5`` path, with a warning. The file's
attributes hold ``model_config`` (the model's config as JSON: the ``.keras``
config without each entry's ``module``, ``registered_name`` and
``build_config``), ``keras_version``, ``backend`` and, for a compiled model,
``training_config``; the weights sit in ``model_weights``, one group per layer,
named by the layer and listing its arrays in a ``weight_names`` attribute::

    model_weights                          (attrs: layer_names=[conv2d, dense], backend, keras_version)
    model_weights/conv2d                   (attrs: weight_names=[sequential/conv2d/kernel, sequential/conv2d/bias])
    model_weights/conv2d/sequential/conv2d/kernel
    model_weights/top_level_model_weights  (attrs: weight_names=[])

A Sequential names its weights under its own name (``sequential/conv2d/kernel``),
a functional model by layer alone (``conv2d/kernel``), as Keras does.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from .. import limits
from ..errors import FileFormatError
from . import keras_format
from .keras_h5 import open_checked

if TYPE_CHECKING:
    from .model import Model

__all__ = ["LEGACY_WARNING", "legacy_config", "read_model", "write_model"]

# Keras 3's own words when `model.save` gets a `.h5` path.
LEGACY_WARNING = (
    "You are saving your model as an HDF5 file via `model.save()` or `keras.saving.save_model(model)`. "
    "This file format is considered legacy. We recommend using instead the native Keras format, "
    "e.g. `model.save('my_model.keras')` or `keras.saving.save_model(model, 'my_model.keras')`. "
)
_ENTRY_ONLY_KEYS = ("module", "registered_name", "build_config", "compile_config")


def legacy_config(entry: dict[str, Any]) -> dict[str, Any]:
    """A ``.keras`` model entry in the legacy form: each model and layer entry without its ``module``,
    ``registered_name``, ``build_config`` (and the model's ``compile_config``); nested objects keep theirs.

    Example:
        >>> from convlens import Sequential, layers
        >>> config = legacy_config(keras_format.model_to_config(Sequential([layers.Input((3,)), layers.Dense(2)])))
        >>> sorted(config), sorted(config["config"]["layers"][1])
        (['class_name', 'config'], ['class_name', 'config'])
    """
    out = {key: value for key, value in entry.items() if key not in _ENTRY_ONLY_KEYS}
    inner = dict(out.get("config") or {})
    if isinstance(inner.get("layers"), list):
        inner["layers"] = [legacy_config(item) for item in inner["layers"]]
        out["config"] = inner
    return out


def _training_config(model: Model) -> dict[str, Any] | None:
    """Keras's ``training_config``: the compile config, its optimizer as ``optimizer_config``."""
    compile_config = dict(getattr(model, "compile_config", None) or {})
    optimizer = compile_config.pop("optimizer", None)
    if not compile_config and optimizer is None:
        return None
    if isinstance(optimizer, dict):
        compile_config["optimizer_config"] = {"class_name": optimizer.get("class_name"),
                                              "config": optimizer.get("config", {})}
    return compile_config


def _text(values: list[str]) -> list[bytes] | np.ndarray:
    # Keras writes names as a list of UTF-8 bytes (h5py stores variable-length strings), and an empty list as
    # an empty float array (NumPy's default dtype).
    return [v.encode("utf8") for v in values] if values else np.array([])


def write_model(model: Model, h5: h5py.File) -> None:
    """Write ``model`` into an open HDF5 file in Keras 3's legacy layout.

    Raises:
        ValueError: for a model Keras's legacy writer names differently here (a nested or subclassed model, a
            custom layer): save those as ``.keras``.

    Example:
        >>> import io
        >>> from convlens import Sequential, layers
        >>> with h5py.File(io.BytesIO(), "w") as h5:
        ...     write_model(Sequential([layers.Input((3,)), layers.Dense(2, name="out")], name="s"), h5)
        ...     list(h5["model_weights/out"].attrs["weight_names"])
        ['s/out/kernel', 's/out/bias']
    """
    from .model import Model as BaseModel
    from .sequential import Sequential

    if keras_format.is_custom(model) or any(isinstance(layer, BaseModel) or keras_format.is_custom(layer)
                                            for layer in model.layers):
        raise ValueError(
            f"Model '{model.name}': nested, subclassed models and custom layers are saved in the Keras format "
            "only: use a `.keras` path."
        )
    h5.attrs["backend"] = "torch"
    h5.attrs["keras_version"] = keras_format.KERAS_VERSION
    h5.attrs["model_config"] = json.dumps(legacy_config(keras_format.model_to_config(model)), allow_nan=False)
    training = _training_config(model)
    if training is not None:
        h5.attrs["training_config"] = json.dumps(training, allow_nan=False)
    group = h5.create_group("model_weights")
    group.attrs["layer_names"] = _text([layer.name for layer in model.layers])
    group.attrs["backend"] = b"torch"
    group.attrs["keras_version"] = keras_format.KERAS_VERSION.encode("utf8")
    prefix = f"{model.name}/" if isinstance(model, Sequential) else ""
    # Sorted by name, as Keras writes them, so that no group name is a prefix of a later one.
    for layer in sorted(model.layers, key=lambda layer: layer.name):
        layer_group = group.create_group(layer.name)
        names = [f"{prefix}{layer.name}/{spec.keras_name}" for spec in layer._weight_specs]
        layer_group.attrs["weight_names"] = _text(names)
        for name, array in zip(names, layer.get_weights()):
            layer_group.create_dataset(name, data=array)
    group.create_group("top_level_model_weights").attrs["weight_names"] = _text([])


def read_model(path: str | os.PathLike, custom_objects: dict[str, Any] | None = None) -> Model:
    """Build the model of a legacy ``.h5`` file (Keras's or convlens's) and set its weights; all checked first.

    Raises:
        FileFormatError: naming the file: not HDF5, no ``model_config`` (a weights-only file), or a config or
            weights that do not make a model.

    Example:
        >>> model = read_model("model.h5")  # doctest: +SKIP
    """
    from ..zoo.weights import load_legacy_h5_weights

    where = str(path)
    with open_checked(path) as h5:
        raw = h5.attrs.get("model_config")
        if raw is None:
            raise FileFormatError(f"{where} holds no model_config: it is a weights file; build the model and "
                                  "call `model.load_weights(...)`.")
        raw = raw.decode("utf8") if isinstance(raw, bytes) else str(raw)
        limits.check_size(len(raw), "CONVLENS_MAX_JSON_BYTES", f"{where}: model_config")
    try:
        config = json.loads(raw)
        if not isinstance(config, dict):
            raise ValueError(f"model_config must hold a JSON object; found {type(config).__name__}.")
        limits.check_json_depth(config, f"{where}: model_config")
        keras_format.check_safe(config, where, custom_objects=custom_objects)
        model = keras_format.model_from_config(config, where, custom_objects=custom_objects)
        load_legacy_h5_weights(model, Path(path))
    except FileFormatError:
        raise
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        raise FileFormatError(str(error) if where in str(error) else f"{where}: {error}") from None
    return model


def warn_legacy() -> None:
    """Keras's warning for a ``.h5`` model file."""
    warnings.warn(LEGACY_WARNING, UserWarning, stacklevel=3)
