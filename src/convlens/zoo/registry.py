"""The model registry: ``create(name, **kwargs)`` and ``list()``, as timm does for its architectures."""

from __future__ import annotations

import builtins
from typing import Any, Callable

from ..models import Model

_REGISTRY: dict[str, Callable[..., Model]] = {}


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def register(fn: Callable[..., Model]) -> Callable[..., Model]:
    """Add a model builder under its function name (``mnist_convnet`` is also ``mnist-convnet``)."""
    _REGISTRY[_key(fn.__name__)] = fn
    return fn


def list() -> builtins.list[str]:  # noqa: A001 - the zoo's public verb, as in timm.list_models
    """Names of every registered architecture.

    Example:
        >>> "lenet5" in list()
        True
    """
    return sorted(_REGISTRY)


def create(name: str, **kwargs: Any) -> Model:
    """Build a registered architecture by name (``-`` and ``_`` are interchangeable).

    Args:
        name: e.g. ``"mnist-convnet"``, ``"lenet5"``, ``"vgg16"``.
        **kwargs: the builder's options (``input_shape``, ``num_classes``, ...,
            and ``weights``: the path of a local weights file to load).

    Raises:
        ValueError: for an unknown name, listing the known ones.

    Example:
        >>> create("mnist-convnet").count_params()
        34826
    """
    try:
        builder = _REGISTRY[_key(name)]
    except KeyError:
        raise ValueError(f"Unknown model {name!r}; available models are: {', '.join(list())}.") from None
    return builder(**kwargs)
