"""The base of convlens's optimizers: a ``torch.optim.Optimizer`` with Keras's constructor and options.

A Keras optimizer is created without weights (``Adam(learning_rate=1e-3)``)
and bound to them later; ``build(params)`` (which ``fit`` calls) runs
``torch.optim.Optimizer.__init__``, after which it is a regular PyTorch
optimizer (``param_groups``, ``state_dict``, LR schedulers, plain loops).

Shared by every optimizer: Keras's decoupled weight decay (``w -= lr·wd·w``
before the update, ``exclude_from_weight_decay``), gradient clipping
(``clipnorm``, ``clipvalue``, ``global_clipnorm``), the weights' constraints
(applied after each update, as Keras's ``optimizer.apply`` does), the
exponential moving average of the weights (``use_ema``), the ``iterations``
counter, the ``learning_rate`` property, Keras's ``variables`` and config.
The update rules live in ``optimizers.py``.

Device scalars: by default the learning rate and the step count are Python
numbers, folded into each kernel's arguments (the fewest kernels, best on a
CPU). ``use_device_scalars(True)`` keeps them in 0-d tensors on the weights'
device instead, so that a step can be captured once in a CUDA graph and
replayed with a new learning rate and step count each time (``fit`` does
this on a GPU, see ``training/graphs.py``); the update rule is the same.

Example:
    >>> import torch
    >>> from convlens.training.optimizers import SGD
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = SGD(learning_rate=0.1).build([w])
    >>> w.grad = torch.tensor([2.0]); opt.step(); w.item()
    0.800000011920929
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import torch

from . import schedules

__all__ = ["Optimizer", "add_scaled_", "get_learning_rate", "set_learning_rate"]

Tensors = list[torch.Tensor]
Scalar = float | torch.Tensor  # a host number, or a 0-d tensor on the weights' device


@dataclass
class _DeviceScalars:
    step: torch.Tensor  # float32 0-d: updates applied so far
    lrs: list[torch.Tensor]  # float32 0-d per parameter group
    host_lrs: list[float]  # the values last copied to `lrs`


def add_scaled_(params: Tensors, tensors: Tensors, scale: Scalar, denominators: Tensors | None = None) -> None:
    """``params += scale · tensors`` (``/ denominators`` when given), for a host or a device ``scale``.

    A host number goes into one fused kernel (``alpha=``/``value=``); a
    device scalar takes one kernel more per list, but no host sync.

    Example:
        >>> p = [torch.ones(2)]
        >>> add_scaled_(p, [torch.ones(2)], torch.tensor(-0.5)); p[0].tolist()
        [0.5, 0.5]
    """
    if isinstance(scale, torch.Tensor):
        if denominators is None:
            update = torch._foreach_mul(tensors, scale)
        else:
            update = torch._foreach_div(tensors, denominators)
            torch._foreach_mul_(update, scale)
        torch._foreach_add_(params, update)
    elif denominators is None:
        torch._foreach_add_(params, tensors, alpha=scale)
    else:
        torch._foreach_addcdiv_(params, tensors, denominators, value=scale)


class Optimizer(torch.optim.Optimizer):
    """Base of convlens's Keras optimizers.

    Args:
        learning_rate: the step size (a float; read and set through
            ``optimizer.learning_rate``, e.g. by LR callbacks).
        weight_decay: decoupled weight decay factor, or ``None``.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global L2 norm.
        use_ema: keep an exponential moving average of the weights
            (``average = m·average + (1 - m)·w`` after each update, the
            first one copying ``w``); ``fit`` swaps it in at the end
            (``finalize_variable_values``), as Keras does.
        ema_momentum: ``m``, in [0, 1].
        ema_overwrite_frequency: with ``use_ema``, overwrite the weights with
            their average every this many updates (``None``: only at the end).
        gradient_accumulation_steps: apply one update every this many steps
            (>= 2), from the mean of their gradients; ``iterations`` counts
            updates, as Keras's does. The steps between updates only add up
            gradients (their weights' constraints and moving averages still
            run, as in Keras). ``None``: update at every step.
        loss_scale_factor: a Keras option accepted at its default ``None`` only.
        name: the optimizer name.

    Attributes:
        constraints: ``(weight, projection)`` pairs applied after every update
            (``fit`` fills them from the layers' ``kernel_constraint``, ...).
        variable_names: Keras's name of each weight by ``id`` (``"kernel"``,
            ``"bias"``), which ``exclude_from_weight_decay(var_names=...)`` matches.

    Subclasses set ``_hyper`` (their Keras hyper-parameters) and implement
    ``_update(params, grads, states, lr)`` for one parameter group.

    Example:
        >>> from convlens.training.optimizers import Adam
        >>> opt = Adam(learning_rate=0.01, clipnorm=1.0)
        >>> isinstance(opt, torch.optim.Optimizer), opt.built
        (True, False)
    """

    _defaults_name = "optimizer"

    def __init__(self, learning_rate: float, weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None, gradient_accumulation_steps: int | None = None,
                 name: str | None = None) -> None:
        # torch.optim.Optimizer.__init__ runs in `build`, once the weights are known.
        if isinstance(learning_rate, dict):  # a schedule as Keras serializes it
            learning_rate = schedules.deserialize(learning_rate)
        self._schedule = learning_rate if isinstance(learning_rate, schedules.LearningRateSchedule) else None
        if self._schedule is not None:
            learning_rate = float(self._schedule(0))
        self._learning_rate = check_non_negative("learning_rate", learning_rate)
        self.weight_decay = None if weight_decay is None else check_non_negative("weight_decay", weight_decay)
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = {k: v for k, v in clips.items() if v is not None}
        if len(given) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        for key, value in given.items():
            check_non_negative(key, value)
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        if loss_scale_factor is not None:
            raise ValueError(f"{type(self).__name__}: convlens supports `loss_scale_factor` only at its Keras default "
                             f"None. Received: loss_scale_factor={loss_scale_factor!r}")
        if gradient_accumulation_steps is not None:
            if isinstance(gradient_accumulation_steps, bool) or not isinstance(gradient_accumulation_steps, int) \
                    or gradient_accumulation_steps < 2:
                raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. "
                                 f"Received: gradient_accumulation_steps={gradient_accumulation_steps}")
            self.supports_device_scalars = False  # whether a step updates is decided on the host
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.steps_taken = 0  # calls of step(): Keras's raw `_iterations` (differs from `iterations` with accumulation)
        self.last_step_updated = False  # whether the last step() updated the weights (not only accumulated)
        self.use_ema = bool(use_ema)
        if use_ema:
            if isinstance(ema_momentum, bool) or not isinstance(ema_momentum, (int, float)) or not 0 <= ema_momentum <= 1:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                                 f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
            if ema_overwrite_frequency:
                self.supports_device_scalars = False  # the overwrite is decided on the host, step by step
        self.ema_momentum, self.ema_overwrite_frequency = ema_momentum, ema_overwrite_frequency
        self.constraints: list[tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]] = []
        self.variable_names: dict[int, str] = {}
        self._no_decay_ids: set[int] = set()
        self._no_decay_pattern: re.Pattern[str] | None = None
        self.name = name or self._defaults_name
        self.iterations = 0  # update steps applied, as Keras's `optimizer.iterations`
        self.built = False
        self._hyper: dict[str, Any] = {}
        self._device: _DeviceScalars | None = None
        self.version = 0  # bumped whenever the state tensors are replaced (load_state_dict)

    # ------------------------------------------------------------- building
    def build(self, params: Iterable[torch.Tensor] | Iterable[dict[str, Any]]) -> "Optimizer":
        """Bind the optimizer to the weights it updates (``fit`` does this); returns ``self``.

        Raises:
            ValueError: if it is already bound, or ``params`` is empty.
        """
        if self.built:
            raise ValueError(f"Optimizer '{self.name}' is already built; create a new optimizer for other weights.")
        super().__init__(params, {"lr": self._learning_rate})
        self.built = True
        return self

    @property
    def learning_rate(self) -> float:
        """The current learning rate (a schedule's value at the current ``iterations``)."""
        if self._schedule is not None:
            return float(self._schedule(self.iterations))
        return self.param_groups[0]["lr"] if self.built else self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        if self._schedule is not None:
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                "constructor argument, hence its learning rate is not settable."
            )
        value = check_non_negative("learning_rate", value)
        self._learning_rate = value
        for group in getattr(self, "param_groups", []):
            group["lr"] = value

    # ------------------------------------------------------ device scalars
    #: Whether the update rule runs from device scalars (all but Nadam, whose
    #: momentum schedule is a running product kept on the host).
    supports_device_scalars = True

    def use_device_scalars(self, enabled: bool) -> None:
        """Keep the learning rate and step count in device tensors (``True``) or Python numbers (``False``).

        With device scalars nothing in ``step()`` depends on host values, so a
        step can be captured in a CUDA graph and replayed; the learning rate
        set on the host (``learning_rate = ...``, a callback, ``param_groups``)
        is copied over by ``sync_device_scalars()`` before each step.

        Raises:
            ValueError: before ``build``, or for an optimizer whose rule does not support it.

        Example:
            >>> from convlens.training.optimizers import Adam
            >>> w = torch.nn.Parameter(torch.tensor([1.0]))
            >>> opt = Adam(learning_rate=0.1).build([w]); opt.use_device_scalars(True)
            >>> w.grad = torch.tensor([1.0]); opt.step(); round(w.item(), 4)
            0.9
        """
        self._require_built("use_device_scalars")
        if enabled and not self.supports_device_scalars:
            raise ValueError(f"{type(self).__name__}'s update rule needs host scalars; it cannot use device scalars.")
        if not enabled:
            self._device = None
            return
        device = self.param_groups[0]["params"][0].device
        self._device = _DeviceScalars(
            step=torch.tensor(float(self.iterations), device=device),
            lrs=[torch.tensor(float(g["lr"]), device=device) for g in self.param_groups],
            host_lrs=[float(g["lr"]) for g in self.param_groups],
        )

    def sync_device_scalars(self) -> None:
        """Copy learning rates changed on the host to the device scalars (no-op without them).

        Cheap when nothing changed: one comparison per parameter group.
        """
        device = self._device
        if device is None:
            return
        for i, group in enumerate(self.param_groups):
            if group["lr"] != device.host_lrs[i]:
                device.lrs[i].fill_(group["lr"])  # an asynchronous kernel, no host sync
                device.host_lrs[i] = group["lr"]

    # ----------------------------------------------------------------- step
    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:  # type: ignore[override]
        """Apply one update from the gradients in ``param.grad``."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        device = self._device
        if device is not None:
            # While a CUDA graph is being captured the host values must not be
            # baked in: the caller syncs before every replay instead.
            if not (device.step.is_cuda and torch.cuda.is_current_stream_capturing()):
                self.sync_device_scalars()
            device.step.add_(1.0)
        self.steps_taken += 1
        accumulate = self.gradient_accumulation_steps
        self.last_step_updated = not accumulate or self.steps_taken % accumulate == 0
        for i, group in enumerate(self.param_groups):
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            if accumulate:
                sums = self._slots([self.state[p] for p in params], params, "gradient_accumulator")
                if not self.last_step_updated:
                    torch._foreach_add_(sums, grads)
                    continue
                grads = torch._foreach_div(torch._foreach_add(grads, sums), float(accumulate))  # (g + Σ) / steps
                torch._foreach_zero_(sums)
            grads = self._clip(grads)
            lr = self._scheduled_lr(group) if device is None else self._scheduled_device_lr(device, i)
            if self.weight_decay:
                decayed = [p for p in params if self._use_weight_decay(p)]
                if decayed:
                    torch._foreach_mul_(decayed, 1.0 - lr * self.weight_decay)
            self._update(params, grads, [self.state[p] for p in params], lr)
        if self.use_ema:
            self._update_moving_average()
        # Keras's order: the update (and the average), then each weight's constraint, then the counter.
        for weight, project in self.constraints:
            if weight.grad is not None:
                weight.copy_(project(weight))
        if self.last_step_updated:
            self.iterations += 1
        return loss

    # ------------------------------------------------------ weight decay
    def exclude_from_weight_decay(self, var_list: Iterable[torch.Tensor] | None = None,
                                  var_names: Iterable[str] | None = None) -> None:
        """Leave some weights out of the weight decay: those in ``var_list``, and those whose name contains one of ``var_names``.

        Names are Keras's weight names (``"kernel"``, ``"bias"``, ``"gamma"``);
        ``fit`` tells the optimizer the names of the model's weights.

        Example:
            >>> from convlens.training.optimizers import AdamW
            >>> opt = AdamW(learning_rate=0.1, weight_decay=0.5)
            >>> opt.exclude_from_weight_decay(var_names=["bias"])
            >>> w, b = torch.nn.Parameter(torch.ones(1)), torch.nn.Parameter(torch.ones(1))
            >>> opt.build([w, b]).variable_names = {id(w): "kernel", id(b): "bias"}
            >>> opt._use_weight_decay(w), opt._use_weight_decay(b)
            (True, False)
        """
        self._no_decay_ids = {id(v) for v in var_list or ()}
        names = set(var_names or ())
        self._no_decay_pattern = re.compile("|".join(sorted(names))) if names else None

    def _use_weight_decay(self, weight: torch.Tensor) -> bool:
        if id(weight) in self._no_decay_ids:
            return False
        pattern = self._no_decay_pattern
        return pattern is None or pattern.search(self.variable_names.get(id(weight), "")) is None

    # --------------------------------------------------------------- EMA
    def _weights(self) -> Tensors:
        return [p for group in self.param_groups for p in group["params"]]

    def _update_moving_average(self) -> None:
        """``average = m·average + (1 - m)·w`` over every weight, with ``m = 0`` on the first update (Keras's rule)."""
        weights = self._weights()
        averages = self._slots([self.state[p] for p in weights], weights, "average")
        device = self._device
        if device is None:
            momentum: Scalar = self.ema_momentum if self.iterations != 0 else 0.0
        else:  # the device step already counts this update
            momentum = (device.step > 1.0).to(device.step.dtype) * self.ema_momentum
        torch._foreach_mul_(averages, momentum)
        torch._foreach_add_(averages, torch._foreach_mul(weights, 1.0 - momentum))
        if self.ema_overwrite_frequency and (self.iterations + 1) % self.ema_overwrite_frequency == 0:
            torch._foreach_copy_(weights, averages)

    @torch.no_grad()
    def finalize_variable_values(self, var_list: Iterable[torch.Tensor]) -> None:
        """Set the weights to their final values: with ``use_ema``, their moving averages (``fit`` calls this at the end).

        Raises:
            ValueError: when ``var_list`` is not the list of weights the optimizer was built with.

        Example:
            >>> from convlens.training.optimizers import SGD
            >>> w = torch.nn.Parameter(torch.tensor([1.0]))
            >>> opt = SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5).build([w])
            >>> for _ in range(2):
            ...     w.grad = torch.tensor([1.0]); opt.step()
            >>> opt.finalize_variable_values([w]); w.item()  # ½·0 + ½·(-1)
            -0.5
        """
        if not self.use_ema or not self.built:
            return
        var_list, weights = list(var_list), self._weights()
        if len(var_list) != len(weights):
            raise ValueError(
                f"The length of model variables ({len(var_list)}) to override does not match the length of model "
                f"variables stored in the optimizer ({len(weights)}). Please check if the optimizer was called on "
                "your model."
            )
        for var, weight in zip(var_list, weights):
            average = self.state[weight].get("average")
            if average is not None:
                var.copy_(average)

    # --------------------------------------------------------- variables
    @property
    def variables(self) -> Tensors:
        """Keras's ``optimizer.variables``: the step count, the learning rate, then the state tensors in Keras's order.

        ``iterations`` (int64) and ``learning_rate`` (float32, left out when it
        is a schedule) are 0-d snapshots; the state tensors (``average`` with
        ``use_ema``, then e.g. Adam's ``momentum`` and ``velocity`` per weight)
        are the optimizer's own, created here if no step has run yet, as Keras
        creates them when it builds.

        Example:
            >>> from convlens.training.optimizers import Adam
            >>> opt = Adam().build([torch.nn.Parameter(torch.zeros(3))])
            >>> [tuple(v.shape) for v in opt.variables]
            [(), (), (3,), (3,)]
        """
        values = [torch.tensor(self.steps_taken)]
        if self._schedule is None:
            values.append(torch.tensor(self.learning_rate, dtype=torch.float32))
        if not self.built:
            return values
        weights = self._weights()
        groups = ([(("average", 0.0),)] if self.use_ema else []) \
            + ([(("gradient_accumulator", 0.0),)] if self.gradient_accumulation_steps else []) + self._slot_groups()
        for group in groups:  # Keras interleaves the slots of one group weight by weight
            for p in weights:
                for key, fill in group:
                    values += self._slots([self.state[p]], [p], key, fill)
        return values + self._extra_variables()

    def _slot_groups(self) -> list[tuple[tuple[str, float], ...]]:
        """The state tensors per weight, ``(name, initial value)``, in the groups and order Keras creates them."""
        return []

    def _extra_variables(self) -> Tensors:
        """Keras's variables after the state tensors (Nadam's momentum product)."""
        return []

    def _scheduled_lr(self, group: dict[str, Any]) -> float:
        """The host learning rate of this update: a schedule's value at the updates applied so far, as in Keras."""
        if self._schedule is not None:
            group["lr"] = float(self._schedule(self.iterations))  # kept in the group for callbacks and logs
        return group["lr"]

    def _scheduled_device_lr(self, device: _DeviceScalars, i: int) -> Scalar:
        # The step scalar already counts this update, so the schedule reads one less; torch ops, no host sync.
        return device.lrs[i] if self._schedule is None else self._schedule(device.step - 1.0)

    def _step_number(self) -> Scalar:
        """The 1-based number of the update being applied (``t`` of the bias corrections)."""
        return self.iterations + 1 if self._device is None else self._device.step

    def _update(self, params: Tensors, grads: Tensors, states: list[dict[str, Any]], lr: Scalar) -> None:
        raise NotImplementedError

    def _clip(self, grads: Tensors) -> Tensors:
        if self.clipnorm:
            # Keras: g · clipnorm / max(‖g‖, clipnorm), per weight.
            norms = torch._foreach_norm(grads)
            return [g * (self.clipnorm / n.clamp(min=self.clipnorm)) for g, n in zip(grads, norms)]
        if self.global_clipnorm:
            total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
            return torch._foreach_mul(grads, self.global_clipnorm / total.clamp(min=self.global_clipnorm))
        if self.clipvalue:
            return [g.clamp(-self.clipvalue, self.clipvalue) for g in grads]
        return grads

    @staticmethod
    def _slots(states: list[dict[str, Any]], params: Tensors, key: str, fill: float = 0.0) -> Tensors:
        """One state tensor per weight (created as ``fill`` on first use), e.g. Adam's moments."""
        for state, p in zip(states, params):
            if key not in state:
                state[key] = torch.full_like(p, fill, memory_format=torch.preserve_format)
        return [state[key] for state in states]

    # ----------------------------------------------------------- state/config
    def state_dict(self) -> dict[str, Any]:
        """PyTorch's optimizer state plus Keras's ``iterations`` counter."""
        self._require_built("state_dict")
        return {**super().state_dict(), "iterations": self.iterations, "steps_taken": self.steps_taken}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._require_built("load_state_dict")
        state_dict = dict(state_dict)
        self.iterations = int(state_dict.pop("iterations", 0))
        self.steps_taken = int(state_dict.pop("steps_taken", self.iterations))
        super().load_state_dict(state_dict)
        self._learning_rate = self.param_groups[0]["lr"]
        self.version += 1
        if self._device is not None:
            self.use_device_scalars(True)  # new step count and learning rates, on the state's device

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(f"Optimizer '{self.name}' has no weights yet: call `build(params)` (fit does) before `{what}`.")

    def get_config(self) -> dict[str, Any]:
        """Keras's optimizer config (JSON-serialisable)."""
        return {
            "name": self.name, "weight_decay": self.weight_decay,
            "learning_rate": self.learning_rate if self._schedule is None else schedules.serialize(self._schedule),
            "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
            "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency, "loss_scale_factor": None,
            "gradient_accumulation_steps": self.gradient_accumulation_steps, **self._hyper,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Optimizer":
        """Re-create an optimizer from ``get_config()`` or Keras's own config.

        Example:
            >>> from convlens.training.optimizers import Adam
            >>> Adam.from_config(Adam(learning_rate=0.01).get_config()).learning_rate
            0.01
        """
        return cls(**config)

    def __repr__(self) -> str:
        shown = {"learning_rate": self.learning_rate, **self._hyper}
        if self.weight_decay is not None:
            shown["weight_decay"] = self.weight_decay
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in shown.items())})"

    # torch.optim.Optimizer pickles only its PyTorch state; keep the Keras
    # hyper-parameters too (copy.deepcopy and pickling of a compiled model).
    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("built"):
            super().__setstate__(state)
        else:
            self.__dict__.update(state)


