"""The CUDA-graph training step: the same training as eager steps, or a clear fallback.

The GPU tests compare a fit that replays a captured graph with the same fit
run eagerly (``compile(jit_compile=False)``), with cuDNN in deterministic
mode so that the only differences left are float32 rounding.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from convlens import Sequential, layers
from convlens.layers import constraints
from convlens.recipes import OneCycle
from convlens.training import callbacks, graphs, optimizers
from convlens.utils import set_random_seed

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA GPU")


def test_graphs_are_only_attempted_on_a_gpu_with_a_convlens_optimizer_that_supports_them():
    assert graphs.graphs_unavailable(torch.device("cpu")) == "the device is not a CUDA GPU"
    gpu = torch.device("cuda")
    assert graphs.graphs_unavailable(gpu, optimizers.Adam()) is None
    assert graphs.graphs_unavailable(gpu, optimizers.Adam(), steps=graphs.MIN_STEPS) is None
    assert "too few steps" in graphs.graphs_unavailable(gpu, optimizers.Adam(), steps=graphs.MIN_STEPS - 1)
    assert "host-side state" in graphs.graphs_unavailable(gpu, optimizers.Nadam())
    w = torch.nn.Parameter(torch.zeros(1))
    assert "not a convlens optimizer" in graphs.graphs_unavailable(gpu, torch.optim.SGD([w], lr=0.1))


def test_run_eagerly_and_jit_compile_false_turn_graphs_off():
    model = Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(loss="mse")
    assert not model._eager_only
    model.compile(loss="mse", jit_compile=False)
    assert model._eager_only
    model.compile(loss="mse", run_eagerly=True)
    assert model._eager_only


def images(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Bright-square images whose class is the square's quadrant (learnable in a few steps)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.integers(0, 60, (n, 12, 12, 1)).astype(np.uint8)
    for i, label in enumerate(y):
        r, c = divmod(int(label), 2)
        x[i, r * 6 + 1:r * 6 + 5, c * 6 + 1:c * 6 + 5] = 255
    return x, y.astype(np.int64)


class HostRead(layers.Layer):
    """A layer that reads a value on the host each call: a step with it cannot be captured."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.last_max = float(x.detach().max())
        return x


def conv_bn_model(extra: list | None = None) -> Sequential:
    return Sequential([
        layers.Input((12, 12, 1)), layers.Rescaling(1 / 255),
        layers.Conv2D(8, 3, padding="same", use_bias=False), layers.BatchNormalization(momentum=0.9), layers.ReLU(),
        layers.MaxPooling2D(2), *(extra or []), layers.Flatten(), layers.Dense(4, activation="softmax"),
    ])


def train(eager: bool, optimizer: str = "adam", extra: list | None = None, extra_callbacks: list | None = None,
          epochs: int = 2):
    set_random_seed(0)
    model = conv_bn_model(extra)
    model.compile(optimizer=optimizers.get(optimizer), loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=not eager)
    x, y = images()
    # 600 images in batches of 64: nine full batches and a last one of 24 (run eagerly beside the graph).
    steps = 10 * epochs
    history = model.fit(x, y, batch_size=64, epochs=epochs, verbose=0, validation_split=0.0, device="cuda",
                        callbacks=[OneCycle(0.05, steps, 0.3), *(extra_callbacks or [])])
    return model, history


@pytest.fixture(autouse=True)
def capture_small_runs(monkeypatch):
    """The tests' runs have 10-20 steps; the default leaves calls that short eager."""
    monkeypatch.setattr(graphs, "MIN_STEPS", 1)


@pytest.fixture
def replays(monkeypatch) -> list[int]:
    """How many replays each captured step made, appended when it closes."""
    counts: list[int] = []
    close = graphs.CapturedStep.close
    monkeypatch.setattr(graphs.CapturedStep, "close", lambda self: (counts.append(self.replays), close(self)))
    return counts


@pytest.fixture
def deterministic_cudnn():
    saved = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    yield
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved


def assert_same_training(a, b, rtol=1e-4, atol=1e-5):
    (model_a, history_a), (model_b, history_b) = a, b
    for wa, wb in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=rtol, atol=atol)
    for key in history_a.history:
        np.testing.assert_allclose(history_a.history[key], history_b.history[key], rtol=rtol, atol=atol)
    assert model_a.optimizer.iterations == model_b.optimizer.iterations


