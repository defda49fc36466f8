"""convlens's own error types: one hierarchy, each also the builtin a caller would catch.

Every refusal convlens makes on purpose (a damaged or hostile file, a limit
exceeded, a run folder in the wrong state) raises a ``ConvlensError``. Each
subclass also derives from the matching builtin (``ValueError``), so code
written against the builtin keeps working, while the command line can tell a
clear refusal (a message, exit status 1) from a bug (a traceback).

Example:
    >>> try:
    ...     raise FileFormatError("model.keras: config.json is not valid JSON")
    ... except ValueError as error:
    ...     isinstance(error, ConvlensError)
    True
"""

from __future__ import annotations

__all__ = ["ConvlensError", "FileFormatError", "LimitExceededError", "RunStateError"]


class ConvlensError(Exception):
    """Base of every error convlens raises on purpose; its message names the file or argument and the problem."""


class FileFormatError(ConvlensError, ValueError):
    """A file that is damaged, truncated, of another format, or holds content convlens refuses."""


class LimitExceededError(ConvlensError, ValueError):
    """A size (archive member, array, image pixels, filter window) beyond a documented limit, refused before allocation."""


class RunStateError(ConvlensError, ValueError):
    """A run folder that cannot do what was asked (resume a finished run, start over an interrupted one)."""
