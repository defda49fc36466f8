"""Keras's training API as a mixin of ``Model`` (placeholder until the training loop lands)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


class Trainer:
    """compile / fit / evaluate / predict on a model (channels-last inputs)."""

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto") -> np.ndarray:
        """Outputs for ``x`` in batches of ``batch_size`` (32), as NumPy."""
        batch_size = batch_size or 32
        device = next((p.device for p in self.parameters()), torch.device("cpu"))  # type: ignore[attr-defined]
        data = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
        outs = []
        with torch.inference_mode():
            for start in range(0, len(data), batch_size):
                outs.append(self(data[start : start + batch_size].to(device), training=False).cpu())  # type: ignore[operator]
        return torch.cat(outs).numpy()
