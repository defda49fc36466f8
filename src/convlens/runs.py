"""A training run as the ``convlens train`` command does it: data → model → fit → evaluate → run folder.

The run folder holds everything a person needs afterwards:

    model.keras        the trained model (Keras 3 format)
    metrics.csv        one row per epoch (loss, accuracy, val_loss, val_accuracy)
    summary.txt        the model summary with the formula behind every shape and parameter count
    run.json           the run's settings and results (test loss and accuracy, timings)
    class_names.json   the label of every output unit
    checkpoint/        training state after each epoch, for ``--resume`` (and for ``--resume --epochs N`` to extend)
    *.png              training curves, confusion matrix, first-layer filters, feature maps, architecture
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ._io import atomic_write_text
from .errors import RunStateError
from .run_config import (ONE_CYCLE_PEAK_FACTOR, ONE_CYCLE_WARMUP, SCHEDULES, RunConfig, apply_recipe,  # noqa: F401
                         load_config, resume_config)

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
BUILTIN_DATA = ("mnist", "fashion-mnist", "cifar10")


@dataclass
class RunResult:
    """What a finished run reports.

    ``test_loss`` and ``test_accuracy`` are the final score on the split named
    by ``scored_on``: ``"test"`` for the built-in sets (MNIST, Fashion-MNIST, CIFAR-10), ``"validation"``
    for a folder of images (which has no separate test set).
    """

    out: Path
    test_loss: float
    test_accuracy: float
    train_seconds: float
    history: dict[str, list[float]] = field(default_factory=dict)
    data_message: str = ""
    scored_on: str = "test"


def _load_data(config: RunConfig, log: Callable[[str], None]) -> dict[str, Any]:
    """Arrays (built-in sets) or streaming datasets (folders), plus input shape and class names."""
    from . import datasets

    if config.data in BUILTIN_DATA:
        if config.sample and config.data != "mnist":
            raise ValueError("--sample: only MNIST ships a sample; use --data mnist.")
        if config.sample:
            data = datasets.mnist.load_data(sample=True)
            message, is_sample = "Using the MNIST sample shipped with convlens (--sample).", True
        else:
            loaded = datasets.load_or_sample(config.data, download=True)
            data, message, is_sample = loaded.data, loaded.message, loaded.is_sample
        log(message)
        (x_train, y_train), (x_test, y_test) = data
        names = {"fashion-mnist": FASHION_CLASSES, "cifar10": list(datasets.cifar10.CLASS_NAMES)}.get(
            config.data, [str(i) for i in range(10)])
        if x_train.ndim == 3:  # grayscale (N, 28, 28) -> (N, 28, 28, 1): channels last
            x_train, x_test = x_train[..., None], x_test[..., None]
        return {
            "x_train": x_train, "y_train": y_train.reshape(-1),  # CIFAR's labels are (N, 1), as in Keras
            "x_test": x_test, "y_test": y_test.reshape(-1),
            "input_shape": x_train.shape[1:], "class_names": names, "message": message,
            "sample": is_sample, "scored_on": "test",
        }
    folder = Path(config.data)
    if not folder.is_dir():
        raise ValueError(
            f"--data: received {config.data!r}; allowed are {', '.join(BUILTIN_DATA)} or a folder with one "
            "sub-folder of images per class."
        )
    train, val = datasets.image_dataset_from_directory(
        folder, validation_split=config.validation_split or 0.2, subset="both", seed=config.seed,
        image_size=config.image_size, batch_size=config.batch_size)
    message = (f"Using images from {folder}: {len(train.file_paths)} for training, {len(val.file_paths)} for "
               "validation (the score; a folder has no separate test set).")
    log(message)
    return {"train_ds": train, "val_ds": val, "input_shape": (*config.image_size, 3),
            "class_names": list(train.class_names), "message": message, "sample": False, "scored_on": "validation"}


def build_model(name: str, input_shape: tuple[int, ...], num_classes: int, **options: Any):
    """A zoo model for this data: the input shape and class count are passed when the builder takes them.

    ``options`` go to the builder as they are (a recipe's ``model_options``).
    """
    from . import zoo

    builder_params = inspect.signature(zoo.registry._REGISTRY[zoo.registry._key(name)]).parameters \
        if zoo.registry._key(name) in zoo.registry._REGISTRY else {}
    kwargs: dict[str, Any] = {}
    if "input_shape" in builder_params:
        kwargs["input_shape"] = input_shape
    if "num_classes" in builder_params:
        kwargs["num_classes"] = num_classes
    elif "classes" in builder_params:
        kwargs["classes"] = num_classes
    return zoo.create(name, **kwargs, **options)


def outputs_logits(model) -> bool:
    """True when the last layer has no softmax/sigmoid, so the loss must apply it (``from_logits``)."""
    from .layers import activations

    last = model.layers[-1]
    fn = getattr(last, "activation", None)
    return not (fn in (activations.softmax, activations.sigmoid) or type(last).__name__ == "Softmax")


def compile_for_classification(model, optimizer: str = "adam", lr: float | None = None, label_smoothing: float = 0.0,
                               **options: Any) -> None:
    """Compile with sparse categorical cross-entropy (from logits when the model outputs logits) and accuracy.

    With ``label_smoothing`` the loss is Keras's ``CategoricalCrossentropy(label_smoothing=...)`` instead,
    which takes one-hot labels (``utils.to_categorical``). ``options`` are the optimizer's other
    hyper-parameters (a recipe's ``optimizer_options``).
    """
    from . import training

    if lr is not None:
        options["learning_rate"] = lr
    opt = training.optimizers.get(optimizer, **options)
    if label_smoothing:
        loss = training.losses.CategoricalCrossentropy(from_logits=outputs_logits(model), label_smoothing=label_smoothing)
    else:
        loss = training.losses.SparseCategoricalCrossentropy(from_logits=outputs_logits(model))
    model.compile(optimizer=opt, loss=loss, metrics=["accuracy"])


def _default_out(model: str) -> Path:
    return Path("runs") / f"{model}-{time.strftime('%Y%m%d-%H%M%S')}"


def train(config: RunConfig, *, resume: bool = False, verbose: Any = "auto",
          log: Callable[[str], None] = print,
          extra_callbacks: Callable[[dict[str, Any], Path], list] | None = None) -> RunResult:
    """Run training as ``convlens train`` does and fill the run folder.

    Args:
        config: the run's settings.
        resume: continue the interrupted run in ``config.out`` from its last
            completed epoch (its checkpoint holds weights, optimizer, epoch and
            random state, so the result equals an uninterrupted run on CPU).
        verbose: progress bar setting passed to ``fit``.
        log: where one-line messages go.
        extra_callbacks: called with the loaded data and the run folder, returns
            more callbacks for ``fit`` (``convlens train --serve`` adds the live view).

    Example:
        >>> result = train(RunConfig(sample=True, epochs=1, pictures=False, out="/tmp/run"))  # doctest: +SKIP
        >>> result.test_accuracy > 0.8  # doctest: +SKIP
        True
    """
    from . import callbacks as callbacks_lib
    from .distribution.engine_hooks import is_writer
    from .utils import set_random_seed, to_categorical

    writer = is_writer()  # data parallel: every process trains, rank 0 alone prints and writes the run folder
    if not writer:
        log = _silent

    config = apply_recipe(config)
    if config.schedule not in SCHEDULES:
        raise ValueError(f"--schedule: received {config.schedule!r}; allowed are {', '.join(SCHEDULES)}.")
    out = Path(config.out) if config.out else _default_out(config.model)
    config = dataclasses.replace(config, out=str(out))
    if not resume and (out / "checkpoint").exists():
        raise RunStateError(
            f"{out} holds an interrupted run; continue it with --resume {out} or choose another --out.")

    # Data and model first: a run that cannot start (unknown model, bad folder,
    # missing data) leaves no half-made run folder behind.
    set_random_seed(config.seed)
    data = _load_data(config, log)
    if config.data == "mnist":  # the shipped sample stands in for the full set when that is missing: say so
        config = dataclasses.replace(config, sample=bool(data["sample"]))
    # The run records the size its images had: --image-size applies to folders, MNIST's digits are 28 x 28.
    config = dataclasses.replace(config, image_size=tuple(data["input_shape"][:2]))
    class_names = data["class_names"]
    recipe = None
    # fit runs in this context: a recipe may train in bfloat16 where the CPU has it (Recipe.autocast); the test
    # pass after it stays float32
    precision: Any = contextlib.nullcontext()
    training_precision = "float32"
    if config.recipe is not None:
        import torch

        from .recipes import RECIPES
        from .training.data import resolve_device

        recipe = RECIPES[config.recipe]
        device = resolve_device(config.device, torch.device("cpu"))  # where fit will train the newly built model
        precision, training_precision = recipe.autocast(device), recipe.precision(device)
        if config.recipe == "fast" and device.type == "cpu":
            log("--recipe fast is tuned for a GPU; on a CPU --recipe fast-cpu trains a model with 4x fewer "
                "multiply-adds per image.")
    needs = [why for why, used in (("whitens its first layer from the training images", recipe and recipe.whiten_stem),
                                   ("smooths one-hot labels", recipe and recipe.label_smoothing)) if used]
    if needs and "x_train" not in data:
        raise ValueError(f"--recipe {config.recipe}: {' and '.join(needs)}, which needs in-memory images; use "
                         f"--data {' or '.join(BUILTIN_DATA)}.")
    model = build_model(config.model, tuple(data["input_shape"]), len(class_names),
                        **(recipe.model_options if recipe else {}))
    prepare_seconds = 0.0  # learning from the data before fit (the whitened stem) counts as training time
    if recipe is not None and recipe.whiten_stem:
        from .training.whitening import whiten_stem

        prepare_start = time.perf_counter()
        whiten_stem(model, data["x_train"])
        prepare_seconds = time.perf_counter() - prepare_start
    compile_for_classification(model, config.optimizer, config.lr, recipe.label_smoothing if recipe else 0.0,
                               **(recipe.optimizer_options if recipe else {}))
    if writer:
        out.mkdir(parents=True, exist_ok=True)
        if resume:
            _remove_temporaries(out)
        atomic_write_text(out / "run.json", json.dumps({"config": dataclasses.asdict(config)}, indent=2))
        atomic_write_text(out / "class_names.json", json.dumps(class_names))

    resumed_epoch = _resume_point(out) if resume and writer else None
    # The checkpoint is the commit point of an epoch, so it is written last:
    # a kill between the two leaves a metrics row that _resume_point trims.
    callbacks = [
        callbacks_lib.CSVLogger(out / "metrics.csv", append=resumed_epoch is not None),
        # Kept after the last epoch: a kill before model.keras is complete
        # resumes at the evaluation, and --epochs can extend a finished run.
        callbacks_lib.BackupAndRestore(out / "checkpoint", delete_checkpoint=False),
    ]
    steps_per_epoch = recipe.steps_per_epoch(_train_size(config, data)) if recipe is not None else None  # None: passes
    schedule = _schedule(config, recipe, data, model.optimizer, steps_per_epoch)
    if schedule is not None:
        callbacks.append(schedule)
    if extra_callbacks is not None:
        callbacks += extra_callbacks(data, out)
    # torch.optim imports torch._dynamo when the first optimizer is made (1.6 s of the 2-core CPU's time, once
    # per process): a start-up cost like importing torch itself, so it is paid here rather than inside fit.
    import torch._dynamo  # noqa: F401

    start = time.perf_counter()
    try:
        if "train_ds" in data:
            with precision:
                history = model.fit(data["train_ds"], epochs=config.epochs, validation_data=data["val_ds"],
                                    steps_per_epoch=steps_per_epoch, callbacks=callbacks,
                                    verbose=verbose, device=config.device)
            test_loss, test_accuracy = model.evaluate(data["val_ds"], verbose=0)
        else:
            y_train, y_test = data["y_train"], data["y_test"]
            if recipe is not None and recipe.label_smoothing:  # the smoothed loss takes one-hot float32 labels
                y_train, y_test = (to_categorical(y, len(class_names)).astype(np.float32) for y in (y_train, y_test))
            with precision:
                history = model.fit(data["x_train"], y_train, batch_size=config.batch_size,
                                    epochs=config.epochs, validation_split=config.validation_split,
                                    steps_per_epoch=steps_per_epoch, callbacks=callbacks,
                                    verbose=verbose, device=config.device)
            test_loss, test_accuracy = model.evaluate(data["x_test"], y_test, batch_size=1024, verbose=0)
    finally:
        callbacks[0].on_train_end()  # metrics.csv is closed even when training stops on an error (a full disk)
    train_seconds = time.perf_counter() - start + prepare_seconds
    epochs = f"{config.epochs} epoch{'s' if config.epochs != 1 else ''}"
    split = data["scored_on"]
    log(f"{split.capitalize()} accuracy: {test_accuracy:.4f} (loss {test_loss:.4f}) after {epochs} in "
        f"{train_seconds:.1f} s.")

    result = RunResult(out, float(test_loss), float(test_accuracy), train_seconds,
                       {k: [float(v) for v in vs] for k, vs in history.history.items()}, data["message"], split)
    if not writer:
        return result
    model.save(out / "model.keras")
    _write_summary(model, out / "summary.txt")
    atomic_write_text(out / "run.json", json.dumps({
        "config": dataclasses.asdict(config),
        "results": {f"{split}_loss": result.test_loss, f"{split}_accuracy": result.test_accuracy, "scored_on": split,
                    "train_seconds": round(train_seconds, 2), "data": data["message"], "sample": data["sample"],
                    "device": str(model.device), "training_precision": training_precision},
        "history": result.history}, indent=2))
    if config.pictures:
        _draw_pictures(model, data, history, out, log)
    return result


def _schedule(config: RunConfig, recipe, data: dict[str, Any], optimizer, steps_per_epoch: int | None = None):
    """The learning-rate callback: the recipe's one-cycle, the run's one-cycle, or None for a constant rate."""
    from .recipes import OneCycle

    if recipe is None and config.schedule == "constant":
        return None
    steps = (steps_per_epoch or -(-_train_size(config, data) // config.batch_size)) * config.epochs
    if recipe is not None:
        return OneCycle(recipe.peak_lr, steps, recipe.warmup)
    peak = config.lr if config.lr is not None else ONE_CYCLE_PEAK_FACTOR * float(optimizer.learning_rate)
    return OneCycle(peak, steps, ONE_CYCLE_WARMUP)


def _train_size(config: RunConfig, data: dict[str, Any]) -> int:
    """How many images fit trains on per pass: the arrays less the validation split, or the folder's training files."""
    if "x_train" in data:
        return int(len(data["x_train"]) * (1 - config.validation_split))
    return len(data["train_ds"].file_paths)


def _silent(message: str) -> None:
    pass


def _write_summary(model, path: Path) -> None:
    lines: list[str] = []
    model.summary(print_fn=lines.append, explain=True)
    atomic_write_text(path, "\n".join(lines) + "\n")


def _draw_pictures(model, data: dict[str, Any], history, out: Path, log: Callable[[str], None]) -> None:
    from . import lens

    if "x_test" in data:
        x, y = data["x_test"], data["y_test"]
    else:
        xs, ys = zip(*[batch for batch, _ in zip(data["val_ds"], range(8))])
        x, y = np.concatenate(xs), np.concatenate(ys)
    lens.plot_history(history, save=out / "curves.png")
    lens.plot_confusion_matrix(model, x, y, class_names=data["class_names"], save=out / "confusion.png")
    first_conv = next((l for l in model.layers if hasattr(l, "kernel") and l.kernel.dim() == 4), None)
    if first_conv is not None:
        lens.plot_filters(first_conv, save=out / "filters.png")
    lens.plot_feature_maps(model, x[0], save=out / "feature_maps.png")
    lens.plot_architecture(model, save=out / "architecture.png")
    log(f"Pictures: {', '.join(p.name for p in sorted(out.glob('*.png')))}")


def _resume_point(out: Path) -> int | None:
    """The last epoch the run's checkpoint completed (None: none did), with metrics.csv trimmed to match.

    A run killed after writing an epoch's metrics row but before its
    checkpoint repeats that epoch on resume, so the row is dropped here.
    """
    from .training.state import STATE_FILE, TrainingState

    state_file = out / "checkpoint" / STATE_FILE
    metrics = out / "metrics.csv"
    if not state_file.exists():
        metrics.unlink(missing_ok=True)
        return None
    epoch = TrainingState.load(state_file).epoch
    lines = metrics.read_text().splitlines() if metrics.exists() else []
    if not lines:  # killed before the first row was complete: the CSV logger starts it afresh
        metrics.unlink(missing_ok=True)
        return None
    header, *rows = lines
    kept = [row for row in rows if row.split(",", 1)[0].isdigit() and int(row.split(",", 1)[0]) <= epoch]
    atomic_write_text(metrics, "\n".join([header, *kept]) + "\n")
    return epoch


def _remove_temporaries(out: Path) -> None:
    """Delete what a killed writer left: atomic_write's ``.*.part`` and the checkpoint's ``.tmp-*`` files."""
    for folder in (out, out / "checkpoint"):
        if folder.is_dir():
            for stale in [*folder.glob(".*.part"), *folder.glob(".tmp-*")]:
                stale.unlink(missing_ok=True)


