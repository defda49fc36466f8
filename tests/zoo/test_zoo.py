"""Every registered architecture builds, runs and round-trips; Keras's parameter counts and names, worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens import layers, zoo
from convlens.models import Functional, saving

# Options that keep each model small enough for a quick forward pass (a model not
# listed here is built with its defaults).
SMALL = {
    "vgg16": {"include_top": False, "input_shape": (32, 32, 3)},
    "vgg19": {"include_top": False, "input_shape": (32, 32, 3)},
    "tutorial_cnn": {"input_shape": (32, 32, 3)},
    "tinyvgg": {"input_shape": (32, 32, 3)},
    "resnet": {"depth": 8},
}
ROUND_TRIP_MAX_PARAMS = 2_000_000  # larger models skip the save/load round trip to keep the run fast


@pytest.mark.parametrize("name", zoo.list())
def test_every_registered_model_builds_runs_and_round_trips(name, tmp_path):
    model = zoo.create(name, **SMALL.get(name, {}))
    assert model.built and model.count_params() > 0
    batch = np.random.default_rng(0).integers(0, 256, (2, *model.input_shape[1:]), dtype=np.uint8)
    out = model.predict(batch, verbose=0)
    assert out.shape == (2, *model.output_shape[1:]) and np.isfinite(out).all()
    if getattr(model.layers[-1], "activation", None) is layers.activations.softmax:
        np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-5)
    if model.count_params() <= ROUND_TRIP_MAX_PARAMS:
        saving.save_model(model, tmp_path / f"{name}.keras")
        loaded = saving.load_model(tmp_path / f"{name}.keras")
        np.testing.assert_allclose(loaded.predict(batch, verbose=0), out, rtol=1e-5, atol=1e-6)


def test_names_are_interchangeable_and_unknown_names_list_the_known_ones():
    assert zoo.create("mnist-convnet").count_params() == zoo.create("MNIST_convnet").count_params()
    with pytest.raises(ValueError, match="available models are: .*resnet"):
        zoo.create("alexnet")


@pytest.mark.parametrize("name, params", [("vgg16", 138_357_544), ("vgg19", 143_667_240)])
def test_vgg_has_keras_parameter_counts_and_layer_names(name, params):
    model = zoo.create(name, include_top=True, classes=1000, input_shape=(224, 224, 3))
    assert model.count_params() == params  # Keras's keras.applications numbers
    convs = [[f"block{b}_conv{c}" for c in range(1, n + 1)] + [f"block{b}_pool"]
             for b, n in enumerate([2, 2, 3, 3, 3] if name == "vgg16" else [2, 2, 4, 4, 4], start=1)]
    assert [layer.name for layer in model.layers] == [n for block in convs for n in block] + [
        "flatten", "fc1", "fc2", "predictions"]
    assert model.get_layer("flatten").compute_output_shape((None, 7, 7, 512)) == (None, 25088)


def test_small_models_have_their_documented_parameter_counts():
    assert zoo.create("lenet5").count_params() == 61_706  # 156 + 2,416 + 48,120 + 10,164 + 850
    assert zoo.create("mnist_convnet").count_params() == 34_826  # 320 + 18,496 + 16,010


def resnet_params(depth: int, filters: int, classes: int, channels: int = 3) -> tuple[int, int]:
    """(total, trainable) parameters of the CIFAR ResNet, counted layer by layer.

    Convolutions have no bias; each is followed by a batch normalization of
    4 numbers per channel (gamma and beta trainable, the moving mean and
    variance not). A block whose channels change has a 1×1 projection + BN.
    """
    total = trainable = 0

    def conv_bn(k: int, cin: int, cout: int) -> None:
        nonlocal total, trainable
        total += k * k * cin * cout + 4 * cout
        trainable += k * k * cin * cout + 2 * cout

    conv_bn(3, channels, filters)
    cin = filters
    for stage in range(3):
        cout = filters * 2**stage
        for _ in range((depth - 2) // 6):
            conv_bn(3, cin, cout)
            conv_bn(3, cout, cout)
            if cin != cout:
                conv_bn(1, cin, cout)
            cin = cout
    total += cin * classes + classes
    trainable += cin * classes + classes
    return total, trainable


@pytest.mark.parametrize("options", [{}, {"depth": 14, "base_filters": 8, "num_classes": 5,
                                          "input_shape": (24, 24, 1)}])
def test_resnet_parameters_and_structure(options):
    model = zoo.create("resnet", **options)
    depth, filters = options.get("depth", 20), options.get("base_filters", 16)
    channels = options.get("input_shape", (32, 32, 3))[-1]
    total, trainable = resnet_params(depth, filters, options.get("num_classes", 10), channels)
    assert model.count_params() == total
    assert sum(int(w.numel()) for w in model.trainable_weights) == trainable
    if not options:
        assert (total, trainable) == (274_042, 272_474)  # ResNet-20, as documented
    assert isinstance(model, Functional) and model.name == f"resnet{depth}"
    assert sum(isinstance(layer, layers.Conv2D) for layer in model.layers) == depth - 1 + 2  # + 2 projections
    assert [name for name in (layer.name for layer in model.layers) if name.endswith("_0_conv")] == [
        "conv3_block1_0_conv", "conv4_block1_0_conv"]
    height = options.get("input_shape", (32, 32, 3))[0]
    blocks = (depth - 2) // 6
    shapes = dict(zip((layer.name for layer in model.layers), model.layer_output_shapes))
    assert shapes[f"conv2_block{blocks}_out"] == (None, height, height, filters)
    assert shapes[f"conv3_block{blocks}_out"] == (None, height // 2, height // 2, 2 * filters)
    assert shapes[f"conv4_block{blocks}_out"] == (None, height // 4, height // 4, 4 * filters)
    assert model.layer_connections is not None  # a graph: the summary shows "Connected to"


def test_resnet_block_adds_the_shortcut():
    model = zoo.create("resnet", depth=8)
    with torch.no_grad():
        for layer in model.layers:
            if isinstance(layer, layers.Conv2D) and layer.name.startswith("conv2_block1_"):
                layer.kernel.zero_()  # the residual branch gives 0: the block passes relu(input) through
    captured = {}
    hooks = [model.get_layer(name).register_forward_hook(lambda m, i, o, name=name: captured.__setitem__(name, o))
             for name in ("conv1_relu", "conv2_block1_out")]
    model(torch.randn(2, 32, 32, 3))
    for hook in hooks:
        hook.remove()
    bn = model.get_layer("conv2_block1_2_bn")  # its shift survives the zeroed convolution
    shift = (bn.beta - bn.moving_mean * bn.gamma / torch.sqrt(bn.moving_variance + bn.epsilon)).detach()
    torch.testing.assert_close(captured["conv2_block1_out"], torch.relu(captured["conv1_relu"] + shift))


@pytest.mark.parametrize("depth", [7, 21, 2, "20"])
def test_resnet_refuses_depths_that_are_not_six_n_plus_two(depth):
    with pytest.raises(ValueError, match=rf"depth must be 6·n \+ 2.*received depth={depth!r}"):
        zoo.create("resnet", depth=depth)
