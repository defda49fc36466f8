"""gradcheck on Sequential and functional models; and the documented failure at a max-pool tie."""

import numpy as np
import torch

from convlens import layers, models, reference


def _cnn():
    return models.Sequential([layers.Input((8, 8, 1)), layers.Conv2D(3, 3, padding="same", activation="tanh"),
                              layers.AveragePooling2D(), layers.Conv2D(2, 3, activation="sigmoid"), layers.Flatten(),
                              layers.Dense(3)])


def test_sequential_passes_per_layer_and_leaves_model_unchanged():
    model = _cnn()
    before = [w.copy() for w in model.get_weights()]
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 1))
    check = reference.gradcheck(model, x, np.array([0, 2]), "sparse_categorical_crossentropy", max_entries=16)
    assert check.passed, str(check)
    assert set(check.per_layer) == {layer.name for layer in model.layers if layer.weights}
    assert check.max_error < 1e-6
    assert "max relative error" in str(check)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_functional_model():
    inputs = layers.Input((6, 6, 2))
    x = layers.Conv2D(2, 3, activation="relu")(inputs)
    outputs = layers.Dense(1)(layers.Flatten()(layers.MaxPooling2D()(x)))
    model = models.Model(inputs, outputs)
    check = reference.gradcheck(model, np.random.default_rng(1).normal(size=(3, 6, 6, 2)), np.ones((3, 1)))
    assert check.passed, str(check)


def test_a_wrong_gradient_is_caught():
    class Wrong(torch.autograd.Function):  # doubles the incoming gradient: autograd now lies
        @staticmethod
        def forward(ctx, z):
            return z.clone()

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    class Doubled(layers.Dense):
        def forward(self, x):
            return Wrong.apply(super().forward(x))

    model = models.Sequential([layers.Input((3,)), Doubled(2)])
    check = reference.gradcheck(model, np.ones((2, 3)), np.zeros((2, 2)))
    assert not check.passed and check.max_error > 0.3


def test_max_pool_tie_fails_as_documented():
    # x = [1, 2, 1], kernel (1, 1): both conv outputs are 3, a tie in the one pooling window. Nudging w0 by ±h
    # moves them by h and 2h, so the winner changes with the sign: the difference quotient is 1.5, autograd 1 or 2.
    model = models.Sequential([layers.Input((1, 3, 1)), layers.Conv2D(1, (1, 2), use_bias=False),
                               layers.MaxPooling2D((1, 2)), layers.Flatten(), layers.Dense(1)])
    model.layers[0].set_weights([np.ones((1, 2, 1, 1))])
    model.layers[-1].set_weights([np.ones((1, 1)), np.zeros(1)])
    check = reference.gradcheck(model, np.array([1.0, 2.0, 1.0]).reshape(1, 1, 3, 1), np.zeros((1, 1)))
    assert not check.passed
    assert check.per_layer[model.layers[0].name] > 0.1  # the tie breaks at the convolution's weights
    assert check.per_layer[model.layers[-1].name] < 1e-6  # the Dense after the pool is unaffected
