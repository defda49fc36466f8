"""Training as it happens, for the web lens: a callback that writes small events and per-epoch snapshots.

The run folder gets ``live/events.jsonl`` (one JSON object a line: ``batch``
every few steps with loss and accuracy, ``epoch`` with the epoch's logs and
``done``) and ``live/epoch_N.json`` (the first conv layer's filters and a
fixed test image's feature maps after epoch N). The server streams the
events file to the page by server-sent events, so a page opened or reloaded
at any time replays the run so far and then follows it; the snapshots let a
slider show any finished epoch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write_text
from ..training.callback import Callback

EVENTS_FILE = Path("live") / "events.jsonl"
MAPS = 16  # feature maps kept per snapshot


def read_events(run_dir: Path, start: int) -> list[str]:
    """The complete lines of the run's event file from line ``start`` on (a line still being written is left)."""
    path = run_dir / EVENTS_FILE
    if not path.is_file():
        return []
    text = path.read_text()
    lines = text.split("\n")[:-1]  # the piece after the last newline is not complete yet
    return lines[start:]


class LiveCallback(Callback):
    """Feed the web lens's live view: batch and epoch metrics, filters and feature maps per epoch.

    Args:
        run_dir: the run folder (``live/`` is created in it).
        image: the fixed test image whose feature maps are kept, ``(H, W, C)``.
        every: write a batch event every ``every`` steps.

    Example:
        >>> from convlens import zoo
        >>> callback = LiveCallback("/tmp/run", np.zeros((28, 28, 1), np.float32))
        >>> # model.fit(x, y, callbacks=[callback])
    """

    def __init__(self, run_dir: str | Path, image: np.ndarray, every: int = 10) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.image = np.asarray(image, np.float32)
        self.every = every
        (self.run_dir / "live").mkdir(parents=True, exist_ok=True)
        self._epoch = 0

    def _event(self, **event: Any) -> None:
        with open(self.run_dir / EVENTS_FILE, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(event) + "\n")  # one write per line: a reader never sees half of one

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._event(type="begin", epochs=self.params.get("epochs"), steps=self.params.get("steps"),
                    image=np.round(self.image[..., 0] if self.image.shape[-1] == 1 else self.image, 1).tolist())

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if batch % self.every == 0:
            self._event(type="batch", epoch=self._epoch, batch=batch, **_floats(logs))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        snapshot = snapshot_of(self.model, self.image)
        atomic_write_text(self.run_dir / "live" / f"epoch_{epoch}.json", json.dumps(snapshot))
        self._event(type="epoch", epoch=epoch, logs=_floats(logs), **snapshot)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._event(type="done")


def snapshot_of(model: Any, image: np.ndarray) -> dict:
    """The first conv layer's filters ``(filters, kh, kw)`` (channel-averaged) and its first maps for ``image``."""
    from ..lens import activations, map_layers

    first = next((layer for layer in map_layers(model) if hasattr(layer, "kernel_size")), None)
    if first is None:
        return {"filters": [], "maps": [], "layer": None}
    kernel = first.get_weights()[0].mean(axis=2)  # (kh, kw, filters)
    maps = activations(model, image, [first.name])[first.name]
    return {"layer": first.name,
            "filters": np.round(np.moveaxis(kernel, -1, 0)[:MAPS], 4).tolist(),
            "maps": np.round(np.moveaxis(maps[..., :MAPS], -1, 0), 3).tolist()}


def _floats(logs: dict | None) -> dict:
    return {key: float(value) for key, value in (logs or {}).items()}


class LiveServer:
    """``convlens train --serve``: called by the run with its data and folder, it starts the web lens on the folder
    and returns the :class:`LiveCallback`; :meth:`wait` keeps serving after training until Ctrl-C."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port
        self.server: Any = None

    def __call__(self, data: dict[str, Any], out: Path) -> list[Callback]:
        from .launch import make_server

        callback = LiveCallback(out, first_test_image(data))
        self.server = make_server(run_dir=out, port=self.port).start()
        print(f"Watch the training at {self.server.url}", flush=True)
        return [callback]

    def wait(self) -> None:
        if self.server is None:
            return
        print(f"Training done; still serving {self.server.url} (Ctrl-C stops).", flush=True)
        try:
            self.server._thread.join()
        except KeyboardInterrupt:
            pass
        finally:
            self.server.stop()


def first_test_image(data: dict[str, Any]) -> np.ndarray:
    """The image the live view follows: the first test image (arrays) or the first validation batch's first."""
    if "x_test" in data:
        return np.asarray(data["x_test"][0], np.float32)
    images = next(iter(data["val_ds"]))[0]
    return np.asarray(images[0], np.float32)
