"""``keras.utils``: seeding, image-folder datasets, image helpers, ``plot_model`` and the custom-class registry.

Example:
    >>> from convlens.keras import utils
    >>> utils.set_random_seed(0)
"""

from __future__ import annotations

from typing import Any

from ..datasets import image_dataset_from_directory
from ..models.registration import (
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from ._export import public

globals().update(public("convlens.utils"))


def plot_model(model: Any, to_file: str = "model.png", show_shapes: bool = False, show_dtype: bool = False,
               show_layer_names: bool = True, rankdir: str = "TB", expand_nested: bool = False, dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False, **kwargs: Any) -> Any:
    """Draw the model's architecture to ``to_file`` with convlens's own renderer (no pydot or Graphviz needed).

    Keras's styling arguments are accepted; the picture is ``lens.plot_architecture``'s: every layer with
    its output shape and parameter count.

    Example:
        >>> from convlens import Sequential, layers
        >>> fig = plot_model(Sequential([layers.Input((28, 28, 1)), layers.Flatten()]), to_file="/tmp/m.png")
    """
    from ..lens import plot_architecture

    figure = plot_architecture(model)
    if to_file:
        figure.savefig(to_file, dpi=dpi, bbox_inches="tight")
    return figure


__all__ = sorted(n for n in globals() if not n.startswith("_") and n not in ("public", "annotations", "Any"))
