"""Keras's per-epoch progress display, drawn with rich.

``verbose=1`` shows a live bar on a terminal (or notebook), then leaves the
epoch's final line::

    Epoch 1/2
    422/422 ━━━━━━━━━━━━━━━━━━━━ 12s 28ms/step - accuracy: 0.8971 - loss: 0.3357 - val_accuracy: 0.9775 - val_loss: 0.0837

``verbose=2`` prints one line per epoch (``422/422 - 12s - 28ms/step - ...``),
``verbose=0`` nothing, and ``"auto"`` means 1 on a terminal and 2 otherwise,
so logs and pipes get one line per epoch rather than a stream of redraws.

Reading the metrics waits for the device, so the bar refreshes at most every
``REFRESH_SECONDS``; in between, ``update`` costs one clock read.

Data-parallel, only rank 0 draws, but the values it draws are global: reading
them is a collective (the metric totals summed over the processes), so every
process must read them at the same steps. Rank 0 therefore tells the others,
at ``start`` and at each redraw, whether and at which step the next redraw
comes (one broadcast of two integers: the step is chosen from rank 0's clock).

Example:
    >>> import io, rich.console
    >>> out = io.StringIO()
    >>> bar = ProgressBar(2, console=rich.console.Console(file=out, width=200))
    >>> bar.start(4); bar.finish(4, {"loss": 0.25})
    >>> out.getvalue().startswith("4/4 - 0s - ")
    True
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable

import rich.console
import rich.live
import rich.text
import torch
import torch.distributed as dist

from ..distribution import engine_hooks, process_group

__all__ = ["ProgressBar", "resolve_verbose"]

REFRESH_SECONDS = 0.2  # a device sync at most 5 times a second: invisible next to a ~30 ms step
BAR_WIDTH = 20  # Keras's bar width in characters

Logs = dict[str, float]


def resolve_verbose(verbose: Any) -> int:
    """``"auto"`` → 1 on a terminal or notebook, else 2; ``0``/``1``/``2`` as given.

    Raises:
        ValueError: for any other value.

    Example:
        >>> resolve_verbose(0)
        0
    """
    if verbose == "auto":
        console = rich.console.Console()
        return 1 if console.is_terminal or console.is_jupyter else 2
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f'`verbose` must be "auto", 0 (silent), 1 (progress bar) or 2 (one line per epoch). Received: verbose={verbose!r}')
    return int(verbose)


def format_logs(logs: Logs) -> str:
    """`` - name: value`` for each entry, 4 decimals (scientific below 1e-3), as Keras prints them.

    Example:
        >>> format_logs({"accuracy": 0.89712, "loss": 0.0001234})
        ' - accuracy: 0.8971 - loss: 1.2340e-04'
    """
    return "".join(f" - {k}: {v:.4f}" if abs(v) > 1e-3 else f" - {k}: {v:.4e}" for k, v in logs.items())


def format_step_time(seconds: float) -> str:
    """Seconds per step as Keras shows it: ``2s/step``, ``28ms/step`` or ``350us/step``.

    Example:
        >>> format_step_time(0.0283)
        '28ms/step'
    """
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def format_eta(seconds: float) -> str:
    """Remaining time as Keras shows it: ``45s``, ``3:05`` or ``1:02:03``.

    Example:
        >>> format_eta(185)
        '3:05'
    """
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


class ProgressBar:
    """One progress display per ``fit``/``evaluate``/``predict`` call.

    Args:
        verbose: 0, 1 or 2 (see the module docstring).
        console: where to draw (standard output by default).
    """

    def __init__(self, verbose: int, console: rich.console.Console | None = None) -> None:
        self._requested = verbose  # the same on every process: whether the processes must agree on redraws
        self.verbose = verbose if process_group.rank() == 0 else 0  # data parallel: rank 0 prints
        self.console = console or rich.console.Console(highlight=False)
        self._live: rich.live.Live | None = None
        self._steps: int | None = None
        self._start = self._first_step_end = self._last_refresh = 0.0
        self._next_redraw: int | None = None  # data parallel with a live bar: the step of the next (collective) redraw

    def epoch_header(self, epoch: int, epochs: int) -> None:
        """Print ``Epoch i/n`` (Keras prints it only when there is more than one epoch)."""
        if self.verbose and epochs > 1:
            self.console.print(f"Epoch {epoch + 1}/{epochs}", highlight=False)

    def start(self, steps: int | None) -> None:
        """Begin a run of ``steps`` steps (``None``: unknown)."""
        self._steps = steps
        self._start = self._last_refresh = time.perf_counter()
        self._first_step_end = 0.0
        if self.verbose == 1 and (self.console.is_terminal or self.console.is_jupyter):
            self._live = rich.live.Live(self._line(0, {}, 0.0, final=False), console=self.console,
                                        auto_refresh=False, transient=False)
            self._live.start()
        self._next_redraw = None
        if self._requested == 1 and engine_hooks.active() is not None:
            self._next_redraw = self._agree(live=self._live is not None, next_step=1)

    def update(self, step: int, logs: Callable[[], Logs]) -> None:
        """After step ``step`` (1-based); calls ``logs()`` (a device sync) only when it redraws."""
        now = time.perf_counter()
        if step == 1:
            self._first_step_end = now
        if self._next_redraw is not None:
            self._update_together(step, logs, now)
            return
        if self._live is None or now - self._last_refresh < REFRESH_SECONDS:
            return
        self._last_refresh = now
        self._live.update(self._line(step, logs(), now, final=False), refresh=True)

    def _update_together(self, step: int, logs: Callable[[], Logs], now: float) -> None:
        """Data parallel: at the agreed step every process reads the global logs; rank 0 draws them."""
        if step < self._next_redraw:  # type: ignore[operator]
            return
        values = logs()  # a collective: every process is here at this step
        if self._live is not None:
            self._live.update(self._line(step, values, now, final=False), refresh=True)
        # The next redraw about REFRESH_SECONDS later at rank 0's pace (the processes step together).
        per_step = max((now - self._start) / step, 1e-9)
        self._next_redraw = self._agree(live=self._live is not None,
                                        next_step=step + max(1, math.ceil(REFRESH_SECONDS / per_step)))

    @staticmethod
    def _agree(live: bool, next_step: int) -> int | None:
        """Rank 0's ``(live, next_step)`` on every process; None when rank 0 draws no live bar (nothing to read)."""
        shared = torch.tensor([int(live), next_step], dtype=torch.int64, device=process_group.device())
        process_group.collective("agreeing on the progress bar's next redraw", dist.broadcast, shared, 0)
        return int(shared[1]) if int(shared[0]) else None

    def finish(self, step: int, logs: Logs) -> None:
        """Leave the final line of the run (with ``logs``: training and validation metrics)."""
        if not self.verbose:
            return
        now = time.perf_counter()
        if self.verbose == 2:
            count = f"{step}/{self._steps}" if self._steps else f"{step}/Unknown"
            line = rich.text.Text(f"{count} - {now - self._start:.0f}s - {format_step_time(self._step_time(step, now))}{format_logs(logs)}")
        else:
            line = self._line(step, logs, now, final=True)
        if self._live is not None:
            self._live.update(line, refresh=True)
            self.close()
        else:
            self.console.print(line, soft_wrap=True)

    def close(self) -> None:
        """Stop the live display (also on errors, so the terminal is left clean)."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _step_time(self, step: int, now: float) -> float:
        # As Keras: the first step (warm-up, lazy initialisation) is left out of the average.
        if step > 1 and self._first_step_end:
            return (now - self._first_step_end) / (step - 1)
        return (now - self._start) / step if step else 0.0

    def _line(self, step: int, logs: Logs, now: float, final: bool) -> rich.text.Text:
        per_step = self._step_time(step, now) if step else 0.0
        line = rich.text.Text()
        if self._steps:
            digits = int(math.log10(self._steps)) + 1
            line.append(f"{step:>{digits}}/{self._steps}", style="bold")
            done = BAR_WIDTH * min(step, self._steps) // self._steps
            line.append(" ")
            line.append("━" * done, style="green")
            line.append("━" * (BAR_WIDTH - done), style="bright_black")
        else:
            line.append(f"{step:>7}/Unknown", style="bold")
        if final or not self._steps:
            timing = f"{now - self._start:.0f}s"
        else:
            timing = format_eta(per_step * (self._steps - step))
        line.append(f" {timing}", style="bold")
        line.append(f" {format_step_time(per_step)}{format_logs(logs)}")
        return line
