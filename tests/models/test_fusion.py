"""Sequential's ReLU-after-max-pooling shortcut: bit-identical outputs and gradients, and only when nobody watches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens import Sequential, layers
from convlens.lens import activations
from convlens.models.fusion import relu_then_max_pool

rng = np.random.default_rng(7)

STACKS = {
    "conv2d valid": ((9, 9, 3), lambda: [layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D()]),
    "conv2d same, same pool 3/2": ((7, 8, 3), lambda: [layers.Conv2D(4, 3, padding="same", activation="relu"),
                                                        layers.MaxPooling2D(3, strides=2, padding="same")]),
    "conv1d causal": ((9, 2), lambda: [layers.Conv1D(3, 3, padding="causal", activation="relu"),
                                       layers.MaxPooling1D(2, padding="same")]),
    "conv3d": ((5, 5, 5, 2), lambda: [layers.Conv3D(2, 2, activation="relu"), layers.MaxPooling3D()]),
    "batchnorm, ReLU layer": ((8, 8, 3), lambda: [layers.Conv2D(4, 3, use_bias=False), layers.BatchNormalization(),
                                                  layers.ReLU(), layers.MaxPooling2D()]),
    "Activation, overlapping windows": ((8, 8, 3), lambda: [layers.Conv2D(4, 3), layers.Activation("relu"),
                                                            layers.MaxPooling2D(2, strides=1)]),
}


def tied_input(shape: tuple[int, ...]) -> torch.Tensor:
    """A batch of 2 that is mostly exact zeros with a few repeated values: convolutions of it tie often."""
    x = rng.choice([0.0, 0.0, 0.0, 1.0, -1.0], size=(2, *shape)).astype(np.float32)
    return torch.as_tensor(x)


def by_hand(stack: list[layers.Layer], x: torch.Tensor) -> torch.Tensor:
    for layer in stack:
        x = layer(x)
    return x


def output_and_grads(model: Sequential, run, x: torch.Tensor, seed: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """``run(x)`` and the gradients of ``(run(x) * seed).sum()`` for ``x`` and every weight."""
    x = x.clone().requires_grad_()
    model.zero_grad(set_to_none=True)
    y = run(x)
    y.backward(seed)
    return y.detach(), [x.grad] + [p.grad for p in model.parameters()]


def grad_fn_names(y: torch.Tensor) -> list[str]:
    """Names of the autograd nodes behind ``y``, nearest first."""
    names, frontier, seen = [], [y.grad_fn], set()
    while frontier:
        node = frontier.pop(0)
        if node is None or node in seen:
            continue
        seen.add(node)
        names.append(type(node).__name__)
        frontier += [next_node for next_node, _ in node.next_functions]
    return names


def first(names: list[str], part: str) -> int:
    return next(i for i, name in enumerate(names) if part in name)


@pytest.mark.parametrize("name", list(STACKS))
def test_fused_stack_equals_the_layers_one_by_one_bit_for_bit(name):
    shape, make = STACKS[name]
    torch.manual_seed(0)
    model = Sequential([layers.Input(shape), *make()])
    model.train()  # batch statistics for BatchNormalization, as in training
    for layer in model.layers:  # offsets that leave some channels mostly below zero, others mostly above
        offset = getattr(layer, "bias", None) if not isinstance(layer, layers.BatchNormalization) else layer.beta
        if offset is not None:
            with torch.no_grad():
                offset.copy_(torch.tensor([0.5, -3.0]).repeat(offset.numel())[: offset.numel()])
    assert relu_then_max_pool(model.layers[-2], model.layers[-1])
    x = tied_input(shape)
    seed = torch.as_tensor(rng.standard_normal(model.output_shape[1:]).astype(np.float32)).expand(2, *model.output_shape[1:])
    fused, fused_grads = output_and_grads(model, model, x, seed)
    unfused, unfused_grads = output_and_grads(model, lambda x: by_hand(model.layers, x), x, seed)
    assert torch.equal(fused, unfused)
    assert (fused == 0).any() and (fused > 0).any()  # both sides of the ReLU are exercised
    for got, want in zip(fused_grads, unfused_grads):
        assert torch.equal(got, want)
    # The shortcut really ran: pooling, then ReLU, in the model's graph; the reverse by hand.
    fused_graph, unfused_graph = grad_fn_names(model(x.requires_grad_())), grad_fn_names(by_hand(model.layers, x))
    assert first(fused_graph, "Relu") < first(fused_graph, "MaxPool")
    assert first(unfused_graph, "MaxPool") < first(unfused_graph, "Relu")


def test_ties_send_the_gradient_to_the_first_maximum_as_relu_then_pooling_does():
    model = Sequential([layers.Input((4, 4, 1)), layers.ReLU(), layers.MaxPooling2D()])
    windows = [[[2.0, 2.0], [1.0, 2.0]],  # tie at a positive maximum: the first 2 gets the gradient
               [[-1.0, -1.0], [-1.0, -1.0]],  # all negative: ReLU gives 0, no gradient
               [[0.0, 0.0], [0.0, 0.0]],  # all zero: no gradient (ReLU's derivative at 0 is 0)
               [[-1.0, 3.0], [3.0, 0.0]]]  # the first 3
    x = torch.zeros(1, 4, 4, 1)
    for k, window in enumerate(windows):
        i, j = 2 * (k // 2), 2 * (k % 2)
        x[0, i:i + 2, j:j + 2, 0] = torch.tensor(window)
    x.requires_grad_()
    y = model(x)
    assert y.flatten().tolist() == [2.0, 0.0, 0.0, 3.0]
    y.backward(torch.tensor([10.0, 20.0, 30.0, 40.0]).view(1, 2, 2, 1))
    expected = torch.zeros(4, 4)
    expected[0, 0], expected[2, 3] = 10.0, 40.0  # first maximum of window 0 and of window 3, row by row
    assert torch.equal(x.grad[0, :, :, 0], expected)


def test_hooked_layers_run_as_written_and_hooks_see_the_relu_output():
    model = Sequential([layers.Input((9, 9, 2)), layers.Conv2D(3, 3, activation="relu"), layers.MaxPooling2D()])
    conv, pool = model.layers
    seen = []
    handle = conv.register_forward_hook(lambda _layer, _inputs, output: seen.append(output))
    assert not relu_then_max_pool(conv, pool)
    x = tied_input((9, 9, 2))
    y = model(x)
    assert torch.equal(seen[0], torch.relu(conv.convolve(x)).movedim(1, -1))  # after the activation, as Keras
    assert torch.equal(y, by_hand(model.layers, x))
    handle.remove()
    assert relu_then_max_pool(conv, pool)
    with torch.nn.modules.module.register_module_forward_hook(lambda *args: None):  # a global hook counts too
        assert not relu_then_max_pool(conv, pool)


def test_lens_activations_of_a_fused_pair_equal_the_layers_by_hand():
    model = Sequential([layers.Input((10, 10, 1)), layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(),
                        layers.Conv2D(2, 3, activation="relu"), layers.MaxPooling2D()])
    x = tied_input((10, 10, 1))
    expected, h = {}, x
    for layer in model.layers:
        h = layer(h)
        expected[layer.name] = h.detach().numpy()
    for chosen in (None, [1], [0, 3], [3]):  # every layer, a pooling alone, a conv and a pooling
        got = activations(model, x, chosen)
        for name, array in got.items():
            np.testing.assert_array_equal(array, expected[name])


@pytest.mark.parametrize("make", [
    lambda: [layers.ReLU(max_value=6.0), layers.MaxPooling2D()],
    lambda: [layers.ReLU(negative_slope=0.1), layers.MaxPooling2D()],
    lambda: [layers.Conv2D(3, 1, activation="relu6"), layers.MaxPooling2D()],
    lambda: [layers.Conv2D(3, 1, activation="relu"), layers.AveragePooling2D()],
])
def test_other_activations_and_average_pooling_are_left_alone(make):
    model = Sequential([layers.Input((6, 6, 2)), *make()])
    assert not relu_then_max_pool(*model.layers)
    x = tied_input((6, 6, 2)) * 10
    assert torch.equal(model(x), by_hand(model.layers, x))


def test_lazy_model_builds_then_fuses_and_input_errors_are_the_layers_own():
    model = Sequential([layers.Conv2D(4, 3, activation="relu", name="c1"), layers.MaxPooling2D()])
    x = tied_input((8, 8, 1))
    assert torch.equal(model(x), by_hand(model.layers, x)) and model.built
    assert relu_then_max_pool(*model.layers)
    with pytest.raises(ValueError, match=r"'c1'.*expected axis -1 of input shape to have value 1"):
        model(torch.zeros(2, 8, 8, 3))
    assert [type(layer).__name__ for layer in model.layers] == ["Conv2D", "MaxPooling2D"]
    assert [entry["class_name"] for entry in model.get_config()["layers"]] == ["InputLayer", "Conv2D", "MaxPooling2D"]
