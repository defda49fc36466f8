"""Saving and loading in Keras 3's formats: Keras's own archives, round trips, bad files refused, atomic writes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from convlens import Sequential, layers
from convlens.models import saving

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
KERAS_CASES = ["keras_io_mnist_convnet", "seed_tutorial_cnn", "conv2d_same_stride2_even", "batchnorm_inference",
               "separable2d"]
# Archives of every layer type, written by Keras 3.15.1 (tests/golden/keras-files/make_layer_archives.py).
LAYER_ARCHIVES = ["layers_2d", "layers_1d_3d", "layers_nested"]
ARCHIVES = sorted(p.name for p in (GOLDEN / "keras-files").glob("*.keras"))
SRC = Path(saving.__file__).resolve().parents[2]


def randomize(model: Sequential, seed: int = 0) -> Sequential:
    """Random weights everywhere, so that every weight (BatchNorm's moving statistics too) shows in the output."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    for layer in model.iter_layers():
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([gamma, beta, mean, np.abs(variance) + 0.5])
    return model


def every_layer_models() -> dict[str, tuple[Sequential, tuple[int, ...]]]:
    """Small models that together hold every convlens layer type, with their input shapes."""
    return {
        "2d": (Sequential([
            layers.Input((10, 10, 3)), layers.Rescaling(1 / 255.0, offset=0.5),
            layers.Conv2D(4, 3, padding="same", activation="relu", kernel_initializer="he_normal"),
            layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), layers.BatchNormalization(),
            layers.SeparableConv2D(5, 3, activation="tanh"), layers.ZeroPadding2D(((1, 2), (0, 1))),
            layers.Cropping2D(((1, 0), (0, 1))), layers.UpSampling2D(2),
            layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
            layers.MaxPooling2D(3, strides=2, padding="same"), layers.AveragePooling2D(2, padding="same"),
            layers.ReLU(max_value=2.0, negative_slope=0.1), layers.Activation("sigmoid"),
            layers.GlobalMaxPooling2D(keepdims=True), layers.Reshape((3,)), layers.Dense(6, activation="gelu"),
            layers.Dropout(0.25), layers.Dense(4), layers.Softmax(),
        ]), (3, 10, 10, 3)),
        "1d_3d": (Sequential([
            layers.Conv3D(3, 3, padding="same", activation="elu", input_shape=(6, 6, 6, 2)),
            layers.MaxPooling3D(2), layers.AveragePooling3D(1), layers.Reshape((27, 3)),
            layers.Conv1D(4, 3, padding="causal", dilation_rate=2), layers.MaxPooling1D(2),
            layers.AveragePooling1D(2, padding="same"), layers.GlobalAveragePooling1D(), layers.Dense(3),
        ]), (3, 6, 6, 6, 2)),
        "global_nested": (Sequential([
            layers.Input((5, 5, 2)),
            Sequential([layers.Conv2D(3, 2), layers.GlobalAveragePooling2D(keepdims=True), layers.Flatten()]),
            layers.BatchNormalization(trainable=False), layers.Dense(4, activation="softplus"),
            layers.Reshape((2, 2)), layers.GlobalMaxPooling1D(),
        ]), (3, 5, 5, 2)),
        "global_3d": (Sequential([
            layers.Input((4, 4, 4, 2)), layers.Conv3D(2, 1), layers.GlobalMaxPooling3D(keepdims=True),
            layers.GlobalAveragePooling3D(),
        ]), (2, 4, 4, 4, 2)),
    }


