"""Argument checks shared by the image loaders.

Errors name the argument, the value received and what is allowed.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

__all__ = ["check_choice", "image_size_pair"]


def check_choice(name: str, value: object, allowed: Collection) -> None:
    """Raise ValueError unless ``value`` is one of ``allowed``.

    Example:
        >>> check_choice("color_mode", "bgr", ("grayscale", "rgb", "rgba"))
        Traceback (most recent call last):
        ...
        ValueError: color_mode must be one of ('grayscale', 'rgb', 'rgba'), received color_mode='bgr'.
    """
    if value not in allowed:
        raise ValueError(f"{name} must be one of {tuple(allowed)}, received {name}={value!r}.")


def image_size_pair(image_size: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    """``image_size`` as a (height, width) pair of positive ints; one int means a square.

    Example:
        >>> image_size_pair(28)
        (28, 28)
    """
    if isinstance(image_size, (int, np.integer)):
        image_size = (image_size, image_size)
    if (
        not isinstance(image_size, (list, tuple))
        or len(image_size) != 2
        or not all(isinstance(n, (int, np.integer)) and n > 0 for n in image_size)
    ):
        raise ValueError(
            "image_size must be a positive int or a (height, width) pair of positive ints, "
            f"received image_size={image_size!r}."
        )
    return int(image_size[0]), int(image_size[1])
