"""A filter learned from random weights: one Conv2D trained by gradient descent to copy a classic kernel.

The notes' slide: random 3×3 weights become a vertical-line detector (every
row −1 2 −1). Here a ``Conv2D(1, 3, use_bias=False)`` starts from normal
random weights and is fitted (convlens's ``fit``, Adam, mean squared error)
to reproduce what the target kernel does to real images, so the weights
that minimise the loss are the target's own: the problem is linear least
squares, and natural images constrain all nine weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import filters, reference

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


@dataclass
class LearnedFilter:
    """What :func:`learn_filter` returns: the kernels before and after, the target, and the path between."""

    initial: np.ndarray  # (kh, kw), the random start
    learned: np.ndarray  # (kh, kw), after training
    target: np.ndarray  # (kh, kw)
    target_name: str
    history: list[np.ndarray]  # the kernel after each epoch, initial first
    loss: list[float]  # the training loss per epoch

    @property
    def max_error(self) -> float:
        """``max |learned − target|`` over the kernel's entries."""
        return float(np.abs(self.learned - self.target).max())

    def format(self) -> str:
        """The random and the learned kernel side by side, as on the notes' slide."""
        rows = [f"{'random weights':<24}{'learned weights':<24}target ({self.target_name})"]
        for a, b, c in zip(self.initial, self.learned, self.target):
            rows.append("".join(" ".join(f"{v:5.1f}" for v in row).ljust(24) for row in (a, b, c)).rstrip())
        rows.append(f"\n{len(self.loss)} epochs: loss {self.loss[0]:.4g} → {self.loss[-1]:.2e}; "
                    f"max |learned − target| = {self.max_error:.4f}")
        return "\n".join(rows)


def learn_filter(target: Any = "line_vertical", seed: int = 0, *, images: Any = None, count: int = 64,
                 epochs: int = 30, learning_rate: float = 0.1, batch_size: int = 8) -> LearnedFilter:
    """Train one ``Conv2D(1, k, use_bias=False)`` from random weights to reproduce ``target``'s output on images.

    Args:
        target: a named kernel of :mod:`convlens.filters` (``"line_vertical"``,
            ``"sobel"``, ``"laplacian"``, ...) or a 2D array.
        seed: the random initial weights (standard normal) and the shuffling.
        images: ``None`` for MNIST digits (the sample shipped with convlens
            works offline), an array ``(N, H, W)`` / ``(N, H, W, 1)``, or a
            folder of image files (read as grayscale, 64×64).
        count: use at most this many images.
        epochs: passes over the images; the kernel is recorded after each.
        learning_rate: Adam's step size.
        batch_size: images per gradient step.

    Raises:
        ValueError: a target that is not a 2D kernel or an unknown name; images
            that are empty, of the wrong rank or not finite.

    Example:
        >>> result = learn_filter("line_vertical", seed=0)  # doctest: +SKIP
        >>> result.max_error < 0.02  # doctest: +SKIP
        True
    """
    from .. import layers, models, optimizers
    from ..training.callbacks import LambdaCallback

    name, kernel = _target(target)
    x = _images(images, count)  # (N, H, W, 1) in [0, 1]
    wanted = reference.conv2d_forward(x, kernel[:, :, None, None])  # what the target filter makes of them
    initial = np.random.default_rng(seed).normal(size=kernel.shape)
    conv = layers.Conv2D(1, kernel.shape, use_bias=False)
    model = models.Sequential([layers.Input(x.shape[1:]), conv])
    conv.set_weights([initial[:, :, None, None]])
    model.compile(optimizer=optimizers.Adam(learning_rate=learning_rate), loss="mean_squared_error")
    history = [initial]
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: history.append(conv.get_weights()[0][:, :, 0, 0]
                                                                            .astype(np.float64)))
    fit = model.fit(x.astype(np.float32), wanted.astype(np.float32), epochs=epochs, batch_size=batch_size,
                    shuffle=True, verbose=0, callbacks=[record])
    return LearnedFilter(initial, history[-1], kernel, name, history, [float(v) for v in fit.history["loss"]])


def _target(target: Any) -> tuple[str, np.ndarray]:
    if isinstance(target, str):
        return target, filters.kernel(target, dtype=np.float64)
    kernel = np.asarray(target, dtype=np.float64)
    if kernel.ndim != 2 or min(kernel.shape) < 1:
        raise ValueError(f"target: expected a 2D kernel (kh, kw) or one of {filters.KERNELS}; received an array of "
                         f"shape {kernel.shape}.")
    if not np.isfinite(kernel).all():
        raise ValueError("target: the kernel has NaN or infinite entries; every weight must be finite.")
    return f"{kernel.shape[0]}×{kernel.shape[1]} array", kernel


def _images(images: Any, count: int) -> np.ndarray:
    """Grayscale images (N, H, W, 1) scaled to [0, 1]."""
    if images is None:
        from ..datasets import mnist

        (array, _), _ = mnist.load_data(sample=True, verbose=False)
    elif isinstance(images, (str, Path)):
        array = _folder(Path(images))
    else:
        array = np.asarray(images, dtype=np.float64)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3 or array.shape[0] == 0:
        raise ValueError(f"images: expected grayscale images (N, H, W) or (N, H, W, 1); received shape {array.shape}.")
    array = np.asarray(array[:count], dtype=np.float64)
    if not np.isfinite(array).all():
        raise ValueError("images: they hold NaN or infinite pixels; learn_filter needs finite values.")
    peak = float(np.abs(array).max()) or 1.0
    return (array / peak)[..., None]


def _folder(folder: Path) -> np.ndarray:
    from ..datasets import load_image

    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS) if folder.is_dir() else []
    if not files:
        raise ValueError(f"images: {str(folder)!r} is not a folder holding {'/'.join(IMAGE_EXTENSIONS)} files.")
    return np.stack([load_image(f, color_mode="grayscale", image_size=(64, 64))[..., 0] for f in files])
