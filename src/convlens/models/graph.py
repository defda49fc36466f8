"""The graph of a functional model: which layer calls lead from its inputs to its outputs, in Keras's order.

``map_graph`` walks back from the outputs as Keras's does, so layers come out in
Keras's order: by depth (distance from the outputs, deepest first), ties by the
order the walk meets them. ``model.layers``, summaries and saved files then list
layers exactly as Keras does.
"""

from __future__ import annotations

from ..layers.base import Layer
from ..layers.keras_tensor import KerasTensor, Node


def map_graph(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> tuple[list[Layer], dict[Node, int]]:
    """Keras's ``map_graph``: the layers and nodes that lead from ``inputs`` to ``outputs``.

    Returns the layers ordered by depth (distance from the outputs, deepest
    first), ties by the order a depth-first walk from the outputs meets them,
    and each node's depth, deepest first: an order that runs every node after
    the nodes it reads.

    Raises:
        ValueError: when the outputs need an input that is not in ``inputs``.

    Example:
        >>> from convlens import layers
        >>> x = layers.Input((3,), name="x")
        >>> y = layers.Add(name="add")([layers.Dense(3, name="a")(x), x])
        >>> [layer.name for layer in map_graph([x], [y])[0]]
        ['x', 'a', 'add']
    """
    finished: set[Node] = set()
    post_order: list[Node] = []  # every node after the nodes it reads
    first_seen: dict[Layer, int] = {}
    for output in outputs:
        # A depth-first walk with an explicit stack: deep networks would exhaust Python's recursion limit.
        stack: list[tuple[Node, bool]] = [(output.node, False)]
        while stack:
            node, expanded = stack.pop()
            if node in finished:
                continue
            if expanded:
                finished.add(node)
                post_order.append(node)
                continue
            first_seen.setdefault(node.layer, len(first_seen))
            stack.append((node, True))
            stack.extend((t.node, False) for t in reversed(node.inputs))
    given = {id(t) for t in inputs}
    for node in post_order:
        if node.is_input and id(node.outputs[0]) not in given:
            raise ValueError(
                f"Graph disconnected: the outputs depend on input '{node.layer.name}' {node.outputs[0].shape}, "
                f"which is not one of the model's inputs ({[t.name for t in inputs]})."
            )
    node_depth, layer_depth = depths(post_order)
    for tensor in inputs:
        if tensor.node not in node_depth:  # an input the outputs do not use, kept as Keras keeps it
            node_depth[tensor.node] = 0
            layer_depth[tensor.node.layer] = 0
            first_seen[tensor.node.layer] = -1
    layers = sorted(layer_depth, key=lambda layer: (-layer_depth[layer], first_seen[layer]))
    return layers, {node: node_depth[node] for node in sorted(node_depth, key=lambda node: -node_depth[node])}


def depths(post_order: list[Node]) -> tuple[dict[Node, int], dict[Layer, int]]:
    """Keras's depths: outputs at 0, every node one deeper than its deepest reader.

    A shared layer sits at the depth of its deepest call, and its later calls
    are pushed down to it. The node dict keeps Keras's insertion order.

    Example:
        >>> from convlens import layers
        >>> x = layers.Input((3,))
        >>> y = layers.Dense(2)(x)
        >>> sorted(depth for depth in depths([x.node, y.node])[0].values())
        [0, 1]
    """
    node_depth: dict[Node, int] = {}
    layer_depth: dict[Layer, int] = {}
    for node in reversed(post_order):  # every node before the nodes it reads
        depth = max(node_depth.setdefault(node, 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = depth
        node_depth[node] = depth
        for tensor in node.inputs:
            node_depth[tensor.node] = max(depth + 1, node_depth.get(tensor.node, 0))
    return node_depth, layer_depth
