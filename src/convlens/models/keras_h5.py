"""Keras 3's HDF5 weights layout: ``model.weights.h5`` in a ``.keras`` archive, and ``.weights.h5`` files.

Keras addresses each layer by the snake-case name of its class, made unique
within its list (``layers/conv2d``, ``layers/conv2d_1``), never by the layer's
own name, and stores its weights as datasets ``0``, ``1``, ... of a ``vars``
group whose ``name`` attribute is the layer name. A nested Sequential nests
the same tree::

    vars                                  (attrs: name="outer")
    layers/conv2d/vars/0                  kernel (3, 3, 1, 32)
    layers/conv2d/vars/1                  bias (32,)
    layers/dropout/vars                   (no weights, still written)
    layers/sequential/vars
    layers/sequential/layers/dense/vars/0

Weights are in Keras's layouts and order (trainable first, so BatchNormalization
is gamma, beta, moving_mean, moving_variance). Groups outside ``vars`` and
``layers`` (Keras's ``optimizer``) hold training state and are not read.
"""

from __future__ import annotations

import os
from typing import Iterator

import h5py
import numpy as np

from ..errors import FileFormatError
from ..layers.base import Layer
from ..layers.naming import snake_case


def _entries(model: Layer, path: str = "") -> Iterator[tuple[str, Layer]]:
    """``(path, object)`` for the model and every layer inside it, depth first, in Keras's naming
    (a subclassed model's or custom layer's by attribute: see ``custom_format``)."""
    from .custom_format import attribute_entries, is_custom
    from .model import Model  # at call time: models/model.py imports this module

    if is_custom(model):
        yield from attribute_entries(model, path, _entries)
        return
    yield path, model
    if not isinstance(model, Model):
        return  # a built-in layer reached from a subclassed model's attribute
    used: dict[str, int] = {}
    for layer in model.layers:  # type: ignore[attr-defined]
        base = snake_case(type(layer).__name__)
        used[base] = used.get(base, -1) + 1
        child = f"{path}/layers/{base}" if path else f"layers/{base}"
        child += f"_{used[base]}" if used[base] else ""
        if isinstance(layer, Model):
            yield from _entries(layer, child)
        else:
            yield child, layer


def _vars_path(path: str) -> str:
    return f"{path}/vars" if path else "vars"


# A model owns no weights itself (its `_weight_specs` is empty); its layers do.
def _own_weights(obj: Layer) -> list[np.ndarray]:
    return obj.get_weights() if obj._weight_specs else []


def _own_shapes(obj: Layer) -> list[tuple[int, ...]]:
    return [tuple(spec.to_keras(getattr(obj, spec.attr).detach()).shape) for spec in obj._weight_specs]


def write_weights(h5: h5py.File, model: Layer) -> None:
    """Write every weight of ``model`` into ``h5`` in Keras's layout.

    Example:
        >>> import io
        >>> from convlens import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> with h5py.File(io.BytesIO(), "w") as h5:
        ...     write_weights(h5, model); sorted(h5["layers/dense/vars"])
        ['0', '1']
    """
    for path, obj in _entries(model):
        group = h5.create_group(_vars_path(path))
        group.attrs["name"] = obj.name
        for i, array in enumerate(_own_weights(obj)):
            group.create_dataset(str(i), data=array)


def read_weights(h5: h5py.File, model: Layer, where: str) -> list[tuple[Layer, list[np.ndarray]]]:
    """``(layer, its weight arrays)`` for every layer of ``model`` that has weights, read from ``h5``.

    The whole file is checked before anything is returned: every layer's
    ``vars`` group must hold exactly its weights (``0`` ... ``n-1``) with the
    layer's Keras shapes, as plain numeric datasets stored inside the file, and
    no weights may be left over for layers the model does not have.

    Raises:
        ValueError: naming ``where``, the H5 path and what is wrong.

    Example:
        >>> import io
        >>> from convlens import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2, name="out")])
        >>> buffer = io.BytesIO()
        >>> with h5py.File(buffer, "w") as h5:
        ...     write_weights(h5, model)
        >>> with h5py.File(buffer, "r") as h5:
        ...     [(layer.name, [a.shape for a in arrays]) for layer, arrays in read_weights(h5, model, "m.weights.h5")]
        [('out', [(3, 2), (2,)])]
    """
    refuse_links(h5, where)
    found: list[tuple[Layer, list[np.ndarray]]] = []
    expected_groups = set()
    for path, obj in _entries(model):
        vars_path = _vars_path(path)
        expected_groups.add(vars_path)
        shapes = _own_shapes(obj)
        group = _group(h5, vars_path, where)
        keys = set(group.keys()) if group is not None else set()
        if keys != {str(i) for i in range(len(shapes))}:
            names = ", ".join(s.keras_name for s in obj._weight_specs) if shapes else "none"
            raise ValueError(
                f"{where}: {vars_path} holds {len(keys)} weight arrays {sorted(keys)}; layer '{obj.name}' "
                f"({type(obj).__name__}) has {len(shapes)} ({names}). The file belongs to a different model."
            )
        if shapes:
            found.append((obj, [_dataset(group, str(i), shape, f"{vars_path}/{i}", obj, where)
                                for i, shape in enumerate(shapes)]))
    _reject_leftovers(h5, expected_groups, where)
    return found


