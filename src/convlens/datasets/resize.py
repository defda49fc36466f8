"""Image resizing with the numbers of ``tf.image.resize`` (what Keras's image loaders use).

Every method is separable: along each axis, output pixel ``o`` is a weighted
sum of a few input pixels ``index[o, t]`` with weights ``weight[o, t]``.
The weights follow TensorFlow's kernels: half-pixel centres, no antialiasing
(so downscaling samples rather than averages, except ``"area"``).
"""

from __future__ import annotations

import numpy as np

from convlens.datasets.checks import check_choice

__all__ = ["INTERPOLATIONS", "crop_box_to_aspect_ratio", "resize"]

INTERPOLATIONS = (
    "bilinear",
    "nearest",
    "bicubic",
    "area",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)

_KEYS_A = np.float32(-0.5)  # TF's resize_bicubic uses Keys' cubic with a = -0.5
_KEYS_TABLE_SIZE = 1024  # ... evaluated at fractional offsets quantised to 1/1024
_FLT_TINY = 1000 * np.finfo(np.float32).tiny  # TF skips renormalising sums below this
_F = np.float32


def resize(image: np.ndarray, size: tuple[int, int], interpolation: str = "bilinear") -> np.ndarray:
    """Resize an (H, W, C) image to ``size`` = (height, width), as ``tf.image.resize``.

    Args:
        image: (H, W, C) array, any real dtype.
        size: Output (height, width).
        interpolation: One of ``INTERPOLATIONS``.

    Returns:
        (height, width, C) float32 array. Values are not clipped: cubic and
        Lanczos kernels can overshoot the input range, as in TensorFlow.

    Example:
        >>> image = np.arange(4, dtype=np.uint8).reshape(2, 2, 1)
        >>> resize(image, (4, 4))[..., 0]
        array([[0.  , 0.25, 0.75, 1.  ],
               [0.5 , 0.75, 1.25, 1.5 ],
               [1.5 , 1.75, 2.25, 2.5 ],
               [2.  , 2.25, 2.75, 3.  ]], dtype=float32)
    """
    check_choice("interpolation", interpolation, INTERPOLATIONS)
    height, width = size
    # (H, W, C) -> (height, W, C) -> (height, width, C)
    rows = _along(image, 0, *_axis_weights(image.shape[0], height, interpolation))
    return _along(rows, 1, *_axis_weights(image.shape[1], width, interpolation))