def check_non_negative(name: str, value: Any) -> float:
    """``value`` as a float, if it is a finite number >= 0 (else ``ValueError`` naming ``name``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or math.isinf(value):
        raise ValueError(f"Argument `{name}` must be a non-negative finite number. Received: {name}={value!r}")
    return float(value)


def check_beta(name: str, value: Any) -> float:
    """``value`` as a float, if it is in [0, 1) (else ``ValueError`` naming ``name``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"Argument `{name}` must be a float in [0, 1). Received: {name}={value!r}")
    return float(value)


def get_learning_rate(optimizer: torch.optim.Optimizer) -> float:
    """The learning rate of a convlens or plain PyTorch optimizer (its first parameter group).

    Example:
        >>> from convlens.training.optimizers import SGD
        >>> get_learning_rate(SGD(learning_rate=0.5))
        0.5
    """
    if isinstance(optimizer, Optimizer):
        return optimizer.learning_rate
    return float(optimizer.param_groups[0]["lr"])


def set_learning_rate(optimizer: torch.optim.Optimizer, value: float) -> None:
    """Set the learning rate of a convlens or plain PyTorch optimizer (every parameter group).

    Example:
        >>> from convlens.training.optimizers import SGD
        >>> opt = SGD(); set_learning_rate(opt, 0.1); opt.learning_rate
        0.1
    """
    if isinstance(optimizer, Optimizer):
        optimizer.learning_rate = value
        return
    value = check_non_negative("learning_rate", value)
    for group in optimizer.param_groups:
        group["lr"] = value
