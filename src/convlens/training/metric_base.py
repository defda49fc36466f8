"""The running statistics every metric builds on: ``Metric``, ``Mean``, ``Sum`` and ``MeanMetricWrapper``.

A metric function maps ``(y_true, y_pred)`` to one value per sample; a
``Metric`` object keeps a running statistic of those values over an epoch,
as tensors on the values' device, so that updating never waits for the
device (``metrics.py`` holds the named metrics and ``get``).

Example:
    >>> import torch
    >>> m = Mean(); m.update_state(torch.tensor([1.0, 3.0]))
    >>> m.result().item()
    2.0
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from .loss_functions import match_rank
from .losses import _snake

__all__ = ["Mean", "MeanMetricWrapper", "Metric", "Sum", "samplewise"]

MetricFn = Callable[..., torch.Tensor]


class Metric:
    """A running statistic over batches: ``update_state``, ``result``, ``reset_state``, as in Keras.

    Attributes:
        name: the key under which the value appears in logs and History.
        direction: ``"up"`` when larger is better, ``"down"`` when smaller is,
            ``None`` when unknown (used by callbacks with ``mode="auto"``).
    """

    direction: str | None = None

    def __init__(self, name: str | None = None) -> None:
        self.name = name or _snake(type(self).__name__)

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def result(self) -> torch.Tensor:
        raise NotImplementedError

    def reset_state(self) -> None:
        raise NotImplementedError

    has_data = True  # whether `result()` has something to report (running means know better)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Mean(Metric):
    """Weighted running mean of the values given to ``update_state``, kept on their device.

    Without ``sample_weight``, or with a Python number standing for that many
    samples (the batch loss), the count stays a host number so that updates
    never wait for the device (and a CUDA graph can replay them). A weight
    tensor is reduced as Keras's ``reduce_to_samplewise_values``: its sum is
    kept on the device next to the total.

    Example:
        >>> m = Mean(); m.update_state(torch.tensor([1.0, 3.0])); m.update_state(torch.tensor(5.0), sample_weight=2)
        >>> m.result().item()  # (1 + 3 + 2·5) / 4
        3.5
    """

    def __init__(self, name: str = "mean", dtype: str | None = None) -> None:
        super().__init__(name)
        _float32_only(dtype)
        self.total: torch.Tensor | None = None  # float32 on the values' device, as Keras's Mean
        self.count = 0.0  # a host number: batch sizes are known without asking the device
        self.weight: torch.Tensor | None = None  # the sum of weight tensors, on the device

    @property
    def variables(self) -> list[torch.Tensor]:
        """``[total, count]`` as tensors, as Keras's ``Mean.variables``."""
        total = self.total if self.total is not None else torch.zeros(())
        return [total, self._denominator(total.device)]

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = _as_float(values).detach()
        if self.total is None or self.total.device != values.device:
            # Created outside inference mode so that evaluate (inference mode)
            # and fit (autograd on) can both update it in place.
            with torch.inference_mode(False):
                self.total = torch.zeros((), dtype=torch.float32, device=values.device)
        if sample_weight is None:
            self.total += values.sum()
            self.count += values.numel()
        elif isinstance(sample_weight, (int, float)):  # one value standing for `sample_weight` samples
            self.total += values.sum() * sample_weight
            self.count += float(sample_weight) * values.numel()
        else:
            values, weights = samplewise(values, torch.as_tensor(sample_weight, device=values.device))
            if self.weight is None:
                with torch.inference_mode(False):
                    self.weight = torch.zeros((), dtype=torch.float32, device=values.device)
            self.total += values.sum()
            self.weight += weights.sum()

    def result(self) -> torch.Tensor:
        if self.total is None:
            return torch.zeros(())
        if self.weight is None:
            return self.total / self.count if self.count else torch.zeros((), device=self.total.device)
        denominator = self._denominator(self.total.device)
        return torch.where(denominator != 0, self.total / denominator, 0.0)

    def reset_state(self) -> None:
        for tensor in (self.total, self.weight):
            if tensor is not None:
                tensor.zero_()
        self.count = 0.0

    @property
    def has_data(self) -> bool:
        """Whether anything was added since the last reset (a host check, as far as the host counts)."""
        return bool(self.count) or self.weight is not None

    def _denominator(self, device: torch.device) -> torch.Tensor:
        count = torch.tensor(self.count, device=device)
        return count if self.weight is None else count + self.weight


