"""Seeing inside a CNN: the arithmetic of every layer, what each layer outputs, and pictures of both.

- :mod:`~convlens.lens.explain`: the summary with formulas (output sizes,
  padding, parameters, receptive field, multiply-adds, memory).
- :func:`activations`: each layer's output for an image, via forward hooks.
- Pictures, each returning a matplotlib ``Figure`` and taking ``save=`` paths
  (``.png`` / ``.svg``, written atomically): :func:`plot_filters`,
  :func:`plot_feature_maps`, :func:`plot_history`, :func:`plot_confusion_matrix`,
  :func:`plot_misclassified`, :func:`plot_saliency`, :func:`plot_architecture`,
  :func:`plot_lenses`.
- Attribution maps as arrays: :func:`saliency`, :func:`grad_cam`.

Example:
    >>> import numpy as np
    >>> from convlens import lens, zoo
    >>> model = zoo.create("mnist-convnet")
    >>> lens.explain.explain_rows(model)[1].params_formula.text
    '3·3·1·32 + 32 = 320'
    >>> [a.shape for a in lens.activations(model, np.zeros((28, 28), np.uint8), [1, 2]).values()]
    [(26, 26, 32), (13, 13, 32)]
"""

from __future__ import annotations

from . import explain
from .architecture import plot_architecture
from .chain_rule import Backprop, backprop
from .chain_rule import notes_example as backprop_notes_example
from .attribution import grad_cam, last_conv_layer, plot_saliency, saliency
from .classic import plot_lenses
from .chain_figure import plot_chain
from .confusion import confusion_matrix, plot_confusion_matrix
from .explain import LayerExplanation, explain_rows, format_explained_summary
from .feature_maps import map_layers, plot_feature_maps
from .figures import save_figure
from .formulas import Formula
from .history import load_history, plot_history
from .images import as_model_input
from .learning import LearnedFilter, learn_filter
from .learning_figure import plot_learning, save_learning_gif
from .learned_filters import filter_bank, plot_filters
from .misclassified import plot_misclassified
from .probe import activations, resolve_layers
from .receptive import ReceptiveField
from .resemblance import Resemblance, classic_kernels, resemble_classic
from .scores import class_logits, predict_proba



def serve(model, **options):
    """The web lens for ``model`` (a model, run folder, ``.keras`` file or zoo name): inline in Jupyter, else a URL.

    Needs the ``[web]`` extra; the options are :func:`convlens.web.serve`'s (``host``, ``port``, ``open_browser``).

    Example:
        >>> from convlens import lens, zoo
        >>> lens.serve(zoo.create("mnist-convnet"))  # doctest: +SKIP
        http://127.0.0.1:8765/
    """
    from ..web import serve as serve_web

    return serve_web(model, **options)


__all__ = [
    "Backprop",
    "backprop",
    "backprop_notes_example",
    "plot_chain",
    "Resemblance",
    "classic_kernels",
    "resemble_classic",
    "LearnedFilter",
    "learn_filter",
    "plot_learning",
    "save_learning_gif",
    "Formula",
    "LayerExplanation",
    "ReceptiveField",
    "activations",
    "as_model_input",
    "class_logits",
    "confusion_matrix",
    "explain",
    "explain_rows",
    "filter_bank",
    "format_explained_summary",
    "grad_cam",
    "last_conv_layer",
    "load_history",
    "map_layers",
    "plot_architecture",
    "plot_confusion_matrix",
    "plot_feature_maps",
    "plot_filters",
    "plot_history",
    "plot_lenses",
    "plot_misclassified",
    "plot_saliency",
    "predict_proba",
    "resolve_layers",
    "saliency",
    "serve",
    "save_figure",
]
