"""Sequential: building, Keras's summary table and totals, predict, layer access, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens import Sequential, layers


def tutorial_cnn(img_height=180, img_width=180, num_classes=5):
    """The course notes' model, written exactly as the notes write it."""
    return Sequential([
        layers.Rescaling(1.0 / 255, input_shape=(img_height, img_width, 3)),
        layers.Conv2D(16, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(num_classes)])


def test_notes_tutorial_cnn_summary_equals_keras(capsys):
    model = tutorial_cnn()
    model.summary()
    out = capsys.readouterr().out
    # Keras's shapes and parameter counts for this model.
    expected = [
        ("Rescaling", "(None, 180, 180, 3)", "0"), ("Conv2D", "(None, 180, 180, 16)", "448"),
        ("MaxPooling2D", "(None, 90, 90, 16)", "0"), ("Conv2D", "(None, 90, 90, 32)", "4,640"),
        ("MaxPooling2D", "(None, 45, 45, 32)", "0"), ("Conv2D", "(None, 45, 45, 64)", "18,496"),
        ("MaxPooling2D", "(None, 22, 22, 64)", "0"), ("Flatten", "(None, 30976)", "0"),
        ("Dense", "(None, 128)", "3,965,056"), ("Dense", "(None, 5)", "645"),
    ]
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert len(rows) == len(expected)
    for row, (cls, shape, params) in zip(rows, expected):
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert cells[0].endswith(f"({cls})") and cells[1] == shape and cells[2] == params
    assert "Layer (type)" in out and "Output Shape" in out and "Param #" in out
    assert " Total params: 3,989,285 (15.22 MB)" in out
    assert " Trainable params: 3,989,285 (15.22 MB)" in out
    assert " Non-trainable params: 0 (0.00 B)" in out
    assert model.count_params() == 3_989_285


def test_non_trainable_params_in_summary(capsys):
    model = Sequential([layers.Input((4, 4, 3)), layers.BatchNormalization()])
    model.summary()
    out = capsys.readouterr().out
    assert " Total params: 12 (48.00 B)" in out and " Non-trainable params: 6 (24.00 B)" in out


def test_add_and_lazy_build():
    model = Sequential()
    model.add(layers.Conv2D(4, 3))
    model.add(layers.Flatten())
    assert not model.built
    with pytest.raises(ValueError, match="isn't built"):
        model.summary()
    y = model(torch.zeros(2, 6, 6, 1))
    assert y.shape == (2, 64) and model.built and model.output_shape == (None, 64)


def test_predict_numpy_and_torch_inputs():
    model = tutorial_cnn(32, 32, 3)
    x = np.random.default_rng(0).integers(0, 256, (70, 32, 32, 3), dtype=np.uint8)
    a = model.predict(x, verbose=0)
    b = model.predict(torch.as_tensor(x), batch_size=7, verbose=0)
    assert isinstance(a, np.ndarray) and a.shape == (70, 3) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    direct = model(torch.as_tensor(x[:5]).float().to(model.device)).detach().cpu().numpy()  # predict may use a GPU
    np.testing.assert_allclose(direct, a[:5], rtol=1e-5, atol=1e-6)


def test_model_starts_in_inference_mode_and_torch_train_toggles():
    model = Sequential([layers.Input((100,)), layers.Dropout(0.5)])
    x = torch.ones(1, 100)
    assert torch.equal(model(x), x)
    model.train()
    assert (model(x) == 0).any()
    assert torch.equal(model(x, training=False), x)


def test_get_layer_and_state_dict_names():
    model = Sequential([layers.Input((8,)), layers.Dense(4, name="hidden"), layers.Dense(2, name="out")])
    assert model.get_layer("out") is model.layers[1] and model.get_layer(index=0).name == "hidden"
    with pytest.raises(ValueError, match=r"No such layer: 'missing'.*\['hidden', 'out'\]"):
        model.get_layer("missing")
    assert list(model.state_dict()) == ["hidden.kernel", "hidden.bias", "out.kernel", "out.bias"]


def test_bad_structure_errors():
    with pytest.raises(ValueError, match="unique names"):
        Sequential([layers.Dense(2, name="d"), layers.Dense(2, name="d")])
    with pytest.raises(TypeError, match="Only convlens layers"):
        Sequential([torch.nn.ReLU()])
    model = Sequential([layers.Input((28, 28, 1)), layers.Conv2D(4, 3, name="c1")])
    with pytest.raises(ValueError, match=r"'c1'.*expected axis -1 of input shape to have value 1"):
        model.predict(np.zeros((2, 28, 28, 3)), verbose=0)  # as in Keras, the first layer that cannot take it says so
    with pytest.raises(ValueError, match=r"expected shape=\(None, 28, 28, 1\), found shape=\(None, 28\)"):
        model.predict(np.zeros((2, 28)), verbose=0)
    with pytest.raises(ValueError, match=r"'c1'.*expected axis -1 of input shape to have value 1"):
        model(torch.zeros(2, 28, 28, 3))
    with pytest.raises(ValueError, match=r"pool_size=\(2, 2\) is larger"):
        Sequential([layers.Input((1, 1, 1)), layers.MaxPooling2D()])


def test_model_set_weights_is_atomic():
    model = Sequential([layers.Input((3,)), layers.Dense(2), layers.Dense(1)])
    before = model.get_weights()
    bad = [np.ones_like(w) for w in before]
    bad[-1] = np.ones(5)
    with pytest.raises(ValueError, match="'bias' has shape"):
        model.set_weights(bad)
    for old, now in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, now)


