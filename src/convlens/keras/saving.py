"""``keras.saving``: ``load_model`` / ``save_model`` for ``.keras`` archives (and legacy ``.h5``), and the registry of
custom classes (``register_keras_serializable``) that a saved subclassed model or custom layer is loaded through."""

from ..models import load_model, load_weights, save_model, save_weights
from ..models.registration import (
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)

__all__ = ["get_custom_objects", "get_registered_name", "get_registered_object", "load_model", "load_weights",
           "register_keras_serializable", "save_model", "save_weights"]
