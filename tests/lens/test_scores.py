"""Class scores before softmax, whatever the model ends in."""

from __future__ import annotations

import numpy as np
import torch

from convlens import Sequential, layers
from convlens.lens import class_logits, predict_proba


def head(*tail, units=3):
    model = Sequential([layers.Input((4,)), layers.Dense(units, name="logits"), *tail])
    return model


def test_softmax_activation_sigmoid_and_softmax_layer_give_the_same_logits():
    x = torch.randn(5, 4)
    plain = head()
    reference = plain(x)
    for tail in ([layers.Softmax()], [layers.Activation("softmax")]):
        model = head(*tail)
        model.set_weights(plain.get_weights())
        torch.testing.assert_close(class_logits(model, x), reference)
    fused = Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
    fused.set_weights(plain.get_weights())
    torch.testing.assert_close(class_logits(fused, x), reference)
    assert fused.layers[0].activation.__name__ == "softmax"  # restored after the call
    np.testing.assert_allclose(predict_proba(fused, x.numpy()), fused(x).detach().numpy(), rtol=1e-5)


def test_a_single_sigmoid_unit_is_two_classes():
    model = Sequential([layers.Input((4,)), layers.Dense(1, activation="sigmoid")])
    x = torch.randn(6, 4)
    p = predict_proba(model, x.numpy())
    np.testing.assert_allclose(p[:, 1], model(x)[:, 0].detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(p.sum(1), 1, rtol=1e-6)
