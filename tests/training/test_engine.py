"""compile / fit / evaluate / predict: Keras's semantics on tiny synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens import Sequential, layers
from convlens.training import callbacks, losses, metrics, optimizers
from convlens.utils import set_random_seed

from .conftest import blobs, tiny_classifier


def test_fit_returns_history_with_keras_keys(model, data):
    x, y = data
    history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, verbose=0)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(v) == 3 for v in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 3, "do_validation": True}  # 48 samples / 16
    assert history.model is model and model.history is history
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not model.training  # back in inference mode, as Keras layers outside fit


def test_validation_split_holds_out_the_last_samples_before_shuffling(data):
    x, y = data
    set_random_seed(0)
    model = tiny_classifier()
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=8, epochs=1, validation_split=0.25, verbose=0)  # weights do not move
    val_loss = history.history["val_loss"][0]
    assert val_loss == pytest.approx(model.evaluate(x[48:], y[48:], verbose=0), rel=1e-5)
    assert val_loss != pytest.approx(model.evaluate(x[:16], y[:16], verbose=0), rel=1e-3)
    # floor(n · (1 - split)) training samples, as Keras: 10 · 0.75 → 7 train, 3 validation
    history = model.fit(x[:10], y[:10], batch_size=1, validation_split=0.25, verbose=0)
    assert history.params["steps"] == 7


def test_training_loss_is_the_sample_weighted_mean_of_batch_losses(data):
    x, y = data
    set_random_seed(0)
    model = tiny_classifier()
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    logs = model.fit(x[:50], y[:50], batch_size=16, shuffle=False, verbose=0).history  # batches 16, 16, 16, 2
    expected = model.evaluate(x[:50], y[:50], batch_size=50, verbose=0, return_dict=True)
    assert logs["loss"][0] == pytest.approx(expected["loss"], rel=1e-5)
    assert logs["accuracy"][0] == pytest.approx(expected["accuracy"])


def test_evaluate_returns_keras_forms(model, data):
    x, y = data
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2 and model.metrics_names == ["loss", "accuracy"]
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert as_dict == {"accuracy": result[1], "loss": result[0]}
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_predict_numpy_torch_and_dataset_give_the_same_numpy(model, data):
    x, _ = data
    from_numpy = model.predict(x, batch_size=10, verbose=0)
    from_torch = model.predict(torch.tensor(x), verbose=0)
    dataset = [(x[i : i + 20],) for i in range(0, 64, 20)]  # batches of x alone
    from_dataset = model.predict(dataset, verbose=0)
    assert isinstance(from_numpy, np.ndarray) and from_numpy.shape == (64, 3)
    np.testing.assert_allclose(from_numpy, from_torch, rtol=1e-5)
    np.testing.assert_allclose(from_numpy, from_dataset, rtol=1e-5)
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), from_numpy[:5], rtol=1e-5)


class Batches:
    """An image_dataset_from_directory-like dataset: re-iterable (x, y) NumPy batches with a length."""

    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.class_names = ["a", "b", "c"]

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __iter__(self):
        for i in range(0, len(self.x), self.batch_size):
            yield self.x[i : i + self.batch_size], self.y[i : i + self.batch_size]


def test_fit_and_evaluate_accept_a_dataset_for_training_and_validation(data):
    x, y = data
    set_random_seed(0)
    model = tiny_classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(Batches(x, y, 16), validation_data=Batches(x[:32], y[:32], 8), epochs=2, verbose=0)
    assert history.params["steps"] == 4 and len(history.history["val_loss"]) == 2
    assert model.evaluate(Batches(x, y, 7), verbose=0, return_dict=True)["loss"] == pytest.approx(
        model.evaluate(x, y, verbose=0, return_dict=True)["loss"], rel=1e-5)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(Batches(x, y, 16), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="only supported for arrays"):
        model.fit(Batches(x, y, 16), validation_split=0.2, verbose=0)


def test_uint8_images_stay_uint8_and_a_missing_channel_axis_is_added():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (20, 6, 6), dtype=np.uint8)  # (N, H, W) for an Input((6, 6, 1)) model
    labels = rng.integers(0, 2, 20)
    set_random_seed(0)
    model = Sequential([layers.Input((6, 6, 1)), layers.Rescaling(1 / 255), layers.Conv2D(2, 3), layers.Flatten(),
                        layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    seen = []
    original = model.forward
    model.forward = lambda t: (seen.append(t.dtype), original(t))[1]
    model.fit(images, labels, batch_size=10, verbose=0)
    assert seen and set(seen) == {torch.uint8}
    expected = model.predict(images[..., None].astype(np.float32), verbose=0)
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, rtol=1e-5)


def test_train_and_test_on_batch_report_their_own_batch(model, data):
    x, y = data
    first = model.train_on_batch(x[:16], y[:16], return_dict=True)
    assert set(first) == {"accuracy", "loss"}
    model.test_on_batch(x[16:32], y[16:32])  # each call starts from reset metrics, as in Keras
    single = model.test_on_batch(x[:16], y[:16])
    assert single == pytest.approx(model.evaluate(x[:16], y[:16], verbose=0))


def test_steps_per_epoch_continues_through_the_data_across_epochs(model, data):
    x, y = data  # 64 samples: 4 batches of 16 per pass
    starts = []
    original = model._train_step
    model._train_step = lambda xb, yb: (starts.append(float(xb[0, 0])), original(xb, yb))
    model.fit(x, y, batch_size=16, epochs=3, steps_per_epoch=2, shuffle=False, verbose=0)
    first_of_batch = [float(x[i, 0]) for i in (0, 16, 32, 48)]
    assert starts == first_of_batch * 1 + first_of_batch[:2]  # epochs: batches 0-1, 2-3, then a new pass
    starts.clear()
    with pytest.warns(UserWarning, match="ran out of data"):
        model.fit(x, y, batch_size=32, epochs=1, steps_per_epoch=5, shuffle=False, verbose=0)
    assert len(starts) == 2  # as Keras, the epoch ends when the data does


def test_initial_epoch_and_validation_freq(model, data):
    x, y = data
    history = model.fit(x, y, epochs=4, initial_epoch=1, validation_data=(x, y), validation_freq=2, verbose=0)
    assert history.epoch == [1, 2, 3]
    assert len(history.history["loss"]) == 3 and len(history.history["val_loss"]) == 2


def test_fit_reads_metrics_from_the_device_once_per_epoch_without_batch_callbacks(model, data, monkeypatch):
    x, y = data
    calls = []
    original = metrics.CompiledMetrics.result
    monkeypatch.setattr(metrics.CompiledMetrics, "result", lambda self: (calls.append(1), original(self))[1])
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger("/dev/null")])
    assert len(calls) == 2  # 8 steps per epoch, one read at each epoch end
    calls.clear()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert len(calls) == 8 + 1  # a batch-level callback needs the logs after every step


def test_fit_before_compile_names_compile(data):
    x, y = data
    with pytest.raises(ValueError, match=r"You must call `compile\(\)` before calling `fit\(\)`"):
        tiny_classifier().fit(x, y, verbose=0)
    model = tiny_classifier()
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="No loss to compute"):
        model.evaluate(x, y, verbose=0)


def test_bad_data_gives_clear_errors(model, data):
    x, y = data
    with pytest.raises(ValueError, match="'x' sizes: 64, 'y' sizes: 60"):
        model.fit(x, y[:60], verbose=0)
    # As in Keras, the layer that cannot take the input says so (the model's Input does not check sizes).
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 6, but received input with "
                                         r"shape \(32, 5\)"):
        model.fit(x[:, :5], y, verbose=0)
    with pytest.raises(ValueError, match=r'layer "sequential.*expected shape=\(None, 6\), found shape=\(None, 5, 2\)'):
        model.fit(np.zeros((64, 5, 2)), y, verbose=0)
    with pytest.raises(ValueError, match=r"label value of 3 which is outside the valid range of \[0, 3\)"):
        model.fit(x, np.full(64, 3), verbose=0)
    with pytest.raises(ValueError, match="`y` is required"):
        model.fit(x, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="verbose"):
        model.fit(x, y, verbose=3)
    with pytest.raises(ValueError, match="Unknown device"):
        model.fit(x, y, verbose=0, device="tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without a GPU")
def test_cuda_request_without_gpu_is_a_clear_error(model, data):
    with pytest.raises(ValueError, match="CUDA is not available"):
        model.fit(*data, verbose=0, device="cuda")


def test_compile_rejects_unknown_names_and_unsupported_options():
    model = tiny_classifier()
    with pytest.raises(ValueError, match="Allowed names are"):
        model.compile(optimizer="adamax", loss="mse")
    with pytest.raises(ValueError, match="Unknown loss"):
        model.compile(optimizer="adam", loss="hinge_loss")
    with pytest.raises(ValueError, match="Unknown metric"):
        model.compile(optimizer="adam", loss="mse", metrics=["precisionn"])
    with pytest.raises(ValueError, match="loss_weights"):
        model.compile(optimizer="adam", loss="mse", loss_weights=[1.0, 2.0])
    assert not model.compiled  # a failed compile leaves nothing half-set


def test_a_torch_optimizer_and_loss_objects_work(data):
    x, y = data
    set_random_seed(0)
    model = tiny_classifier(activation=None)
    model.compile(optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=5, verbose=0)
    assert history.history["accuracy"][-1] > 0.8


def test_onehot_labels_and_binary_outputs_resolve_their_accuracy():
    x, y = blobs(classes=2)
    set_random_seed(0)
    binary = tiny_classifier(classes=1, activation="sigmoid")
    binary.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    binary.fit(x, y[:, None].astype(np.float32), epochs=2, verbose=0)
    assert isinstance(binary.metrics[1], metrics.BinaryAccuracy)
    onehot = tiny_classifier(classes=2)
    onehot.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    onehot.fit(x, np.eye(2, dtype=np.float32)[y], epochs=2, verbose=0)
    assert isinstance(onehot.metrics[1], metrics.CategoricalAccuracy)


def test_an_optimizer_bound_to_another_model_is_refused(model, data):
    x, y = data
    model.fit(x, y, verbose=0)
    other = tiny_classifier()
    other.compile(optimizer=model.optimizer, loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="its own optimizer"):
        other.fit(x, y, verbose=0)
