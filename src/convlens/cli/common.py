"""Helpers shared by the sub-commands: resolving a MODEL argument and reading images for it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np


def load_model_arg(value: str) -> Any:
    """A model from a ``.keras`` file, a run folder (its ``model.keras``) or a zoo name.

    Raises:
        click.BadParameter: naming what was tried and what is allowed.
    """
    from .. import zoo
    from ..models import saving

    path = Path(value)
    if path.is_dir() and (path / "model.keras").is_file():
        path = path / "model.keras"
    if path.is_file():
        try:
            return saving.load_model(path)
        except (ValueError, OSError) as exc:
            raise click.BadParameter(str(exc), param_hint="MODEL") from None
    try:
        return zoo.create(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither a .keras file, a run folder, nor a zoo model ({', '.join(zoo.list())}).",
            param_hint="MODEL",
        ) from None


def class_names_for(model_path: str, count: int) -> list[str]:
    """Labels stored beside a model by ``convlens train`` (``class_names.json``), else "0", "1", ..."""
    path = Path(model_path)
    folder = path if path.is_dir() else path.parent
    names_file = folder / "class_names.json"
    if names_file.is_file():
        try:
            names = json.loads(names_file.read_text())
            if isinstance(names, list) and len(names) == count:
                return [str(n) for n in names]
        except json.JSONDecodeError:
            pass
    return [str(i) for i in range(count)]


@dataclass(frozen=True)
class ModelImage:
    """An image file converted to a model's input, with what was done to it.

    Attributes:
        pixels: ``(H, W, C)`` float 0..255, the model's input size and colour mode.
        source: the file's own size and mode, e.g. ``"200×200 RGB"``.
        steps: each conversion applied, in order (``"resized to 28×28"``,
            ``"converted to grayscale"``, ``"inverted to light-on-dark"``).
        inverted: whether the grey levels were inverted.
    """

    pixels: np.ndarray
    source: str
    steps: tuple[str, ...]
    inverted: bool

    def describe(self, path: str) -> str:
        """One line for the terminal and figure titles: the file, its size and mode, and every step."""
        done = ", ".join(self.steps) if self.steps else "used as it is"
        return f"{Path(path).name}: {self.source}, {done}"


def image_for_model(path: str, input_shape: tuple, invert: str = "auto") -> ModelImage:
    """Read any PNG/JPEG and convert it to the model's input: resized, grayscale or RGB, 0..255 float.

    ``invert="auto"`` turns a dark-on-light grayscale image (a digit drawn on
    white paper) into MNIST's light-on-dark convention, and the result says so.

    Raises:
        click.BadParameter: when the file cannot be read as an image.
    """
    from ..datasets import load_image
    from ..datasets.image_dataset import open_image

    height, width, channels = input_shape[1:]
    if channels not in (1, 3):
        raise click.BadParameter(f"models with {channels} input channels are not supported for images "
                                 "(expected 1 = grayscale or 3 = RGB).", param_hint="IMAGE")
    size = (height or 256, width or 256)
    try:
        with open_image(path) as opened:
            source_size, source_mode = (opened.height, opened.width), opened.mode
        image = load_image(path, color_mode="grayscale" if channels == 1 else "rgb", image_size=size)
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"cannot read {path} as an image: {exc}", param_hint="IMAGE") from None
    gray_source = source_mode in ("1", "L", "LA", "I", "I;16", "F")
    steps = []
    if source_size != size:
        steps.append(f"resized to {size[0]}×{size[1]}")
    if channels == 1 and not gray_source:
        steps.append("converted to grayscale")
    elif channels == 3 and gray_source:
        steps.append("converted to RGB")
    inverted = channels == 1 and (invert == "yes" or (invert == "auto" and _light_background(image)))
    if inverted:
        image = 255.0 - image
        steps.append("inverted to light-on-dark" + (" (its border is light)" if invert == "auto" else ""))
    return ModelImage(image, f"{source_size[0]}×{source_size[1]} {source_mode}", tuple(steps), inverted)


INVERT_HELP = ("Grayscale models: turn a dark-on-light image (a digit drawn on white paper) into MNIST's "
               "light-on-dark. auto: when the image's border is light (a line says so); yes: always; no: never.")


def _light_background(image: np.ndarray) -> bool:
    border = np.concatenate([image[0].ravel(), image[-1].ravel(), image[:, 0].ravel(), image[:, -1].ravel()])
    return float(np.median(border)) > 127
