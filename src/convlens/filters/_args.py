"""Argument checks shared by the filters: every error names the argument,
the value received and what is allowed."""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable


def choice(arg: str, value: Any, allowed: Iterable[str]) -> str:
    """Returns ``value`` if it is one of ``allowed``, else raises ValueError."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(
            f"`{arg}` must be one of {', '.join(repr(a) for a in allowed)}. Received: {arg}={value!r}"
        )
    return value


def axis(value: Any, allowed: tuple) -> Any:
    """Returns ``value`` if it is one of the ``allowed`` axes (ints or None), else raises ValueError."""
    if not ((value is None and None in allowed) or (_is_int(value) and int(value) in allowed)):
        raise ValueError(f"`axis` must be one of {', '.join(map(repr, allowed))}. Received: axis={value!r}")
    return None if value is None else int(value)


def int_pair(arg: str, value: Any, *, minimum: int, odd: bool = False) -> tuple[int, int]:
    """Normalises an int or a pair of ints to ``(rows, cols)``.

    Raises:
        ValueError: ``value`` is not an int or pair of ints, is below
            ``minimum``, or is even when ``odd`` is set.
    """
    pair = (value, value) if _is_int(value) else tuple(value) if _is_pair(value) else None
    need = f"an {'odd ' if odd else ''}int >= {minimum} or a pair of them"
    if pair is None or not all(_is_int(v) and v >= minimum and (v % 2 == 1 or not odd) for v in pair):
        raise ValueError(f"`{arg}` must be {need}. Received: {arg}={value!r}")
    return int(pair[0]), int(pair[1])


def float_pair(arg: str, value: Any) -> tuple[float, float]:
    """Normalises a finite number > 0 or a pair of them to ``(rows, cols)``."""
    pair = (value, value) if _is_real(value) else tuple(value) if _is_pair(value) else None
    if pair is None or not all(_is_positive(v) for v in pair):
        raise ValueError(f"`{arg}` must be a number > 0 or a pair of them. Received: {arg}={value!r}")
    return float(pair[0]), float(pair[1])


def positive_float(arg: str, value: Any) -> float:
    """Returns ``value`` as a float if it is a finite number > 0, else raises ValueError."""
    if not _is_positive(value):
        raise ValueError(f"`{arg}` must be a number > 0. Received: {arg}={value!r}")
    return float(value)


def positive_int(arg: str, value: Any) -> int:
    """Returns ``value`` if it is an int >= 1, else raises ValueError."""
    if not _is_int(value) or value < 1:
        raise ValueError(f"`{arg}` must be an int >= 1. Received: {arg}={value!r}")
    return int(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_positive(value: Any) -> bool:
    return _is_real(value) and 0 < value < math.inf


def _is_pair(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and len(value) == 2
