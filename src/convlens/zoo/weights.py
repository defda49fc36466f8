"""Pretrained weights from local files: ``load_pretrained(model, path)`` and the zoo's ``weights=``.

convlens never downloads anything: ``weights="imagenet"`` raises an error that
names the file to download and asks for its path. Files it reads:

- a Keras 3 ``.keras`` archive or ``.weights.h5`` file (layers matched by
  position, as Keras matches them: :func:`convlens.models.saving.load_weights`);
- Keras's legacy HDF5 weights (``.h5``/``.hdf5`` from Keras 1/2
  ``save_weights`` or ``save``, and the keras-applications downloads such as
  ``vgg16_weights_tf_dim_ordering_tf_kernels.h5``): layers matched by name;
- a PyTorch state dict (``.pt``/``.pth`` read with ``torch.load(weights_only=True)``,
  ``.safetensors`` when the ``safetensors`` package is installed) of the same
  architecture: its modules matched, in order, to the model's layers with
  weights (see :func:`load_state_dict`).

Every file is checked completely (layer count, names, every shape) before any
weight changes, so a mismatch raises ``ValueError`` naming the layer, the
expected and the found shapes, and leaves the model as it was.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any, Mapping

import h5py
import numpy as np
import torch

from ..layers.base import Layer
from ..layers.core import Dense
from ..layers.reshaping import Flatten
from ..models import saving
from ..models.functional import Functional
from ..models.keras_h5 import _refuse_link, open_checked
from ..models.model import Model

# The zoo builders' `weights=`: None (random weights), or the path of a local file.
Weights = str | os.PathLike | None

# Keras's ImageNet weight files for the zoo's architectures: (with the top, without it).
KERAS_APPLICATION_FILES: dict[str, tuple[str, str]] = {
    "vgg16": ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    "vgg19": ("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"),
}

# PyTorch's parameter and buffer names for Keras's weight names; any other weight is the module's `weight`.
_TORCH_NAMES = {"bias": "bias", "gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
                "moving_variance": "running_var"}


def load_pretrained(model: Model, path: str | os.PathLike) -> Model:
    """Load the weights in a local file into ``model`` (built); returns the model.

    Args:
        model: a built convlens model.
        path: a ``.keras``, ``.weights.h5``, legacy Keras ``.h5``/``.hdf5``,
            PyTorch ``.pt``/``.pth`` or ``.safetensors`` file (see the module
            docstring for how each is matched to the layers).

    Raises:
        ValueError: for ``"imagenet"`` (convlens never downloads: the message
            names the file to get), an unknown file type, or weights that do
            not fit the model (the message names the layer and both shapes);
            the model is then unchanged.
        FileNotFoundError: for a path that is not a file.

    Example:
        >>> import tempfile, pathlib
        >>> from convlens import zoo
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "lenet5.weights.h5"
        >>> zoo.create("lenet5").save_weights(path)
        >>> model = load_pretrained(zoo.create("lenet5"), path)
    """
    if isinstance(path, str) and path.strip().lower() == "imagenet":
        raise ValueError(_download_message(model))
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"weights must be None or the path of a local file; received {path!r} of type {type(path).__name__}."
        )
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No weights file at {path}. convlens reads weights only from local files.")
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built: give it an input shape before loading weights.")
    name = path.name.lower()
    if name.endswith((".keras", ".weights.h5")):
        saving.load_weights(model, path)
    elif name.endswith((".h5", ".hdf5")):
        load_legacy_h5_weights(model, path)
    elif name.endswith((".pt", ".pth")):
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as error:
            raise ValueError(
                f"{path} cannot be read as a PyTorch state dict (torch.load with weights_only=True): {error}"
            ) from None
        load_state_dict(model, state, where=str(path))
    elif name.endswith(".safetensors"):
        try:
            from safetensors.torch import load_file
        except ImportError:
            raise ValueError(f"Reading {path} needs the `safetensors` package: pip install safetensors.") from None
        load_state_dict(model, load_file(str(path)), where=str(path))
    else:
        raise ValueError(
            f"Unknown weights file type: {path.name}. Supported: .keras, .weights.h5, legacy Keras .h5/.hdf5, "
            "PyTorch .pt/.pth and .safetensors."
        )
    return model


def apply_weights(model: Model, weights: Weights) -> Model:
    """The zoo builders' ``weights=``: ``None`` keeps the random weights, a path loads that file.

    Example:
        >>> from convlens import zoo
        >>> apply_weights(zoo.create("lenet5"), None).name
        'lenet5'
    """
    return model if weights is None else load_pretrained(model, weights)


def _download_message(model: Model) -> str:
    files = KERAS_APPLICATION_FILES.get(model.name)
    if files is None:
        return (f"weights='imagenet': convlens never downloads weights, and knows no ImageNet file for "
                f"'{model.name}'. Pass the path of a local weights file instead: a Keras .keras or .weights.h5 "
                "file, legacy Keras .h5 weights, or a PyTorch state dict of the same architecture.")
    with_top = any(layer.name == "predictions" for layer in model.layers)
    file = files[0 if with_top else 1]
    return (f"weights='imagenet': convlens never downloads weights. Download Keras's ImageNet weights for "
            f"{model.name} {'with' if with_top else 'without'} the top, the file {file} (published with "
            "keras-applications; Keras keeps a copy in ~/.keras/models/ once keras.applications has loaded it), "
            f"and pass its path: weights='/path/to/{file}'.")


def _weighted_layers(model: Model) -> list[Layer]:
    """The layers that own weights, nested models' included, in ``model.layers`` order."""
    found: dict[int, Layer] = {}
    for layer in model.iter_layers():
        if not isinstance(layer, Model) and layer._weight_specs:
            found.setdefault(id(layer), layer)
    return list(found.values())


