"""BatchNormalization on the batches PyTorch's fused kernel refuses: one sample, and none."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlens import layers

keras = pytest.importorskip("keras")


@pytest.mark.parametrize("shape", [(1, 4), (1, 3, 3, 4)])
def test_batch_of_one_trains_as_keras(shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    gamma, beta = np.array([1.5, 0.5, 2.0, 1.0], np.float32), np.array([0.1, -0.2, 0.3, 0.0], np.float32)
    ours = layers.BatchNormalization(momentum=0.9)
    ours.build_from_shape((None, *shape[1:]))
    ours.set_weights([gamma, beta, np.zeros(4, np.float32), np.ones(4, np.float32)])
    ours.train()
    inputs = torch.tensor(x, requires_grad=True)
    y = ours(inputs)
    y.sum().backward()  # the fused kernel raised "not differentiable with respect to running_mean" here
    reference = keras.layers.BatchNormalization(momentum=0.9)
    reference.build((None, *shape[1:]))
    reference.set_weights([gamma, beta, np.zeros(4, np.float32), np.ones(4, np.float32)])
    expected = keras.ops.convert_to_numpy(reference(x, training=True))
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    for got, want in zip(ours.get_weights()[2:], reference.get_weights()[2:]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert inputs.grad is not None and np.isfinite(inputs.grad.numpy()).all()


def test_empty_batch_gives_empty_output_and_keeps_statistics():
    bn = layers.BatchNormalization()
    bn.build_from_shape((None, 4))
    bn.train()
    assert bn(torch.zeros(0, 4)).shape == (0, 4)
    np.testing.assert_array_equal(bn.get_weights()[2], np.zeros(4, np.float32))
