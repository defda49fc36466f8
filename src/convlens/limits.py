"""The size limits convlens checks before it allocates, each documented and each raisable.

A file is untrusted input: a small archive can declare a 1 GB member, a
config can declare ``Dense(units=10**12)``, a JSON document can nest ten
thousand levels. Every reader checks the declared size against a limit
first and refuses with a ``LimitExceededError`` that names the limit and the
environment variable that raises it.

=============================  ==============================  ==========
limit                          environment variable            default
=============================  ==============================  ==========
archive member (uncompressed)  ``CONVLENS_MAX_MEMBER_BYTES``   4 GiB
JSON document                  ``CONVLENS_MAX_JSON_BYTES``     64 MiB
JSON nesting depth             (fixed)                         100
filter window pixels           ``CONVLENS_MAX_WINDOW_PIXELS``  16 M
filter work                    ``CONVLENS_MAX_FILTER_WORK``    16 G
=============================  ==============================  ==========

The filter limits are counts, not bytes: a window (footprint or kernel)
may hold at most ``CONVLENS_MAX_WINDOW_PIXELS`` pixels, and one filtering
may make at most ``CONVLENS_MAX_FILTER_WORK`` element operations (the
element-wise passes it makes over the image times the output values; a
pass costs about 0.3-1 ns per value on a CPU, so the default is seconds of work).

Example:
    >>> with weight_budget(10):
    ...     claim_weight((2, 3))
    >>> limit("CONVLENS_MAX_JSON_BYTES", 1) > 0
    True
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
from typing import Any, Iterator, Sequence

from .errors import LimitExceededError

__all__ = ["JSON_MAX_DEPTH", "check_count", "check_json_depth", "check_size", "claim_weight", "limit", "weight_budget"]

DEFAULTS = {
    "CONVLENS_MAX_MEMBER_BYTES": 4 << 30,
    "CONVLENS_MAX_JSON_BYTES": 64 << 20,
    "CONVLENS_MAX_WINDOW_PIXELS": 1 << 24,
    "CONVLENS_MAX_FILTER_WORK": 1 << 34,
}
JSON_MAX_DEPTH = 100  # Keras configs nest ~10 levels; a Functional model inside a model ~20

_budget: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("convlens_weight_budget", default=None)


def limit(name: str, default: int | None = None) -> int:
    """The limit ``name`` in bytes: the environment variable when set to a positive integer, else its default."""
    value = os.environ.get(name, "")
    if value.strip().isdigit() and int(value) > 0:
        return int(value)
    return default if default is not None else DEFAULTS[name]


def check_size(size: int, name: str, what: str) -> None:
    """Refuse ``size`` bytes of ``what`` when it exceeds the limit ``name``."""
    check_count(size, name, what, "bytes", "if the file is trusted, raise")


def check_count(count: int, name: str, what: str, unit: str, advice: str = "raise") -> None:
    """Refuse ``count`` ``unit`` of ``what`` when it exceeds the limit ``name``; ``advice`` leads the remedy.

    Example:
        >>> check_count(9, "CONVLENS_MAX_FILTER_WORK", "a filter", "element operations")
    """
    cap = limit(name)
    if count > cap:
        raise LimitExceededError(
            f"{what} would take {count:,} {unit}, over the limit of {cap:,} {unit}; {advice} the limit with the "
            f"environment variable {name}=<{unit.split()[-1]}>."
        )


@contextlib.contextmanager
def weight_budget(elements: int, where: str = "the file") -> Iterator[None]:
    """Within the block, layers may create at most ``elements`` weight values in all (checked before allocation).

    A model read from a file can hold no more weights than the file stores, so
    a config declaring a larger layer is refused before its weights exist.
    """
    token = _budget.set([int(elements), 0, where])  # type: ignore[list-item]
    try:
        yield
    finally:
        _budget.reset(token)


def claim_weight(shape: Sequence[int]) -> None:
    """Count a weight of ``shape`` against the current ``weight_budget`` (no budget: no limit)."""
    budget = _budget.get()
    if budget is None:
        return
    size = math.prod(int(s) for s in shape)
    budget[1] += size
    if budget[1] > budget[0]:
        raise LimitExceededError(
            f"{budget[2]}: the model's config declares at least {budget[1]:,} weight values, more than the "
            f"{budget[0]:,} the weights file stores; the config does not match its weights."
        )


def check_json_depth(value: Any, where: str) -> None:
    """Refuse a parsed JSON value nested deeper than ``JSON_MAX_DEPTH`` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > JSON_MAX_DEPTH:
            raise LimitExceededError(f"{where}: JSON nested deeper than {JSON_MAX_DEPTH} levels is refused.")
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children)
