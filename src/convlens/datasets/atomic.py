"""Atomic writes for downloads: see :mod:`convlens._io`."""

from convlens._io import atomic_write

__all__ = ["atomic_write"]
