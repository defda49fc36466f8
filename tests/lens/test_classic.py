"""plot_lenses: the classic filters side by side, computed by convlens.filters."""

from __future__ import annotations

import numpy as np
import pytest

from convlens import filters
from convlens.lens import plot_lenses


def test_twelve_lenses_with_their_outputs():
    image = np.random.default_rng(0).integers(0, 256, (20, 24), dtype=np.uint8)
    fig = plot_lenses(image)
    panels = {ax.get_title(): ax.images[0] for ax in fig.axes if ax.images}
    assert len(panels) == 12
    gray = image.astype(np.float32)
    np.testing.assert_array_equal(panels["original"].get_array(), gray)
    np.testing.assert_allclose(panels["Sobel: horizontal edges (↓)"].get_array(), filters.sobel(gray, axis=0))
    np.testing.assert_allclose(panels["median 3×3"].get_array(), filters.median(gray, size=3))
    np.testing.assert_allclose(panels["Gaussian σ = 2"].get_array(), filters.gaussian(gray, sigma=2))
    np.testing.assert_allclose(panels["erosion 3×3 (min)"].get_array(), filters.erode(gray, size=3))
    assert panels["mean 3×3"].get_clim() == panels["original"].get_clim()  # brightness compares
    low, high = panels["Laplacian"].get_clim()
    assert low == -high  # signed responses are centred at 0


def test_colour_images_become_grey_and_bad_shapes_are_refused():
    rgb = np.random.default_rng(1).random((10, 12, 3)).astype(np.float32)
    fig = plot_lenses(rgb, size=5, sigma=1)
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert "mean 5×5" in titles and "Gaussian σ = 1" in titles
    original = next(ax for ax in fig.axes if ax.get_title() == "original").images[0].get_array()
    assert original.shape == (10, 12)
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        plot_lenses(np.zeros((2, 3, 4, 5)))
