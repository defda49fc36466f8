"""Save and load models in Keras 3's own file formats.

- ``save_model`` / ``load_model``: a ``.keras`` archive, the zip Keras's
  ``model.save`` writes: ``metadata.json``, ``config.json`` (the model in
  Keras's serialization schema, see ``keras_format``) and ``model.weights.h5``
  (see ``keras_h5``). Keras loads convlens's archives and convlens loads Keras's.
- ``save_weights`` / ``load_weights``: the same weights tree as a
  ``.weights.h5`` file.

Loading is safe: it builds only convlens's own layer classes and the custom
classes the program names (registered with ``register_keras_serializable`` or
passed in ``custom_objects``), refuses Python code (``Lambda``, lambdas), other
custom objects and non-numeric data, and checks the
whole file before the model is touched, so a damaged or foreign file raises a
``ValueError`` naming the file and the problem and never half-loads. Writing
is atomic: the file is written beside the target and renamed over it only once
complete, so an error or a killed process never leaves a broken file behind.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import h5py

from .. import limits
from .._io import atomic_write
from ..errors import ConvlensError, FileFormatError
from . import keras_format, keras_h5, legacy_h5

if TYPE_CHECKING:
    from .model import Model

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
WEIGHTS_FILE = "model.weights.h5"
_ARCHIVE_FILES = (METADATA_FILE, CONFIG_FILE, WEIGHTS_FILE)


def save_model(model: "Model", path: str | os.PathLike, overwrite: bool = True) -> None:
    """Save ``model`` as a Keras 3 ``.keras`` archive (config, weights, metadata).

    Args:
        model: a convlens ``Sequential``, functional or built subclassed model (nested models allowed); a
            subclassed model or custom layer is saved through its ``get_config()``, as Keras saves it.
        path: the target file: ``.keras``, or ``.h5``/``.hdf5`` for Keras's legacy HDF5 file, written
            as Keras 3 writes it and with Keras's warning (see ``legacy_h5``).
        overwrite: replace an existing file; ``False`` raises ``FileExistsError``.

    Raises:
        ValueError: for another suffix, or a layer option Keras cannot read
            back (a custom activation or initializer function).
        TypeError: for an object that is not a convlens model.

    Example:
        >>> import tempfile, pathlib
        >>> from convlens import Sequential, layers
        >>> model = Sequential([layers.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(10)])
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.keras"
        >>> save_model(model, path)
        >>> load_model(path).count_params() == model.count_params()
        True
    """
    from .model import Model  # at call time: models/model.py imports this module

    path = _checked_path(path, (".keras", ".h5", ".hdf5"), "Invalid filepath extension for saving. Please add "
                         "either a `.keras` extension for the native Keras format (recommended) or a `.h5` extension.")
    if not isinstance(model, Model):
        raise TypeError(f"Only convlens models can be saved in the Keras format; received {type(model).__qualname__}.")
    if keras_format.is_custom(model) or path.suffix in (".h5", ".hdf5"):
        _require_built(model, "saving")
    if path.suffix in (".h5", ".hdf5"):
        legacy_h5.warn_legacy()
    _check_overwrite(path, overwrite)
    if path.suffix in (".h5", ".hdf5"):
        with _atomic_file(path) as file, h5py.File(file, "w") as h5:
            legacy_h5.write_model(model, h5)
        return
    config = json.dumps(keras_format.model_to_config(model), allow_nan=False)
    metadata = json.dumps({"keras_version": keras_format.KERAS_VERSION,
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    # The weights file is built in memory first, as Keras does: zip members are
    # written whole, and h5py needs a seekable file of its own.
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h5:
        keras_h5.write_weights(h5, model)
    with _atomic_file(path) as file, zipfile.ZipFile(file, "w") as archive:
        archive.writestr(METADATA_FILE, metadata)
        archive.writestr(CONFIG_FILE, config)
        archive.writestr(WEIGHTS_FILE, weights.getbuffer())


def load_model(path: str | os.PathLike, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True) -> "Model":
    """Load a ``.keras`` archive written by Keras 3 or by :func:`save_model`.

    Args:
        path: the archive (``.keras``), or a legacy HDF5 model file (``.h5``/``.hdf5``).
        custom_objects: ``{registered name or class name: class}`` for the
            subclassed models and custom layers the file names, beside those
            registered with ``register_keras_serializable``; no other code is
            ever built from a file.
        compile: when the archive records a ``compile_config``, keep it as
            ``model.compile_config`` and compile the model with it (where
            convlens's training supports it).
        safe_mode: accepted for Keras compatibility. convlens never runs code
            from a file, so loading is safe either way: ``Lambda`` layers and
            lambdas are refused even with ``safe_mode=False``.

    Returns:
        The model, its weights set, in inference mode.

    Raises:
        ValueError: for a file that is not a valid archive (not a zip,
            truncated, a member missing or damaged, invalid JSON), refused
            content (code, custom objects, layers convlens does not have) or
            weights that do not fit the model; the message names the file
            and the problem. Nothing is returned half-loaded.

    Example:
        >>> import tempfile, pathlib
        >>> from convlens import Sequential, layers
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.keras"
        >>> save_model(Sequential([layers.Input((3,)), layers.Dense(2, name="out")]), path)
        >>> load_model(path).get_layer("out").units
        2
    """
    from .model import Model  # at call time: models/model.py imports this module

    path = _checked_path(path, (".keras", ".h5", ".hdf5"), "Invalid filename: expected a `.keras` or `.h5` extension.")
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(f"custom_objects must be a dict of name -> class; received {custom_objects!r}.")
    if path.suffix in (".h5", ".hdf5"):
        return legacy_h5.read_model(path, custom_objects)
    where = str(path)
    config, weights = _read_archive(path)
    try:
        keras_format.check_safe(config, where, custom_objects=custom_objects)
        # float16 is the narrowest weight Keras stores: no layer of a genuine
        # file needs more values than that many in its weights member.
        with limits.weight_budget(len(weights) // 2, f"{where} ({CONFIG_FILE})"):
            model = keras_format.model_from_config(config, where, custom_objects=custom_objects)
        if not isinstance(model, Model):
            raise ValueError(f"{where}: config.json describes a {type(model).__name__} layer, not a model.")
    except ConvlensError:
        raise
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        raise FileFormatError(str(error) if where in str(error) else f"{where}: {error}") from None
    _set_weights_from_h5(model, io.BytesIO(weights), f"{where} ({WEIGHTS_FILE})")
    compile_config = config.get("compile_config") or {}
    if compile and compile_config:
        model.compile_config = compile_config
        _compile(model, compile_config)
    return model


def save_weights(model: "Model", path: str | os.PathLike, overwrite: bool = True) -> None:
    """Save the weights of a built model as a Keras ``.weights.h5`` file.

    Raises:
        ValueError: for a name not ending in ``.weights.h5``, or a model that
            is not built yet.

    Example:
        >>> import tempfile, pathlib
        >>> from convlens import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "dense.weights.h5"
        >>> save_weights(model, path); load_weights(model, path)
    """
    path = _checked_path(path, (".weights.h5",), "The filename must end in `.weights.h5`.")
    _require_built(model, "saving")
    _check_overwrite(path, overwrite)
    with _atomic_file(path) as file, h5py.File(file, "w") as h5:
        keras_h5.write_weights(h5, model)


def load_weights(model: "Model", path: str | os.PathLike) -> None:
    """Load weights saved by Keras or convlens (``.weights.h5``, or the weights of a ``.keras`` archive).

    Layers are matched by position and class, as Keras matches them, not by
    name. The whole file is checked before any weight changes.

    Raises:
        ValueError: for another suffix, an unbuilt model, or a file whose
            weights do not fit the model (the message names the H5 path).

    Example:
        >>> import tempfile, pathlib
        >>> from convlens import Sequential, layers
        >>> a, b = (Sequential([layers.Input((3,)), layers.Dense(2)]) for _ in range(2))
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.weights.h5"
        >>> save_weights(a, path); load_weights(b, path)
        >>> all((wa == wb).all() for wa, wb in zip(a.get_weights(), b.get_weights()))
        True
    """
    path = _checked_path(path, (".weights.h5", ".keras"), "The filename must end in `.weights.h5` or `.keras`.")
    _require_built(model, "loading weights into")
    if path.name.endswith(".keras"):
        _, weights = _read_archive(path)
        _set_weights_from_h5(model, io.BytesIO(weights), f"{path} ({WEIGHTS_FILE})")
        return
    with open(path, "rb") as file:
        _set_weights_from_h5(model, file, str(path))


# ------------------------------------------------------------------ helpers
def _checked_path(path: Any, suffixes: tuple[str, ...], message: str) -> Path:
    """``path`` as a Path, its suffix checked; an existing non-regular file (a FIFO, a folder) is refused,
    since opening one for reading can block forever."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"filepath must be a str or os.PathLike; received {path!r} of type {type(path).__name__}.")
    checked = Path(path)
    if not checked.name.endswith(suffixes):
        raise ValueError(f"{message} Received: filepath={path}")
    if checked.exists() and not checked.is_file():
        raise FileFormatError(f"{checked} is not a regular file (a folder, FIFO or device); a model file is refused.")
    return checked


def _check_overwrite(path: Path, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it.")


def _require_built(model: "Model", action: str) -> None:
    if not model.built:
        raise ValueError(
            f"You are {action} a model that has not yet been built: give it an input shape "
            "(`layers.Input(...)` first) or call it on data first."
        )


def _atomic_file(path: Path) -> contextlib.AbstractContextManager[BinaryIO]:
    """A new file that becomes ``path`` only once completely written (see :func:`convlens._io.atomic_write`).

    Like Keras, saving does not create missing folders.
    """
    if not path.parent.is_dir():
        raise FileNotFoundError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    return atomic_write(path)


def _read_archive(path: Path) -> tuple[dict[str, Any], bytes]:
    """``config.json`` (parsed) and the bytes of ``model.weights.h5`` of a ``.keras`` archive, checked."""
    where = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise FileFormatError(
            f"{where} is not a valid .keras archive ({error}): a .keras file is a zip archive, "
            "and this one is truncated or in another format."
        ) from None
    with archive:
        names = archive.namelist()
        unexpected = sorted(set(names) - set(_ARCHIVE_FILES))
        if unexpected or len(names) != len(set(names)):
            raise FileFormatError(
                f"{where}: unexpected archive members {unexpected or sorted(names)}; a .keras archive of "
                f"convlens layers holds {', '.join(_ARCHIVE_FILES)}, each once."
            )
        for name in (CONFIG_FILE, WEIGHTS_FILE):
            if name not in names:
                raise FileFormatError(f"{where}: the archive has no {name}; it is incomplete or not a Keras model.")
        config = _read_json(archive, CONFIG_FILE, where)
        if METADATA_FILE in names:
            _read_json(archive, METADATA_FILE, where)
        return config, _read_member(archive, WEIGHTS_FILE, where)


def _read_member(archive: zipfile.ZipFile, name: str, where: str, limit_name: str = "CONVLENS_MAX_MEMBER_BYTES") -> bytes:
    """One member's bytes: refused when encrypted or larger than the limit, as the zip header declares it and
    as it streams (a header can lie), so a small archive never expands into memory."""
    info = archive.getinfo(name)
    if info.flag_bits & 0x1:
        raise FileFormatError(f"{where}: {name} is encrypted; a .keras archive stores its members unencrypted.")
    limits.check_size(info.file_size, limit_name, f"{where}: {name}")
    chunks, total = [], 0
    try:
        with archive.open(name) as member:
            while chunk := member.read(1 << 20):
                total += len(chunk)
                limits.check_size(total, limit_name, f"{where}: {name}")
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError, RuntimeError) as error:
        raise FileFormatError(f"{where}: {name} is damaged and cannot be read: {error}") from None
    return b"".join(chunks)


def _read_json(archive: zipfile.ZipFile, name: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(_read_member(archive, name, where, "CONVLENS_MAX_JSON_BYTES"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FileFormatError(f"{where}: {name} is not valid JSON: {error}") from None
    except RecursionError:
        raise FileFormatError(f"{where}: {name} nests deeper than {limits.JSON_MAX_DEPTH} levels.") from None
    if not isinstance(value, dict):
        raise FileFormatError(f"{where}: {name} must hold a JSON object; found {type(value).__name__}.")
    limits.check_json_depth(value, f"{where}: {name}")
    return value


def _set_weights_from_h5(model: "Model", source: BinaryIO, where: str) -> None:
    try:
        with h5py.File(source, "r") as h5:
            found = keras_h5.read_weights(h5, model, where)
    except ConvlensError:
        raise
    except (OSError, KeyError, RuntimeError, TypeError, ValueError) as error:
        if isinstance(error, ValueError) and where in str(error):
            raise FileFormatError(str(error)) from None  # keras_h5's own check, already naming the file
        # h5py reports a damaged file as any of these (a mutated B-tree: KeyError, a bad
        # heap: RuntimeError); none of them is a bug in the caller.
        raise FileFormatError(f"{where} cannot be read as an HDF5 weights file: {error}") from None
    # Every array has been checked against its layer, so no layer can refuse
    # its share: setting layer by layer needs no rollback copy of the model
    # (VGG16, 528 MiB: 0.4 s instead of 3.4 s through model.set_weights, 2 CPU cores).
    for layer, arrays in found:
        layer.set_weights(arrays)


def _compile(model: "Model", compile_config: dict[str, Any]) -> None:
    """Compile the model as the archive records, where convlens's training supports it."""
    try:
        model.compile(**keras_format.compile_arguments(compile_config))
    except (AttributeError, NotImplementedError):
        pass  # no usable `compile` yet: the config stays recorded as model.compile_config
