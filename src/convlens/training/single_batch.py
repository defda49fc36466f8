"""``train_on_batch``, ``test_on_batch`` and ``predict_on_batch``: one step on one batch (a mixin of ``Trainer``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .fit_arguments import class_weight_table
from .inputs import in_memory

__all__ = ["SingleBatches"]

Logs = dict[str, float]


class SingleBatches:
    """Keras's ``*_on_batch`` methods: ``self`` is the model."""

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
        if class_weight is not None and len(self._io.outputs) > 1:  # type: ignore[union-attr]
            raise ValueError("`class_weight` is only supported for Models with a single output.")
        self._class_weights = class_weight_table(class_weight, sample_weight, batch[0].device)
        self._tracker.reset()  # type: ignore[union-attr]
        try:
            with self._mode(training=True):
                self._step("train")(*batch)
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
            self._step("test")(*batch)
        logs = self._tracker.result()  # type: ignore[union-attr]
        return logs if return_dict else self._ordered(logs)

    def predict_on_batch(self, x: Any) -> np.ndarray:
        """The outputs for one batch, as NumPy."""
        if not in_memory(x):
            raise TypeError(f"predict_on_batch() takes one batch of arrays; received {type(x).__name__}.")
        first = self._structure().first_input(x)  # type: ignore[attr-defined]
        return self.predict(x, batch_size=max(1, len(first)), verbose=0)  # type: ignore[attr-defined]
