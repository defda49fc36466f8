"""Test-set samples to feed the page: the images the model was evaluated on, with their labels.

Where they come from:

- a run trained on MNIST or Fashion-MNIST (its ``run.json``): that set's test
  images, from ``$CONVLENS_DATA``, the cache, or MNIST's shipped sample;
- a run trained on a folder of images: its validation images (the same
  split, seed and size as training used), read at the model's size;
- a model without a run, taking 28×28 grayscale images: MNIST's test images;
- anything else: none, with a message saying why.

Each sample goes to the page as a PNG at the model's input size (uint8,
lossless), so feeding it back through ``/api/predict`` gives the model the
very pixels listed.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

MAX_COUNT = 100  # samples per request


class NoSamples(LookupError):
    """No test set is known or available for the served model; the message says why and what would give one."""


class Samples:
    """The served model's test samples, loaded on first use.

    Args:
        model: the served model.
        run_dir: its run folder (with ``run.json``), or None.
        class_names: labels of the output units.

    Example:
        >>> from convlens import zoo
        >>> samples = Samples(zoo.create("mnist-convnet"), None, [str(i) for i in range(10)])
        >>> [sorted(s) for s in samples.page(0, 2)["samples"]][0]
        ['class_name', 'image', 'index', 'label']
    """

    def __init__(self, model: Any, run_dir: Path | None, class_names: list[str]) -> None:
        self.model, self.run_dir, self.class_names = model, run_dir, class_names
        self._loaded: tuple[Any, np.ndarray, str] | None = None
        self._lock = threading.Lock()

    def page(self, start: int, count: int) -> dict:
        """``count`` samples from index ``start``: ``{"source", "total", "samples": [{index, label, class_name, image}]}``.

        Raises:
            NoSamples: when there is no test set.
            ValueError: ``start`` or ``count`` out of range (the message gives the range).
        """
        images, labels, source = self._load()
        total = len(labels)
        if not 1 <= count <= MAX_COUNT:
            raise ValueError(f"count: received {count}; allowed values are 1 to {MAX_COUNT}.")
        if not 0 <= start < total:
            raise ValueError(f"start: received {start}; allowed values are 0 to {total - 1}.")
        chosen = range(start, min(start + count, total))
        return {"source": source, "total": total, "samples": [
            {"index": i, "label": int(labels[i]), "class_name": self._name(int(labels[i])),
             "image": _png_data_url(images(i))} for i in chosen]}

    def _name(self, label: int) -> str:
        return self.class_names[label] if 0 <= label < len(self.class_names) else str(label)

    def _load(self) -> tuple[Any, np.ndarray, str]:
        with self._lock:  # MNIST's test set takes a moment to read; one request reads it
            if self._loaded is None:
                self._loaded = self._find()
            return self._loaded

    def _find(self) -> tuple[Any, np.ndarray, str]:
        config = _run_config(self.run_dir)
        shape = tuple(self.model.input_shape[1:])
        data = config.get("data") if config else ("mnist" if shape == (28, 28, 1) else None)
        if data is None:
            raise NoSamples("no test set is known for this model: serve a run folder made by `convlens train` "
                            "(its test or validation images become the samples).")
        if data in ("mnist", "fashion-mnist"):
            return _builtin(data, bool(config and config.get("sample")))
        return _folder(Path(data), config, shape)


def _run_config(run_dir: Path | None) -> dict | None:
    if run_dir is None or not (run_dir / "run.json").is_file():
        return None
    try:
        return json.loads((run_dir / "run.json").read_text())["config"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return None


def _builtin(name: str, sample: bool) -> tuple[Any, np.ndarray, str]:
    from .. import datasets
    from ..datasets.sources import DatasetNotFoundError

    if sample:
        (_, _), (x_test, y_test) = datasets.mnist.load_data(sample=True)
        source = "the MNIST sample shipped with convlens (the run used it)"
    else:
        try:
            loaded = datasets.load_or_sample(name, download=False, verbose=False)
        except DatasetNotFoundError as exc:
            raise NoSamples(f"the {name} test set is not available here: {exc}") from None
        (_, _), (x_test, y_test) = loaded.data
        source = loaded.message
    return (lambda i: x_test[i][..., None]), np.asarray(y_test), f"test images: {source}"


def _folder(folder: Path, config: dict, shape: tuple) -> tuple[Any, np.ndarray, str]:
    from ..datasets import image_dataset_from_directory, load_image

    if not folder.is_dir():
        raise NoSamples(f"the run was trained on the folder {folder}, which is no longer there.")
    size = tuple(config.get("image_size") or shape[:2])
    _, val = image_dataset_from_directory(folder, validation_split=config.get("validation_split") or 0.2,
                                          subset="both", seed=config.get("seed", 0), image_size=size)
    mode = "grayscale" if shape[-1] == 1 else "rgb"

    def image(i: int) -> np.ndarray:
        pixels = load_image(val.file_paths[i], color_mode=mode, image_size=(shape[0] or size[0], shape[1] or size[1]))
        return np.clip(np.round(pixels), 0, 255).astype(np.uint8)

    return image, val.labels, f"the run's validation images from {folder} ({len(val.file_paths)} images)"


def _png_data_url(pixels: np.ndarray) -> str:
    from PIL import Image

    pixels = np.asarray(pixels, np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
