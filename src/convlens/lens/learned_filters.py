"""Learned filters as pictures: every kernel of a convolution, on one symmetric colour scale.

Weights are shown with a diverging map centred at 0 (red positive, blue
negative, white zero) on a scale shared by every filter of the layer, and
``nearest`` interpolation, so a 3×3 filter is nine flat squares.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from ..layers import BaseConv, DepthwiseConv2D, Layer
from .figures import SIGNED_CMAP, bare, grid_shape, new_figure, numbered_panels, styled

PANEL_INCHES = 0.62  # one filter panel; 8 panels make a 5-inch row


def filter_bank(layer: Layer) -> tuple[np.ndarray, str]:
    """The 2D kernels of a layer as ``(kh, kw, channels, filters)`` (Keras layout) and a description.

    DepthwiseConv2D (and SeparableConv2D's depthwise step) has one single-channel
    filter per (input channel, multiplier), returned in output-channel order.

    Raises:
        TypeError: for a layer without 2D convolution kernels.

    Example:
        >>> from convlens import layers
        >>> conv = layers.Conv2D(8, 3); conv.build_from_shape((None, 28, 28, 1))
        >>> filter_bank(conv)[0].shape
        (3, 3, 1, 8)
    """
    if isinstance(layer, BaseConv) and layer.rank == 2 and layer.built:
        return layer.get_weights()[0], f"{layer.filters} filters {'×'.join(map(str, layer.kernel_size))}"
    if isinstance(layer, DepthwiseConv2D) and layer.built:
        kernel = layer.get_weights()[0]  # (kh, kw, C, m)
        kh, kw, c, m = kernel.shape
        return kernel.reshape(kh, kw, 1, c * m), f"{c * m} depthwise filters {kh}×{kw}"
    raise TypeError(
        f"plot_filters needs a built Conv2D, DepthwiseConv2D or SeparableConv2D layer; received "
        f"{getattr(layer, 'name', layer)!r} of type {type(layer).__name__}."
    )


@styled
def plot_filters(layer: Layer, *, max_filters: int = 64, max_channels: int = 8, rgb: bool | None = None) -> Figure:
    """Draw every filter of a 2D convolution layer.

    Single-channel filters get one panel each, numbered; filters over an RGB
    input (3 channels) are shown as colour images (``rgb=None`` decides by the
    channel count); other filters get one row per input channel with the
    filters side by side. All panels share one symmetric scale ``±max|w|``.

    Args:
        layer: a built ``Conv2D`` (or ``DepthwiseConv2D`` / ``SeparableConv2D``).
        max_filters: show at most this many filters (the first ones).
        max_channels: in the per-channel view, at most this many input channels.
        rgb: force (True) or refuse (False) the colour view.
        save: path(s) ending in ``.png`` / ``.svg`` to write the figure to.

    Example:
        >>> from convlens import zoo
        >>> fig = plot_filters(zoo.create("mnist-convnet").layers[1])  # the first Conv2D, 32 filters
        >>> len([ax for ax in fig.axes if ax.images])
        32
    """
    if not isinstance(max_filters, int) or max_filters < 1 or not isinstance(max_channels, int) or max_channels < 1:
        raise ValueError(f"max_filters and max_channels must be positive ints; received "
                         f"max_filters={max_filters!r}, max_channels={max_channels!r}.")
    kernel, what = filter_bank(layer)
    kh, kw, channels, filters = kernel.shape
    if rgb and channels != 3:
        raise ValueError(f"rgb=True needs filters over 3 input channels; layer {layer.name!r} has {channels}.")
    shown = kernel[..., :max_filters]
    limit = float(np.abs(shown).max()) or 1.0  # all-zero weights still get a valid scale
    title = f"{layer.name}: {what}" + (f", first {shown.shape[-1]} shown" if filters > shown.shape[-1] else "")
    if rgb or (rgb is None and channels == 3):
        return _rgb_filters(shown, limit, title)
    if channels == 1:
        return _single_channel_filters(shown, limit, title)
    return _per_channel_filters(shown[:, :, :max_channels], limit, title, channels)


def _single_channel_filters(kernel: np.ndarray, limit: float, title: str) -> Figure:
    n = kernel.shape[-1]
    rows, cols = grid_shape(n)
    fig = new_figure(0.8 + cols * PANEL_INCHES, 0.7 + rows * PANEL_INCHES * 1.1)
    axes = fig.subplots(rows, cols, squeeze=False)
    image = numbered_panels(axes, n, lambda ax, i: ax.imshow(kernel[:, :, 0, i], cmap=SIGNED_CMAP, vmin=-limit,
                                                              vmax=limit))
    fig.colorbar(image, ax=axes, shrink=0.8, label="weight")
    fig.suptitle(title)
    return fig


def _rgb_filters(kernel: np.ndarray, limit: float, title: str) -> Figure:
    n = kernel.shape[-1]
    rows, cols = grid_shape(n)
    fig = new_figure(0.4 + cols * PANEL_INCHES, 0.9 + rows * PANEL_INCHES * 1.1)
    axes = fig.subplots(rows, cols, squeeze=False)
    numbered_panels(axes, n, lambda ax, i: ax.imshow(np.clip(0.5 + kernel[:, :, :, i] / (2 * limit), 0, 1)))
    fig.suptitle(title)
    fig.supxlabel(f"colour = 0.5 + w/(2·{limit:.3g}) per RGB channel: grey is 0, full colour the largest weights",
                  fontsize=7, color="0.35")
    return fig


def _per_channel_filters(kernel: np.ndarray, limit: float, title: str, channels: int) -> Figure:
    """Rows = input channels, columns = filters, as one mosaic per 32 filters (one image each: fast for big layers)."""
    kh, kw, shown_channels, n = kernel.shape
    per_block = 32
    blocks = [kernel[..., start : start + per_block] for start in range(0, n, per_block)]
    cmap = colormaps[SIGNED_CMAP].with_extremes(bad="0.8")  # the 1-pixel gaps between kernels
    mosaics = [_mosaic(block) for block in blocks]
    inch = min(0.1, 11.0 / mosaics[0].shape[1])  # inches per kernel pixel: a block at most 11 inches wide
    height = sum(m.shape[0] for m in mosaics) * inch + 0.45 * len(blocks) + 0.9
    fig = new_figure(mosaics[0].shape[1] * inch + 1.8, height)
    axes = fig.subplots(len(blocks), 1, squeeze=False, height_ratios=[m.shape[0] for m in mosaics])[:, 0]
    image = None
    for b, (ax, mosaic) in enumerate(zip(axes, mosaics)):
        image = ax.imshow(mosaic, cmap=cmap, vmin=-limit, vmax=limit)
        bare(ax)
        count = blocks[b].shape[-1]
        step = 1 if count <= 16 else 2
        ax.set_xticks(np.arange(0, count, step) * (kw + 1) + (kw - 1) / 2,
                      [str(b * per_block + i) for i in range(0, count, step)], fontsize=7)
        ax.set_yticks(np.arange(shown_channels) * (kh + 1) + (kh - 1) / 2,
                      [str(c) for c in range(shown_channels)], fontsize=7)
        ax.tick_params(length=0, pad=2)
        ax.set_ylabel("input channel")
    axes[-1].set_xlabel("filter")
    fig.colorbar(image, ax=list(axes), shrink=0.9, label="weight")
    fig.suptitle(title + (f" (input channels 0–{shown_channels - 1} of {channels})" if shown_channels < channels else ""))
    return fig


def _mosaic(kernel: np.ndarray) -> np.ndarray:
    """(kh, kw, C, n) → one image with channel c, filter f at block (c, f), 1-pixel NaN gaps between blocks."""
    kh, kw, c, n = kernel.shape
    padded = np.full((c, kh + 1, n, kw + 1), np.nan, dtype=np.float32)
    padded[:, :kh, :, :kw] = kernel.transpose(2, 0, 3, 1)  # (C, kh, n, kw)
    return padded.reshape(c * (kh + 1), n * (kw + 1))[:-1, :-1]
