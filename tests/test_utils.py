"""keras.utils's array helpers: to_categorical and normalize against real Keras."""

import numpy as np
import pytest
import torch

from convlens.utils import normalize, set_random_seed, to_categorical

keras = pytest.importorskip("keras")


@pytest.mark.parametrize("labels, num_classes", [
    ([0, 1, 2, 3], None),
    ([[1], [0], [2]], 4),          # trailing axis of 1 is dropped
    (np.array([[0, 1], [2, 1]]), 3),  # class axis appended to a 2D label array
])
def test_to_categorical_matches_keras(labels, num_classes):
    ours = to_categorical(labels, num_classes)
    reference = keras.utils.to_categorical(np.array(labels), num_classes)
    assert ours.shape == reference.shape
    np.testing.assert_array_equal(ours, reference)


def test_to_categorical_accepts_tensors_and_rejects_out_of_range_labels():
    np.testing.assert_array_equal(to_categorical(torch.tensor([2, 0])), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="num_classes=2"):
        to_categorical([0, 2], num_classes=2)


@pytest.mark.parametrize("axis, order", [(-1, 2), (1, 2), (-1, 1)])
def test_normalize_matches_keras(axis, order):
    x = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
    reference = keras.utils.normalize(x, axis=axis, order=order)
    np.testing.assert_allclose(normalize(x, axis=axis, order=order), reference)
    np.testing.assert_allclose(normalize(torch.tensor(x), axis=axis, order=order).numpy(), reference)


def test_normalize_along_axis_0_divides_each_column_by_its_norm():
    # Keras 3.15 expands the norm at axis -1 whenever axis is 0 (`axis or -1`), which divides rows by column norms;
    # the reference here is the column-wise definition.
    x = np.array([[3.0, 0.0], [4.0, 2.0]])
    np.testing.assert_allclose(normalize(x, axis=0), x / np.linalg.norm(x, axis=0, keepdims=True))


def test_set_random_seed_repeats_numpy_and_torch_draws():
    set_random_seed(3)
    first = (np.random.rand(2), torch.rand(2))
    set_random_seed(3)
    np.testing.assert_array_equal(first[0], np.random.rand(2))
    assert torch.equal(first[1], torch.rand(2))