def inputs(shape: tuple[int, ...], seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def without_shared_ids(value):
    """Keras marks objects used twice with a shared_object_id, a memory address; not part of the schema."""
    if isinstance(value, dict):
        return {k: without_shared_ids(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [without_shared_ids(v) for v in value]
    return value


def h5_tree(data: bytes, skip: str = "optimizer") -> dict:
    """Every group and dataset of an H5 file: attributes, shape, dtype and values."""
    tree = {}
    with h5py.File(io.BytesIO(data), "r") as h5:
        def visit(name, obj):
            if not name.startswith(skip):
                array = obj[()].tolist() if isinstance(obj, h5py.Dataset) else None
                tree[name] = (dict(obj.attrs), getattr(obj, "shape", None), str(getattr(obj, "dtype", "")), array)
        h5.visititems(visit)
    return tree


def rewrite(source: Path, target: Path, *, drop: tuple[str, ...] = (), replace: dict | None = None) -> Path:
    """A copy of the archive ``source`` with members dropped or replaced (bytes or a JSON-able object)."""
    replace = replace or {}
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            if name not in drop and name not in replace:
                dst.writestr(name, src.read(name))
        for name, value in replace.items():
            dst.writestr(name, value if isinstance(value, bytes) else json.dumps(value))
    return target


def edit_weights(source: Path, target: Path, edit) -> Path:
    """A copy of ``source`` whose model.weights.h5 went through ``edit(h5_file)``."""
    with zipfile.ZipFile(source) as src:
        buffer = io.BytesIO(src.read(saving.WEIGHTS_FILE))
    with h5py.File(buffer, "r+") as h5:
        edit(h5)
    return rewrite(source, target, replace={saving.WEIGHTS_FILE: buffer.getvalue()})


def edit_config(source: Path, target: Path, edit) -> Path:
    with zipfile.ZipFile(source) as src:
        config = json.loads(src.read(saving.CONFIG_FILE))
    edit(config)
    return rewrite(source, target, replace={saving.CONFIG_FILE: config})


# ------------------------------------------------------------- Keras's files
@pytest.mark.parametrize("name", KERAS_CASES)
def test_keras_archive_reproduces_keras_outputs(name):
    spec = json.loads((GOLDEN / "keras" / f"{name}.json").read_text())
    arrays = np.load(GOLDEN / "keras" / f"{name}.npz")
    model = saving.load_model(GOLDEN / "keras-files" / f"{name}.keras")
    assert [type(layer).__name__ for layer in model.layers] == [item["class_name"] for item in spec["layers"]]
    assert model.count_params() == spec["total_params"]
    np.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["y"], **spec["tolerance"])


@pytest.mark.parametrize("name", LAYER_ARCHIVES)
def test_keras_archive_of_every_layer_type_reproduces_keras_outputs(name):
    arrays = np.load(GOLDEN / "keras-files" / f"{name}.npz")
    model = saving.load_model(GOLDEN / "keras-files" / f"{name}.keras")
    np.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["y"], rtol=1e-5, atol=1e-5)


def test_keras_archive_keeps_names_trainable_flags_and_nesting():
    model = saving.load_model(GOLDEN / "keras-files" / "layers_nested.keras")
    block, norm, dense = model.layers
    assert (model.name, block.name) == ("layers_nested", "block")
    assert [layer.name for layer in block.layers] == ["inner_conv", "flatten"]
    assert isinstance(block, Sequential) and not norm.trainable and dense.trainable
    assert not model.training  # inference mode, as Keras's loaded models are outside fit


def test_compile_config_is_recorded_from_a_compiled_archive():
    model = saving.load_model(GOLDEN / "keras-files" / "keras_io_mnist_convnet.keras")
    config = model.compile_config
    assert config["optimizer"]["class_name"] == "Adam"
    assert config["optimizer"]["config"]["learning_rate"] == pytest.approx(1e-3)
    assert (config["loss"], config["metrics"]) == ("sparse_categorical_crossentropy", ["accuracy"])
    assert model.compiled and type(model.optimizer).__name__ == "Adam"
    assert model.loss == "sparse_categorical_crossentropy"
    assert getattr(saving.load_model(GOLDEN / "keras-files" / "separable2d.keras"), "compile_config", None) is None
    uncompiled = saving.load_model(GOLDEN / "keras-files" / "keras_io_mnist_convnet.keras", compile=False)
    assert getattr(uncompiled, "compile_config", None) is None and not uncompiled.compiled


@pytest.mark.parametrize("raises", [None, NotImplementedError])
def test_compiled_archive_calls_keras_compile(monkeypatch, raises):
    calls = []

    def compile(self, **kwargs):
        calls.append(kwargs)
        if raises:
            raise raises("training is not available")

    monkeypatch.setattr(Sequential, "compile", compile)
    model = saving.load_model(GOLDEN / "keras-files" / "keras_io_mnist_convnet.keras")
    assert len(calls) == 1 and set(calls[0]) == {"optimizer", "loss", "metrics"}
    assert calls[0]["optimizer"]["class_name"] == "Adam" and calls[0]["loss"] == "sparse_categorical_crossentropy"
    assert model.compile_config["metrics"] == ["accuracy"]


@pytest.mark.parametrize("name", ARCHIVES)
def test_resaving_a_keras_archive_reproduces_it(tmp_path, name):
    """config.json and the weights tree equal Keras's own, object for object (training state aside)."""
    source = GOLDEN / "keras-files" / name
    saving.save_model(saving.load_model(source), tmp_path / name)
    with zipfile.ZipFile(source) as keras_file, zipfile.ZipFile(tmp_path / name) as ours:
        assert ours.namelist() == keras_file.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert json.loads(ours.read("config.json")) == without_shared_ids(json.loads(keras_file.read("config.json")))
        assert h5_tree(ours.read("model.weights.h5")) == h5_tree(keras_file.read("model.weights.h5"))
        metadata = json.loads(ours.read("metadata.json"))
        assert metadata["keras_version"] == "3.15.1" and len(metadata["date_saved"]) == len("2026-01-01@00:00:00")
        assert all(info.compress_type == zipfile.ZIP_STORED for info in ours.infolist())


# ------------------------------------------------------------- round trips
@pytest.mark.parametrize("name", list(every_layer_models()))
def test_round_trip_gives_identical_predictions(tmp_path, name):
    model, shape = every_layer_models()[name]
    randomize(model)
    x = inputs(shape)
    saving.save_model(model, tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.get_config() == model.get_config()
    for got, want in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", list(every_layer_models()))
def test_weights_file_round_trip_matches_layers_by_position_not_name(tmp_path, name):
    model, shape = every_layer_models()[name]
    randomize(model, seed=3)
    twin, _ = every_layer_models()[name]  # same architecture, fresh default names and weights
    saving.save_weights(model, tmp_path / "m.weights.h5")
    saving.load_weights(twin, tmp_path / "m.weights.h5")
    x = inputs(shape)
    np.testing.assert_array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))


