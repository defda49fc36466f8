"""``predict``: the model's outputs for arrays or a dataset, batch by batch on the device (a mixin of ``Trainer``).

The outputs stay on the device until the end and are copied to the host in
one transfer per output; on a CUDA GPU the forward pass is replayed from a
CUDA graph (``graphs.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..distribution import engine_hooks as distributed
from .callback import Callback, CallbackList
from .data import as_tensor, conform_input, expected_input_shape, resolve_device
from .fit_arguments import positive_or_none
from .progress import ProgressBar, resolve_verbose
from .steps import close_step

__all__ = ["Prediction"]


class Prediction:
    """``predict`` of ``Trainer``: ``self`` is the model."""

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None,
                callbacks: list[Callback] | None = None, device: Any = None) -> np.ndarray:
        """The model's outputs for ``x`` (arrays, or a dataset whose batches are ``x`` or ``(x, y)``), as NumPy.

        A model with several inputs takes a list or a dict of arrays, as ``fit``
        does; one with several outputs returns a list of arrays.

        Example:
            >>> import numpy as np
            >>> from convlens import Sequential, layers
            >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
            >>> model.predict(np.zeros((5, 3)), verbose=0).shape
            (5, 2)
        """
        verbose = resolve_verbose(verbose)
        batch_size = positive_or_none("batch_size", batch_size)
        target = resolve_device(device, self.device)
        if isinstance(x, (np.ndarray, torch.Tensor)) and x.ndim > 1 and len(x) == 0:
            # No samples, no outputs: the model's empty output, of the right shape (Keras means the same, though
            # its own predict fails on it); evaluate still refuses, as a loss over no samples is undefined.
            self._move_to(target)
            empty = conform_input(as_tensor(x, "x"), expected_input_shape(self), self.name).to(target)
            with self._mode(training=False), torch.inference_mode():
                return _concatenate([self(empty)])  # type: ignore[operator]
        data = self._inputs(x, None, "x", need_y=False)
        self._move_to(target)
        batches = self._batches(data, target, batch_size, False, positive_or_none("steps", steps))
        callback_list = CallbackList(callbacks, self, {"verbose": verbose, "epochs": 1, "steps": batches.steps})
        progress = ProgressBar(verbose)
        outputs: list[torch.Tensor] = []
        io = self._structure()
        count = len(io.inputs)  # a batch holds the inputs, then any targets (ignored here)
        forward = self._captured(lambda *batch: self(io.model_input(batch[:count])), batches.steps)  # type: ignore[operator]
        try:
            callback_list.call("on_predict_begin", None)
            with self._mode(training=False), torch.inference_mode():
                steps = self._run_batches(batches, lambda *batch: outputs.append(forward(*batch)), callback_list,
                                          progress, "predict", lambda: {"outputs": outputs[-1]}, dict)
            progress.finish(steps, {})
            callback_list.call("on_predict_end", None)
        finally:
            progress.close()
            close_step(forward)
        if distributed.active() is not None:  # data parallel: every rank's outputs, in global order
            return distributed.gather_outputs(torch.cat(outputs), batches).cpu().numpy()
        return _concatenate(outputs)  # one transfer per output


def _concatenate(outputs: list[Any]) -> Any:
    """Per-batch outputs → NumPy, one transfer per output; several outputs keep their list/dict structure."""
    first = outputs[0]
    if isinstance(first, (list, tuple)):
        return [_concatenate([batch[i] for batch in outputs]) for i in range(len(first))]
    if isinstance(first, dict):
        return {key: _concatenate([batch[key] for batch in outputs]) for key in first}
    return torch.cat(outputs).cpu().numpy()
