"""The functional API: graphs of layers, Keras's layer order, summaries, configs, and Keras's own archives."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import convlens
from convlens import Model, Sequential, layers
from convlens.models import Functional, saving
from convlens.models.summary import format_summary

from .test_saving import h5_tree, randomize, without_shared_ids

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "keras-files"


def residual_model() -> tuple[Functional, dict[str, layers.Layer]]:
    """A conv block with a projection shortcut; returns the model and its layers by role."""
    parts = {"conv": layers.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
             "proj": layers.Conv2D(4, 1, name="proj"), "add": layers.Add(name="add"),
             "pool": layers.GlobalAveragePooling2D(name="pool"), "dense": layers.Dense(3, name="dense")}
    x = layers.Input((6, 6, 2), name="image")
    y = parts["add"]([parts["conv"](x), parts["proj"](x)])
    return Model(inputs=x, outputs=parts["dense"](parts["pool"](y))), parts


# ------------------------------------------------------------------ graphs
def test_model_with_inputs_and_outputs_is_functional_and_computes_the_graph():
    model, parts = residual_model()
    assert type(model) is Functional and isinstance(model, convlens.Model) and isinstance(model, torch.nn.Module)
    assert [layer.name for layer in model.layers] == ["image", "conv", "proj", "add", "pool", "dense"]
    assert isinstance(model.layers[0], layers.InputLayer) and model.get_layer("proj") is parts["proj"]
    randomize(model)
    x = torch.randn(2, 6, 6, 2)
    with torch.no_grad():  # the same layers called by hand
        expected = parts["dense"](parts["pool"](parts["conv"](x) + parts["proj"](x)))
        torch.testing.assert_close(model(x), expected)
    np.testing.assert_allclose(model.predict(x.numpy(), verbose=0), expected.numpy(), rtol=1e-6)
    # Parameters by hand: conv 3·3·2·4 + 4, projection 2·4 + 4, dense 4·3 + 3.
    assert model.count_params() == (72 + 4) + (8 + 4) + (12 + 3)
    assert model.input_shape == (None, 6, 6, 2) and model.output_shape == (None, 3)
    assert model.layer_output_shapes == [(None, 6, 6, 2), (None, 6, 6, 4), (None, 6, 6, 4), (None, 6, 6, 4),
                                         (None, 4), (None, 3)]
    assert list(model.state_dict()) == ["conv.kernel", "conv.bias", "proj.kernel", "proj.bias", "dense.kernel",
                                        "dense.bias"]


def test_positional_arguments_and_uint8_images():
    x = layers.Input((4, 4, 1))
    model = Model(x, layers.Flatten()(x))
    assert type(model) is Functional
    out = model(np.full((2, 4, 4, 1), 255, dtype=np.uint8))
    assert out.dtype == torch.float32 and out.shape == (2, 16) and float(out.max()) == 255.0


def test_layer_order_follows_keras_depth_then_traversal():
    # Depth from the outputs decides; ties go to the layer a walk from the outputs meets first
    # (it follows the Add's first input, d then c, before b then a). Keras 3.15 gives this order.
    x = layers.Input((3,), name="x")
    a = layers.Dense(3, name="a")(x)
    b = layers.Dense(3, name="b")(a)
    c = layers.Dense(3, name="c")(x)
    out = layers.Add(name="add")([layers.Dense(3, name="d")(c), b])
    model = Model(x, out)
    assert [layer.name for layer in model.layers] == ["x", "c", "a", "d", "b", "add"]


def test_multiple_inputs_and_outputs():
    image, extra = layers.Input((4, 4, 2), name="image"), layers.Input((3,), name="extra")
    features = layers.Concatenate(name="join")([layers.GlobalMaxPooling2D()(image), extra])
    scores, value = layers.Dense(2, name="scores")(features), layers.Dense(1, name="value")(features)
    model = Model(inputs=[image, extra], outputs=[scores, value])
    assert model.input_shape == [(None, 4, 4, 2), (None, 3)] and model.output_shape == [(None, 2), (None, 1)]
    xi, xe = np.random.default_rng(0).normal(size=(5, 4, 4, 2)), np.random.default_rng(1).normal(size=(5, 3))
    out_list = model([xi, xe])
    out_dict = model({"extra": xe, "image": xi})
    assert [tuple(o.shape) for o in out_list] == [(5, 2), (5, 1)]
    for a, b in zip(out_list, out_dict):
        torch.testing.assert_close(a, b)
    joined = np.concatenate([xi.max(axis=(1, 2)), xe], axis=1).astype("float32")
    kernel, bias = model.get_layer("value").get_weights()
    np.testing.assert_allclose(out_list[1].detach().numpy(), joined @ kernel + bias, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"takes 2 inputs \(image, extra\).*received a list of 1"):
        model([xi])
    with pytest.raises(ValueError, match=r"inputs named \['image', 'extra'\]"):
        model({"image": xi})


def test_shared_layer_keeps_one_set_of_weights():
    x = layers.Input((3,))
    dense = layers.Dense(3, use_bias=False, name="shared")
    model = Model(x, dense(dense(x)))
    assert model.count_params() == 9 and len(model.inbound_nodes(dense)) == 2
    kernel = np.arange(9, dtype="float32").reshape(3, 3) / 10
    dense.set_weights([kernel])
    data = np.ones((2, 3), "float32")
    np.testing.assert_allclose(model(data).detach().numpy(), data @ kernel @ kernel, rtol=1e-6)
    model(data).sum().backward()
    assert dense.kernel.grad is not None


def test_nested_models_and_compute_output_shape():
    inner_in = layers.Input((4,))
    inner = Model(inner_in, layers.Dense(2, name="inner_dense")(inner_in), name="inner")
    block = Sequential([layers.Dense(4, activation="relu")], name="block")
    x = layers.Input((5,))
    model = Model(x, inner(block(x)))
    assert model.output_shape == (None, 2) and model.compute_output_shape((7, 5)) == (7, 2)
    assert [layer.name for layer in model.layers][1:] == ["block", "inner"]
    assert model.count_params() == (5 * 4 + 4) + (4 * 2 + 2)
    assert model(torch.zeros(3, 5)).shape == (3, 2)
    with pytest.raises(ValueError, match=r'Input 0 of layer "inner" is incompatible.*found shape=\(None, 6\)'):
        inner(layers.Input((6,)))


def test_a_deep_graph_builds_without_recursion():
    x = layers.Input((2,))
    y = x
    for _ in range(1500):  # deeper than Python's default recursion limit
        y = layers.Activation("relu")(y)
    assert len(Model(x, y).layers) == 1501


def test_recorded_training_argument_is_kept():
    x = layers.Input((1000,))
    model = Model(x, layers.Dropout(0.5)(x, training=True))
    assert not model.training
    dropped = float((model(torch.ones(1, 1000)) == 0).float().mean())
    assert 0.4 < dropped < 0.6  # Monte Carlo dropout: active even in inference mode


def test_sequential_still_takes_an_input_tensor():
    model = Sequential([layers.Input((3,)), layers.Dense(2)])
    assert model.input_shape == (None, 3) and model.count_params() == 8
    hidden = layers.Dense(2)(layers.Input((3,)))
    with pytest.raises(TypeError, match="made by layer"):
        Sequential([hidden])


def test_graph_errors_are_clear():
    x, other = layers.Input((3,), name="x"), layers.Input((3,), name="other")
    with pytest.raises(ValueError, match=r"Graph disconnected.*'other'"):
        Model(x, layers.Add()([layers.Dense(3)(x), other]))
    with pytest.raises(TypeError, match="`outputs` must be a symbolic tensor"):
        Model(x, torch.zeros(1))
    with pytest.raises(ValueError, match="must come from `layers.Input"):
        hidden = layers.Dense(3)(x)
        Model(hidden, layers.Dense(2)(hidden))
    with pytest.raises(ValueError, match='The name "twin" is used 2 times'):
        Model(x, layers.Dense(3, name="twin")(layers.Dense(3, name="twin")(x)))
    with pytest.raises(ValueError, match="takes one input tensor; received a list of 2"):
        layers.Dense(2)([x, other])
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        dense = layers.Dense(2)
        dense(x)
        dense(layers.Input((4,)))
    with pytest.raises(TypeError, match="symbolic tensor .* has no value"):
        bool(x)


# ----------------------------------------------------------------- summary
def test_chain_summary_has_keras_three_columns_with_the_input_row():
    x = layers.Input((28, 28, 1), name="digits")
    model = Model(x, layers.Dense(10, name="out")(layers.Flatten(name="flat")(x)))
    text = format_summary(model)
    assert model.layer_connections is None and "Connected to" not in text
    assert "digits (InputLayer)" in text and "(None, 28, 28, 1)" in text and "Total params: 7,850" in text


def test_graph_summary_has_keras_connected_to_column():
    model, _ = residual_model()
    assert model.layer_connections == ["-", "image[0][0]", "image[0][0]", "conv[0][0], proj[0][0]", "add[0][0]",
                                       "pool[0][0]"]
    text = format_summary(model)
    assert "Connected to" in text and "conv[0][0]," in text and len(text.split("\n")[1]) == 108


# ------------------------------------------------------------------ config
def test_get_config_is_keras_functional_schema_and_rebuilds():
    model, _ = residual_model()
    randomize(model, seed=3)
    config = model.get_config()
    assert set(config) == {"name", "trainable", "layers", "input_layers", "output_layers"}
    assert config["input_layers"] == ["image", 0, 0] and config["output_layers"] == ["dense", 0, 0]
    add = next(item for item in config["layers"] if item["name"] == "add")
    assert [arg["config"]["keras_history"] for arg in add["inbound_nodes"][0]["args"][0]] == [["conv", 0, 0],
                                                                                         ["proj", 0, 0]]
    assert add["inbound_nodes"][0]["args"][0][0] == {
        "class_name": "__keras_tensor__",
        "config": {"shape": [None, 6, 6, 4], "dtype": "float32", "keras_history": ["conv", 0, 0]}}
    clone = Functional.from_config(json.loads(json.dumps(config)))
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    x = torch.randn(2, 6, 6, 2)
    torch.testing.assert_close(clone(x), model(x))


def test_malformed_configs_are_refused_with_the_reason():
    model, _ = residual_model()
    config = model.get_config()
    missing = json.loads(json.dumps(config))
    missing["layers"] = [item for item in missing["layers"] if item["name"] != "proj"]
    with pytest.raises(ValueError, match="refers to layer 'proj', which the config does not have"):
        Functional.from_config(missing)
    loop = json.loads(json.dumps(config))
    conv = next(item for item in loop["layers"] if item["name"] == "conv")
    conv["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["add", 0, 0]
    with pytest.raises(ValueError, match="never made"):
        Functional.from_config(loop)


# ------------------------------------------------------------------ saving
def test_save_and_load_round_trip(tmp_path):
    model, _ = residual_model()
    randomize(model, seed=4)
    model.save(tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras")
    assert type(loaded) is Functional and [l.name for l in loaded.layers] == [l.name for l in model.layers]
    x = torch.randn(3, 6, 6, 2)
    torch.testing.assert_close(loaded(x), model(x))
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        entry = json.loads(archive.read("config.json"))
        tree = h5_tree(archive.read("model.weights.h5"))
    assert (entry["module"], entry["class_name"], entry["registered_name"]) == (
        "keras.src.models.functional", "Functional", "Functional")
    assert entry["build_config"] == {"input_shape": None} and "layers/input_layer/vars" in tree
    assert tree["layers/conv2d_1/vars/0"][1] == (1, 1, 2, 4)  # addressed by class, in layer order, as Keras does


def test_keras_functional_archive_reproduces_keras_outputs():
    arrays = np.load(GOLDEN / "functional_graph.npz")
    model = saving.load_model(GOLDEN / "functional_graph.keras")
    scores, value = (t.detach().numpy() for t in model([arrays["image"], arrays["extra"]]))
    np.testing.assert_allclose(scores, arrays["y0"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(value, arrays["y1"], rtol=1e-5, atol=1e-5)
    assert model.layer_output_shapes[model.layers.index(model.get_layer("concat"))] == (None, 4, 4, 30)
    assert len(model.inbound_nodes(model.get_layer("shared_conv"))) == 2


def test_resaving_the_keras_functional_archive_reproduces_it(tmp_path):
    source = GOLDEN / "functional_graph.keras"
    saving.save_model(saving.load_model(source), tmp_path / "again.keras")
    with zipfile.ZipFile(source) as keras_file, zipfile.ZipFile(tmp_path / "again.keras") as ours:
        assert json.loads(ours.read("config.json")) == without_shared_ids(json.loads(keras_file.read("config.json")))
        assert h5_tree(ours.read("model.weights.h5")) == h5_tree(keras_file.read("model.weights.h5"))


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")  # torch is installed wherever convlens is
    return pytest.importorskip("keras")


def test_keras_loads_convlens_functional_models(keras, tmp_path):
    image, extra = layers.Input((6, 6, 2), name="image"), layers.Input((3,), name="extra")
    model, _ = residual_model()
    shared = layers.Dense(3, name="shared")
    joined = layers.Concatenate()([shared(model(image)), shared(extra)])
    outer = randomize(Model([image, extra], [layers.Dense(2)(joined), joined]), seed=5)
    xi, xe = np.random.default_rng(2).normal(size=(4, 6, 6, 2)), np.random.default_rng(3).normal(size=(4, 3))
    xi, xe = xi.astype("float32"), xe.astype("float32")
    outer.save(tmp_path / "m.keras")
    keras_model = keras.models.load_model(tmp_path / "m.keras")
    for theirs, ours in zip(keras_model([xi, xe]), outer([xi, xe])):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs), ours.detach().numpy(), rtol=1e-5, atol=1e-5)
    keras_model.save(tmp_path / "back.keras")
    back = saving.load_model(tmp_path / "back.keras")
    for theirs, ours in zip(back([xi, xe]), outer([xi, xe])):
        torch.testing.assert_close(theirs, ours)
