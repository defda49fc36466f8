"""One rule for the namespace's modules: take a convlens module's public names, as they are."""

from __future__ import annotations

import importlib
from typing import Any


def public(module_name: str, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The objects of ``module_name``'s ``__all__`` (or its public names), minus ``skip``.

    Example:
        >>> "Dense" in public("convlens.layers")
        True
    """
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:  # the functions and classes defined there, not what it imports
        names = [n for n, v in vars(module).items() if not n.startswith("_") and getattr(v, "__module__", None) == module_name]
    return {name: getattr(module, name) for name in names if name not in skip}
