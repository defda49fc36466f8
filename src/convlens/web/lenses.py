"""The lens playground: the classic filters on the current input, beside the first conv layer's learned filters.

Each learned filter comes with its feature map for the same input and the
named classic kernel it most resembles (:func:`convlens.lens.resemble_classic`),
so the page shows side by side what a hand-made lens and a learned one do
to the same image.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..layers import BaseConv, Layer
from ..lens.classic import apply_lenses
from ..lens.probe import activations
from ..lens.resemblance import classic_kernels, resemble_classic

SIZES = tuple(range(1, 16, 2))  # odd windows have a centre pixel; 15 bounds the cost of a median per request
SIGMA_RANGE = (0.1, 8.0)  # pixels; a Gaussian of σ = 8 already spans 65 pixels
LEARNED_SHOWN = 16  # filters of the first conv layer shown, the first ones


def lens_parameters(size: Any, sigma: Any) -> tuple[int, float]:
    """``size`` and ``sigma`` from query strings, checked against :data:`SIZES` and :data:`SIGMA_RANGE`.

    Raises:
        ValueError: naming the parameter, the value received and what is allowed.

    Example:
        >>> lens_parameters("5", "1.5")
        (5, 1.5)
    """
    try:
        window = int(size)
    except (TypeError, ValueError):
        window = None
    if window not in SIZES:
        raise ValueError(f"size: received {size!r}; allowed are the odd whole numbers {SIZES[0]} to {SIZES[-1]}.")
    try:
        spread = float(sigma)
    except (TypeError, ValueError):
        spread = float("nan")
    if not SIGMA_RANGE[0] <= spread <= SIGMA_RANGE[1]:  # NaN fails too
        raise ValueError(f"sigma: received {sigma!r}; allowed are numbers from {SIGMA_RANGE[0]} to {SIGMA_RANGE[1]} "
                         "(pixels).")
    return window, spread


def first_conv(model: Any) -> Layer | None:
    """The model's first 2D convolution (whose filters see the image itself), or None."""
    return next((layer for layer in model.layers if isinstance(layer, BaseConv) and layer.rank == 2), None)


def lens_playground(model: Any, image: np.ndarray, size: int = 3, sigma: float = 2.0) -> dict:
    """The classic lenses of ``image`` (``(H, W, C)``, 0..255) and the model's first-layer filters with their maps.

    Returns:
        A JSON-ready dict: ``classic`` (``title``, ``kind``: image, signed or
        magnitude, ``map``), ``layer`` (the first conv layer's name, or None),
        ``learned`` (per filter: ``index``, ``kernel`` summed over input
        channels, ``map``, ``nearest``, ``correlation``, ``nearest_kernel``),
        ``filters`` (the layer's filter count) and ``note`` (why no nearest
        kernel is named, or None).

    Example:
        >>> from convlens import zoo
        >>> out = lens_playground(zoo.create("mnist-convnet"), np.zeros((28, 28, 1), np.float32))
        >>> len(out["classic"]), len(out["learned"]), out["learned"][0]["nearest"] is not None
        (12, 16, True)
    """
    classic = [{"title": title, "kind": kind, "map": _rounded(out)}
               for title, out, kind in apply_lenses(image, size=size, sigma=sigma)]
    answer: dict[str, Any] = {"size": size, "sigma": sigma, "classic": classic, "layer": None, "learned": [],
                              "filters": 0, "note": "the model has no 2D convolution layer."}
    layer = first_conv(model)
    if layer is None:
        return answer
    kernel = layer.get_weights()[0]  # (kh, kw, C, F)
    maps = activations(model, image, [layer.name])[layer.name]  # (H', W', F)
    try:
        nearest, note = resemble_classic(layer), None
        named = classic_kernels(kernel.shape[:2])
    except ValueError as exc:
        nearest, note, named = None, str(exc), {}
    learned = []
    for f in range(min(LEARNED_SHOWN, kernel.shape[-1])):
        match = nearest[f] if nearest else None
        learned.append({"index": f, "kernel": _rounded(kernel[:, :, :, f].sum(axis=-1), 5),
                        "map": _rounded(maps[..., f]),
                        "nearest": match.name if match else None,
                        "correlation": match.correlation if match else None,
                        "nearest_kernel": named[match.name].tolist() if match else None})
    answer.update(layer=layer.name, learned=learned, filters=int(kernel.shape[-1]), note=note)
    return answer


def _rounded(values: np.ndarray, decimals: int = 3) -> list:
    return np.round(np.asarray(values, np.float64), decimals).tolist()
