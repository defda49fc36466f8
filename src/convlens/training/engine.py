"""Keras's training API as a mixin of ``Model``: ``compile``, ``fit``, ``evaluate``, ``predict``.

The loop is built for speed from the start:

- In-memory data goes to the device once, uint8 images staying uint8 (the
  model casts each batch); batches are cut by indexing with a per-epoch
  permutation (``batches.ArrayBatches``), never sample by sample in Python.
- Nothing waits for the device between steps: the loss and metric sums
  stay on the device (``compiled_metrics.CompiledMetrics``) and are read when the
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

import torch

from ..distribution import engine_hooks as distributed
from . import losses as losses_lib
from . import metrics as metrics_lib
from . import optimizers as optimizers_lib
from .batches import ArrayBatches, DatasetBatches
from .callback import Callback, CallbackList, History
from .compile_utils import CompiledLoss, output_names
from .compiled_metrics import CompiledMetrics
from .data import resolve_device, split_validation, unpack_weighted
from .fit_arguments import class_weight_table, non_negative_int, positive_or_none, validation_epochs
from .inputs import Inputs
from .prediction import Prediction
from .progress import ProgressBar, resolve_verbose
from .single_batch import SingleBatches
from .steps import Steps, close_step
from .structure import ModelIO

__all__ = ["Trainer"]

Batches = ArrayBatches | DatasetBatches
Logs = dict[str, float]


class Trainer(Steps, Inputs, Prediction, SingleBatches):
    """compile / fit / evaluate / predict on a model (channels-last inputs), as Keras's ``Model``.

    The methods act on ``self``: a ``torch.nn.Module`` called as ``self(x)``
    with a ``device``, a ``name`` and (for shape checks) ``input_shape``.
    """

    optimizer: torch.optim.Optimizer | None = None
    loss: Any = None
    compiled: bool = False
    stop_training: bool = False
    history: History | None = None
    _loss_fn: losses_lib.Loss | None = None  # the fast path's one loss (None on the general path)
    _compiled_loss: CompiledLoss | None = None
    _io: ModelIO | None = None
    _general = False  # several inputs or outputs, or a weighted loss: the general step (steps.py)
    _tracker: CompiledMetrics | None = None
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
                With several outputs: one loss for all of them, a list (one
                per output, ``None`` for none) or a dict by output name.
            metrics: a list of names (``"accuracy"`` is resolved from the label
                shapes as Keras does), ``Metric`` objects or functions; with
                several outputs a list with one entry (a metric or a list)
                per output, or a dict by output name.
            loss_weights: a float, a list or a dict by output name: the total
                loss is ``Σ weight · loss`` over the outputs.
            weighted_metrics: metrics, structured as ``metrics``, that also
                weigh each sample by its ``sample_weight`` (or class weight).
            steps_per_execution: accepted only at 1 (one step per call).
            run_eagerly, jit_compile: on a CUDA GPU ``fit`` captures its
                training step in a CUDA graph (convlens's counterpart of
                Keras's compiled step); ``run_eagerly=True`` or
                ``jit_compile=False`` run every step eagerly instead.
            auto_scale_loss: accepted for Keras compatibility; convlens
                trains in float32.

        Raises:
            ValueError: for unknown names (the message lists the allowed ones)
                or structures that do not fit the model's outputs (Keras's wording).

        Example:
            >>> from convlens import Sequential, layers
            >>> model = Sequential([layers.Input((8,)), layers.Dense(2)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> model.optimizer
            SGD(learning_rate=0.01, momentum=0.0, nesterov=False)
        """
        if steps_per_execution != 1:
            raise ValueError(f"compile(): convlens runs one step per call, so `steps_per_execution` is supported "
                             f"only at its default 1. Received: steps_per_execution={steps_per_execution!r}")
        names = output_names(self)
        resolved_optimizer = optimizers_lib.get(optimizer)
        compiled_loss = None if loss is None else CompiledLoss(loss, loss_weights, names)
        loss_names = compiled_loss.names if compiled_loss is not None else []
        tracker = CompiledMetrics(metrics, weighted_metrics, names, loss_names)
        io = ModelIO.of(self, names)
        # Decided once: the general step walks the structure; one plain loss keeps the fast step.
        general = io.several or (compiled_loss is not None and compiled_loss.single is None)
        self.optimizer, self.loss, self._tracker, self._io = resolved_optimizer, loss, tracker, io
        self._compiled_loss, self._general = compiled_loss, general
        self._loss_fn = None if compiled_loss is None or general else compiled_loss.single
        self._eager_only = bool(run_eagerly) or jit_compile is False
        self.compiled = True

    @property
    def metrics(self) -> list[metrics_lib.Metric]:
        """The loss tracker, the compiled metrics (built on the first batch) and the per-output loss trackers.

        Keras's ``model.metrics`` order, its compiled metrics listed one by one.
        """
        return [] if self._tracker is None else self._tracker.tracked

    @property
    def metrics_names(self) -> list[str]:
        """``["loss", <metric names>, <output>_loss...]``: the order ``evaluate``'s list result follows."""
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
                A model with several inputs takes a list (one array per
                input) or a dict by ``Input`` name, in arrays and batches.
            y: labels (not with a dataset); with several outputs a list (one
                array per output) or a dict by output-layer name.
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
                dataset may yield ``(x, y, sample_weight)`` batches); with
                several outputs one array for all or a list, one per output.
                As in Keras, it weighs the loss and the ``weighted_metrics``,
                not the other compiled metrics.
            class_weight: ``{class_id: weight}``: each sample's loss is
                weighed by its label's class (1 for classes not listed),
                times its ``sample_weight`` (models with one output only).

        Returns:
            ``History``: ``history.history["loss"]``, ``["val_accuracy"]``, ...

        Raises:
            ValueError: when ``compile`` was not called, or for bad data or arguments.
        """
        self._require_compiled("fit")
        verbose = resolve_verbose(verbose)
        batch_size = positive_or_none("batch_size", batch_size)
        steps_per_epoch = positive_or_none("steps_per_epoch", steps_per_epoch)
        validation_steps = positive_or_none("validation_steps", validation_steps)
        validation_batch_size = positive_or_none("validation_batch_size", validation_batch_size)
        non_negative_int("epochs", epochs)
        non_negative_int("initial_epoch", initial_epoch)
        if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
            raise ValueError(f"`validation_split` must be in [0, 1). Received: validation_split={validation_split!r}")
        validate_at = validation_epochs(validation_freq)
        target = resolve_device(device, self.device)

        if class_weight is not None and len(self._io.outputs) > 1:  # type: ignore[union-attr]
            raise ValueError("`class_weight` is only supported for Models with a single output.")
        # On the device from the start: a captured step must not copy from the host.
        self._class_weights = class_weight_table(class_weight, sample_weight, target)
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
        train_step = distributed.train_step(self, train_batches) or self._step("train")
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
            close_step(step_fn)
        return self.history  # type: ignore[return-value]

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
        batch_size = positive_or_none("batch_size", batch_size)
        target = resolve_device(device, self.device)
        data = self._weighted_inputs(x, y, sample_weight, "x")
        self._move_to(target)
        batches = self._batches(data, target, batch_size, False, positive_or_none("steps", steps))
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
        step_fn = self._captured(self._step("test"), batches.steps, None, tracker)
        try:
            with self._mode(training=False), torch.inference_mode():
                steps = self._run_batches(batches, step_fn, callback_list, progress, "test",
                                          tracker.result)  # type: ignore[union-attr]
        finally:
            close_step(step_fn)
        logs = tracker.result()  # type: ignore[union-attr]
        progress.finish(steps, logs)
        callback_list.call("on_test_end", logs)
        return logs

    def _ordered(self, logs: Logs) -> float | list[float]:
        """Keras's list form: loss, then metrics in compile order, then any other keys sorted."""
        names = [n for n in self.metrics_names if n in logs]
        values = [logs[n] for n in names] + [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    # -------------------------------------------------------------- helpers
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
        if self._compiled_loss is None or self._compiled_loss.empty:
            raise ValueError(f"No loss to compute: provide a `loss` argument in `compile()` before calling `{method}()`.")