@cuda
@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_graph_replay_trains_as_eager_steps_do(optimizer, deterministic_cudnn, replays):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a failed capture would warn
        graphed = train(eager=False, optimizer=optimizer)
    eager = train(eager=True, optimizer=optimizer)
    # 20 steps: 2 warm-up, 1 capture, 2 last-batch steps eager, 15 replays.
    assert replays == [15]
    assert_same_training(graphed, eager)
    assert graphed[0].optimizer._device is None  # back to host scalars after fit
    assert graphed[1].history["accuracy"][-1] > 0.9


@cuda
def test_a_step_that_reads_the_host_falls_back_to_eager_with_a_warning(deterministic_cudnn):
    with pytest.warns(RuntimeWarning, match="could not be captured in a CUDA graph"):
        graphed = train(eager=False, extra=[HostRead()])
    assert_same_training(graphed, train(eager=True, extra=[HostRead()]))


class ReloadOptimizer(callbacks.Callback):
    """Replace the optimizer's state tensors after the first epoch (as a restore would)."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            self.model.optimizer.load_state_dict(self.model.optimizer.state_dict())


@cuda
def test_the_graph_is_captured_again_when_the_optimizer_state_is_replaced(deterministic_cudnn):
    assert_same_training(train(eager=False, extra_callbacks=[ReloadOptimizer()]),
                         train(eager=True, extra_callbacks=[ReloadOptimizer()]))


class Keep(layers.Layer):
    """Keeps a reference to its input: after a replay it holds that replay's values."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen = x.detach()  # shares the storage; no autograd graph kept alive
        return x


class KeptPatterns(callbacks.Callback):
    def __init__(self, before: Keep, after: Keep) -> None:
        super().__init__()
        self.before, self.after, self.patterns = before, after, []

    def on_train_batch_end(self, batch, logs=None):
        if 3 <= batch <= 8 and len(self.patterns) < 6:  # replays of the first epoch
            nonzero = self.before.seen != 0
            self.patterns.append((nonzero.clone(), (self.after.seen != 0).clone()))


@cuda
def test_dropout_draws_new_masks_on_every_replay():
    before, after = Keep(), Keep()
    recorder = KeptPatterns(before, after)
    train(eager=False, extra=[before, layers.Dropout(0.5), after], extra_callbacks=[recorder], epochs=1)
    assert len(recorder.patterns) == 6
    for (nonzero_a, kept_a), (nonzero_b, kept_b) in zip(recorder.patterns, recorder.patterns[1:]):
        assert 0.45 < kept_a[nonzero_a].float().mean().item() < 0.55
        both = nonzero_a & nonzero_b
        # A frozen mask would agree everywhere; independent masks agree about half the time.
        assert (kept_a[both] == kept_b[both]).float().mean().item() < 0.6


@cuda
def test_evaluate_and_predict_replay_the_inference_step_with_the_eager_results(deterministic_cudnn, replays):
    model, _ = train(eager=True)  # trained eagerly: no graph so far
    assert replays == []
    x, y = images(130, seed=1)  # batches of 16: eight full ones and a last one of 2
    eager_predictions = model.predict(x, batch_size=16, verbose=0)
    eager_logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # graphs allowed
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        predictions = model.predict(x, batch_size=16, verbose=0)
        logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    # 9 batches each: 2 warm-up, 1 capture, 5 replays, the last (smaller) one eager.
    assert replays == [5, 5]
    np.testing.assert_allclose(predictions, eager_predictions, rtol=1e-5, atol=1e-6)
    assert logs == pytest.approx(eager_logs, rel=1e-5)
    # Every batch's rows are its own (a replay's output is copied before the next replay overwrites it).
    assert len({row.tobytes() for row in predictions}) > 100


def regularized_layers() -> list:
    return [layers.Conv2D(4, 3, padding="same", kernel_regularizer="l2", activity_regularizer="l1",
                          kernel_constraint=constraints.MaxNorm(0.5, axis=[0, 1, 2]))]


@cuda
@pytest.mark.parametrize("use_ema", [False, True])
def test_regularizers_constraints_and_ema_run_inside_the_captured_step(use_ema, deterministic_cudnn, replays):
    runs = []
    for eager in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # a failed capture would warn
            runs.append(train(eager=eager, optimizer=optimizers.Adam(use_ema=use_ema), extra=regularized_layers()))
    assert replays == [15]
    assert_same_training(*runs)
    if not use_ema:  # (the moving average is of the weights before their constraint, as in Keras)
        kernel = runs[0][0].layers[5].get_weights()[0]  # the constrained Conv2D, after the graphed fit
        assert np.linalg.norm(kernel.reshape(-1, 4), axis=0).max() <= 0.5 + 1e-5
