"""lens.backprop: the notes' 1D example by hand, other small models against autograd, and the chain picture."""

import numpy as np
import pytest

from convlens import layers, lens, models


def test_notes_example_matches_a_hand_computation():
    model, x, y = lens.backprop_notes_example()
    result = lens.backprop(model, x, y)
    w1 = model.get_weights()[0][:, 0, 0]
    w2 = model.get_weights()[1][:, 0]
    padded = np.concatenate([[0.0], x[:, 0], [0.0]])  # "same" zero padding of one on each side
    windows = np.stack([padded[i : i + 3] for i in range(5)], axis=1)  # X[i−1, i, i+1] as columns: (3, 5)
    z1 = windows.T @ w1
    a1 = np.maximum(z1, 0)
    a2 = w2 @ a1
    assert result.loss == pytest.approx((a2 - 1.0) ** 2)
    names = [(name, m.shape) for name, m in result.chain("W¹")]
    assert names == [("∂Z¹/∂W¹", (3, 5)), ("∂A¹/∂Z¹", (5, 5)), ("∂L/∂A¹", (5, 1))]
    (_, dz_dw), (_, da_dz), (_, dl_da) = result.chain("W¹")
    np.testing.assert_allclose(dz_dw, windows)
    np.testing.assert_allclose(da_dz, np.diag((z1 > 0).astype(float)))
    np.testing.assert_allclose(dl_da[:, 0], 2 * (a2 - 1.0) * w2)
    np.testing.assert_allclose(result.gradients["W¹"][:, 0, 0], windows @ np.diag(z1 > 0) @ (2 * (a2 - 1.0) * w2))
    np.testing.assert_allclose(result.gradients["W¹"], result.autograd["W¹"], atol=1e-12)
    assert (z1 < 0).sum() == 2  # the chosen numbers exercise the ReLU's zero slope


@pytest.mark.parametrize("loss", ["mean_squared_error", "sparse_categorical_crossentropy"])
def test_cnn_with_bias_pooling_and_softmax_equals_autograd(loss):
    model = models.Sequential([layers.Input((6, 6, 2)), layers.Conv2D(2, 3, padding="same", strides=2,
                               activation="tanh"), layers.MaxPooling2D(padding="same"), layers.Flatten(),
                               layers.Dense(3, activation="softmax")])
    y = [2] if loss != "mean_squared_error" else [0.0, 1.0, 0.0]
    result = lens.backprop(model, np.random.default_rng(0).normal(size=(6, 6, 2)), y, loss=loss)
    assert list(result.gradients) == ["W¹", "b¹", "W²", "b²"]
    assert [s.name for s in result.steps] == ["Z¹", "A¹", "P¹", "Z²", "A²"]
    assert result.max_difference < 1e-10
    text = result.format()
    # ∂Z¹/∂W¹: 3·3·2·2 = 36 weights × 3·3·2 = 18 outputs (stride 2 over 6×6)
    assert "∂Z¹/∂W¹   (36×18)" in text and "equal to PyTorch autograd" in text


def test_bad_input():
    model, x, y = lens.backprop_notes_example()
    with pytest.raises(ValueError, match="one sample of shape"):
        lens.backprop(model, np.zeros((2, 5, 1)), y)
    with pytest.raises(ValueError, match="loss must be one of"):
        lens.backprop(model, x, y, loss="hinge")
    dropout = models.Sequential([layers.Input((4,)), layers.Dropout(0.5), layers.Dense(1)])
    with pytest.raises(ValueError, match="Dropout.*not supported"):
        lens.backprop(dropout, np.zeros(4), [0.0])


def test_chain_picture(tmp_path):
    result = lens.backprop(*lens.backprop_notes_example())
    fig = lens.plot_chain(result, save=tmp_path / "chain.png")
    assert [ax.get_title() for ax in fig.axes] == ["∂Z¹/∂W¹\n3×5", "∂A¹/∂Z¹\n5×5", "∂L/∂A¹\n5×1", "∂L/∂W¹\n3×1"]
    assert (tmp_path / "chain.png").stat().st_size > 0
    with pytest.raises(ValueError, match="weight: expected one of"):
        lens.plot_chain(result, weight="W⁹")