def _along(image: np.ndarray, axis: int, index: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Resample one axis: sum over taps t of weight[:, t] * image[index[:, t]] along ``axis``."""
    # One gather per tap keeps memory at one output image. np.take is 4x
    # faster than fancy indexing along axis 1 (0.12 vs 0.42 ms for a
    # 180x500x3 float32 image), which makes a 375x500 -> 180x180 resize 1.3 ms.
    shape = (-1, 1, 1) if axis == 0 else (1, -1, 1)
    out = np.take(image, index[:, 0], axis=axis) * weight[:, 0].reshape(shape)
    for t in range(1, index.shape[1]):
        out += np.take(image, index[:, t], axis=axis) * weight[:, t].reshape(shape)
    return out.astype(np.float32, copy=False)


def crop_box_to_aspect_ratio(
    height: int, width: int, size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """The centred crop with the aspect ratio of ``size``, as Keras's ``smart_resize`` takes it.

    Returns:
        (top, left, crop_height, crop_width).

    Example:
        >>> crop_box_to_aspect_ratio(100, 200, (50, 50))
        (0, 50, 100, 100)
    """
    target_height, target_width = size
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    return top, left, crop_height, crop_width


def _axis_weights(in_size: int, out_size: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(out_size, taps) input indices and float32 weights for one axis."""
    scale = _F(in_size) / _F(out_size)
    out = np.arange(out_size, dtype=np.float32)
    if method == "nearest":
        index = np.minimum(np.floor((out + _F(0.5)) * scale), in_size - 1).astype(np.int64)
        return index[:, None], np.ones((out_size, 1), np.float32)
    if method == "bilinear":
        x = (out + _F(0.5)) * scale - _F(0.5)
        floor = np.floor(x)
        lower = np.maximum(floor, 0).astype(np.int64)
        upper = np.minimum(np.ceil(x), in_size - 1).astype(np.int64)
        lerp = x - floor
        return np.stack([lower, upper], 1), np.stack([1 - lerp, lerp], 1)
    if method == "bicubic":
        return _bicubic(in_size, out, scale)
    if method == "area":
        return _area(in_size, out, scale)
    return _sampled(in_size, out, _F(1) / (_F(out_size) / _F(in_size)), method)


def _bicubic(in_size: int, out: np.ndarray, scale: np.float32) -> tuple[np.ndarray, np.ndarray]:
    x = (out + _F(0.5)) * scale - _F(0.5)
    floor = np.floor(x)
    offset = np.rint((x - floor) * _KEYS_TABLE_SIZE) / _F(_KEYS_TABLE_SIZE)
    distance = np.stack([1 + offset, offset, 1 - offset, 2 - offset], 1)
    weight = _keys_cubic(distance)
    wanted = floor.astype(np.int64)[:, None] + np.arange(-1, 3)
    index = np.clip(wanted, 0, in_size - 1)
    # Taps outside the image get no weight and the rest is renormalised
    # (TF's half-pixel bicubic), rather than repeating the edge pixel.
    weight = np.where(index == wanted, weight, _F(0))
    return index, _normalised(weight)


def _keys_cubic(d: np.ndarray) -> np.ndarray:
    a = _KEYS_A
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return np.where(d <= 1, near, far).astype(np.float32)


def _area(in_size: int, out: np.ndarray, scale: np.float32) -> tuple[np.ndarray, np.ndarray]:
    # Output pixel o averages the input span [o * scale, (o + 1) * scale),
    # each input pixel weighted by how much of it the span covers.
    start = out * scale
    end = (out + 1) * scale
    taps = int(np.ceil(scale)) + 1
    cells = np.floor(start).astype(np.int64)[:, None] + np.arange(taps)
    covered = np.minimum(cells + 1, end[:, None]) - np.maximum(cells, start[:, None])
    weight = np.maximum(covered, 0) / scale
    return np.minimum(cells, in_size - 1), weight.astype(np.float32)


def _sampled(
    in_size: int, out: np.ndarray, inv_scale: np.float32, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """TF's scale_and_translate kernels (antialias off, so the kernel is not widened)."""
    kernel, radius = _KERNELS[method]
    centre = (out + _F(0.5)) * inv_scale
    start = np.clip(np.ceil(centre - radius - _F(0.5)), 0, in_size - 1).astype(np.int64)
    stop = np.clip(np.floor(centre + radius - _F(0.5)), 0, in_size - 1).astype(np.int64) + 1
    taps = min(2 * int(np.ceil(radius)) + 1, in_size)
    index = start[:, None] + np.arange(taps)
    weight = kernel(np.abs(index.astype(np.float32) + _F(0.5) - centre[:, None]))
    weight = np.where(index < stop[:, None], weight, _F(0))
    return np.minimum(index, in_size - 1), _normalised(weight)


def _normalised(weight: np.ndarray) -> np.ndarray:
    total = weight.sum(axis=1, keepdims=True)
    return np.where(np.abs(total) >= _FLT_TINY, weight / total, weight).astype(np.float32)


def _lanczos(radius: float):
    pi = _F(3.14159265359)

    def kernel(x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = radius * np.sin(pi * x) * np.sin(pi * x / radius) / (pi * pi * x * x)
        return np.where(x <= 1e-3, _F(1), np.where(x > radius, _F(0), value)).astype(np.float32)

    return kernel


def _gaussian(x: np.ndarray) -> np.ndarray:
    # Radius 1.5 and sigma = radius / 3, as TF's GaussianKernelFunc.
    sigma = _F(0.5)
    return np.where(x >= 1.5, _F(0), np.exp(-x * x / (2 * sigma * sigma))).astype(np.float32)


def _mitchell_cubic(x: np.ndarray) -> np.ndarray:
    far = (((_F(-7 / 18)) * x + 2) * x - _F(10 / 3)) * x + _F(16 / 9)
    near = (((_F(7 / 6)) * x - 2) * x) * x + _F(8 / 9)
    return np.where(x >= 2, _F(0), np.where(x >= 1, far, near)).astype(np.float32)


# method -> (kernel of |distance|, radius in input pixels)
_KERNELS = {
    "lanczos3": (_lanczos(3.0), 3.0),
    "lanczos5": (_lanczos(5.0), 5.0),
    "gaussian": (_gaussian, 1.5),
    "mitchellcubic": (_mitchell_cubic, 2.0),
}
