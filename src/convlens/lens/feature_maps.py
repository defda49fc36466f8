"""Feature maps layer by layer: what each filter of each layer responds to in one image.

Every layer gets one section with one panel per map and one colour scale for
all its maps (with a colour bar), so maps of one layer compare honestly and an
empty map looks empty: a non-negative layer (ReLU, pooling of ReLU) runs from
0, drawn black, to its largest value; a layer with negative values gets a
diverging scale centred at 0, drawn white.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
from matplotlib.figure import Figure, SubFigure

from ..layers import BaseConv, BasePooling, Conv2DTranspose, DepthwiseConv2D, Layer
from ..models import Model
from .figures import MAP_CMAP, SIGNED_CMAP, grid_shape, new_figure, numbered_panels, show_image, styled
from .probe import LayerRef, activations, resolve_layers

PANEL_INCHES = 0.8  # one feature map
MAX_COLUMNS = 8


def map_layers(model: Model) -> list[Layer]:
    """The layers whose outputs are feature maps worth showing: 2D convolutions and poolings.

    Example:
        >>> from convlens import zoo
        >>> [type(layer).__name__ for layer in map_layers(zoo.create("mnist-convnet"))]
        ['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D']
    """
    kinds = (BaseConv, BasePooling, DepthwiseConv2D, Conv2DTranspose)
    return [layer for layer, shape in zip(model.layers, model.layer_output_shapes)
            if isinstance(layer, kinds) and len(shape) == 4]


def map_scale(maps: np.ndarray) -> tuple[float, float, str]:
    """``(vmin, vmax, cmap)`` shared by all maps of a layer.

    ``[0, max]`` on ``magma`` when no value is negative (all zeros: ``[0, 1]``),
    else ``±max|x|`` on ``RdBu_r``.

    Example:
        >>> map_scale(np.zeros((4, 4, 2)))
        (0.0, 1.0, 'magma')
    """
    low, high = float(np.min(maps)), float(np.max(maps))
    if low < 0:
        limit = max(-low, high)
        return -limit, limit, SIGNED_CMAP
    return 0.0, high if high > 0 else 1.0, MAP_CMAP


@styled
def plot_feature_maps(model: Model, image: Any, layers: LayerRef | Iterable[LayerRef] | None = None,
                      max_maps: int = 16, input_label: str | None = None) -> Figure:
    """The input image, then the first ``max_maps`` feature maps of each chosen layer.

    Args:
        model: a built image model.
        image: one image, ``(H, W)`` or ``(H, W, C)``, uint8 or float (converted
            to the model's colour mode).
        layers: names or indices of layers with 4D outputs; default: every
            convolution and pooling layer (:func:`map_layers`).
        max_maps: maps shown per layer (the first ones, by channel index).
        input_label: what the input section's title says the image was before
            it became the model's input (e.g. ``"cat.png: 200×200 RGB,
            resized to 28×28, converted to grayscale"``); default: its shape.
        save: path(s) ending in ``.png`` / ``.svg`` to write the figure to.

    Returns:
        The figure: one sub-figure per section (``subfig.get_label()`` is
        ``"input"`` or the layer name), each map titled with its channel index.

    Raises:
        ValueError: for unknown layers, layers without 4D outputs or an image
            the model cannot take.

    Example:
        >>> from convlens import zoo
        >>> model = zoo.create("mnist-convnet")
        >>> fig = plot_feature_maps(model, np.zeros((28, 28), np.uint8), [1], max_maps=8)
        >>> [sf.get_label() for sf in fig.subfigs] == ["input", model.layers[1].name]
        True
    """
    if not isinstance(max_maps, int) or max_maps < 1:
        raise ValueError(f"max_maps must be a positive int; received max_maps={max_maps!r}.")
    chosen = map_layers(model) if layers is None else resolve_layers(model, layers)
    shapes = dict(zip((layer.name for layer in model.layers), model.layer_output_shapes))
    flat = [layer.name for layer in chosen if len(shapes[layer.name]) != 4]
    if flat:
        raise ValueError(
            f"Feature maps need layers with (N, H, W, C) outputs; {flat} output "
            f"{[shapes[name] for name in flat]}. Layers with maps: {[l.name for l in map_layers(model)]}."
        )
    if not chosen:
        raise ValueError(f"Model {model.name!r} has no convolution or pooling layers to show.")
    outputs = activations(model, image, chosen)
    shown_input = np.asarray(image)
    counts = [min(max_maps, outputs[layer.name].shape[-1]) for layer in chosen]
    rows = [grid_shape(n, MAX_COLUMNS)[0] for n in counts]
    columns = max(grid_shape(n, MAX_COLUMNS)[1] for n in counts)
    heights = [1.6] + [0.55 + r * PANEL_INCHES for r in rows]
    fig = new_figure(1.4 + columns * PANEL_INCHES, sum(heights) + 0.5)
    sections = fig.subfigures(len(heights), 1, height_ratios=heights)
    _input_section(sections[0], shown_input, model, input_label)
    for section, layer, n in zip(sections[1:], chosen, counts):
        _layer_section(section, layer, outputs[layer.name], n, columns)
    fig.suptitle(f"Feature maps of {model.name}")
    return fig


def _input_section(section: SubFigure, image: np.ndarray, model: Model, label: str | None) -> None:
    section.set_label("input")
    ax = section.subplots()
    show_image(ax, image)
    given = label or "input image " + "×".join(str(d) for d in image.shape)
    section.suptitle(f"{given} → model input {'×'.join(str(d) for d in model.input_shape[1:])}",
                     fontsize=10, fontweight="normal")


def _layer_section(section: SubFigure, layer: Layer, maps: np.ndarray, n: int, columns: int) -> None:
    section.set_label(layer.name)
    vmin, vmax, cmap = map_scale(maps)
    rows = grid_shape(n, MAX_COLUMNS)[0]
    axes = section.subplots(rows, columns, squeeze=False)
    image = numbered_panels(axes, n, lambda ax, i: ax.imshow(maps[:, :, i], cmap=cmap, vmin=vmin, vmax=vmax))
    section.colorbar(image, ax=axes, shrink=0.9, aspect=12 * rows)
    h, w, c = maps.shape
    which = f"maps 0–{n - 1} of {c}" if n < c else f"all {c} maps"
    section.suptitle(f"{layer.name} ({type(layer).__name__}): {h}×{w}×{c}, {which}", fontsize=10, fontweight="normal")
