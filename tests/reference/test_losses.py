"""reference.losses against convlens's losses (Keras's numbers) and torch autograd."""

import numpy as np
import pytest
import torch

from convlens.training import losses
from convlens import reference


def _torch(loss_name, y_true, y_pred, **kwargs):
    pred = torch.tensor(y_pred, requires_grad=True)
    value = losses.get(loss_name) if not kwargs else losses.get({"class_name": loss_name, "config": kwargs})
    out = value(torch.tensor(y_true), pred)
    out.backward()
    return out.item(), pred.grad.numpy()


def test_mse():
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    value, grad = _torch("mean_squared_error", y, p)
    assert reference.mse_forward(y, p) == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(reference.mse_backward(y, p), grad, rtol=1e-12)


@pytest.mark.parametrize("from_logits", [True, False])
def test_categorical_and_sparse_crossentropy(from_logits):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, size=6)
    y = np.eye(4)[labels]
    p = rng.normal(size=(6, 4)) if from_logits else reference.softmax_forward(rng.normal(size=(6, 4)))
    for name, truth, forward, backward in [
        ("CategoricalCrossentropy", y, reference.categorical_crossentropy_forward,
         reference.categorical_crossentropy_backward),
        ("SparseCategoricalCrossentropy", labels, reference.sparse_categorical_crossentropy_forward,
         reference.sparse_categorical_crossentropy_backward),
    ]:
        value, grad = _torch(name, truth, p, from_logits=from_logits)
        assert forward(truth, p, from_logits) == pytest.approx(value, rel=1e-6)
        np.testing.assert_allclose(backward(truth, p, from_logits), grad, rtol=1e-6, atol=1e-9)


def test_bad_labels_and_shapes():
    with pytest.raises(ValueError, match=r"labels: expected integers in \[0, 3\)"):
        reference.sparse_categorical_crossentropy_forward([3], [[0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match="same shape"):
        reference.mse_forward([[1.0]], [[1.0, 2.0]])