def _keras_shapes(layer: Layer) -> list[tuple[int, ...]]:
    return [tuple(spec.to_keras(getattr(layer, spec.attr).detach()).shape) for spec in layer._weight_specs]


# -------------------------------------------------------------- legacy HDF5
def _text_list(group: h5py.Group, name: str) -> list[str]:
    """A list-of-names attribute, which Keras splits into ``name0``, ``name1``, ... when it is large."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, chunk = [], 0
        while f"{name}{chunk}" in group.attrs:
            values += list(group.attrs[f"{name}{chunk}"])
            chunk += 1
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def load_legacy_h5_weights(model: Model, path: Path) -> None:
    where = str(path)
    with open_checked(path) as h5:
        root = h5["model_weights"] if isinstance(h5.get("model_weights"), h5py.Group) else h5  # a legacy full model
        if not _text_list(root, "layer_names"):
            if "layers" in root or "vars" in root:
                raise ValueError(f"{where} holds Keras 3's weights layout: name it '*.weights.h5' to load it.")
            raise ValueError(f"{where} is not a Keras weights file: it has no 'layer_names' attribute.")
        datasets: dict[str, list[tuple[str, h5py.Dataset]]] = {}
        for name in _text_list(root, "layer_names"):
            _refuse_link(root, name, name, where)
            group = root[name]
            if not isinstance(group, h5py.Group):
                raise ValueError(f"{where}: {name} should be an H5 group of weights; found {type(group).__name__}.")
            datasets[name] = [(weight, _legacy_dataset(group, weight, f"{name}/{weight}", where))
                              for weight in _text_list(group, "weight_names")]
        plan = []
        layers = _weighted_layers(model)
        missing = [layer.name for layer in layers if layer.name not in datasets]
        if missing:
            present = [name for name, items in datasets.items() if items]
            raise ValueError(f"{where} has no weights for layer(s) {missing}; it holds weights for {present}.")
        for layer in layers:
            items, shapes = datasets[layer.name], _keras_shapes(layer)
            specs = [spec.keras_name for spec in layer._weight_specs]
            if len(items) != len(shapes):
                raise ValueError(
                    f"{where}: layer '{layer.name}' ({type(layer).__name__}) has {len(shapes)} weights {specs} of "
                    f"shapes {shapes}; the file holds {len(items)}: {[(w, d.shape) for w, d in items]}."
                )
            for (weight, dataset), spec, shape in zip(items, specs, shapes):
                if dataset.shape != shape:
                    raise ValueError(
                        f"{where}: layer '{layer.name}' ({type(layer).__name__}) expects {spec} of shape {shape}; "
                        f"found {weight} of shape {dataset.shape}."
                    )
            plan.append((layer, [np.asarray(dataset[()]) for _, dataset in items]))
        names = {layer.name for layer in layers}
        extra = [name for name, items in datasets.items() if items and name not in names]
        if extra:
            raise ValueError(
                f"{where} holds weights for layer(s) {extra} that the model does not have "
                "(a file for another architecture, or with the top when the model has none)."
            )
    for layer, arrays in plan:  # every array has been checked: no layer can refuse its share
        layer.set_weights(arrays)


def _legacy_dataset(group: h5py.Group, name: str, path: str, where: str) -> h5py.Dataset:
    if name not in group:
        raise ValueError(f"{where}: {path} is listed in 'weight_names' but missing.")
    _refuse_link(group, name, path, where)
    dataset = group[name]
    if (not isinstance(dataset, h5py.Dataset) or dataset.dtype.kind not in "fiu"
            or dataset.external or dataset.is_virtual):
        raise ValueError(f"{where}: {path} is not a numeric weight array stored in the file.")
    return dataset


# -------------------------------------------------------------- state dicts
def load_state_dict(model: Model, state: Mapping[str, Any], where: str = "state dict") -> None:
    """Load a PyTorch state dict of the same architecture into ``model``, module by module.

    The state dict's modules (keys grouped by prefix, ``features.0.weight`` →
    ``features.0``) are matched in order to the model's layers that have
    weights. PyTorch's layouts are convlens's own: ``Conv2d`` ``(O, I, kh, kw)``,
    ``Linear`` ``(out, in)``; ``BatchNorm2d`` ``weight``/``bias``/``running_mean``/
    ``running_var`` are gamma/beta/moving_mean/moving_variance
    (``num_batches_tracked`` is skipped). A Dense layer fed by a Flatten gets
    its input features reordered from PyTorch's (C, H, W) flattening to
    convlens's (H, W, C). A ``{"state_dict": ...}`` checkpoint is unwrapped.

    Raises:
        ValueError: for a different number of modules, other parameter names,
            or a shape that differs (naming the layer, the expected and the
            found shapes); the model is then unchanged.

    Example:
        >>> import torch
        >>> from convlens import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> load_state_dict(model, torch.nn.Linear(3, 2).state_dict())
    """
    if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]
    if not (isinstance(state, Mapping)
            and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items())):
        raise ValueError(f"{where} is not a PyTorch state dict (a mapping of parameter names to tensors).")
    modules: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        prefix, _, param = key.rpartition(".")
        if param != "num_batches_tracked":
            modules.setdefault(prefix, {})[param] = value
    layers = _weighted_layers(model)
    if len(modules) != len(layers):
        raise ValueError(
            f"{where} has {len(modules)} modules with weights ({', '.join(modules)}); model '{model.name}' has "
            f"{len(layers)} layers with weights ({', '.join(layer.name for layer in layers)}). A state dict loads "
            "into the same architecture, module for module."
        )
    flattened = _flatten_inputs(model)
    plan = []
    for (prefix, params), layer in zip(modules.items(), layers):
        names = [_TORCH_NAMES.get(spec.keras_name, "weight") for spec in layer._weight_specs]
        if len(set(names)) != len(names):
            raise ValueError(
                f"{where}: layer '{layer.name}' ({type(layer).__name__}) has no single PyTorch module equivalent."
            )
        if set(params) != set(names):
            raise ValueError(
                f"{where}: module '{prefix}' holds {sorted(params)}; layer '{layer.name}' ({type(layer).__name__}) "
                f"takes {names}."
            )
        arrays = []
        for spec, name in zip(layer._weight_specs, names):
            current = getattr(layer, spec.attr)
            value = params[name].detach().cpu()
            if tuple(value.shape) != tuple(current.shape):
                raise ValueError(
                    f"{where}: '{prefix}.{name}' has shape {tuple(value.shape)}; layer '{layer.name}' "
                    f"({type(layer).__name__}) expects {spec.keras_name} of shape {tuple(current.shape)} "
                    "(PyTorch layout)."
                )
            if spec.keras_name == "kernel" and layer in flattened:
                value = _chw_to_hwc(value, flattened[layer])
            arrays.append(spec.to_keras(value.to(current.dtype)).numpy())
        plan.append((layer, arrays))
    for layer, arrays in plan:  # every array has been checked: no layer can refuse its share
        layer.set_weights(arrays)


def _chw_to_hwc(weight: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """A Linear weight ``(out, C·H·W)`` reordered for inputs flattened in (H, W, C) order."""
    *spatial, channels = shape
    out = weight.shape[0]
    order = (0, *range(2, 2 + len(spatial)), 1)
    return weight.reshape(out, channels, *spatial).permute(order).reshape(out, -1)  # (out, H·W·C)


def _flatten_inputs(model: Model) -> dict[Layer, tuple[int, ...]]:
    """The Dense layers fed by a Flatten of a multi-axis input, with that input's shape.

    Weightless layers that keep the shape (Dropout, activations) may sit between them.
    """
    found: dict[Layer, tuple[int, ...]] = {}
    for part in [model, *(layer for layer in model.iter_layers() if isinstance(layer, Model))]:
        if isinstance(part, Functional):
            for layer in part.layers:
                if isinstance(layer, Dense):
                    for node in part.inbound_nodes(layer):
                        source = node.inputs[0]
                        while _passes_through(source.node.layer) and len(source.node.inputs) == 1 \
                                and source.node.inputs[0].shape == source.shape:
                            source = source.node.inputs[0]
                        if isinstance(source.node.layer, Flatten) and len(source.node.inputs[0].shape) > 2:
                            found[layer] = tuple(source.node.inputs[0].shape[1:])
            continue
        pending = None
        shapes_in = [part.input_shape, *part.layer_output_shapes[:-1]]
        for layer, shape_in, shape_out in zip(part.layers, shapes_in, part.layer_output_shapes):
            if isinstance(layer, Flatten):
                pending = tuple(shape_in[1:]) if len(shape_in) > 2 else None
            elif isinstance(layer, Dense) and pending:
                found[layer], pending = pending, None
            elif not _passes_through(layer) or tuple(shape_in) != tuple(shape_out):
                pending = None
    return found


def _passes_through(layer: Layer) -> bool:
    # Dropout, activations: no weights, so (with the shape kept) no change of feature order.
    return not layer._weight_specs and not isinstance(layer, Model)
