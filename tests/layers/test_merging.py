"""Merge layers against NumPy: values, Keras's broadcasting, output shapes, configs and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens import layers

RNG = np.random.default_rng(7)
A, B, C = (RNG.normal(size=(2, 3, 4, 5)).astype("float32") for _ in range(3))

ELEMENTWISE = {
    layers.Add: lambda *xs: sum(xs),
    layers.Multiply: lambda *xs: np.prod(xs, axis=0),
    layers.Average: lambda *xs: sum(xs) / len(xs),
    layers.Maximum: lambda *xs: np.max(xs, axis=0),
    layers.Minimum: lambda *xs: np.min(xs, axis=0),
}


@pytest.mark.parametrize("cls", list(ELEMENTWISE), ids=lambda c: c.__name__)
def test_elementwise_merges_match_numpy(cls):
    out = cls()([torch.from_numpy(a) for a in (A, B, C)])
    np.testing.assert_allclose(out.numpy(), ELEMENTWISE[cls](A, B, C), rtol=1e-6, atol=1e-6)


def test_subtract_takes_exactly_two_inputs():
    np.testing.assert_array_equal(layers.Subtract()([torch.from_numpy(A), torch.from_numpy(B)]).numpy(), A - B)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([torch.from_numpy(a) for a in (A, B, C)])


def test_lower_rank_input_broadcasts_after_the_batch_axis_as_in_keras():
    # Keras inserts the missing axes right after the batch axis: (2, 5) acts as (2, 1, 1, 5).
    bias = RNG.normal(size=(2, 5)).astype("float32")
    out = layers.Add()([torch.from_numpy(A), torch.from_numpy(bias)])
    np.testing.assert_allclose(out.numpy(), A + bias[:, None, None, :], rtol=1e-6)
    assert layers.Add().compute_output_shape([(None, 3, 4, 5), (None, 5)]) == (None, 3, 4, 5)
    assert layers.Multiply().compute_output_shape([(None, 1, 4), (None, 3, 1)]) == (None, 3, 4)


def test_concatenate_matches_numpy_on_any_axis():
    other = RNG.normal(size=(2, 3, 4, 2)).astype("float32")
    out = layers.Concatenate()([torch.from_numpy(A), torch.from_numpy(other)])
    np.testing.assert_array_equal(out.numpy(), np.concatenate([A, other], axis=-1))
    rows = layers.Concatenate(axis=1)([torch.from_numpy(A), torch.from_numpy(B)])
    np.testing.assert_array_equal(rows.numpy(), np.concatenate([A, B], axis=1))
    assert layers.Concatenate(axis=1).compute_output_shape([(None, 3, 4), (None, None, 4)]) == (None, None, 4)


@pytest.mark.parametrize("shapes, message", [
    ([(None, 3, 4), (None, 2, 5)], "matching shapes except for the concatenation axis"),
    ([(None, 3, 4), (None, 4)], "of one rank"),
])
def test_concatenate_refuses_shapes_that_do_not_fit(shapes, message):
    with pytest.raises(ValueError, match=message):
        layers.Concatenate().compute_output_shape(shapes)


def test_merge_errors_name_what_was_received():
    with pytest.raises(ValueError, match=r"incompatible shapes\. Received shapes \(3, 4\) and \(3, 5\)"):
        layers.Add().compute_output_shape([(None, 3, 4), (None, 3, 5)])
    with pytest.raises(ValueError, match="should be called on a list of inputs"):
        layers.Add().compute_output_shape((None, 3))
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Add().compute_output_shape([(2, 3), (4, 3)])
    with pytest.raises(ValueError, match="axis must be an int"):
        layers.Concatenate(axis="channels")


def test_merge_layers_have_no_weights_and_keras_configs():
    add = layers.Add(name="sum")
    add([torch.ones(1, 2), torch.ones(1, 2)])
    assert add.built and add.count_params() == 0 and add.get_weights() == []
    assert set(add.get_config()) == {"name", "trainable", "dtype"}
    concat = layers.deserialize({"class_name": "Concatenate", "config": {"axis": 1, "name": "c"}})
    assert concat.get_config()["axis"] == 1 and layers.get_class("Minimum") is layers.Minimum


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate"])
def test_merge_functions_equal_keras(name):
    keras = pytest.importorskip("keras")
    ours = getattr(layers, name)([torch.from_numpy(A), torch.from_numpy(B)])
    theirs = getattr(keras.layers, name)([A, B])
    np.testing.assert_allclose(ours.numpy(), keras.ops.convert_to_numpy(theirs), rtol=1e-6, atol=1e-6)


def test_merge_functions_build_graph_layers_with_their_options():
    x1, x2 = layers.Input((4,)), layers.Input((4,))
    joined = layers.concatenate([x1, x2], axis=1, name="joined")
    assert joined.shape == (None, 8) and joined.node.layer.name == "joined"
    assert layers.dot([x1, x2], axes=1, normalize=True).node.layer.normalize is True
    assert type(layers.add([x1, x2]).node.layer) is layers.Add
