"""Class scores of a classifier, whether it ends in softmax, sigmoid or plain logits.

Attribution maps need the score *before* softmax (the gradient of a
probability also depends on every other class), and the plots of predictions
need probabilities; both come from one forward pass here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..layers import Softmax, activations
from ..models import Model
from .images import as_model_input

_SQUASHING = (activations.softmax, activations.sigmoid)


def class_logits(model: Model, batch: torch.Tensor) -> torch.Tensor:
    """Pre-softmax class scores ``(N, K)``, ``K >= 2``, with gradients, in inference mode.

    A last layer with a softmax or sigmoid activation runs without it for this
    call; a trailing ``Softmax`` layer contributes its input. A single sigmoid
    or logit unit ``z`` becomes the two scores ``(-z/2, z/2)``, whose softmax
    is ``(1 - sigmoid(z), sigmoid(z))``.

    Example:
        >>> from convlens import zoo
        >>> class_logits(zoo.create("lenet5"), torch.zeros(2, 28, 28, 1)).shape
        torch.Size([2, 10])
    """
    last = model.layers[-1]
    squash = getattr(last, "activation", None)
    captured: list[torch.Tensor] = []
    handle = None
    if isinstance(last, Softmax):
        handle = last.register_forward_hook(lambda _layer, inputs, _out: captured.append(inputs[0]))
    elif squash in _SQUASHING:
        last.activation = activations.linear
    try:
        out = model(batch.to(model.device), training=False)
    finally:
        if handle is not None:
            handle.remove()
        if squash in _SQUASHING:
            last.activation = squash
    logits = (captured[0] if captured else out).flatten(1)
    if logits.shape[1] == 1:
        logits = torch.cat([-logits / 2, logits / 2], dim=1)
    return logits


def predict_proba(model: Model, x: Any, batch_size: int = 256) -> np.ndarray:
    """Class probabilities ``(N, K)`` for images ``x`` (any form :func:`as_model_input` takes).

    Example:
        >>> from convlens import zoo
        >>> p = predict_proba(zoo.create("mnist-convnet"), np.zeros((3, 28, 28), np.uint8))
        >>> p.shape, bool(np.allclose(p.sum(1), 1))
        ((3, 10), True)
    """
    if not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive int; received batch_size={batch_size!r}.")
    batch, _ = as_model_input(model, x)
    chunks = []
    with torch.no_grad():
        for start in range(0, len(batch), batch_size):
            logits = class_logits(model, batch[start : start + batch_size])
            chunks.append(torch.softmax(logits.float(), dim=1).cpu())
    return torch.cat(chunks).numpy() if chunks else np.zeros((0, 0), np.float32)
