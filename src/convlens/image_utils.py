"""``keras.utils``'s image file helpers: load an image file as a PIL image, convert it to and from arrays, save it.

Arrays are channels-last (H, W, C) by default, as in the rest of convlens's public API.
PIL (``pip install pillow``) is imported when one of these functions is first called.
"""

from __future__ import annotations

import io
import pathlib
import warnings
from typing import Any

import numpy as np

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]

COLOR_MODES = ("grayscale", "rgb", "rgba")
DATA_FORMATS = ("channels_last", "channels_first")
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
PIL_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}  # what each color_mode converts to


def pil_image():
    """PIL's ``Image`` module, or an ImportError saying which package gives it."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError("Could not import PIL.Image. The image functions of convlens.utils require PIL: "
                          "`pip install pillow`.") from error
    return Image


def checked_data_format(data_format: str | None) -> str:
    """``data_format`` with ``None`` meaning channels-last, or a ValueError naming what was received."""
    data_format = "channels_last" if data_format is None else str(data_format).lower()
    if data_format not in DATA_FORMATS:
        raise ValueError(f"The `data_format` argument must be one of {set(DATA_FORMATS)}. "
                         f"Received: data_format={data_format}")
    return data_format


def load_img(path, color_mode: str = "rgb", target_size: tuple[int, int] | None = None,
             interpolation: str = "nearest", keep_aspect_ratio: bool = False):
    """Load an image file as a PIL image, as ``keras.utils.load_img``.

    Args:
        path: a file path (str, bytes or ``pathlib.Path``) or an ``io.BytesIO``.
        color_mode: ``"grayscale"`` (8-, 16- and 32-bit grayscale files are kept as they are), ``"rgb"`` or ``"rgba"``.
        target_size: ``None`` keeps the file's size; ``(height, width)`` resizes to it.
        interpolation: PIL's resampling filter for the resize: one of ``INTERPOLATIONS``.
        keep_aspect_ratio: crop the largest centred box of the target's aspect ratio before resizing.

    Returns:
        A ``PIL.Image.Image``.

    Raises:
        FileNotFoundError: if ``path`` names no file.
        ValueError: for an unknown ``color_mode`` or ``interpolation``.
        TypeError: if ``path`` is neither path-like nor ``io.BytesIO``.

    Example:
        >>> img = load_img("cat.png", target_size=(32, 32))  # doctest: +SKIP
        >>> img.size  # doctest: +SKIP
        (32, 32)
    """
    if color_mode not in COLOR_MODES:
        raise ValueError(f'color_mode must be "grayscale", "rgb", or "rgba". Received: color_mode={color_mode!r}')
    if target_size is not None and interpolation not in INTERPOLATIONS:
        raise ValueError(f"Invalid interpolation method {interpolation!r} specified. "
                         f"Supported methods are {', '.join(INTERPOLATIONS)}")
    Image = pil_image()
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (str, bytes, pathlib.Path)):
        file = pathlib.Path(path.decode() if isinstance(path, bytes) else path)
        if not file.is_file():
            raise FileNotFoundError(f"load_img: no image file at path={str(file)!r}")
        img = Image.open(io.BytesIO(file.read_bytes()))  # read whole, so no file handle stays open
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")

    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif img.mode != PIL_MODES[color_mode]:
        img = img.convert(PIL_MODES[color_mode])

    if target_size is None:
        return img
    target_width_height = (int(target_size[1]), int(target_size[0]))
    if img.size == target_width_height:
        return img
    resample = getattr(Image, "Resampling", Image)
    resample = getattr(resample, interpolation.upper())
    box = aspect_crop_box(img.size, target_width_height) if keep_aspect_ratio else None
    return img.resize(target_width_height, resample, box=box)


def aspect_crop_box(size: tuple[int, int], target: tuple[int, int]) -> tuple[int, int, int, int]:
    """The largest centred (left, top, right, bottom) box of ``size`` = (width, height) with ``target``'s aspect ratio."""
    width, height = size
    target_width, target_height = target
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    left, top = (width - crop_width) // 2, (height - crop_height) // 2
    return left, top, left + crop_width, top + crop_height


def img_to_array(img, data_format: str | None = None, dtype: Any = None) -> np.ndarray:
    """A PIL image as a NumPy array, as ``keras.utils.img_to_array``.

    Args:
        img: a PIL image (or anything ``np.asarray`` turns into a 2D or 3D array).
        data_format: ``"channels_last"`` (default) gives (H, W, C), ``"channels_first"`` gives (C, H, W).
        dtype: the array's dtype, ``float32`` by default.

    Returns:
        A 3D array; a grayscale image gets a channel axis of 1.

    Example:
        >>> from PIL import Image
        >>> img_to_array(Image.new("RGB", (4, 2))).shape
        (2, 4, 3)
    """
    data_format = checked_data_format(data_format)
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 2:
        x = x[:, :, None]  # (H, W, 1)
    elif x.ndim != 3:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x, data_format: str | None = None, scale: bool = True, dtype: Any = None):
    """A 3D array as a PIL image, as ``keras.utils.array_to_img``.

    Args:
        x: an (H, W, C) array (or (C, H, W) with ``data_format="channels_first"``) with 1, 3 or 4 channels.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        scale: stretch the values so that the minimum becomes 0 and the maximum 255.
        dtype: the float dtype the values are taken in first, ``float32`` by default.

    Returns:
        A PIL image of mode ``"L"`` (or ``"I"`` for 1-channel values above 255), ``"RGB"`` or ``"RGBA"``.

    Example:
        >>> array_to_img(np.random.random((2, 4, 3))).size
        (4, 2)
    """
    data_format = checked_data_format(data_format)
    Image = pil_image()
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    x = np.array(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)  # (H, W, C)
    if scale:
        x = x - np.min(x)
        if np.max(x) != 0:
            x /= np.max(x)
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return Image.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if np.max(x) > 255:  # beyond 8 bits: PIL's 32-bit signed integer grayscale
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def save_img(path, x, data_format: str | None = None, file_format: str | None = None, scale: bool = True,
             **kwargs: Any) -> None:
    """Save an image array to a path or file object, as ``keras.utils.save_img``.

    Args:
        path: a file path or a writable file object.
        x: the image array, as for ``array_to_img``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        file_format: the format (``"png"``, ``"jpeg"``, ...); ``None`` takes it from the path's extension.
            An RGBA image saved as JPEG is converted to RGB, with a warning.
        scale: stretch the values to [0, 255] first.
        **kwargs: passed to ``PIL.Image.Image.save``.

    Example:
        >>> save_img("out.png", np.random.random((8, 8, 3)))  # doctest: +SKIP
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)  # before opening the file: bad input writes nothing
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)
