"""Which pixels decided the class: gradient saliency and Grad-CAM.

Saliency (Simonyan et al., 2014) is ``|∂ score_c / ∂ pixel|``, the largest over
the colour channels: how much a small change of each pixel moves the class
score. Grad-CAM (Selvaraju et al., 2017) weighs the maps of a convolution
layer by the mean gradient of the class score over each map,
``ReLU(Σ_k mean(∂score_c/∂A_k)·A_k)``, and scales the result up to the image.
Both use the score before softmax (:func:`~convlens.lens.scores.class_logits`).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..layers import BaseConv, Conv2DTranspose, DepthwiseConv2D, Layer
from ..models import Model
from .figures import HEAT_CMAP, new_figure, show_image, styled
from .images import LUMA, as_model_input
from .probe import LayerRef, resolve_layers
from .scores import class_logits


def last_conv_layer(model: Model) -> Layer:
    """The last 2D convolution of the model: Grad-CAM's default layer.

    Example:
        >>> from convlens import zoo
        >>> model = zoo.create("mnist-convnet")
        >>> last_conv_layer(model) is model.layers[3]  # the second Conv2D
        True
    """
    kinds = (BaseConv, DepthwiseConv2D, Conv2DTranspose)
    convs = [layer for layer, shape in zip(model.layers, model.layer_output_shapes)
             if isinstance(layer, kinds) and len(shape) == 4]
    if not convs:
        raise ValueError(f"Model {model.name!r} has no 2D convolution layer for Grad-CAM; its layers are "
                         f"{[layer.name for layer in model.layers]}.")
    return convs[-1]


def _one_image(model: Model, image: Any) -> torch.Tensor:
    batch, single = as_model_input(model, image)
    if not single and len(batch) != 1:
        raise ValueError(f"image: expected one image; received a batch of {len(batch)}.")
    return batch.to(model.device, torch.float32)


def _class(logits: torch.Tensor, class_index: int | None) -> int:
    k = logits.shape[1]
    if class_index is None:
        return int(logits[0].argmax())
    if not isinstance(class_index, (int, np.integer)) or not 0 <= class_index < k:
        raise ValueError(f"class_index must be an int in 0..{k - 1} (the model has {k} classes); "
                         f"received class_index={class_index!r}.")
    return int(class_index)


def saliency(model: Model, image: Any, class_index: int | None = None) -> np.ndarray:
    """``max_channels |∂ score / ∂ pixel|`` for one image: an (H, W) array.

    Args:
        model: a built classifier.
        image: one image, ``(H, W)`` or ``(H, W, C)``.
        class_index: the class whose score is explained (default: the predicted one).

    Example:
        >>> from convlens import zoo
        >>> saliency(zoo.create("mnist-convnet"), np.zeros((28, 28), np.uint8)).shape
        (28, 28)
    """
    x = _one_image(model, image).requires_grad_(True)
    with torch.enable_grad():
        logits = class_logits(model, x)
        (grad,) = torch.autograd.grad(logits[0, _class(logits, class_index)], x)
    return grad[0].abs().amax(dim=-1).cpu().numpy()  # (H, W)


def grad_cam(model: Model, image: Any, layer: LayerRef | None = None, class_index: int | None = None) -> np.ndarray:
    """Grad-CAM heat map of one image on a convolution layer, resized to the image: (H, W) in [0, 1].

    Args:
        model: a built classifier.
        image: one image, ``(H, W)`` or ``(H, W, C)``.
        layer: name, index or layer with (N, h, w, K) output (default: the last convolution).
        class_index: the class explained (default: the predicted one).

    Example:
        >>> from convlens import zoo
        >>> heat = grad_cam(zoo.create("mnist-convnet"), np.zeros((28, 28), np.uint8))
        >>> heat.shape, float(heat.min()) >= 0
        ((28, 28), True)
    """
    target = last_conv_layer(model) if layer is None else resolve_layers(model, layer)[0]
    x = _one_image(model, image).requires_grad_(True)  # so the graph exists even with frozen weights
    captured: list[torch.Tensor] = []
    handle = target.register_forward_hook(lambda _layer, _inputs, output: captured.append(output))
    try:
        with torch.enable_grad():
            logits = class_logits(model, x)
            if not captured or captured[0].ndim != 4:
                shape = tuple(captured[0].shape) if captured else None
                raise ValueError(f"Grad-CAM needs a layer with (N, h, w, K) maps; {target.name!r} outputs {shape}.")
            maps = captured[0]  # (1, h, w, K)
            (grads,) = torch.autograd.grad(logits[0, _class(logits, class_index)], maps)
    finally:
        handle.remove()
    weights = grads.mean(dim=(1, 2), keepdim=True)  # (1, 1, 1, K): how much each map matters
    cam = F.relu((weights * maps).sum(dim=-1)).detach()  # (1, h, w)
    cam = F.interpolate(cam[:, None], size=tuple(x.shape[1:3]), mode="bilinear", align_corners=False)[0, 0]
    peak = cam.max()
    return (cam / peak if peak > 0 else cam).cpu().numpy()


@styled
def plot_saliency(model: Model, image: Any, class_index: int | None = None, layer: LayerRef | None = None,
                  class_names: Sequence[str] | None = None) -> Figure:
    """The image, its saliency map and its Grad-CAM, both overlaid on the image.

    Args:
        model: a built classifier.
        image: one image the model takes.
        class_index: the class explained (default: the predicted one).
        layer: Grad-CAM's layer (default: the last convolution).
        class_names: names for the class numbers.
        save: path(s) ending in ``.png`` / ``.svg`` to write the figure to.

    Example:
        >>> from convlens import zoo
        >>> fig = plot_saliency(zoo.create("mnist-convnet"), np.zeros((28, 28), np.uint8))
        >>> len([ax for ax in fig.axes if ax.images])
        3
    """
    with torch.no_grad():
        probabilities = torch.softmax(class_logits(model, _one_image(model, image)), dim=1)[0].cpu().numpy()
    names = list(class_names) if class_names is not None else [str(i) for i in range(len(probabilities))]
    if len(names) != len(probabilities):
        raise ValueError(f"class_names: the model has {len(probabilities)} classes; received {len(names)} names.")
    predicted = int(probabilities.argmax())
    explained = predicted if class_index is None else class_index
    target = last_conv_layer(model) if layer is None else resolve_layers(model, layer)[0]
    sal = saliency(model, image, explained)
    cam = grad_cam(model, image, target, explained)

    fig = new_figure(10.5, 3.9)
    ax_image, ax_sal, ax_cam = fig.subplots(1, 3)
    show_image(ax_image, np.asarray(image))
    ax_image.set_title(f"input: predicted {names[predicted]} (p = {probabilities[predicted]:.2f})")
    peak = float(sal.max())
    _overlay(ax_sal, image, sal / peak if peak > 0 else sal, "saliency |∂score/∂pixel|")
    # An all-zero Grad-CAM is a result, not a failure: every weighted sum of maps was negative.
    empty = "\n(empty: the weighted maps sum to < 0 everywhere)" if not cam.any() else ""
    heat = _overlay(ax_cam, image, cam, f"Grad-CAM on {target.name}{empty}")
    fig.colorbar(heat, ax=[ax_sal, ax_cam], shrink=0.85, label="relative importance")
    fig.suptitle(f"Why class {names[explained]}? (p = {probabilities[explained]:.2f})")
    return fig


def _overlay(ax: Axes, image: Any, heat: np.ndarray, title: str) -> Any:
    """The image in dim grey, the heat map on top, opaque where it is strong."""
    picture = np.asarray(image, dtype=np.float32)
    if picture.ndim == 3 and picture.shape[-1] >= 3:
        picture = picture[..., :3] @ np.array(LUMA, dtype=np.float32)
    low, high = float(picture.min()), float(picture.max())
    # The brightest pixel shows as 40% grey, so the heat colours are never mistaken for the image.
    show_image(ax, picture).set_clim(low, low + 2.5 * ((high - low) or 1.0))
    layer = ax.imshow(heat, cmap=HEAT_CMAP, vmin=0, vmax=1, alpha=np.clip(0.15 + 0.85 * heat, 0, 1))
    ax.set_title(title)
    return layer
