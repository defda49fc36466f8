"""Patch-whitening filters for a fixed first convolution, computed from the training images.

The filters are the eigenvectors of the covariance of the images' k x k
patches, each divided by the square root of its eigenvalue (plus ``eps``),
taken with both signs so that a ReLU after them keeps both halves of every
direction (as in Keller Jordan's airbench for CIFAR-10). A first layer fixed
to these needs no gradient, so training skips the whole first block's
backward pass.

Example:
    >>> import numpy as np
    >>> images = np.random.default_rng(0).integers(0, 256, (20, 8, 8, 1), dtype=np.uint8)
    >>> patch_whitening_kernel(images, 6).shape
    (3, 3, 1, 6)
"""

from __future__ import annotations

from typing import Any

import numpy as np


def patch_whitening_kernel(images: np.ndarray, filters: int, size: int = 3, eps: float = 5e-4,
                           scale: float = 1 / 255) -> np.ndarray:
    """A Conv2D kernel ``(size, size, channels, filters)`` whose outputs are the whitened patch components.

    Args:
        images: ``(N, H, W, C)`` training images, as the model receives them.
        filters: an even number, at most ``2 * size * size * C``: the
            ``filters // 2`` directions of largest variance, each with both signs.
        size: the kernel's side.
        eps: added to every eigenvalue, so near-constant directions are not blown up.
        scale: what the model multiplies the pixels by before the convolution
            (its ``Rescaling``), so the covariance is that of what the layer sees.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"`images` must be (N, H, W, C); received shape {images.shape}.")
    dims = size * size * images.shape[-1]
    if filters % 2 or not 0 < filters <= 2 * dims:
        raise ValueError(f"`filters` must be even and between 2 and {2 * dims}; received filters={filters}.")
    x = images.astype(np.float32) * np.float32(scale)
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(1, 2))  # (N, H', W', C, k, k)
    patches = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, dims)  # rows in the kernel's (kh, kw, C) order
    # float32 BLAS for the one big product (its blocked sums keep ~1e-6 relative error); eigh in float64
    covariance = (patches.T @ patches).astype(np.float64) / len(patches)
    values, vectors = np.linalg.eigh(covariance)  # ascending
    order = np.argsort(values)[::-1][: filters // 2]
    scaled = vectors[:, order] / np.sqrt(values[order] + eps)  # (dims, filters/2)
    kernel = np.concatenate([scaled, -scaled], axis=1)
    return kernel.reshape(size, size, images.shape[-1], filters).astype(np.float32)


def whiten_stem(model: Any, images: np.ndarray, samples: int = 1000) -> None:
    """Sets the model's layer named ``"stem"`` (a non-trainable Conv2D) to patch-whitening filters from ``images``.

    Uses the first ``samples`` images (676,000 patches of 28 x 28 digits): a 9 x 9 covariance settles long before.
    """
    stem = next((layer for layer in model.layers if layer.name == "stem"), None)
    if stem is None or not hasattr(stem, "kernel"):
        raise ValueError("whiten_stem: the model has no convolution named 'stem' (zoo.create('mnist_fast', "
                         "stem='fixed') has one).")
    kh, kw, _, count = stem.get_weights()[0].shape
    stem.set_weights([patch_whitening_kernel(images[:samples], count, size=kh)])
