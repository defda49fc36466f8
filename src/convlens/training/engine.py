"""Keras's training API as a mixin of ``Model``: ``compile``, ``fit``, ``evaluate``, ``predict``.

The loop is built for speed from the start:

- In-memory data goes to the device once, uint8 images staying uint8 (the
  model casts each batch); batches are cut by indexing with a per-epoch
  permutation (``batches.ArrayBatches``), never sample by sample in Python.
- Nothing waits for the device between steps: the loss and metric sums
  stay on the device (``metrics.CompiledMetrics``) and are read when the
  progress bar redraws (at most every 0.2 s), at the end of an epoch, or
  for a callback that really implements a batch hook. On an H100 this is
  worth 11% of the Keras MNIST convnet's step time (2.81 ms/step, against
  3.15 ms/step when every step is read).
- ``zero_grad(set_to_none=True)``; ``torch.inference_mode()`` to evaluate and predict.
- On a CPU, freed activation memory is kept for the next step instead of
  being returned to the kernel and faulted in again (``host_memory.py``):
  the MNIST convnet's epoch went from 18.2 s to 12.9 s.
- A CUDA GPU is used when there is one (``device=`` overrides it), and
  there the training step (and the evaluation and prediction steps) is
  captured once in a CUDA graph and replayed for every batch
  (``graphs.py``): the fast recipe's epoch on an H100 went from 1.67 s to
  0.27 s. ``compile(jit_compile=False)`` or ``run_eagerly=True`` keep every
  step eager, as they do in Keras.

Measured for the Keras MNIST convnet (batch 128, 54,000 training images,
bench/w1_keras_mnist_epoch.py): on the 2-core CPU this was developed on,
≈ 30 ms/step, 13.8 s per epoch: the convolutions' passes ≈ 22 ms, pooling
≈ 4 ms, everything else (the engine's batching, loss, metrics and Adam
included) ≈ 4 ms. On an H100 with the CUDA-graph step: 0.25 s per epoch
(eager steps: 1.63 s).

The loss is computed from the model's output exactly as Keras does, also
for a softmax output with a from-probabilities cross-entropy: fusing the two
(``logsumexp(z) - z[y]``) would save 0.45 ms (0.59 → 0.14 ms for a batch of
128 × 10, forward and backward), under 1% of a CPU step, not worth a second
code path with other rounding. ``torch.compile`` made the CPU step 1.9x
slower (and takes 20 s to compile), so it is not used.

Example:
    >>> import numpy as np
    >>> from convlens import Sequential, layers
    >>> model = Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> x, y = np.random.rand(64, 4).astype("float32"), np.random.randint(0, 3, 64)
    >>> history = model.fit(x, y, epochs=2, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss']
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Collection, Iterator

import numpy as np
import torch

from ..distribution import engine_hooks as distributed
from . import losses as losses_lib
from . import metrics as metrics_lib
from . import optimizers as optimizers_lib
from .batches import ArrayBatches, DatasetBatches, make_batches
from .callback import Callback, CallbackList, History
from .data import (as_tensor, check_same_length, conform_input, expected_input_shape, is_array, prepare_inputs,
                   resolve_device, split_validation, unpack_weighted)
from .graphs import CapturedStep, graphs_unavailable
from .host_memory import retain_freed_memory
from .progress import ProgressBar, resolve_verbose

__all__ = ["Trainer"]

Batches = ArrayBatches | DatasetBatches
Logs = dict[str, float]

# compile() arguments that convlens accepts only at their Keras defaults.
_COMPILE_DEFAULTS = {"loss_weights": None, "weighted_metrics": None, "steps_per_execution": 1}


class Trainer:
    """compile / fit / evaluate / predict on a model (channels-last inputs), as Keras's ``Model``.

    The methods act on ``self``: a ``torch.nn.Module`` called as ``self(x)``
    with a ``device``, a ``name`` and (for shape checks) ``input_shape``.
    """

    optimizer: torch.optim.Optimizer | None = None
    loss: Any = None
    compiled: bool = False
    stop_training: bool = False
    history: History | None = None
    _loss_fn: losses_lib.Loss | None = None
    _class_weights: torch.Tensor | None = None  # fit's class_weight as a lookup table, during fit only
    _updates_weights = True  # False for a model without trainable weights (its step only computes the loss)
    _tracker: metrics_lib.CompiledMetrics | None = None
    _train_batches: Batches | None = None
    _initial_epoch: int | None = None
    _eager_only: bool = False  # compile(run_eagerly=True) or jit_compile=False: no CUDA graphs

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # torch.nn.Module has its own `compile` (torch.compile in place); in a
        # class deriving from both, Keras's `compile` must win whatever the
        # order of the bases.
        if "compile" not in cls.__dict__:
            cls.compile = Trainer.compile  # type: ignore[method-assign]

    # -------------------------------------------------------------- compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None, loss_weights: Any = None,
                weighted_metrics: Any = None, run_eagerly: bool = False, steps_per_execution: int = 1,
                jit_compile: Any = "auto", auto_scale_loss: bool = True) -> None:
        """Configure training: the optimizer, the loss and the metrics to report.

        Args:
            optimizer: a name (``"sgd"``, ``"adam"``, ``"adamw"``,
                ``"rmsprop"``, ``"adagrad"``, ``"nadam"``; Keras's defaults),
                a convlens optimizer (``optimizers.Adam(learning_rate=1e-3)``)
                or a ``torch.optim.Optimizer``.
            loss: a name (``"sparse_categorical_crossentropy"``,
                ``"categorical_crossentropy"``, ``"binary_crossentropy"``,
                ``"mse"``, ``"mae"``), a ``Loss`` object
                (``losses.SparseCategoricalCrossentropy(from_logits=True)``)
                or a function ``(y_true, y_pred) -> per-sample losses``.
            metrics: a list of names (``"accuracy"`` is resolved from the label
                shapes as Keras does), ``Metric`` objects or functions.
            loss_weights, weighted_metrics, steps_per_execution: Keras options
                for multi-output models and graph execution, accepted only at
                their defaults.
            run_eagerly, jit_compile: on a CUDA GPU ``fit`` captures its
                training step in a CUDA graph (convlens's counterpart of
                Keras's compiled step); ``run_eagerly=True`` or
                ``jit_compile=False`` run every step eagerly instead.
            auto_scale_loss: accepted for Keras compatibility; convlens
                trains in float32.

        Raises:
            ValueError: for unknown names (the message lists the allowed ones).

        Example:
            >>> from convlens import Sequential, layers
            >>> model = Sequential([layers.Input((8,)), layers.Dense(2)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> model.optimizer
            SGD(learning_rate=0.01, momentum=0.0, nesterov=False)
        """
        for name, value in (("loss_weights", loss_weights), ("weighted_metrics", weighted_metrics),
                            ("steps_per_execution", steps_per_execution)):
            if value != _COMPILE_DEFAULTS[name]:
                raise ValueError(
                    f"compile(): convlens models have one output and run eagerly, so `{name}` is supported only at "
                    f"its default {_COMPILE_DEFAULTS[name]!r}. Received: {name}={value!r}"
                )
        resolved_optimizer = optimizers_lib.get(optimizer)
        loss_fn = losses_lib.get(loss) if loss is not None else None
        tracker = metrics_lib.CompiledMetrics(metrics)
        self.optimizer, self.loss, self._loss_fn, self._tracker = resolved_optimizer, loss, loss_fn, tracker
        self._eager_only = bool(run_eagerly) or jit_compile is False
        self.compiled = True

    @property
    def metrics(self) -> list[metrics_lib.Metric]:
        """The loss tracker and the compiled metrics (built on the first batch), as Keras's ``model.metrics``."""
        if self._tracker is None:
            return []
        return [self._tracker.loss, *(self._tracker.metrics or [])]

    @property
    def metrics_names(self) -> list[str]:
        """``["loss", <metric names>]``: the order of ``evaluate``'s list result."""
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Zero the running loss and metrics (``train_on_batch``/``test_on_batch`` accumulate them)."""
        if self._tracker is not None:
            self._tracker.reset()

    # ------------------------------------------------------------------ fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: list[Callback] | None = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: bool = True, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_steps: int | None = None,
            validation_batch_size: int | None = None, validation_freq: int | Collection[int] = 1,
            device: Any = None, sample_weight: Any = None, class_weight: dict[int, float] | None = None) -> History:
        """Train for ``epochs`` epochs; returns the ``History`` (also ``model.history``).

        Args:
            x: images ``(N, H, W, C)`` (NumPy or torch, any dtype: uint8 is
                cast per batch), or a dataset yielding ``(x_batch, y_batch)``.
            y: labels (not with a dataset).
            batch_size: samples per step (32; not with a dataset).
            epochs: the index of the last epoch (training runs ``initial_epoch..epochs-1``).
            verbose: ``"auto"``, 0, 1 or 2 (see ``progress.py``).
            callbacks: ``Callback`` objects (``EarlyStopping``, ``ModelCheckpoint``, ...).
            validation_split: fraction of the arrays held out for validation:
                the *last* samples, taken before shuffling, as Keras does.
            validation_data: ``(x_val, y_val)``, ``(x_val, y_val, sample_weight_val)``
                or a dataset; overrides ``validation_split``.
            shuffle: reshuffle the arrays every epoch (ignored for datasets).
            initial_epoch: the epoch to start at (to continue a run).
            steps_per_epoch: batches per epoch (default: one pass over the data).
            validation_steps: batches per validation (default: all).
            validation_batch_size: default ``batch_size``.
            validation_freq: validate every n epochs, or at the listed epochs (1-based).
            device: ``None``/``"auto"`` (a CUDA GPU when available), ``"cpu"``,
                ``"cuda"``, ``"cuda:1"``...; the model moves there.
            sample_weight: one weight per training sample (arrays only; a
                dataset may yield ``(x, y, sample_weight)`` batches). As in
                Keras, it weighs the loss, not the compiled metrics.
            class_weight: ``{class_id: weight}``: each sample's loss is
                weighed by its label's class (1 for classes not listed),
                times its ``sample_weight``.

        Returns:
            ``History``: ``history.history["loss"]``, ``["val_accuracy"]``, ...

        Raises:
            ValueError: when ``compile`` was not called, or for bad data or arguments.
        """
        self._require_compiled("fit")
        verbose = resolve_verbose(verbose)
        batch_size = _positive_or_none("batch_size", batch_size)
        steps_per_epoch = _positive_or_none("steps_per_epoch", steps_per_epoch)
        validation_steps = _positive_or_none("validation_steps", validation_steps)
        validation_batch_size = _positive_or_none("validation_batch_size", validation_batch_size)
        _non_negative_int("epochs", epochs)
        _non_negative_int("initial_epoch", initial_epoch)
        if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
            raise ValueError(f"`validation_split` must be in [0, 1). Received: validation_split={validation_split!r}")
        validate_at = _validation_epochs(validation_freq)
        target = resolve_device(device, self.device)

        # On the device from the start: a captured step must not copy from the host.
        self._class_weights = _class_weight_table(class_weight, sample_weight, target)
        train, val = self._weighted_inputs(x, y, sample_weight, "x"), None
        if validation_data is not None:
            val = self._weighted_inputs(*unpack_weighted(validation_data, "validation_data"), "validation_data")
        elif validation_split:
            if not isinstance(train, tuple):
                raise ValueError("`validation_split` is only supported for arrays; with a dataset pass `validation_data`.")
            train, val = split_validation(train, validation_split)
        self._move_to(target)
        self._build_optimizer()
        # The shuffle has its own generator, seeded from the global one, so its
        # state can be saved and restored on its own (BackupAndRestore).
        seed = distributed.start(self, int(torch.randint(0, 2**62, ()).item()))  # rank 0's weights and seed
        generator = torch.Generator().manual_seed(seed)
        train_batches = self._batches(train, target, batch_size, shuffle, steps_per_epoch, generator)
        val_batches = None if val is None else self._batches(val, target, validation_batch_size or batch_size,
                                                             False, validation_steps)

        params = {"verbose": verbose, "epochs": epochs, "steps": train_batches.steps, "do_validation": val is not None}
        callback_list = CallbackList(callbacks, self, params, add_history=True)
        self.history = callback_list.history
        self.stop_training, self._initial_epoch, self._train_batches = False, None, train_batches
        tracker = self._tracker
        progress = ProgressBar(verbose)
        logs: Logs = {}
        total_steps = None if train_batches.steps is None else train_batches.steps * max(0, epochs - initial_epoch)
        train_step = distributed.train_step(self, train_batches) or self._train_step
        step_fn = self._captured(train_step, total_steps, self.optimizer, tracker)
        try:
            with self._mode(training=True):
                callback_list.call("on_train_begin", None)
                start = initial_epoch if self._initial_epoch is None else self._initial_epoch  # set by a restore
                for epoch in range(start, epochs):
                    tracker.reset()  # type: ignore[union-attr]
                    callback_list.call("on_epoch_begin", epoch, None)
                    progress.epoch_header(epoch, epochs)
                    steps = self._run_batches(train_batches, step_fn, callback_list, progress, "train",
                                              tracker.result)  # type: ignore[union-attr]
                    logs = tracker.result()  # type: ignore[union-attr]
                    if val_batches is not None and validate_at(epoch):
                        val_logs = self._evaluate_batches(val_batches, callback_list, ProgressBar(0))
                        logs.update({f"val_{k}": v for k, v in val_logs.items()})
                    progress.finish(steps, logs)
                    callback_list.call("on_epoch_end", epoch, logs)
                    if self.stop_training:
                        break
                if isinstance(self.optimizer, optimizers_lib.Optimizer) and self.optimizer.built and epochs > 0:
                    # With use_ema the weights become their moving averages here, as Keras's fit ends.
                    self.optimizer.finalize_variable_values(
                        [p for group in self.optimizer.param_groups for p in group["params"]])
                callback_list.call("on_train_end", logs)
        finally:
            progress.close()
            self._train_batches, self._class_weights = None, None
            _close(step_fn)
        return self.history  # type: ignore[return-value]

    def _train_step(self, x: torch.Tensor, y: torch.Tensor, sample_weight: torch.Tensor | None = None) -> None:
        y_pred = self(x)  # type: ignore[operator]
        if self._class_weights is not None:  # fit's class_weight weighs training batches only, as in Keras
            by_class = _class_weights_of(self._class_weights, y)
            sample_weight = by_class if sample_weight is None else sample_weight * by_class
        loss = self._compute_loss(y, y_pred, sample_weight)
        if self._updates_weights:
            self.optimizer.zero_grad(set_to_none=True)  # type: ignore[union-attr]
            loss.backward()
            self.optimizer.step()  # type: ignore[union-attr]
        self._tracker.update(loss.detach(), y, y_pred.detach())  # type: ignore[union-attr]

    def _test_step(self, x: torch.Tensor, y: torch.Tensor, sample_weight: torch.Tensor | None = None) -> None:
        y_pred = self(x)  # type: ignore[operator]
        self._tracker.update(self._compute_loss(y, y_pred, sample_weight), y, y_pred)  # type: ignore[union-attr]

    def _compute_loss(self, y: torch.Tensor, y_pred: torch.Tensor, sample_weight: torch.Tensor | None) -> torch.Tensor:
        """The compiled loss (weighted by ``sample_weight``), plus the layers' penalties, as Keras's ``compute_loss``."""
        if sample_weight is None:
            loss = self._loss_fn(y, y_pred)  # type: ignore[misc]
        else:
            loss = self._loss_fn(y, y_pred, sample_weight=sample_weight)  # type: ignore[misc]
        penalties = self.losses  # the regularizers' terms and `add_loss` terms of the call that made y_pred
        if penalties:
            # Keras sums [loss, *penalties] in one reduction (`ops.sum(losses)`), each penalty summed to a scalar.
            loss = torch.stack([loss, *(p.to(loss.dtype).sum() for p in penalties)]).sum()
        return loss

    def _run_batches(self, batches: Batches, step_fn: Callable[..., None], callback_list: CallbackList,
                     progress: ProgressBar, hook: str, logs: Callable[[], dict[str, Any]],
                     progress_logs: Callable[[], Logs] | None = None) -> int:
        """``step_fn(*batch)`` on every batch of one pass, with the batch hooks and the progress bar.

        ``logs()`` (the running metrics: a device sync) is called only for a
        callback that implements ``on_<hook>_batch_end`` and when the bar
        redraws. Returns the number of steps taken.
        """
        begin, end = callback_list.wants(f"{hook}_batch_begin"), callback_list.wants(f"{hook}_batch_end")
        progress.start(batches.steps)
        step = 0
        for step, batch in enumerate(batches.epoch(), start=1):
            if begin:
                callback_list.batch(f"{hook}_batch_begin", step - 1)
            step_fn(*batch)
            if end:
                callback_list.batch(f"{hook}_batch_end", step - 1, logs())
            progress.update(step, progress_logs or logs)
            if hook == "train" and self.stop_training:  # only fit stops early (a callback's request)
                break
        return step

    # ------------------------------------------------------------- evaluate
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto",
                 sample_weight: Any = None, steps: int | None = None, callbacks: list[Callback] | None = None,
                 return_dict: bool = False, device: Any = None) -> float | list[float] | Logs:
        """The loss and metrics on ``x``/``y``, in inference mode.

        Returns:
            The loss alone when no metrics were compiled, else
            ``[loss, metric, ...]`` in ``metrics_names`` order, or a dict
            when ``return_dict=True``.

        Example:
            >>> import numpy as np
            >>> from convlens import Sequential, layers
            >>> model = Sequential([layers.Input((2,)), layers.Dense(1)])
            >>> model.compile(loss="mse", metrics=["mae"])
            >>> len(model.evaluate(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0))
            2
        """
        self._require_compiled("evaluate")
        verbose = resolve_verbose(verbose)
        batch_size = _positive_or_none("batch_size", batch_size)
        target = resolve_device(device, self.device)
        data = self._weighted_inputs(x, y, sample_weight, "x")
        self._move_to(target)
        batches = self._batches(data, target, batch_size, False, _positive_or_none("steps", steps))
        callback_list = CallbackList(callbacks, self, {"verbose": verbose, "epochs": 1, "steps": batches.steps})
        progress = ProgressBar(verbose)
        try:
            logs = self._evaluate_batches(batches, callback_list, progress)
        finally:
            progress.close()
        return logs if return_dict else self._ordered(logs)

    def _evaluate_batches(self, batches: Batches, callback_list: CallbackList, progress: ProgressBar) -> Logs:
        tracker = self._tracker
        tracker.reset()  # type: ignore[union-attr]
        callback_list.call("on_test_begin", None)
        step_fn = self._captured(self._test_step, batches.steps, None, tracker)
        try:
            with self._mode(training=False), torch.inference_mode():
                steps = self._run_batches(batches, step_fn, callback_list, progress, "test",
                                          tracker.result)  # type: ignore[union-attr]
        finally:
            _close(step_fn)
        logs = tracker.result()  # type: ignore[union-attr]
        progress.finish(steps, logs)
        callback_list.call("on_test_end", logs)
        return logs

    def _ordered(self, logs: Logs) -> float | list[float]:
        """Keras's list form: loss, then metrics in compile order, then any other keys sorted."""
        names = [n for n in self.metrics_names if n in logs]
        values = [logs[n] for n in names] + [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    # -------------------------------------------------------------- predict
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None,
                callbacks: list[Callback] | None = None, device: Any = None) -> np.ndarray:
        """The model's outputs for ``x`` (arrays, or a dataset whose batches are ``x`` or ``(x, y)``), as NumPy.

        Example:
            >>> import numpy as np
            >>> from convlens import Sequential, layers
            >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
            >>> model.predict(np.zeros((5, 3)), verbose=0).shape
            (5, 2)
        """
        verbose = resolve_verbose(verbose)
        batch_size = _positive_or_none("batch_size", batch_size)
        target = resolve_device(device, self.device)
        if is_array(x) and np.ndim(x) > 1 and len(x) == 0:
            # No samples, no outputs: the model's empty output, of the right shape (Keras means the same, though
            # its own predict fails on it); evaluate still refuses, as a loss over no samples is undefined.
            self._move_to(target)
            empty = conform_input(as_tensor(x, "x"), expected_input_shape(self), self.name).to(target)
            with self._mode(training=False), torch.inference_mode():
                return _concatenate([self(empty)])  # type: ignore[operator]
        data = self._inputs(x, None, "x", need_y=False)
        self._move_to(target)
        batches = self._batches(data, target, batch_size, False, _positive_or_none("steps", steps))
        callback_list = CallbackList(callbacks, self, {"verbose": verbose, "epochs": 1, "steps": batches.steps})
        progress = ProgressBar(verbose)
        outputs: list[torch.Tensor] = []
        forward = self._captured(lambda x, *labels: self(x), batches.steps)  # type: ignore[operator]
        try:
            callback_list.call("on_predict_begin", None)
            with self._mode(training=False), torch.inference_mode():
                steps = self._run_batches(batches, lambda *batch: outputs.append(forward(*batch)), callback_list,
                                          progress, "predict", lambda: {"outputs": outputs[-1]}, dict)
            progress.finish(steps, {})
            callback_list.call("on_predict_end", None)
        finally:
            progress.close()
            _close(forward)
        if distributed.active() is not None:  # data parallel: every rank's outputs, in global order
            return distributed.gather_outputs(torch.cat(outputs), batches).cpu().numpy()
        return _concatenate(outputs)  # one transfer per output

    # ------------------------------------------------------- single batches
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: dict[int, float] | None = None,
                       return_dict: bool = False) -> float | list[float] | Logs:
        """One training step on one batch; returns that batch's loss/metrics (the metrics are reset first, as in Keras).

        ``sample_weight`` and ``class_weight`` weigh the batch's loss as in ``fit``.

        Example:
            >>> import numpy as np
            >>> from convlens import Sequential, layers
            >>> model = Sequential([layers.Input((2,)), layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> isinstance(model.train_on_batch(np.ones((4, 2)), np.zeros((4, 1))), float)
            True
        """
        self._require_compiled("train_on_batch")
        batch = self._batch_on_device(x, y, sample_weight)
        self._build_optimizer()
        self._class_weights = _class_weight_table(class_weight, sample_weight, batch[0].device)
        self._tracker.reset()  # type: ignore[union-attr]
        try:
            with self._mode(training=True):
                self._train_step(*batch)
        finally:
            self._class_weights = None
        logs = self._tracker.result()  # type: ignore[union-attr]
        return logs if return_dict else self._ordered(logs)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> float | list[float] | Logs:
        """Loss and metrics of one batch in inference mode (the metrics are reset first, as in Keras)."""
        self._require_compiled("test_on_batch")
        batch = self._batch_on_device(x, y, sample_weight)
        self._tracker.reset()  # type: ignore[union-attr]
        with self._mode(training=False), torch.inference_mode():
            self._test_step(*batch)
        logs = self._tracker.result()  # type: ignore[union-attr]
        return logs if return_dict else self._ordered(logs)

    def predict_on_batch(self, x: Any) -> np.ndarray:
        """The outputs for one batch, as NumPy."""
        return self.predict(x, batch_size=len(x), verbose=0)

    def _batch_on_device(self, x: Any, y: Any, sample_weight: Any = None) -> tuple[torch.Tensor, ...]:
        if not is_array(x):
            raise TypeError(f"*_on_batch() takes one batch of arrays; received {type(x).__name__}.")
        batch = self._weighted_inputs(x, y, sample_weight, "x")
        self._move_to(resolve_device(None, self.device))
        return tuple(t.to(self.device) for t in batch)  # type: ignore[union-attr]

    # -------------------------------------------------------------- helpers
    def _captured(self, step: Callable[..., Any], steps: int | None, optimizer: Any = None,
                  tracker: metrics_lib.CompiledMetrics | None = None) -> Callable[..., Any]:
        """``step`` (run ``steps`` times) replayed from a CUDA graph where that pays (``graphs.py``), else ``step``."""
        if self._eager_only or graphs_unavailable(self.device, optimizer, steps) is not None:  # type: ignore[attr-defined]
            return step
        return CapturedStep(step, self, optimizer, tracker)  # type: ignore[arg-type]

    @contextlib.contextmanager
    def _mode(self, training: bool) -> Iterator[None]:
        """Training or inference mode for the duration, then back (layers rest in inference mode, as in Keras)."""
        was_training = self.training  # type: ignore[attr-defined]
        self.train(training)  # type: ignore[attr-defined]
        try:
            yield
        finally:
            self.train(was_training)  # type: ignore[attr-defined]

    def _require_compiled(self, method: str) -> None:
        if not self.compiled:
            raise ValueError(f"You must call `compile()` before calling `{method}()`.")
        if self._loss_fn is None:
            raise ValueError(f"No loss to compute: provide a `loss` argument in `compile()` before calling `{method}()`.")

    def _inputs(self, x: Any, y: Any, name: str, need_y: bool = True) -> Any:
        data = prepare_inputs(self, x, y, name, need_y)
        if isinstance(data, tuple) and data[1] is not None:
            self._check_sparse_labels(data[1])
        return data

    def _weighted_inputs(self, x: Any, y: Any, sample_weight: Any, name: str) -> Any:
        """``_inputs``, with one weight per sample appended when ``sample_weight`` is given."""
        data = self._inputs(x, y, name)
        if sample_weight is None:
            return data
        if not isinstance(data, tuple):
            raise ValueError("`sample_weight` is for arrays; a dataset yields (x, y, sample_weight) batches instead.")
        weights = as_tensor(sample_weight, "sample_weight").float()
        check_same_length(data[0], weights)
        return (*data, weights)

    def _check_sparse_labels(self, y: torch.Tensor) -> None:
        # Out-of-range class ids would fail deep inside the loss (on a GPU as a
        # device-side assert that ends the process); one check of the whole
        # array up front gives a clear error instead.
        loss_fn = self._loss_fn
        if not (isinstance(loss_fn, losses_lib.LossFunctionWrapper) and loss_fn.fn is losses_lib.sparse_categorical_crossentropy):
            return
        try:
            classes = self.output_shape[-1]  # type: ignore[attr-defined]
        except (AttributeError, NotImplementedError):
            return
        if classes is None or y.numel() == 0:
            return
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= classes:
            raise ValueError(
                f"Received a label value of {low if low < 0 else high} which is outside the valid range of "
                f"[0, {classes}) for the model's {classes} outputs. Labels must be class ids 0..{classes - 1}."
            )

    def _batches(self, data: Any, device: torch.device, batch_size: int | None, shuffle: bool, steps: int | None,
                 generator: torch.Generator | None = None) -> Batches:
        expected = expected_input_shape(self)
        batches = make_batches(data, device, batch_size, shuffle, steps, generator,
                               conform=lambda x: conform_input(x, expected, self.name))  # type: ignore[attr-defined]
        return distributed.shard(batches, self._tracker)  # data parallel: this process's slices, global metrics

    def _move_to(self, device: torch.device) -> None:
        """Move the model (and any optimizer state) to ``device``; on a CPU, keep freed memory for reuse."""
        if device.type == "cpu":
            retain_freed_memory()  # 18.2 -> 12.9 s per epoch of the MNIST convnet: see host_memory.py
        if self.device == device:  # type: ignore[attr-defined]
            return
        self.to(device)  # type: ignore[attr-defined]
        optimizer = self.optimizer
        if optimizer is not None and getattr(optimizer, "state", None):
            # load_state_dict places each state tensor next to its weight.
            optimizer.load_state_dict(optimizer.state_dict())

    def _build_optimizer(self) -> None:
        """Bind a convlens optimizer to the trainable weights; check that a bound one holds this model's."""
        optimizer = self.optimizer
        if isinstance(optimizer, optimizers_lib.Optimizer) and not optimizer.built:
            trainable = {id(w) for w in getattr(self, "trainable_weights", self.parameters())}
            params = [p for p in self.parameters() if p.requires_grad and id(p) in trainable]  # type: ignore[attr-defined]
            # Without trainable weights the step computes the loss only, as in Keras (see _train_step).
            self._updates_weights = bool(params)
            if params:
                optimizer.build(params)
                # What Keras keeps on each variable: its constraint, and its name (for exclude_from_weight_decay).
                optimizer.constraints = [(w, project) for w, project in self.constrained_weights()
                                         if id(w) in trainable]
                optimizer.variable_names = _weight_names(self)
            return
        own = {id(p) for p in self.parameters()}  # type: ignore[attr-defined]
        if any(id(p) not in own for group in optimizer.param_groups for p in group["params"]):  # type: ignore[union-attr]
            raise ValueError(
                f"The optimizer passed to compile() updates weights that are not model '{self.name}''s "  # type: ignore[attr-defined]
                "(it was built for another model). Give each model its own optimizer."
            )


def _weight_names(model: Any) -> dict[int, str]:
    """Keras's name of each of the model's weights (``"kernel"``, ``"bias"``), by the weight's ``id``."""
    return {id(getattr(layer, spec.attr)): spec.keras_name for layer in model.modules()
            for spec in getattr(layer, "_weight_specs", ())}


def _class_weight_table(class_weight: dict[int, float] | None, sample_weight: Any,
                        device: torch.device) -> torch.Tensor | None:
    """``{class_id: weight}`` as a lookup tensor (1 for the classes not listed), as Keras's ``class_weight``."""
    if class_weight is None:
        return None
    if sample_weight is not None:
        raise ValueError("Arguments `sample_weight` and `class_weight` cannot be specified at the same time.")
    if not isinstance(class_weight, dict) or not class_weight:
        raise ValueError(f"`class_weight` must be a dict {{class_id: weight}}. Received: class_weight={class_weight!r}")
    bad = [k for k in class_weight if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0]
    if bad:
        raise ValueError(f"`class_weight` keys must be non-negative class ids. Received: {bad}")
    table = torch.ones(max(class_weight) + 1)
    for class_id, weight in class_weight.items():
        table[int(class_id)] = float(weight)
    return table.to(device)


def _class_weights_of(table: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each sample's class weight: one-hot labels by their argmax, (N, 1) labels squeezed, as Keras does."""
    if y.ndim > 1 and y.shape[-1] > 1:
        y = y.argmax(dim=-1)
    elif y.ndim > 1:
        y = y.squeeze(-1)
    ids = y.long().clamp(0, table.numel() - 1)
    return torch.where(y.long() < table.numel(), table[ids], 1.0)


def _close(step: Callable[..., Any]) -> None:
    if isinstance(step, CapturedStep):
        step.close()


def _positive_or_none(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer or None. Received: {name}={value!r}")
    return int(value)


def _non_negative_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative integer. Received: {name}={value!r}")


def _validation_epochs(freq: int | Collection[int]) -> Callable[[int], bool]:
    """``validation_freq`` as a test on the 0-based epoch: every n epochs, or the listed (1-based) ones."""
    if isinstance(freq, (int, np.integer)) and not isinstance(freq, bool) and freq >= 1:
        return lambda epoch: (epoch + 1) % int(freq) == 0
    if isinstance(freq, Collection) and not isinstance(freq, str):
        wanted = set(freq)
        return lambda epoch: epoch + 1 in wanted
    raise ValueError(f"`validation_freq` must be a positive integer or a list of epochs. Received: validation_freq={freq!r}")


def _concatenate(outputs: list[Any]) -> Any:
    """Per-batch outputs → NumPy, one transfer per output; several outputs keep their list/dict structure."""
    first = outputs[0]
    if isinstance(first, (list, tuple)):
        return [_concatenate([batch[i] for batch in outputs]) for i in range(len(first))]
    if isinstance(first, dict):
        return {key: _concatenate([batch[key] for batch in outputs]) for key in first}
    return torch.cat(outputs).cpu().numpy()
