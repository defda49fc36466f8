"""The web lens: a local page that shows a model's every layer for the user's own input, and training live.

- :func:`serve`: start the server for a model (a run folder, a ``.keras`` file,
  a zoo name or a model object) and print or show its URL.
- :mod:`~convlens.web.server`: the Starlette application (JSON API, page,
  server-sent events).
- :mod:`~convlens.web.images`: request bytes → model input (MNIST's drawing
  preprocessing, uploads resized the model's way).
- :mod:`~convlens.web.pixel`: one output pixel of a layer, explained.
- :mod:`~convlens.web.live`: the training callback that feeds the live view.

Needs the ``[web]`` extra: ``pip install "convlens[web]"``.
"""

from __future__ import annotations

from .launch import serve

__all__ = ["serve"]
