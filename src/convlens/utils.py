"""Small helpers shared across convlens: reproducible randomness, label/array and image-file utilities of ``keras.utils``."""

from __future__ import annotations

import random

import numpy as np
import torch

from .image_utils import array_to_img, img_to_array, load_img, save_img

__all__ = ["array_to_img", "img_to_array", "load_img", "normalize", "save_img", "set_random_seed", "to_categorical"]


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and every GPU), as ``keras.utils.set_random_seed``.

    After this call a CPU run repeats exactly: weight initialisation, the
    per-epoch shuffle of ``fit`` (its generator is seeded from PyTorch's
    global generator) and dropout masks all draw from these generators, and
    PyTorch's CPU kernels give the same results run after run on the same
    machine and thread count.

    Args:
        seed: a non-negative integer.

    Raises:
        TypeError: if ``seed`` is not an integer.
        ValueError: if ``seed`` is negative.

    Example:
        >>> set_random_seed(0); a = torch.rand(2)
        >>> set_random_seed(0); torch.equal(a, torch.rand(2))
        True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"Expected `seed` argument to be an integer. Received: seed={seed!r} (of type {type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"Expected `seed` argument to be a non-negative integer. Received: seed={seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # NumPy's legacy seeder takes 32 bits
    torch.manual_seed(seed)  # also seeds every CUDA device


def to_categorical(x, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class labels, as ``keras.utils.to_categorical``.

    A trailing axis of size 1 is dropped first (labels shaped (N, 1) give (N, num_classes)),
    and the class axis is appended last. The result is float64 NumPy, as Keras returns for array input.

    Args:
        x: array-like of integers in ``[0, num_classes)``.
        num_classes: the number of classes; ``None`` infers ``max(x) + 1``.

    Returns:
        An array of shape ``x.shape + (num_classes,)`` (less a trailing 1).

    Raises:
        ValueError: if a label is negative or not below ``num_classes``.

    Example:
        >>> to_categorical([0, 2], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.]])
    """
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    labels = np.array(x, dtype="int64")
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if not num_classes:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"Expected class labels in [0, {num_classes}). "
            f"Received: labels from {labels.min()} to {labels.max()} with num_classes={num_classes}"
        )
    categorical = np.zeros((labels.size, num_classes))
    categorical[np.arange(labels.size), labels] = 1
    return categorical.reshape(tuple(shape) + (num_classes,))


def normalize(x, axis: int = -1, order: int = 2):
    """Divide ``x`` by its ``order``-norm along ``axis``, as ``keras.utils.normalize``.

    Zero-norm slices are left as they are (their norm is taken as 1). Along ``axis=0`` each column is divided by
    its own norm; Keras 3.15 expands that norm at the last axis instead (its ``axis or -1``), which differs.
    NumPy in, NumPy out; a torch tensor gives a torch tensor.

    Args:
        x: a NumPy array or torch tensor.
        axis: the axis along which to normalize.
        order: the norm order (2 for the L2 norm).

    Example:
        >>> normalize(np.array([[3.0, 4.0]]))
        array([[0.6, 0.8]])
    """
    if isinstance(x, torch.Tensor):
        norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
        return x / torch.where(norm == 0, torch.ones_like(norm), norm)
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
