"""lens.resemble_classic: classic kernels are recognised, whatever their scale and polarity."""

import numpy as np
import pytest

from convlens import filters, layers, lens


def test_each_classic_kernel_resembles_itself_and_its_negative():
    kernels = lens.classic_kernels()
    bank = np.stack([k for k in kernels.values()] + [-2.5 * kernels["laplacian"]], axis=-1)[:, :, None, :]
    conv = layers.Conv2D(bank.shape[-1], 3)
    conv.build_from_shape((None, 8, 8, 1))
    conv.set_weights([bank, np.zeros(bank.shape[-1])])
    found = lens.resemble_classic(conv)
    for r, name in zip(found, kernels):
        assert r.name == name and r.correlation == pytest.approx(1.0)
    assert found[-1].name == "laplacian" and found[-1].correlation == pytest.approx(-1.0)


def test_rgb_filter_through_its_channel_sum_and_a_value():
    kernel = np.stack([filters.SOBEL / 3] * 3, axis=-1)[..., None] + 0.05  # (3, 3, 3, 1), a little off
    conv = layers.Conv2D(1, 3)
    conv.build_from_shape((None, 8, 8, 3))
    conv.set_weights([kernel, np.zeros(1)])
    (r,) = lens.resemble_classic(conv)
    w = kernel.sum(axis=2)[..., 0].ravel()
    expected = w @ filters.SOBEL.ravel() / np.linalg.norm(w) / np.linalg.norm(filters.SOBEL)
    assert r.name == "sobel (axis 1)" and r.correlation == pytest.approx(expected)
    assert str(r).startswith("filter 0: most like sobel (axis 1) (r = +0.")


def test_no_classic_kernel_of_that_size():
    conv = layers.Conv2D(1, 4)
    conv.build_from_shape((None, 8, 8, 1))
    with pytest.raises(ValueError, match="no named kernel is 4×4"):
        lens.resemble_classic(conv)
