"""How the filters read images: the layout rule, the dtype rule, and the
round trip NumPy → torch → NumPy.

* 2D ``(H, W)`` is one grayscale image, 3D ``(H, W, C)`` one colour image
  (each channel filtered on its own), 4D ``(N, H, W, C)`` a batch.
* Integer, boolean, float16/bfloat16 and float32 images are filtered in
  float32; float64 stays float64. The result has that float dtype.
* NumPy in → NumPy out; torch in → torch out on the same device, so GPU
  tensors are filtered on the GPU.

Inside, every filter sees one float tensor ``(N, H, W, C)``: the windows
slide over axes 1 and 2 by slicing, which needs no transposes.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from . import _args

Filter = Callable[[torch.Tensor], torch.Tensor]  # (N, H, W, C) → (N, H', W', C)


def apply(image: Any, fn: Filter, *, times: int = 1) -> Any:
    """Runs ``fn`` ``times`` times over ``image`` and returns the result in the image's kind.

    Args:
        image: NumPy array (or anything ``np.asarray`` accepts) or torch tensor,
            laid out as 2D ``(H, W)``, 3D ``(H, W, C)`` or 4D ``(N, H, W, C)``.
        fn: a filter over float tensors ``(N, H, W, C)``.
        times: how many times to apply ``fn`` (``times=10`` is "mean 10 times").

    Returns:
        The filtered image, same kind, device and layout rank as ``image``,
        in float32 (float64 for float64 input).

    Example:
        >>> import numpy as np
        >>> apply(np.ones((2, 3), np.uint8), lambda x: 2 * x).dtype
        dtype('float32')
    """
    times = _args.positive_int("times", times)
    x, restore = to_batch(image)
    # Filters are image operations, not training steps: no autograd graph,
    # which also lets the kernels write into their own buffers (`out=`).
    with torch.no_grad():
        for _ in range(times):
            x = fn(x)
    return restore(x)


def to_batch(image: Any) -> tuple[torch.Tensor, Callable[[torch.Tensor], Any]]:
    """Converts an image to a float ``(N, H, W, C)`` tensor and returns the way back.

    Raises:
        TypeError: ``image`` is not numeric.
        ValueError: ``image`` is not 2D, 3D or 4D, or has no pixels.

    Example:
        >>> import numpy as np
        >>> batch, restore = to_batch(np.zeros((4, 5, 3), np.uint8))
        >>> batch.shape, batch.dtype, restore(batch).shape
        (torch.Size([1, 4, 5, 3]), torch.float32, (4, 5, 3))
    """
    is_torch = isinstance(image, torch.Tensor)
    x = image if is_torch else torch.from_numpy(_as_numpy(image))
    if x.dtype.is_complex:
        raise TypeError(f"`image` must hold real numbers. Received: image.dtype={image.dtype}")
    if x.ndim not in (2, 3, 4):
        raise ValueError(
            "`image` must be 2D (H, W), 3D (H, W, C) colour or 4D (N, H, W, C) batch. "
            f"Received: image.shape={tuple(x.shape)}"
        )
    if x.numel() == 0:
        raise ValueError(f"`image` must have at least one pixel. Received: image.shape={tuple(x.shape)}")
    rank = x.ndim
    x = x.to(torch.float64 if x.dtype == torch.float64 else torch.float32)
    batch = x[None, :, :, None] if rank == 2 else x[None] if rank == 3 else x  # (N, H, W, C)

    def restore(y: torch.Tensor) -> Any:
        out = y[0, :, :, 0] if rank == 2 else y[0] if rank == 3 else y
        return out if is_torch else out.contiguous().cpu().numpy()

    return batch, restore


def _as_numpy(image: Any) -> np.ndarray:
    array = np.asarray(image)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`image` must hold real numbers. Received: image.dtype={array.dtype}")
    # torch.from_numpy needs native byte order and no negative strides.
    return np.ascontiguousarray(array.astype(array.dtype.newbyteorder("="), copy=False))
