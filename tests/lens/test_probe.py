"""activations(): shapes, values, layer choice, input conversion and hook hygiene."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens import Sequential, layers, zoo
from convlens.lens import activations, as_model_input, resolve_layers
from convlens.lens.images import LUMA


@pytest.mark.parametrize(("name", "kwargs"), [
    ("mnist_convnet", {}),
    ("lenet5", {}),
    ("tinyvgg", {}),
    ("tutorial_cnn", {}),
    ("vgg16", {"include_top": False, "input_shape": (32, 32, 3), "pooling": "avg"}),
])
def test_shapes_equal_compute_output_shape_for_every_layer(name, kwargs):
    model = zoo.create(name, **kwargs)
    h, w, c = model.input_shape[1:]
    image = np.random.default_rng(0).integers(0, 256, (h, w, c), dtype=np.uint8)
    out = activations(model, image)
    assert list(out) == [layer.name for layer in model.layers]
    shape = model.input_shape
    for layer in model.layers:
        shape = layer.compute_output_shape(shape)
        assert out[layer.name].shape == shape[1:], layer.name
    batch = activations(model, np.stack([image, image, image]), [0, -1])
    assert [a.shape[0] for a in batch.values()] == [3, 3]


def test_values_equal_running_the_layers_by_hand(mnist_convnet):
    image = np.random.default_rng(1).integers(0, 256, (2, 28, 28), dtype=np.uint8)
    out = activations(mnist_convnet, image, [1, 2])  # the first convolution and pooling
    x = torch.as_tensor(image[..., None]).float()
    with torch.no_grad():
        conv_out = mnist_convnet.layers[1](mnist_convnet.layers[0](x))
        pool_out = mnist_convnet.layers[2](conv_out)
    names = [mnist_convnet.layers[1].name, mnist_convnet.layers[2].name]
    np.testing.assert_allclose(out[names[0]], conv_out.numpy(), rtol=1e-6)
    np.testing.assert_allclose(out[names[1]], pool_out.numpy(), rtol=1e-6)


def test_layers_by_name_index_and_object(mnist_convnet):
    conv = mnist_convnet.layers[1]
    assert [l.name for l in resolve_layers(mnist_convnet, [conv.name, -1, conv])] == \
        [conv.name, mnist_convnet.layers[-1].name, conv.name]
    assert resolve_layers(mnist_convnet, 2) == [mnist_convnet.layers[2]]
    with pytest.raises(ValueError, match="valid names are .*" + conv.name):
        activations(mnist_convnet, np.zeros((28, 28)), ["no_such_layer"])
    with pytest.raises(ValueError, match="out of range"):
        resolve_layers(mnist_convnet, [99])
    with pytest.raises(TypeError, match="layer names, indices or layers"):
        resolve_layers(mnist_convnet, [1.5])


def test_stops_after_the_last_requested_layer(mnist_convnet):
    calls = []
    handle = mnist_convnet.layers[-1].register_forward_pre_hook(lambda *_: calls.append(1))
    try:
        activations(mnist_convnet, np.zeros((28, 28), np.uint8), [1])
        assert calls == []  # the dense layer never ran
        activations(mnist_convnet, np.zeros((28, 28), np.uint8))
        assert calls == [1]
    finally:
        handle.remove()


def test_hooks_are_removed_also_when_the_forward_pass_fails():
    model = Sequential([layers.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(3)])

    def explode(*_):
        raise RuntimeError("boom")

    handle = model.layers[-1].register_forward_pre_hook(explode)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            activations(model, np.zeros((8, 8)), [0, 2])
    finally:
        handle.remove()
    assert all(not layer._forward_hooks for layer in model.layers)
    assert activations(model, np.zeros((8, 8)), [0])[model.layers[0].name].shape == (6, 6, 2)


def test_image_forms_and_colour_conversion(mnist_convnet):
    rng = np.random.default_rng(2)
    gray = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    for x, single in ((gray, True), (gray[..., None], True), (gray[None], False), (gray[None, ..., None], False),
                      (torch.as_tensor(gray).float(), True)):
        batch, was_single = as_model_input(mnist_convnet, x)
        assert tuple(batch.shape) == (1, 28, 28, 1) and was_single == single
    rgb = rng.integers(0, 256, (28, 28, 3), dtype=np.uint8)
    batch, _ = as_model_input(mnist_convnet, rgb)
    np.testing.assert_allclose(batch[0, :, :, 0].numpy(), rgb.astype(np.float32) @ np.array(LUMA, np.float32), rtol=1e-5)
    rgba = np.concatenate([rgb, np.full((28, 28, 1), 255, np.uint8)], axis=-1)
    np.testing.assert_allclose(as_model_input(mnist_convnet, rgba)[0].numpy(), batch.numpy())
    tiny = Sequential([layers.Input((6, 6, 3)), layers.Conv2D(2, 3)])
    to_rgb, _ = as_model_input(tiny, np.arange(36, dtype=np.uint8).reshape(6, 6))
    assert tuple(to_rgb.shape) == (1, 6, 6, 3) and bool((to_rgb[..., 0] == to_rgb[..., 2]).all())


def test_wrong_size_is_refused_with_the_expected_shape(mnist_convnet):
    with pytest.raises(ValueError, match=r"\(28, 28, 1\).*received an array of shape \(32, 32\)"):
        activations(mnist_convnet, np.zeros((32, 32)))
    with pytest.raises(ValueError, match=r"\(28, 28, 1\)"):
        activations(mnist_convnet, np.zeros((2, 2, 28, 28, 1)))


def test_graph_models_including_their_input_layer():
    pytest.importorskip("convlens.models.functional")
    import convlens

    x = layers.Input((10, 10, 1))
    a = layers.Conv2D(3, 3, activation="relu")(x)
    b = layers.Conv2D(3, 3)(x)
    model = convlens.Model(inputs=x, outputs=layers.Flatten()(layers.Add()([a, b])))
    image = np.random.default_rng(3).integers(0, 256, (10, 10), dtype=np.uint8)
    out = activations(model, image)
    assert list(out) == [layer.name for layer in model.layers]
    assert [v.shape for v in out.values()] == [tuple(s[1:]) for s in model.layer_output_shapes]
    np.testing.assert_array_equal(out[model.layers[0].name][..., 0], image.astype(np.float32))