def samplewise(values: torch.Tensor, sample_weight: torch.Tensor,
               reduce: Callable[..., torch.Tensor] = torch.mean) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted per-sample values and per-sample weights, as Keras's ``reduce_to_samplewise_values``.

    The weights' rank is matched to the values (a trailing 1 squeezed or
    added); values with more axes than the weights are reduced down to them
    by ``reduce`` (the mean for ``Mean``, the sum for ``Sum``).

    Example:
        >>> [t.tolist() for t in samplewise(torch.tensor([[1.0, 3.0], [5.0, 7.0]]), torch.tensor([1.0, 0.0]))]
        [[2.0, 0.0], [1.0, 0.0]]
    """
    values, weights = match_rank(values, sample_weight.to(values.dtype))
    if values.ndim > weights.ndim:
        values = reduce(values, dim=tuple(range(weights.ndim, values.ndim)))
    weights = weights.expand_as(values) if weights.ndim else weights.expand(values.shape)
    values = values * weights
    if weights.ndim > 1:
        weights = reduce(weights, dim=tuple(range(1, weights.ndim)))
    if values.ndim > 1:
        values = reduce(values, dim=tuple(range(1, values.ndim)))
    return values, weights


class Sum(Metric):
    """Weighted running sum of the values given to ``update_state``, as Keras's ``Sum``.

    Example:
        >>> m = Sum(); m.update_state(torch.tensor([1.0, 3.0]), sample_weight=torch.tensor([1.0, 0.5]))
        >>> m.result().item()
        2.5
    """

    def __init__(self, name: str = "sum", dtype: str | None = None) -> None:
        super().__init__(name)
        _float32_only(dtype)
        self.total = torch.zeros(())

    @property
    def variables(self) -> list[torch.Tensor]:
        return [self.total]

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = _as_float(values).detach()
        if sample_weight is not None:
            values = samplewise(values, torch.as_tensor(sample_weight, device=values.device), torch.sum)[0]
        self.total = self.total.to(values.device) + values.sum()

    def result(self) -> torch.Tensor:
        return self.total.clone()

    def reset_state(self) -> None:
        self.total = torch.zeros((), device=self.total.device)


class MeanMetricWrapper(Mean):
    """The running mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Example:
        >>> m = MeanMetricWrapper(lambda y, p: (y - p).abs(), name="abs_error", direction="down")
        >>> m.update_state(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 0.0])); m.result().item()
        1.5
    """

    def __init__(self, fn: MetricFn, name: str | None = None, direction: str | None = None,
                 dtype: str | None = None, **kwargs: Any) -> None:
        super().__init__(name or getattr(fn, "__name__", "metric"), dtype=dtype)
        self.fn = fn
        self.direction = direction
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        y_pred = _as_float(y_pred)
        y_true = torch.as_tensor(y_true, device=y_pred.device)
        super().update_state(self.fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self) -> dict[str, Any]:
        """``name`` and the function's options, as Keras's metric configs."""
        return {"name": self.name, "dtype": "float32", **self._fn_kwargs}


def _as_float(values: Any) -> torch.Tensor:
    values = torch.as_tensor(values)
    return values if values.is_floating_point() else values.float()


def _float32_only(dtype: str | None) -> None:
    if dtype not in (None, "float32"):
        raise ValueError(f"convlens computes metrics in float32. Received: dtype={dtype!r}")
