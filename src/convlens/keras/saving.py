"""``keras.saving``: ``load_model`` / ``save_model`` for ``.keras`` archives (and legacy ``.h5``)."""

from ..models import load_model, load_weights, save_model, save_weights

__all__ = ["load_model", "load_weights", "save_model", "save_weights"]
