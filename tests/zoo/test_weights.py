"""Pretrained weights from local files: Keras files, legacy Keras HDF5, PyTorch state dicts; refusals leave models unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens import Model, Sequential, layers, zoo
from convlens.models import saving
from convlens.zoo.weights import load_pretrained, load_state_dict


def small_cnn() -> Sequential:
    """A CNN with every weight kind: conv, batch norm, Dense after Flatten (behind a Dropout), Dense."""
    return Sequential([
        layers.Input((8, 8, 3)),
        layers.Conv2D(4, 3, padding="same", activation="relu", name="block1_conv1"),
        layers.BatchNormalization(name="block1_bn"),
        layers.MaxPooling2D(2, name="block1_pool"),
        layers.Conv2D(6, 3, name="block2_conv1"),
        layers.Flatten(name="flatten"),
        layers.Dropout(0.5, name="dropout"),
        layers.Dense(5, activation="relu", name="fc1"),
        layers.Dense(3, name="predictions"),
    ], name="small_cnn")


def small_cnn_functional() -> Model:
    """The same network, built with the functional API."""
    x = layers.Input((8, 8, 3))
    y = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    y = layers.MaxPooling2D(2)(layers.BatchNormalization()(y))
    y = layers.Dropout(0.5)(layers.Flatten()(layers.Conv2D(6, 3)(y)))
    return Model(x, layers.Dense(3)(layers.Dense(5, activation="relu")(y)))


def torch_twin() -> torch.nn.Sequential:
    """The same network in plain PyTorch (NCHW, BatchNorm with Keras's epsilon), random weights and statistics."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.BatchNorm2d(4, eps=1e-3),
        torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 6, 3), torch.nn.Flatten(), torch.nn.Dropout(0.5),
        torch.nn.Linear(6 * 2 * 2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3),
    )
    with torch.no_grad():
        bn = net[2]
        bn.weight.uniform_(0.5, 1.5), bn.bias.normal_(), bn.running_mean.normal_(), bn.running_var.uniform_(0.5, 2)
    return net.eval()


def images(n: int = 4) -> np.ndarray:
    return np.random.default_rng(1).normal(size=(n, 8, 8, 3)).astype("float32")


def assert_weights_equal(model, expected):
    for got, want in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------ Keras files
@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_keras_files_load_through_load_pretrained_and_weights_argument(tmp_path, suffix):
    source = zoo.create("lenet5")
    path = tmp_path / f"lenet5{suffix}"
    source.save_weights(path) if suffix == ".weights.h5" else source.save(path)
    assert_weights_equal(load_pretrained(zoo.create("lenet5"), path), source.get_weights())
    assert_weights_equal(zoo.create("lenet5", weights=path), source.get_weights())
    assert_weights_equal(zoo.create("lenet5", weights=str(path)), source.get_weights())


# ------------------------------------------------------ legacy Keras HDF5
def write_legacy_h5(path, model, *, nested_names: bool = False, wrap: bool = False, drop: str | None = None,
                    reshape: str | None = None, chunk: bool = False) -> dict[str, list[np.ndarray]]:
    """Keras 1/2's layout: root attribute layer_names, per layer weight_names and the arrays (Keras layouts)."""
    import h5py

    rng = np.random.default_rng(2)
    arrays = {layer.name: [rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()]
              for layer in model.layers}
    with h5py.File(path, "w") as h5:
        root = h5.create_group("model_weights") if wrap else h5
        names = [name for name in arrays if name != drop]
        if chunk:  # Keras splits long name lists into numbered attributes
            root.attrs["layer_names0"], root.attrs["layer_names1"] = [n.encode() for n in names[:3]], [n.encode() for n in names[3:]]
        else:
            root.attrs["layer_names"] = [n.encode() for n in names]
        root.attrs["keras_version"], root.attrs["backend"] = b"2.2.4", b"tensorflow"
        for name in names:
            group = root.create_group(name)
            # Keras 1 names weights `block1_conv1_W_1:0`; Keras 2 nests them: `fc1/kernel:0`.
            weight_names = [f"{name}/{n}:0" if nested_names else f"{name}_{n}_1:0"
                            for n in ("kernel", "bias", "moving_mean", "moving_variance")[:len(arrays[name])]]
            group.attrs["weight_names"] = [n.encode() for n in weight_names]
            for weight_name, array in zip(weight_names, arrays[name]):
                group.create_dataset(weight_name, data=array[..., :-1] if name == reshape else array)
    return arrays


@pytest.mark.parametrize("options", [{}, {"nested_names": True}, {"wrap": True}, {"chunk": True}])
def test_legacy_keras_h5_loads_by_layer_name(tmp_path, options):
    model = small_cnn()
    arrays = write_legacy_h5(tmp_path / "w.h5", model, **options)
    load_pretrained(model, tmp_path / "w.h5")
    for layer in model.layers:
        assert_weights_equal(layer, arrays[layer.name])


