"""Output-length and padding arithmetic of convolution and pooling, as Keras/TensorFlow define it.

"same" padding: ``out = ceil(n / s)`` and the total padding
``max((out - 1)·s + (k - 1)·d + 1 - n, 0)`` is split with the odd pixel at the
end (bottom/right). "valid": ``out = floor((n - (k - 1)·d - 1) / s) + 1``,
which is the notes' ``floor((n + 2p - f) / s) + 1`` with ``p = 0``.
"""

from __future__ import annotations

import math

PADDINGS = ("valid", "same")


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: ``(k - 1)·d + 1``.

    Example:
        >>> effective_kernel(3, 2)
        5
    """
    return (kernel - 1) * dilation + 1


def conv_output_length(n: int | None, kernel: int, padding: str, stride: int = 1, dilation: int = 1) -> int | None:
    """Output length of a convolution or pooling window along one axis.

    Example:
        >>> conv_output_length(28, 3, "valid"), conv_output_length(7, 4, "same", 2)
        (26, 4)
    """
    if n is None:
        return None
    if padding in ("same", "causal"):
        return math.ceil(n / stride)
    return (n - effective_kernel(kernel, dilation)) // stride + 1


def same_padding(n: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding of TensorFlow's "same": the odd pixel goes after.

    Example:
        >>> same_padding(7, 4, 2)  # out 4: total (4-1)*2 + 4 - 7 = 3
        (1, 2)
    """
    out = math.ceil(n / stride)
    total = max((out - 1) * stride + effective_kernel(kernel, dilation) - n, 0)
    return total // 2, total - total // 2


def deconv_output_length(
    n: int | None, kernel: int, padding: str, output_padding: int | None, stride: int, dilation: int = 1
) -> int | None:
    """Output length of a transposed convolution, as Keras computes it.

    Example:
        >>> deconv_output_length(5, 3, "same", None, 2)
        10
    """
    if n is None:
        return None
    k = effective_kernel(kernel, dilation)
    if output_padding is None:
        return n * stride + max(k - stride, 0) if padding == "valid" else n * stride
    pad = k // 2 if padding == "same" else 0
    return (n - 1) * stride + k - 2 * pad + output_padding


def deconv_crop_start(n: int, kernel: int, padding: str, output_padding: int | None, stride: int, dilation: int = 1) -> int:
    """Where Keras's transposed-convolution output starts inside the full (unpadded) one.

    The full result has ``(n - 1)·s + k`` pixels. Keras pads the dilated input
    with ``pad_len`` pixels in all, ``ceil(pad_len / 2)`` of them (at most
    ``k - 1``) before, where ``pad_len`` is ``s + k - 2`` for "same" without
    ``output_padding`` and ``k + k % 2 - 2 + output_padding`` with it; the
    output starts ``k - 1`` minus that many pixels in.

    Example:
        >>> deconv_crop_start(3, 3, "same", 1, 2)  # Keras keeps the first pixel
        0
    """
    k = effective_kernel(kernel, dilation)
    if padding == "valid":
        return 0
    pad_len = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
    return k - 1 - min(pad_len // 2 + pad_len % 2, k - 1)