def test_config_round_trip():
    model = tutorial_cnn(32, 32, 3)
    clone = Sequential.from_config(model.get_config())
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    assert clone.count_params() == model.count_params() and clone.output_shape == model.output_shape


def test_a_built_model_as_first_layer_gives_the_input_shape_as_in_keras():
    # The TensorFlow tutorial's `Sequential([data_augmentation, layers.Rescaling(1/255), ...])`.
    augmentation = Sequential([layers.Input((8, 8, 3)), layers.RandomFlip("horizontal")])
    model = Sequential([augmentation, layers.Conv2D(2, 3), layers.Flatten()])
    assert model.built and model.input_shape == (None, 8, 8, 3) and model.output_shape == (None, 72)
    # A plain layer built on its own does not fix the input shape (Keras waits for the first call).
    dense = layers.Dense(2)
    dense.build((None, 3))
    assert not Sequential([dense, layers.Dense(1)]).built


def _conv_stack(lib, head: str, with_input: bool):
    L = lib.layers
    stack = [L.Conv2D(4, 3, activation="relu", name="conv")]
    stack += [L.GlobalAveragePooling2D(name="gap")] if head == "gap" else [L.Flatten(name="flat")]
    stack += [L.Dense(2, activation="softmax", name="out")]
    return lib.Sequential(([lib.Input((8, 8, 1))] if with_input else []) + stack)


@pytest.mark.parametrize("with_input", [False, True])
def test_a_model_built_on_one_image_size_runs_on_another_as_in_keras(with_input):
    """Conv + global pooling takes 12×12 images after 8×8 ones (Keras runs it too); Flatten + Dense cannot."""
    keras = pytest.importorskip("keras")
    import convlens

    rng = np.random.default_rng(0)
    x8, x12 = rng.normal(size=(6, 8, 8, 1)).astype("f4"), rng.normal(size=(6, 12, 12, 1)).astype("f4")
    y = rng.integers(0, 2, 6)
    keras.utils.set_random_seed(0)
    ref, ours = _conv_stack(keras, "gap", with_input), _conv_stack(convlens, "gap", with_input)
    for model in (ref, ours):
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    ref.fit(x8, y, epochs=1, verbose=0, shuffle=False)  # builds a Sequential without an Input on 8×8
    ours(x8[:1])
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours.predict(x12, verbose=0), ref.predict(x12, verbose=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.evaluate(x12, y, verbose=0), ref.evaluate(x12, y, verbose=0), rtol=1e-5)
    h_ours = ours.fit(x12, y, epochs=2, batch_size=3, shuffle=False, verbose=0).history
    h_ref = ref.fit(x12, y, epochs=2, batch_size=3, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h_ours["loss"], h_ref["loss"], rtol=1e-5)
    assert ours.input_shape[1:] == (8, 8, 1)  # as in Keras, the declared shape stays
    assert tuple(ours(torch.as_tensor(x12)).shape) == (6, 2)

    flat = _conv_stack(convlens, "flat", with_input)
    flat.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    flat.fit(x8, y, epochs=1, verbose=0)
    keras_flat = _conv_stack(keras, "flat", with_input)
    keras_flat.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    keras_flat.fit(x8, y, epochs=1, verbose=0)
    message = r"expected axis -1 of input shape to have value 144, but received input with shape \(6, 400\)"
    for model in (flat, keras_flat):
        for call in (lambda: model.predict(x12, verbose=0), lambda: model.fit(x12, y, verbose=0),
                     lambda: model(x12)):
            with pytest.raises(ValueError, match=message):
                call()
    colour = rng.normal(size=(6, 12, 12, 3)).astype("f4")
    for model in (ours, ref):
        with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 1"):
            model.predict(colour, verbose=0)
