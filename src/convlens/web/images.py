"""Request bytes to model input: decoding with Pillow's limits, MNIST's drawing preprocessing, resizing.

MNIST's digits were made by fitting each handwritten digit's bounding box
into 20×20 pixels (aspect ratio kept, anti-aliased) and placing that box in a
28×28 image so that its centre of mass falls on the centre. A digit drawn on a
canvas gets the same treatment, else a small or off-centre drawing reads as
a different digit.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image

from ..cli.common import _light_background
from ..datasets.resize import resize

MAX_PIXELS = 4096 * 4096  # a larger image is refused before its pixels are decoded
INK_THRESHOLD = 0.05  # fraction of the brightest pixel that counts as ink for the bounding box
MNIST_BOX = 20
MNIST_SIZE = 28


class ImageError(ValueError):
    """The request body is not an image the lens can use; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def decode(data: bytes, channels: int) -> np.ndarray:
    """PNG/JPEG/... bytes as ``(H, W, channels)`` uint8 pixels (grayscale or RGB).

    Raises:
        ImageError: 415 for bytes that are not an image, 413 for an image over
            :data:`MAX_PIXELS` (a decompression bomb).

    Example:
        >>> buffer = io.BytesIO(); Image.new("L", (4, 3)).save(buffer, "PNG")
        >>> decode(buffer.getvalue(), 1).shape
        (3, 4, 1)
    """
    if channels not in (1, 3):
        raise ImageError(f"models with {channels} input channels take no images (expected 1 or 3).", 415)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ImageError(f"the image has {image.width}×{image.height} pixels; at most "
                                     f"{MAX_PIXELS:,} are accepted.", 413)
                pixels = np.asarray(image.convert("L" if channels == 1 else "RGB"))
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"the image is too large to decode: {exc}", 413) from None
    except (OSError, ValueError, SyntaxError):
        raise ImageError("the request body is not a PNG, JPEG, GIF, BMP or WebP image Pillow can decode; send "
                         "the file's raw bytes.", 415) from None
    return pixels.reshape(pixels.shape[0], pixels.shape[1], channels)


def mnist_digit(gray: np.ndarray) -> np.ndarray:
    """A drawing (light ink on dark, any size) preprocessed as MNIST's digits: ``(28, 28)`` float32, 0..255.

    The ink's bounding box is scaled so its longer side is 20 pixels (area
    averaging, aspect ratio kept) and placed in a 28×28 image with its centre
    of mass at the centre, rounded to whole pixels. An empty drawing gives
    zeros.

    Example:
        >>> drawing = np.zeros((100, 100)); drawing[10:90, 45:55] = 255
        >>> digit = mnist_digit(drawing)
        >>> digit.shape, np.nonzero(digit.sum(1))[0][[0, -1]].tolist()
        ((28, 28), [4, 23])
    """
    gray = np.asarray(gray, np.float32)
    if gray.ndim == 3:
        gray = gray[..., 0]
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    peak = float(gray.max()) if gray.size else 0.0
    if peak <= 0:
        return out
    rows = np.nonzero((gray > INK_THRESHOLD * peak).any(1))[0]
    cols = np.nonzero((gray > INK_THRESHOLD * peak).any(0))[0]
    box = gray[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = MNIST_BOX / max(box.shape)
    size = (max(1, round(box.shape[0] * scale)), max(1, round(box.shape[1] * scale)))
    digit = np.clip(resize(box[..., None], size, "area")[..., 0], 0, 255)
    mass = digit.sum()
    ys, xs = np.indices(digit.shape)
    top = int(round(MNIST_SIZE / 2 - 0.5 - (ys * digit).sum() / mass))
    left = int(round(MNIST_SIZE / 2 - 0.5 - (xs * digit).sum() / mass))
    # Clip the placement to the canvas: a very lopsided digit may not centre fully.
    top = min(max(top, 0), MNIST_SIZE - size[0])
    left = min(max(left, 0), MNIST_SIZE - size[1])
    out[top:top + size[0], left:left + size[1]] = digit
    return out


def model_image(data: bytes, input_shape: tuple, drawing: bool = False) -> np.ndarray:
    """Request bytes as one input of the model: ``(H, W, C)`` float32 in 0..255.

    ``drawing=True`` (a canvas drawing for a 28×28 grayscale model) applies
    :func:`mnist_digit`; otherwise the image is resized to the model's size
    (bilinear, as the model's image loader does) and, for a grayscale model,
    a dark-on-light picture is inverted to MNIST's light-on-dark.

    Raises:
        ImageError: see :func:`decode`.
    """
    height, width, channels = input_shape[1:]
    pixels = decode(data, channels)
    if drawing and channels == 1 and (height, width) == (MNIST_SIZE, MNIST_SIZE):
        return mnist_digit(pixels)[..., None]
    image = resize(pixels, (height or pixels.shape[0], width or pixels.shape[1]), "bilinear")
    if channels == 1 and _light_background(image):
        image = 255.0 - image
    return np.clip(image, 0, 255).astype(np.float32)
