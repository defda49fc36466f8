"""Rebuilding a functional model from Keras's "Functional" config by replaying its recorded layer calls."""

from __future__ import annotations

from typing import Any, Callable

from ..layers import deserialize
from ..layers.base import Layer
from ..layers.input_layer import InputLayer
from ..layers.keras_tensor import KerasTensor, flatten
from .functional import Functional


def deserialize_entry(entry: dict[str, Any]) -> Layer:
    """A layer or model from its ``{"class_name", "config"}`` entry in convlens's short form.

    Example:
        >>> deserialize_entry({"class_name": "Dense", "config": {"units": 2}}).units
        2
    """
    from .sequential import Sequential  # at call time: models/__init__ imports this module's importers first

    models: dict[str, Any] = {"Sequential": Sequential, "Functional": Functional}
    if entry.get("class_name") in models:
        return models[entry["class_name"]].from_config(dict(entry.get("config") or {}))
    return deserialize(entry)


class _NotReady(Exception):
    """A recorded call reads a tensor whose own call has not been replayed yet."""


def functional_from_config(config: dict[str, Any], build_layer: Callable[[dict[str, Any], int], Layer]) -> Functional:
    """Rebuild a functional model from Keras's "Functional" config.

    Every layer is built with ``build_layer(entry, index)``; then the recorded
    calls are replayed in Keras's order: a call waits until the tensors it
    reads exist, so a layer shared at different depths is rebuilt too.

    Raises:
        ValueError: naming the entry that is malformed, refers to a layer the
            config does not have, or can never be replayed.

    Example:
        >>> import convlens
        >>> from convlens import layers
        >>> x = layers.Input((3,))
        >>> config = convlens.Model(x, layers.Dense(2)(x)).get_config()
        >>> functional_from_config(config, lambda entry, i: layers.deserialize(entry)).output_shape
        (None, 2)
    """
    entries = config.get("layers")
    if not isinstance(entries, list):
        raise ValueError(f"config.layers must be a list of layer entries; received {entries!r}.")
    created: dict[str, Layer] = {}
    calls: dict[str, list[list[KerasTensor]]] = {}  # outputs of each call, numbered as in the config
    pending: dict[str, list[Any]] = {}
    for i, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not isinstance(entry.get("inbound_nodes", []), list):
            raise ValueError(f"config.layers[{i}] must be a layer entry with a 'name' and a list of 'inbound_nodes'.")
        if name in created:
            raise ValueError(f"config.layers[{i}]: the layer name {name!r} is used twice.")
        layer = build_layer(entry, i)
        created[name] = layer
        calls[name] = [[layer.output]] if isinstance(layer, InputLayer) else []  # an input layer's call exists
        pending[name] = list(entry.get("inbound_nodes", []))

    def tensor(ref: Any, where: str) -> KerasTensor | None:
        if not (isinstance(ref, list) and len(ref) == 3 and isinstance(ref[0], str)
                and all(isinstance(n, int) and n >= 0 for n in ref[1:])):
            raise ValueError(
                f"{where}: a tensor reference is [layer name, call index, output index]; received {ref!r}."
            )
        name, call, index = ref
        if name not in created:
            raise ValueError(f"{where} refers to layer {name!r}, which the config does not have.")
        if call >= len(calls[name]):
            return None
        outputs = calls[name][call]
        if index >= len(outputs):
            raise ValueError(
                f"{where} refers to output {index} of call {call} of layer {name!r}, which does not exist."
            )
        return outputs[index]

    def resolve(value: Any, where: str) -> Any:
        if isinstance(value, list):
            return [resolve(v, where) for v in value]
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            found = tensor((value.get("config") or {}).get("keras_history"), where)
            if found is None:
                raise _NotReady
            return found
        raise ValueError(f"{where}: call arguments must be tensor references; received {value!r}.")

    progress = True
    while progress and any(pending.values()):
        progress = False
        for name, queue in pending.items():
            while queue:
                node, where = queue[0], f"layer {name!r}, call {len(calls[name])}"
                if not (isinstance(node, dict) and isinstance(node.get("args"), list)
                        and isinstance(node.get("kwargs", {}), dict)):
                    raise ValueError(
                        f"{where}: a call is {{'args': [...], 'kwargs': {{...}}}} (Keras 3's form); received {node!r}."
                    )
                try:
                    args = [resolve(a, where) for a in node["args"]]
                except _NotReady:
                    break
                calls[name].append(flatten(created[name](*args, **_call_kwargs(node.get("kwargs", {}), where))))
                queue.pop(0)
                progress = True
    unresolved = sorted(name for name, queue in pending.items() if queue)
    if unresolved:
        raise ValueError(
            f"Invalid Functional model configuration: the calls of {unresolved} read tensors that are never made "
            "(the graph has a loop or a missing call)."
        )

    def tensors(struct: Any, where: str) -> Any:
        if isinstance(struct, list) and struct and all(isinstance(s, list) for s in struct):
            return [tensors(s, where) for s in struct]
        if isinstance(struct, list) and len(struct) == 3 and isinstance(created.get(struct[0]), Functional):
            struct = [struct[0], struct[1] - 1, struct[2]]  # numbered from 1 here, as Keras writes it
        found = tensor(struct, where)
        if found is None:
            raise ValueError(
                f"{where} refers to call {struct[1]} of layer {struct[0]!r}, which the config never makes."
            )
        return found

    return Functional(tensors(config.get("input_layers"), "config.input_layers"),
                      tensors(config.get("output_layers"), "config.output_layers"),
                      name=config.get("name"), trainable=config.get("trainable", True))


def _call_kwargs(kwargs: dict[str, Any], where: str) -> dict[str, Any]:
    for key, value in kwargs.items():
        if key != "training" or not isinstance(value, bool):
            raise ValueError(
                f"{where}: the only call argument convlens records is training=True/False; received {key}={value!r}."
            )
    return dict(kwargs)
