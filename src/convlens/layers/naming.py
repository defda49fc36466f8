"""Keras-style unique default names: ``conv2d``, ``conv2d_1``, ``conv2d_2`` ..."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict

_counters: defaultdict[str, itertools.count] = defaultdict(itertools.count)


def snake_case(class_name: str) -> str:
    """Turn a class name into Keras's snake-case base name.

    Example:
        >>> snake_case("MaxPooling2D"), snake_case("Conv2DTranspose")
        ('max_pooling2d', 'conv2d_transpose')
    """
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def unique_name(base: str) -> str:
    """Return ``base`` the first time, then ``base_1``, ``base_2``, ... as Keras does.

    Example:
        >>> reset_names(); unique_name("dense"), unique_name("dense")
        ('dense', 'dense_1')
    """
    n = next(_counters[base])
    return base if n == 0 else f"{base}_{n}"


def reset_names() -> None:
    """Start the default names again from ``conv2d``, ``dense``, ... (like ``keras.backend.clear_session``)."""
    _counters.clear()
