"""``keras.models``: ``Sequential``, ``Model``, ``load_model``, ``save_model``, ``clone_model``, ``model_from_json``."""

from __future__ import annotations

import json
from typing import Any

from ..models.keras_format import check_safe, model_from_config
from ..models import Functional, Model, Sequential, load_model, save_model

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]


def clone_model(model: Model, input_tensors: Any = None, clone_function: Any = None) -> Model:
    """A new model with the same architecture and freshly initialised weights, as ``keras.models.clone_model``.

    Args:
        model: a Sequential or functional model.
        input_tensors: not supported (the clone keeps the original's inputs); must be None.
        clone_function: not supported; must be None.

    Raises:
        ValueError: for a subclassed model (Keras clones those only through their config) or unsupported arguments.

    Example:
        >>> from convlens import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> clone = clone_model(model)
        >>> clone.output_shape, clone.layers[0] is model.layers[0]
        ((None, 2), False)
    """
    if input_tensors is not None or clone_function is not None:
        raise ValueError("clone_model: `input_tensors` and `clone_function` are not supported; pass only the model.")
    if not isinstance(model, (Sequential, Functional)):
        raise ValueError(
            f"clone_model takes a Sequential or functional model; received {type(model).__name__}. "
            "Re-create a subclassed model by calling its class."
        )
    return type(model).from_config(model.get_config())


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Model:
    """Rebuild a model (fresh weights) from ``model.to_json()``, as ``keras.models.model_from_json``.

    Subclassed models and custom layers are built by the classes registered with
    ``register_keras_serializable`` or given in ``custom_objects``; nothing else outside Keras's own classes.

    Example:
        >>> from convlens import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> model_from_json(model.to_json()).output_shape
        (None, 2)
    """
    try:
        config = json.loads(json_string)
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"model_from_json: the string is not valid JSON ({error}).") from None
    check_safe(config, "model_from_json", custom_objects=custom_objects)
    return model_from_config(config, "model_from_json", custom_objects=custom_objects)
