"""A run's settings: ``RunConfig`` (one ``convlens train`` flag per field), a recipe's overrides, and reading them back.

Example:
    >>> RunConfig(recipe="fast").epochs, apply_recipe(RunConfig(recipe="fast")).validation_split
    (2, 0.0)
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import FileFormatError, RunStateError

__all__ = ["ONE_CYCLE_PEAK_FACTOR", "ONE_CYCLE_WARMUP", "SCHEDULES", "RunConfig", "apply_recipe", "load_config",
           "resume_config"]

SCHEDULES = ("one-cycle", "constant")
# With no --lr, one-cycle peaks at this multiple of the optimizer's Keras default rate (Adam: 0.006). Tuned for
# Adam on mnist-convnet at batch 256 over 2 epochs (seeds 0-2: 98.65-98.69 % test accuracy).
ONE_CYCLE_PEAK_FACTOR = 6.0
ONE_CYCLE_WARMUP = 0.2


@dataclass
class RunConfig:
    """Everything that defines a training run; ``convlens train`` has one flag per field."""

    model: str = "mnist-convnet"  # a zoo name (see `convlens.zoo.list()`)
    data: str = "mnist"  # "mnist", "fashion-mnist", "cifar10" or a folder of class sub-folders of images
    epochs: int = 2  # passes over the training set
    # images per gradient step. Under the one-cycle schedule, 2 epochs of mnist-convnet on MNIST reach 98.65-98.69 %
    # test accuracy at 256 (seeds 0-2, peak 0.006) and 98.62-98.66 % at 128 (peak 0.004), as batch 16 did at Keras's
    # constant 0.001 (98.53-98.70 %) with 16x the steps; on a CPU one step on 256 images costs a fraction of 16
    # steps on 16 (bench/RESULTS.md, "The main job")
    batch_size: int = 256
    optimizer: str = "adam"  # sgd | adam | adamw | rmsprop
    lr: float | None = None  # learning rate (the peak under one-cycle); None = the schedule's default
    schedule: str = "one-cycle"  # one-cycle (linear rise over the first 20 % of steps, then down to 0) | constant
    seed: int = 0  # seeds weights, shuffling and dropout: the same seed repeats a CPU run exactly
    device: str = "auto"  # auto (a CUDA GPU when present) | cpu | cuda | cuda:N
    validation_split: float = 0.1  # the last fraction of the training set, held out for val_ metrics
    # (height, width) folder images are resized to; a run records the size its images had (28 x 28 for MNIST)
    image_size: tuple[int, int] = (180, 180)
    sample: bool = False  # use the MNIST sample shipped with convlens even when the full set is found
    pictures: bool = True  # draw curves, confusion matrix, filters and feature maps into the run folder
    recipe: str | None = None  # a named recipe (convlens.recipes.RECIPES) fixing model, batch, epochs and schedule
    out: str = ""  # the run folder; empty = runs/<model>-<date-time>

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RunConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"Unknown run settings {sorted(unknown)}; known ones are {sorted(known)}.")
        values = dict(values)
        values.setdefault("schedule", "constant")  # runs recorded before schedules existed trained at a constant rate
        if "image_size" in values:
            values["image_size"] = tuple(values["image_size"])
        return cls(**values)


def apply_recipe(config: RunConfig) -> RunConfig:
    """The run settings with a named recipe's model, batch size, epochs, optimizer and split put in."""
    if config.recipe is None:
        return config
    from .recipes import RECIPES

    if config.recipe not in RECIPES:
        raise ValueError(f"--recipe: received {config.recipe!r}; allowed are {', '.join(RECIPES)}.")
    recipe = RECIPES[config.recipe]
    return dataclasses.replace(config, model=recipe.model, epochs=recipe.epochs, batch_size=recipe.batch_size,
                               optimizer=recipe.optimizer, lr=recipe.peak_lr,
                               validation_split=recipe.validation_split)


def resume_config(run_dir: str | Path, epochs: int | None = None) -> RunConfig:
    """The settings to continue the run in ``run_dir``: written back into that folder, whatever its run.json says.

    Args:
        run_dir: the run folder (it may have been copied or moved).
        epochs: a new total number of epochs; required to continue a
            finished run, and then larger than the epochs it ran.

    Raises:
        RunStateError: the run is finished and ``epochs`` does not extend it.

    Example:
        >>> resume_config("runs/mnist-convnet-20250101-120000", epochs=4)  # doctest: +SKIP
    """
    config = dataclasses.replace(load_config(run_dir), out=str(Path(run_dir)))
    record = json.loads((Path(run_dir) / "run.json").read_text())
    if "results" in record:
        if epochs is None or epochs <= config.epochs:
            raise RunStateError(
                f"--resume: {run_dir} is a finished run of {config.epochs} epochs; pass --epochs N with N > "
                f"{config.epochs} to train it further, or start a new run.")
        if not (Path(run_dir) / "checkpoint").exists():
            raise RunStateError(f"--resume: {run_dir} has no checkpoint/ folder to continue from.")
    if epochs is not None:
        config = dataclasses.replace(config, epochs=epochs)
    return config


def load_config(run_dir: str | Path) -> RunConfig:
    """The settings of an earlier run, from its ``run.json``."""
    path = Path(run_dir) / "run.json"
    if not path.is_file():
        raise RunStateError(f"--resume: {run_dir} is not a run folder (no run.json in it).")
    try:
        return RunConfig.from_dict(json.loads(path.read_text())["config"])
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise FileFormatError(f"--resume: {path} is damaged ({exc}).") from None
