"""Subclassed models and custom layers in ``.keras`` files through ``get_config``: convlens's round trip, and real
Keras opening convlens's file and convlens opening Keras's (the same classes written once for each library)."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import convlens.keras as ckeras
from convlens import layers as clayers
from convlens.errors import FileFormatError

keras = pytest.importorskip("keras")

X = np.random.default_rng(0).normal(size=(4, 8, 8, 1)).astype("float32")


def _classes(lib, package):
    """A custom layer with `add_weight` and a subclassed model holding it, a list of layers and built-in layers."""

    @lib.saving.register_keras_serializable(package=package)
    class Scale(lib.layers.Layer):
        def __init__(self, init=1.0, **kwargs):
            super().__init__(**kwargs)
            self.init = init

        def build(self, input_shape):
            self.gain = self.add_weight(shape=(input_shape[-1],), initializer=lib.initializers.Constant(self.init))

        def call(self, inputs):
            return inputs * self.gain

        def get_config(self):
            return {**super().get_config(), "init": self.init}

    @lib.saving.register_keras_serializable(package=package)
    class Net(lib.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.conv = lib.layers.Conv2D(4, 3, activation="relu")
            self.pool = lib.layers.GlobalAveragePooling2D()
            self.scale = Scale(2.0)
            self.blocks = [lib.layers.Dense(6, activation="relu"), lib.layers.Dense(6)]
            self.out = lib.layers.Dense(units)

        def call(self, inputs, training=None):
            x = self.scale(self.pool(self.conv(inputs)))
            for block in self.blocks:
                x = block(x)
            return self.out(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return Net, Scale


CNet, CScale = _classes(ckeras, "convlens_test")
KNet, KScale = _classes(keras, "convlens_test")


def _built(cls, seed=0):
    ckeras.utils.set_random_seed(seed)
    keras.utils.set_random_seed(seed)
    model = cls(units=5)
    model(X[:1])
    return model


def _predict(model):
    return np.asarray(keras.ops.convert_to_numpy(model(X))) if isinstance(model, keras.Model) \
        else model.predict(X, verbose=0)


def test_round_trip_rebuilds_the_class_from_its_config(tmp_path):
    model = _built(CNet)
    model.save(tmp_path / "m.keras")
    again = ckeras.models.load_model(tmp_path / "m.keras")
    assert type(again) is CNet and again.units == 5 and type(again.scale) is CScale and again.scale.init == 2.0
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(again.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_config_json_is_keras_own_form(tmp_path):
    model = _built(CNet)
    model.save(tmp_path / "m.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    keras_model = _built(KNet)
    keras_model.save(tmp_path / "k.keras")
    theirs = json.loads(zipfile.ZipFile(tmp_path / "k.keras").read("config.json"))
    assert config["class_name"] == theirs["class_name"] == "Net"
    assert config["registered_name"] == theirs["registered_name"] == "convlens_test>Net"
    # Keras records the first call's batch size, convlens the batch axis as None: both build the same.
    assert config["build_config"]["input_shape"][1:] == theirs["build_config"]["input_shape"][1:] == [8, 8, 1]
    assert {k: v for k, v in config["config"].items() if k != "name"} == \
        {k: v for k, v in theirs["config"].items() if k != "name"}
    # The weights tree: by attribute, as Keras walks the object (blocks/dense_1, conv, layers/scale, ...).
    assert _weight_paths(tmp_path / "m.keras") == _weight_paths(tmp_path / "k.keras")
    assert "blocks/dense_1/vars/1" in _weight_paths(tmp_path / "m.keras")


def _weight_paths(path):
    import io

    import h5py

    names = []
    with h5py.File(io.BytesIO(zipfile.ZipFile(path).read("model.weights.h5"))) as h5:
        h5.visititems(lambda name, obj: names.append((name, getattr(obj, "shape", None))))
    return dict(names)


def test_keras_loads_convlens_file_with_equal_predictions(tmp_path):
    model = _built(CNet)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is KNet and loaded.units == 5
    np.testing.assert_allclose(_predict(loaded), _predict(model), rtol=1e-5, atol=1e-6)


def test_convlens_loads_keras_file_with_equal_predictions(tmp_path):
    model = _built(KNet, seed=3)
    model.save(tmp_path / "k.keras")
    loaded = ckeras.models.load_model(tmp_path / "k.keras")
    assert type(loaded) is CNet
    np.testing.assert_allclose(_predict(loaded), _predict(model), rtol=1e-5, atol=1e-6)


def test_unregistered_class_loads_through_custom_objects(tmp_path):
    class Plain(ckeras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = ckeras.layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Plain()
    model(np.ones((1, 3), "float32"))
    model.save(tmp_path / "p.keras")
    with pytest.raises(FileFormatError, match="custom object 'Plain'.*custom_objects=.*never imports code"):
        ckeras.models.load_model(tmp_path / "p.keras")
    again = ckeras.models.load_model(tmp_path / "p.keras", custom_objects={"Plain": Plain})
    np.testing.assert_array_equal(again.get_weights()[0], model.get_weights()[0])


def test_custom_objects_never_reaches_other_classes(tmp_path):
    model = _built(CNet)
    model.save(tmp_path / "m.keras")
    archive = zipfile.ZipFile(tmp_path / "m.keras")
    config = json.loads(archive.read("config.json"))
    config["registered_name"], config["module"] = "os>system", "os"
    with zipfile.ZipFile(tmp_path / "evil.keras", "w") as out:
        for name in archive.namelist():
            out.writestr(name, json.dumps(config) if name == "config.json" else archive.read(name))
    with pytest.raises(FileFormatError, match="refusing to load custom object 'Net'"):
        ckeras.models.load_model(tmp_path / "evil.keras", custom_objects={"system": print})


def test_custom_layer_in_a_sequential_saves_by_its_config(tmp_path):
    model = ckeras.Sequential([ckeras.Input((3,)), CScale(0.5, name="half"), clayers.Dense(2)])
    model.save(tmp_path / "s.keras")
    again = ckeras.models.load_model(tmp_path / "s.keras")
    assert type(again.layers[0]) is CScale and again.layers[0].init == 0.5
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    theirs = keras.models.load_model(tmp_path / "s.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs(x)), model.predict(x, verbose=0), rtol=1e-5)


def test_a_config_json_cannot_hold_is_refused_before_writing(tmp_path):
    class Holder(ckeras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = ckeras.layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

        def get_config(self):
            return {**super().get_config(), "thing": object()}

    model = Holder()
    model(np.ones((1, 2), "float32"))
    with pytest.raises(ValueError, match="get_config\\(\\) must hold only JSON values"):
        model.save(tmp_path / "h.keras")
    assert not list(tmp_path.iterdir())


def test_to_json_and_model_from_json_of_a_subclassed_model():
    model = _built(CNet)
    again = ckeras.models.model_from_json(model.to_json())
    assert type(again) is CNet and again.units == 5 and again.count_params() == model.count_params()
