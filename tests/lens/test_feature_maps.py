"""plot_feature_maps: one panel per map, one scale per layer, empty maps look empty."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import colormaps

from convlens import Sequential, layers
from convlens.lens import activations, map_layers, plot_feature_maps
from convlens.lens.feature_maps import map_scale


def relu_model() -> Sequential:
    """Conv(4) with filter 1 all zero (its ReLU map is empty), pool, conv(3), dense."""
    model = Sequential([layers.Input((12, 12, 1)), layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(),
                        layers.Conv2D(3, 3, activation="tanh"), layers.Flatten(), layers.Dense(2)])
    conv = model.layers[0]
    kernel = np.random.default_rng(0).uniform(0.1, 1.0, (3, 3, 1, 4)).astype(np.float32)
    kernel[..., 1] = 0
    conv.set_weights([kernel, np.zeros(4, np.float32)])
    return model


def sections(fig):
    return {sf.get_label(): [ax for ax in sf.axes if ax.images] for sf in fig.subfigs}


IMAGE = np.random.default_rng(1).integers(1, 256, (12, 12), dtype=np.uint8)


def test_one_panel_per_map_and_one_scale_per_layer():
    model = relu_model()
    fig = plot_feature_maps(model, IMAGE, max_maps=3)
    panels = sections(fig)
    conv, pool, conv2 = (layer.name for layer in model.layers[:3])
    assert list(panels) == ["input", conv, pool, conv2]
    assert [len(panels[name]) for name in (conv, pool, conv2)] == [3, 3, 3]  # max_maps of 4, 4, 3 maps
    maps = activations(model, IMAGE)
    for name in (conv, pool, conv2):
        clims = {ax.images[0].get_clim() for ax in panels[name]}
        assert len(clims) == 1, name  # shared by every panel of the layer
        low, high = clims.pop()
        assert high >= maps[name].max() and low <= maps[name].min()
        assert [ax.get_title() for ax in panels[name]] == ["0", "1", "2"]
        np.testing.assert_array_equal(panels[name][2].images[0].get_array(), maps[name][:, :, 2])


def test_an_all_zero_map_renders_uniformly_as_the_low_colour():
    model = relu_model()
    conv = model.layers[0].name
    panels = sections(plot_feature_maps(model, IMAGE, [conv]))[conv]
    empty, busy = panels[1].images[0], panels[0].images[0]
    assert not empty.get_array().any() and busy.get_array().max() > 0
    rgba = empty.to_rgba(empty.get_array())
    assert (rgba == rgba[0, 0]).all()
    np.testing.assert_allclose(rgba[0, 0], colormaps[empty.get_cmap().name](0.0))
    assert empty.get_clim()[0] == 0  # not stretched to its own (empty) range


def test_signed_layers_are_centred_and_an_all_zero_layer_keeps_a_scale():
    assert map_scale(np.array([-2.0, 1.0])) == (-2.0, 2.0, "RdBu_r")
    assert map_scale(np.array([0.0, 3.0])) == (0.0, 3.0, "magma")
    assert map_scale(np.zeros(5)) == (0.0, 1.0, "magma")


def test_default_layers_and_refusals():
    model = relu_model()
    assert [layer.name for layer in map_layers(model)] == [layer.name for layer in model.layers[:3]]
    with pytest.raises(ValueError, match="Feature maps need layers with"):
        plot_feature_maps(model, IMAGE, [-1])
    with pytest.raises(ValueError, match="max_maps"):
        plot_feature_maps(model, IMAGE, max_maps=0)
    with pytest.raises(ValueError, match=r"\(12, 12, 1\)"):
        plot_feature_maps(model, np.zeros((10, 10)))


def test_an_image_path_is_read_at_the_models_size(tmp_path):
    import numpy as np
    from PIL import Image

    from convlens import zoo
    from convlens.lens.images import as_model_input

    path = tmp_path / "digit.png"
    Image.fromarray(np.full((40, 40, 3), 200, np.uint8)).save(path)
    batch, single = as_model_input(zoo.create("mnist-convnet"), str(path))
    assert tuple(batch.shape) == (1, 28, 28, 1) and single and int(batch.max()) == 200