def test_legacy_h5_mismatches_name_the_layer_and_leave_the_model_unchanged(tmp_path):
    model = small_cnn()
    before = model.get_weights()
    write_legacy_h5(tmp_path / "shape.h5", model, reshape="fc1")
    with pytest.raises(ValueError, match=r"layer 'fc1' \(Dense\) expects kernel of shape \(24, 5\); found fc1_kernel_1:0 of shape \(24, 4\)"):
        load_pretrained(model, tmp_path / "shape.h5")
    write_legacy_h5(tmp_path / "missing.h5", model, drop="block2_conv1")
    with pytest.raises(ValueError, match=r"no weights for layer\(s\) \['block2_conv1'\]"):
        load_pretrained(model, tmp_path / "missing.h5")
    write_legacy_h5(tmp_path / "extra.h5", small_cnn())
    smaller = Sequential([layers.Input((8, 8, 3)), layers.Conv2D(4, 3, padding="same", name="block1_conv1")])
    with pytest.raises(ValueError, match=r"holds weights for layer\(s\) \['block1_bn', 'block2_conv1', 'fc1', 'predictions'\]"):
        load_pretrained(smaller, tmp_path / "extra.h5")
    assert_weights_equal(model, before)


# ----------------------------------------------------- PyTorch state dicts
@pytest.mark.parametrize("build", [small_cnn, small_cnn_functional], ids=["sequential", "functional"])
def test_torch_state_dict_gives_the_torch_outputs(tmp_path, build):
    net = torch_twin()
    torch.save(net.state_dict(), tmp_path / "net.pt")
    model = load_pretrained(build(), tmp_path / "net.pt")
    x = images()
    with torch.no_grad():
        expected = net(torch.from_numpy(x).permute(0, 3, 1, 2)).numpy()  # NCHW in PyTorch
    # Equal outputs need the Dense after Flatten reordered from (C, H, W) to (H, W, C) features.
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_checkpoint_with_a_state_dict_inside_and_safetensors(tmp_path):
    net = torch_twin()
    torch.save({"state_dict": net.state_dict(), "epoch": torch.tensor(3)}, tmp_path / "checkpoint.pth")
    reference = load_pretrained(small_cnn(), tmp_path / "checkpoint.pth")
    safetensors = pytest.importorskip("safetensors.torch")
    safetensors.save_file(dict(net.state_dict()), str(tmp_path / "net.safetensors"))
    assert_weights_equal(load_pretrained(small_cnn(), tmp_path / "net.safetensors"), reference.get_weights())


def test_state_dict_mismatches_name_the_layer_and_leave_the_model_unchanged():
    model = small_cnn()
    before = model.get_weights()
    state = torch_twin().state_dict()
    wrong_shape = {**state, "7.weight": torch.zeros(5, 25)}
    with pytest.raises(ValueError, match=r"'7\.weight' has shape \(5, 25\); layer 'fc1' \(Dense\) expects kernel of shape \(5, 24\)"):
        load_state_dict(model, wrong_shape)
    fewer = {k: v for k, v in state.items() if not k.startswith("9.")}
    with pytest.raises(ValueError, match=r"has 4 modules with weights .* has 5 layers with weights"):
        load_state_dict(model, fewer)
    renamed = {k.replace("running_var", "variance"): v for k, v in state.items()}
    with pytest.raises(ValueError, match=r"module '2' holds .*'variance'.*layer 'block1_bn'"):
        load_state_dict(model, renamed)
    assert_weights_equal(model, before)


# ------------------------------------------------------------- refusals
def test_imagenet_is_refused_with_what_to_download():
    vgg = zoo.create("vgg16", include_top=False, input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match=r"never downloads.*vgg16_weights_tf_dim_ordering_tf_kernels_notop\.h5.*pass its path"):
        load_pretrained(vgg, "imagenet")
    with pytest.raises(ValueError, match=r"never downloads weights, and knows no ImageNet file for 'resnet8'"):
        zoo.create("resnet", depth=8, weights="imagenet")


def test_unreadable_or_unknown_files_are_refused(tmp_path):
    model = small_cnn()
    with pytest.raises(FileNotFoundError, match="No weights file"):
        load_pretrained(model, tmp_path / "absent.pt")
    (tmp_path / "w.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="Unknown weights file type: w.npz"):
        load_pretrained(model, tmp_path / "w.npz")
    (tmp_path / "broken.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="cannot be read as a PyTorch state dict"):
        load_pretrained(model, tmp_path / "broken.pt")
    torch.save([torch.zeros(1)], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="is not a PyTorch state dict"):
        load_pretrained(model, tmp_path / "list.pt")
    saving.save_weights(model, tmp_path / "keras3.weights.h5")
    (tmp_path / "keras3.h5").write_bytes((tmp_path / "keras3.weights.h5").read_bytes())
    with pytest.raises(ValueError, match="Keras 3's weights layout: name it"):
        load_pretrained(model, tmp_path / "keras3.h5")