def test_weights_load_from_a_keras_archive():
    source = GOLDEN / "keras-files" / "keras_io_mnist_convnet.keras"
    spec = json.loads((GOLDEN / "keras" / "keras_io_mnist_convnet.json").read_text())
    model = Sequential([layers.Input(tuple(spec["input_shape"]))] + [layers.deserialize(i) for i in spec["layers"]])
    saving.load_weights(model, source)
    arrays = np.load(GOLDEN / "keras" / "keras_io_mnist_convnet.npz")
    np.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["y"], rtol=1e-4, atol=1e-4)


def test_initializers_and_dtype_are_written_in_keras_full_form(tmp_path):
    model = Sequential([layers.Input((4,)), layers.Dense(
        3, kernel_initializer={"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out"}},
        bias_initializer={"class_name": "Constant", "config": {"value": 0.5}})])
    saving.save_model(model, tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        dense = json.loads(archive.read("config.json"))["config"]["layers"][1]["config"]
    assert dense["kernel_initializer"] == {
        "module": "keras.initializers", "class_name": "VarianceScaling", "registered_name": None,
        "config": {"seed": None, "scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal",
                   "input_axes": None, "output_axes": None}}
    assert dense["bias_initializer"]["config"] == {"value": 0.5}
    assert dense["dtype"] == {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                              "registered_name": None}
    loaded = saving.load_model(tmp_path / "m.keras").layers[0]
    assert loaded.get_config() == model.layers[0].get_config()
    assert torch.equal(loaded.bias, torch.full((3,), 0.5))


def test_unbuilt_model_saves_without_shapes_and_loads(tmp_path):
    model = Sequential([layers.Dense(2)])
    saving.save_model(model, tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras")
    assert not loaded.built and loaded(torch.zeros(1, 3)).shape == (1, 2)


def relu(x):
    """A custom function that only shares the name of Keras's relu."""
    return torch.clamp(x, min=1.0)


@pytest.mark.parametrize("activation", [lambda x: x * 2, relu])
def test_custom_activation_cannot_be_saved(tmp_path, activation):
    model = Sequential([layers.Input((3,)), layers.Dense(2, activation=activation)])
    with pytest.raises(ValueError, match=r"Layer 'dense\w*' \(Dense\): activation=.*only Keras's named activations"):
        saving.save_model(model, tmp_path / "m.keras")
    assert list(tmp_path.iterdir()) == []


def test_custom_initializer_cannot_be_saved(tmp_path):
    model = Sequential([layers.Input((3,)), layers.Dense(2, kernel_initializer=lambda shape: torch.ones(shape))])
    with pytest.raises(ValueError, match=r"Layer 'dense\w*' \(Dense\): kernel_initializer=.*no Keras serialized form"):
        saving.save_model(model, tmp_path / "m.keras")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------- file names
def test_file_name_suffixes_follow_keras(tmp_path):
    model = Sequential([layers.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"add either a `\.keras` extension .* or a `\.h5` extension\. "
                                         r"Received: filepath=.*m\.npz"):
        saving.save_model(model, tmp_path / "m.npz")  # .h5 is Keras's legacy model file: see test_legacy_h5.py
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`\. Received: filepath=.*m\.h5"):
        saving.save_weights(model, tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"expected a `\.keras` or `\.h5` extension"):
        saving.load_model(tmp_path / "m.weights.npz")
    with pytest.raises(ValueError, match=r"`\.weights\.h5` or `\.keras`"):
        saving.load_weights(model, tmp_path / "m.npz")
    with pytest.raises(TypeError, match="filepath must be a str"):
        saving.save_model(model, 42)
    assert list(tmp_path.iterdir()) == []


def test_overwrite_false_and_unbuilt_models_are_refused(tmp_path):
    model = Sequential([layers.Input((3,)), layers.Dense(2)])
    saving.save_model(model, tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        saving.save_model(model, tmp_path / "m.keras", overwrite=False)
    with pytest.raises(ValueError, match="not yet been built"):
        saving.save_weights(Sequential([layers.Dense(2)]), tmp_path / "u.weights.h5")
    with pytest.raises(ValueError, match="not yet been built"):
        saving.load_weights(Sequential([layers.Dense(2)]), tmp_path / "m.keras")
    with pytest.raises(FileNotFoundError):
        saving.load_model(tmp_path / "missing.keras")


# ------------------------------------------------------------- bad files
@pytest.fixture
def archive(tmp_path) -> Path:
    model = Sequential([layers.Input((4, 4, 1)), layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(3)], name="small")
    saving.save_model(randomize(model), tmp_path / "good.keras")
    return tmp_path / "good.keras"


def _truncated(source: Path, target: Path) -> Path:
    target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return target


def _flip_weight_byte(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as src:
        info = src.getinfo(saving.WEIGHTS_FILE)
    data[info.header_offset + 30 + len(info.filename) + info.file_size // 2] ^= 0xFF  # stored, so CRC breaks
    target.write_bytes(bytes(data))
    return target


def _lambda_layer(config):
    function = {"class_name": "__lambda__", "config": {"code": "4wEAAAAA", "defaults": None, "closure": None}}
    config["config"]["layers"].insert(2, {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
                                          "config": {"name": "lambda", "function": function}})


def _lambda_activation(config):
    config["config"]["layers"][1]["config"]["activation"] = {"class_name": "__lambda__", "config": {"code": "AA=="}}


def _custom_layer(config):
    config["config"]["layers"][1].update(module="my_package.layers", registered_name="Custom>MyConv")


def _custom_initializer(config):
    config["config"]["layers"][1]["config"]["kernel_initializer"]["module"] = "evil"


def _unknown_layer(config):
    config["config"]["layers"][2]["class_name"] = "LSTM"


def _functional(config):
    config["class_name"] = "Functional"


def _regularizer(config):
    config["config"]["layers"][3]["config"]["kernel_regularizer"] = {
        "module": "keras.regularizers", "class_name": "L7", "config": {"l7": 0.01}, "registered_name": None}


def _shape_mismatch(h5):
    del h5["layers/dense/vars/0"]
    h5["layers/dense/vars/0"] = np.zeros((9, 3), "float32")


def _extra_var(h5):
    h5["layers/conv2d/vars/2"] = np.zeros(2, "float32")


def _missing_var(h5):
    del h5["layers/dense/vars/1"]


def _leftover_layer(h5):
    h5["layers/dense_1/vars/0"] = np.zeros(3, "float32")


def _text_weights(h5):
    del h5["layers/dense/vars/1"]
    h5.create_dataset("layers/dense/vars/1", data=np.array([b"a", b"b", b"c"], dtype=object),
                      dtype=h5py.string_dtype())


def _soft_link(h5):
    del h5["layers/dense/vars/1"]
    h5["layers/dense/vars/1"] = h5py.SoftLink("/layers/conv2d/vars/1")


def _not_a_zip(source: Path, target: Path) -> Path:
    target.write_bytes(b"not a zip archive at all")
    return target


def replaced(members: dict):
    return lambda source, target: rewrite(source, target, replace=members)


def dropped(member: str):
    return lambda source, target: rewrite(source, target, drop=(member,))


def weights_edited(edit):
    return lambda source, target: edit_weights(source, target, edit)


def config_edited(edit):
    return lambda source, target: edit_config(source, target, edit)


# Each bad archive: how to make it from a good one, and what the error must say.
BAD_ARCHIVES = {
    "not a zip": (_not_a_zip, r"is not a valid \.keras archive"),
    "truncated": (_truncated, r"is not a valid \.keras archive"),
    "no config": (dropped("config.json"), r"has no config\.json"),
    "no weights": (dropped("model.weights.h5"), r"has no model\.weights\.h5"),
    "invalid json": (replaced({"config.json": b'{"module": "keras", '}), r"config\.json is not valid JSON"),
    "json not an object": (replaced({"config.json": [1, 2]}), r"must hold a JSON object"),
    "invalid metadata": (replaced({"metadata.json": b"\xff"}), r"metadata\.json is not valid"),
    "pickle member": (replaced({"model.pkl": b"\x80\x04."}), r"unexpected archive members \['model\.pkl'\]"),
    "damaged member": (_flip_weight_byte, r"model\.weights\.h5 is damaged"),
    "weights not hdf5": (replaced({"model.weights.h5": b"garbage" * 100}), r"cannot be read as an HDF5 weights file"),
    "shape mismatch": (weights_edited(_shape_mismatch),
                       r"layers/dense/vars/0 has shape \(9, 3\); layer 'dense\w*' \(Dense\) "
                       r"expects kernel of shape \(8, 3\)"),
    "extra var": (weights_edited(_extra_var), r"layers/conv2d/vars holds 3 weight arrays"),
    "missing var": (weights_edited(_missing_var), r"layers/dense/vars holds 1 weight arrays \['0'\]"),
    "leftover layer": (weights_edited(_leftover_layer), r"layers the model does not have: layers/dense_1/vars/0"),
    "text data": (weights_edited(_text_weights), r"layers/dense/vars/1 holds .* data; weights are plain numbers"),
    "soft link": (weights_edited(_soft_link), r"layers/dense/vars/1 is a SoftLink"),
    "lambda layer": (config_edited(_lambda_layer), r"refusing to load 'Lambda' at config\.config\.layers\[2\]"),
    "lambda function": (config_edited(_lambda_activation), r"refusing to load '__lambda__'.*activation"),
    "registered object": (config_edited(_custom_layer),
                          r"refusing to load custom object 'Conv2D'.*registered_name='Custom>MyConv'"),
    "foreign module": (config_edited(_custom_initializer), r"custom object 'GlorotUniform'.*module='evil'"),
    "unknown layer": (config_edited(_unknown_layer), r"cannot build layer 'flatten\w*' \(LSTM\).*Unknown layer class"),
    "functional": (config_edited(_functional),
                   r"cannot build the Functional model at config: config\.layers\[0\] must be a layer entry with a 'name'"),
    "regularizer": (config_edited(_regularizer), r"invalid `kernel_regularizer`: Could not interpret regularizer identifier"),
}


@pytest.mark.parametrize("case", list(BAD_ARCHIVES))
def test_bad_archive_is_refused_with_a_clear_error(archive, tmp_path, case):
    make, message = BAD_ARCHIVES[case]
    bad = make(archive, tmp_path / "bad.keras")
    with pytest.raises(ValueError, match=message) as error:
        saving.load_model(bad)
    assert str(bad) in str(error.value)


def test_safe_mode_off_still_runs_no_code_and_custom_objects_cannot_make_it(archive, tmp_path):
    bad = edit_config(archive, tmp_path / "bad.keras", _lambda_layer)
    with pytest.raises(ValueError, match="never runs code"):
        saving.load_model(bad, safe_mode=False)
    from convlens import layers

    with pytest.raises(ValueError, match="never runs code"):
        saving.load_model(bad, custom_objects={"Lambda": layers.Dense, "__lambda__": layers.Dense})
    with pytest.raises(TypeError, match="custom_objects must be a dict"):
        saving.load_model(archive, custom_objects=[object])
    # Names the file does not use change nothing, and a non-class is never built.
    assert saving.load_model(archive, custom_objects={"MyConv": object}).count_params() > 0


def test_bad_weights_file_leaves_the_model_untouched(archive, tmp_path):
    model = saving.load_model(archive)
    before = model.get_weights()
    saving.save_weights(model, tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r+") as h5:
        h5["layers/conv2d/vars/0"][...] = 7.0  # would load first...
        _shape_mismatch(h5)  # ...but the last layer does not fit
    with pytest.raises(ValueError, match=r"m\.weights\.h5: layers/dense/vars/0 has shape"):
        saving.load_weights(model, tmp_path / "m.weights.h5")
    for got, want in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------- atomic writes
def _fail_on(monkeypatch, cls, method, fail_at, error):
    original = getattr(cls, method)
    calls = []

    def failing(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == fail_at:
            raise error("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, failing)


@pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
def test_failed_save_keeps_the_previous_archive_and_leaves_no_temporary_file(archive, monkeypatch, error):
    before = archive.read_bytes()
    model = Sequential([layers.Input((2,)), layers.Dense(1)])
    _fail_on(monkeypatch, zipfile.ZipFile, "writestr", 3, error)  # metadata and config already written
    with pytest.raises(error, match="disk full"):
        saving.save_model(model, archive)
    assert archive.read_bytes() == before
    assert [p.name for p in archive.parent.iterdir()] == [archive.name]


def test_failed_weights_save_keeps_the_previous_file_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    model = randomize(Sequential([layers.Input((3,)), layers.Dense(4), layers.Dense(2)]))
    target = tmp_path / "m.weights.h5"
    saving.save_weights(model, target)
    before = target.read_bytes()
    _fail_on(monkeypatch, h5py.Group, "create_dataset", 3, OSError)  # first layer already written
    with pytest.raises(OSError, match="disk full"):
        saving.save_weights(randomize(model, seed=9), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_killed_save_keeps_the_previous_archive(archive):
    """A process killed in the middle of writing leaves the target as it was."""
    before = archive.read_bytes()
    script = f"""
import os, signal, zipfile
from convlens import Sequential, layers
from convlens.models import saving
original = zipfile.ZipFile.writestr
def killed(self, name, data, *args, **kwargs):
    if name == saving.WEIGHTS_FILE:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(self, name, data, *args, **kwargs)
zipfile.ZipFile.writestr = killed
saving.save_model(Sequential([layers.Input((2,)), layers.Dense(1)]), {str(archive)!r})
"""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=120)
    assert result.returncode == -9, result.stderr.decode()
    assert archive.read_bytes() == before
    assert saving.load_model(archive).name == "small"


# ------------------------------------------------------------- Keras itself
@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")  # torch is installed wherever convlens is
    return pytest.importorskip("keras")


@pytest.mark.parametrize("name", list(every_layer_models()))
def test_keras_loads_convlens_archives_and_weights(keras, tmp_path, name):
    model, shape = every_layer_models()[name]
    randomize(model, seed=5)
    x = inputs(shape)
    saving.save_model(model, tmp_path / "m.keras")
    keras_model = keras.models.load_model(tmp_path / "m.keras")
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras_model(x)), expected, rtol=1e-5, atol=1e-5)
    for weight in keras_model.weights:
        weight.assign(np.zeros(weight.shape, "float32"))
    saving.save_weights(model, tmp_path / "m.weights.h5")
    keras_model.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras_model(x)), expected, rtol=1e-5, atol=1e-5)


def test_keras_compiles_a_convlens_resaved_compiled_archive(keras, tmp_path):
    model = saving.load_model(GOLDEN / "keras-files" / "keras_io_mnist_convnet.keras")
    saving.save_model(model, tmp_path / "m.keras")
    keras_model = keras.models.load_model(tmp_path / "m.keras")
    assert keras_model.compiled and type(keras_model.optimizer).__name__ == "Adam"
    arrays = np.load(GOLDEN / "keras" / "keras_io_mnist_convnet.npz")
    np.testing.assert_allclose(keras_model.predict(arrays["x"], verbose=0), arrays["y"], rtol=1e-4, atol=1e-4)