def open_checked(path: "str | os.PathLike[str]") -> h5py.File:
    """Open ``path`` read-only as HDF5, refusing what is not HDF5 and anything that links outside it.

    Raises:
        FileFormatError: the file is not HDF5, or it links outside itself (see ``refuse_links``).

    Example:
        >>> open_checked("notes.txt")  # doctest: +SKIP
        Traceback (most recent call last):
        convlens.errors.FileFormatError: notes.txt cannot be read as an HDF5 file: ...
    """
    where = str(path)
    try:
        h5 = h5py.File(path, "r")
    except OSError as error:
        raise FileFormatError(f"{where} cannot be read as an HDF5 file: {error}") from None
    try:
        refuse_links(h5, where)  # before anything is opened: an external link could lead to a FIFO
    except BaseException:
        h5.close()
        raise
    return h5


def refuse_links(h5: h5py.File, where: str) -> None:
    """Refuse a file that keeps anything outside itself, before any of it is read.

    Every link of the file is walked without being followed: a soft link, an
    external link (which h5py would follow into another file, a FIFO or a
    device, and hang there) or a dataset whose data lies elsewhere (external
    storage, a virtual dataset mapping other files) is refused. Weights files
    written by Keras or convlens hold none of them.

    Raises:
        FileFormatError: naming ``where``, the H5 path and the link.

    Example:
        >>> import io
        >>> with h5py.File(io.BytesIO(), "w") as h5:
        ...     h5["elsewhere"] = h5py.ExternalLink("other.h5", "/weights")
        ...     refuse_links(h5, "m.h5")
        Traceback (most recent call last):
        ...
        convlens.errors.FileFormatError: m.h5: elsewhere is an ExternalLink to other.h5:/weights; ...
    """
    try:
        _refuse_outside_data(h5, where)
    except FileFormatError:
        raise
    except (OSError, KeyError, RuntimeError, SystemError, TypeError, ValueError) as error:
        # A damaged link table surfaces as any of these (SystemError: h5py's lock exiting with the error set).
        raise FileFormatError(f"{where}: its HDF5 link table is damaged: {error}") from None


def _refuse_outside_data(h5: h5py.File, where: str) -> None:
    links: list[tuple[str, object]] = []
    h5.visititems_links(lambda name, link: links.append((name, link)))  # walks hard links only
    for name, link in links:
        if isinstance(link, h5py.ExternalLink):
            target = f" to {link.filename}:{link.path}"
        elif isinstance(link, h5py.SoftLink):
            target = f" to {link.path}"
        else:
            item = h5[name]  # a hard link all the way: opening it reads only this file
            if not (isinstance(item, h5py.Dataset) and (item.external or item.is_virtual)):
                continue
            link, target = "dataset whose data lies in other files", ""
        kind = link if isinstance(link, str) else type(link).__name__
        raise FileFormatError(
            f"{where}: {name} is {'an' if kind[0] in 'AEIOU' else 'a'} {kind}{target}; convlens reads only data "
            "stored in the file itself and never follows links."
        )


def _refuse_link(group: h5py.Group, name: str, path: str, where: str) -> None:
    link = group.get(name, getlink=True)
    if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
        raise ValueError(f"{where}: {path} is a {type(link).__name__}; weights must be stored in the file itself.")


def _group(h5: h5py.File, path: str, where: str) -> h5py.Group | None:
    group: h5py.Group = h5
    walked = []
    for part in path.split("/"):
        walked.append(part)
        if part not in group:
            return None
        _refuse_link(group, part, "/".join(walked), where)
        group = group[part]
        if not isinstance(group, h5py.Group):
            raise ValueError(f"{where}: {'/'.join(walked)} should be an H5 group; found {type(group).__name__}.")
    return group


def _dataset(group: h5py.Group, key: str, shape: tuple[int, ...], path: str, layer: Layer, where: str) -> np.ndarray:
    _refuse_link(group, key, path, where)
    dataset = group[key]
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"{where}: {path} should be a weight array; found an H5 {type(dataset).__name__}.")
    if dataset.external or dataset.is_virtual:
        raise ValueError(f"{where}: {path} keeps its data outside the file; weights must be stored in the file itself.")
    if dataset.dtype.kind not in "fiu":
        raise ValueError(
            f"{where}: {path} holds {dataset.dtype} data; weights are plain numbers "
            "(pickled or opaque data is never read)."
        )
    if dataset.shape != shape:
        raise ValueError(
            f"{where}: {path} has shape {dataset.shape}; layer '{layer.name}' ({type(layer).__name__}) "
            f"expects {layer._weight_specs[int(key)].keras_name} of shape {shape}."
        )
    return np.asarray(dataset[()])


def _reject_leftovers(h5: h5py.File, expected_groups: set[str], where: str) -> None:
    leftovers: list[str] = []

    # The top-level groups the model's weights live in; others (Keras's `optimizer`) hold training state.
    roots = {"vars", "layers"} | {group.split("/")[0] for group in expected_groups}

    def visit(name: str, obj: object) -> None:
        if isinstance(obj, h5py.Dataset) and name.split("/")[0] in roots:
            if name.rsplit("/", 1)[0] not in expected_groups:
                leftovers.append(name)

    h5.visititems(visit)
    if leftovers:
        raise ValueError(
            f"{where}: holds weights for layers the model does not have: {', '.join(leftovers[:5])}"
            f"{' ...' if len(leftovers) > 5 else ''}. The file belongs to a different model."
        )
