"""Legacy ``model.save("m.h5")``: the file Keras 3 writes (its attributes, groups and warning), opened by real
Keras with equal predictions, read back by convlens, and written atomically."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from convlens import Model, Sequential, layers
from convlens.models import legacy_h5, load_model

keras = pytest.importorskip("keras")

X = np.random.default_rng(0).normal(size=(5, 8, 8, 1)).astype("float32")


def _sequential():
    model = Sequential([layers.Input((8, 8, 1)), layers.Conv2D(3, 3, activation="relu"),
                        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Flatten(),
                        layers.Dense(4, activation="softmax")], name="tiny")
    bn = model.layers[1]
    bn.set_weights([w + np.random.default_rng(1).uniform(0.1, 0.5, w.shape).astype("float32")
                    for w in bn.get_weights()])  # statistics that differ from the initial ones
    return model


def _functional():
    x = layers.Input((8, 8, 1))
    a = layers.Conv2D(2, 3, padding="same")(x)
    b = layers.Conv2D(2, 1)(x)
    y = layers.Dense(3)(layers.GlobalAveragePooling2D()(layers.add([a, b])))
    return Model(x, y)


@pytest.mark.parametrize("make", [_sequential, _functional], ids=["sequential", "functional"])
def test_keras_loads_convlens_h5_with_equal_predictions(make, tmp_path):
    model = make()
    with pytest.warns(UserWarning, match="saving your model as an HDF5 file .* considered legacy"):
        model.save(tmp_path / "m.h5")
    theirs = keras.models.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs(X)), model.predict(X, verbose=0),
                               rtol=1e-5, atol=1e-6)
    ours = load_model(tmp_path / "m.h5")
    assert [type(l) for l in ours.layers] == [type(l) for l in model.layers]
    for a, b in zip(ours.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [_sequential, _functional], ids=["sequential", "functional"])
def test_layout_is_keras_own(make, tmp_path):
    model = make()
    keras_model = keras.models.model_from_json(model.to_json())
    keras_model.save(tmp_path / "k.h5")
    with pytest.warns(UserWarning):
        model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as ours, h5py.File(tmp_path / "k.h5") as theirs:
        assert sorted(ours.attrs) == sorted(theirs.attrs) == ["backend", "keras_version", "model_config"]
        mine, keras_config = (json.loads(f.attrs["model_config"]) for f in (ours, theirs))
        assert _without_names(mine) == _without_names(keras_config)
        # Keras prefixes a Sequential's weight names with the model's name or not, depending on how the layers
        # were built; what its reader uses is each layer group's list of weights, in order, and their shapes.
        assert _weights(ours) == _weights(theirs)
        assert list(ours["model_weights"].attrs["layer_names"]) == list(theirs["model_weights"].attrs["layer_names"])


def _weights(h5):
    groups = h5["model_weights"]
    return {layer: [("/".join(str(n).split("/")[-2:]), groups[layer][n].shape)
                    for n in groups[layer].attrs["weight_names"]] for layer in groups}


def _without_names(config):
    """The config with layer and model names (counters that differ between two processes' histories) blanked."""
    text = json.dumps(config)
    for layer in config["config"]["layers"]:
        text = text.replace(f'"{layer["config"]["name"]}"', '"_"')
    return json.loads(text.replace(f'"{config["config"]["name"]}"', '"_"'))


def test_convlens_reads_keras_h5(tmp_path):
    theirs = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                               keras.layers.Dense(2)])
    theirs.save(tmp_path / "k.h5")
    ours = load_model(tmp_path / "k.h5")
    np.testing.assert_allclose(ours.predict(X, verbose=0), keras.ops.convert_to_numpy(theirs(X)), rtol=1e-5,
                               atol=1e-6)


def test_failed_write_leaves_no_file_and_refused_models(tmp_path):
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(np.ones((1, 3), "float32"))
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="use a `.keras` path"):
        net.save(tmp_path / "n.h5")
    assert not list(tmp_path.iterdir()), "nothing, not even a temporary file, is left"
    (tmp_path / "old.h5").write_bytes(b"keep")
    with pytest.warns(UserWarning), pytest.raises(FileExistsError):
        _sequential().save(tmp_path / "old.h5", overwrite=False)
    assert (tmp_path / "old.h5").read_bytes() == b"keep"


def test_weights_only_and_damaged_files_are_refused(tmp_path):
    model = _sequential()
    with h5py.File(tmp_path / "w.h5", "w") as h5:
        h5.attrs["layer_names"] = [b"conv2d"]
    with pytest.raises(ValueError, match="holds no model_config: it is a weights file"):
        load_model(tmp_path / "w.h5")
    (tmp_path / "bad.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="cannot be read as an HDF5 file"):
        load_model(tmp_path / "bad.h5")
    with pytest.warns(UserWarning):
        model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as h5:
        config = json.loads(h5.attrs["model_config"])
        config["config"]["layers"][1] = {"class_name": "Lambda", "config": {"function": "os.system"}}
        h5.attrs["model_config"] = json.dumps(config)
    with pytest.raises(ValueError, match="refusing to load 'Lambda'"):
        load_model(tmp_path / "m.h5")


def test_legacy_config_drops_entry_keys_only():
    entry = {"module": "keras", "class_name": "Sequential", "registered_name": None, "build_config": {},
             "config": {"name": "s", "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {}},
                        "layers": [{"module": "keras.layers", "class_name": "Dense", "config": {"units": 1},
                                    "registered_name": None, "build_config": {"input_shape": [None, 2]}}]}}
    out = legacy_h5.legacy_config(entry)
    assert out == {"class_name": "Sequential", "config": {
        "name": "s", "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {}},
        "layers": [{"class_name": "Dense", "config": {"units": 1}}]}}
