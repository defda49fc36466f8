"""plot_filters: one panel per filter, one symmetric scale, pixels as squares."""

from __future__ import annotations

import numpy as np
import pytest

from convlens import Sequential, layers
from convlens.lens import filter_bank, plot_filters


def conv_layer(filters: int, channels: int, kernel: int = 3, seed: int = 0) -> layers.Conv2D:
    model = Sequential([layers.Input((9, 9, channels)), layers.Conv2D(filters, kernel)])
    conv = model.layers[0]
    weights = np.random.default_rng(seed).normal(size=(kernel, kernel, channels, filters)).astype(np.float32)
    conv.set_weights([weights, np.zeros(filters, np.float32)])
    return conv


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_one_panel_per_single_channel_filter_on_a_shared_symmetric_scale():
    conv = conv_layer(6, 1)
    weights = conv.get_weights()[0]
    fig = plot_filters(conv)
    panels = image_axes(fig)
    assert len(panels) == 6
    limit = np.abs(weights).max()
    for i, ax in enumerate(panels):
        image = ax.images[0]
        assert image.get_clim() == pytest.approx((-limit, limit))
        assert image.get_interpolation() == "nearest"
        np.testing.assert_array_equal(image.get_array(), weights[:, :, 0, i])
        assert ax.get_title() == str(i)
    assert len(fig.axes) == 7  # the panels and one colour bar


def test_rgb_filters_are_colour_images():
    conv = conv_layer(5, 3)
    panels = image_axes(plot_filters(conv))
    assert len(panels) == 5
    weights = conv.get_weights()[0]
    limit = np.abs(weights).max()
    np.testing.assert_allclose(panels[2].images[0].get_array(), 0.5 + weights[..., 2] / (2 * limit), rtol=1e-6)
    assert len(image_axes(plot_filters(conv, rgb=False))) == 1  # the per-channel mosaic instead


def test_multi_channel_filters_are_rows_per_input_channel():
    conv = conv_layer(40, 4, kernel=3)
    fig = plot_filters(conv, max_filters=40)
    mosaics = [np.ma.filled(ax.images[0].get_array(), np.nan) for ax in image_axes(fig)]
    assert [m.shape for m in mosaics] == [(4 * 4 - 1, 32 * 4 - 1), (4 * 4 - 1, 8 * 4 - 1)]  # 32 + 8 filters
    weights = conv.get_weights()[0]
    # channel 2 of filter 33 sits in block (row 2, column 1) of the second mosaic
    np.testing.assert_array_equal(mosaics[1][8:11, 4:7], weights[:, :, 2, 33])
    assert np.isnan(mosaics[0][3, :]).all()  # the gap between channel rows


def test_limits_and_depthwise():
    assert len(image_axes(plot_filters(conv_layer(20, 1), max_filters=8))) == 8
    model = Sequential([layers.Input((8, 8, 3)), layers.DepthwiseConv2D(3, depth_multiplier=2)])
    kernel, what = filter_bank(model.layers[0])
    assert kernel.shape == (3, 3, 1, 6) and "depthwise" in what
    assert len(image_axes(plot_filters(model.layers[0]))) == 6


def test_layers_without_filters_are_refused():
    model = Sequential([layers.Input((4,)), layers.Dense(2)])
    with pytest.raises(TypeError, match="Conv2D.*Dense"):
        plot_filters(model.layers[0])
    with pytest.raises(ValueError, match="rgb=True"):
        plot_filters(conv_layer(2, 1), rgb=True)
