"""MNIST and Fashion-MNIST from the original files, the shipped sample, and load_or_sample."""

from __future__ import annotations

import numpy as np
import pytest

from convlens import datasets
from convlens.datasets import fashion_mnist, mnist
from convlens.datasets.make_sample import SEED, make_sample, stratified_indices

# Published label histograms and mean pixel values (/work/shared/datasets/README.md).
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def check_splits(splits, n_train, n_test):
    (x_train, y_train), (x_test, y_test) = splits
    assert x_train.shape == (n_train, 28, 28) and y_train.shape == (n_train,)
    assert x_test.shape == (n_test, 28, 28) and y_test.shape == (n_test,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8 and array.flags.writeable


def test_mnist_from_convlens_data(shared_data, monkeypatch):
    monkeypatch.setenv("CONVLENS_DATA", str(shared_data))
    splits = datasets.mnist.load_data()
    check_splits(splits, 60000, 10000)
    (x_train, y_train), (x_test, y_test) = splits
    assert np.bincount(y_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == MNIST_TEST_COUNTS
    assert round(float(x_train.mean()), 2) == 33.32
    assert round(float(x_test.mean()), 2) == 33.79


def test_fashion_mnist_from_convlens_data(shared_data, monkeypatch):
    monkeypatch.setenv("CONVLENS_DATA", str(shared_data))
    splits = datasets.fashion_mnist.load_data()
    check_splits(splits, 60000, 10000)
    (x_train, y_train), (x_test, y_test) = splits
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert round(float(x_train.mean()), 2) == 72.94
    assert round(float(x_test.mean()), 2) == 73.15
    assert len(fashion_mnist.CLASS_NAMES) == 10


def test_shipped_sample_is_a_stratified_subset():
    splits = mnist.load_data(sample=True)
    check_splits(splits, 6000, 1000)
    (_, y_train), (_, y_test) = splits
    # Each class keeps its share of the full split (largest-remainder rounding).
    assert np.abs(np.bincount(y_train) - np.array(MNIST_TRAIN_COUNTS) / 10).max() < 1
    assert np.abs(np.bincount(y_test) - np.array(MNIST_TEST_COUNTS) / 10).max() < 1


def test_sample_is_real_mnist_and_reproducible(shared_data, tmp_path):
    (x_train, y_train), (x_test, y_test) = mnist.load_data(shared_data / "mnist")
    with np.load(make_sample(shared_data / "mnist", tmp_path / "again.npz")) as again:
        (sx_train, sy_train), (sx_test, sy_test) = mnist.load_data(sample=True)
        train_idx, test_idx = again["train_indices"], again["test_indices"]
        np.testing.assert_array_equal(sx_train, x_train[train_idx])
        np.testing.assert_array_equal(sy_train, y_train[train_idx])
        np.testing.assert_array_equal(sx_test, x_test[test_idx])
        np.testing.assert_array_equal(sy_test, y_test[test_idx])
        np.testing.assert_array_equal(again["x_train"], sx_train)


def test_stratified_indices_quotas_sum_exactly():
    labels = np.repeat(np.arange(3), [5, 3, 2])  # shares 0.5, 0.3, 0.2
    rng = np.random.default_rng(SEED)
    idx = stratified_indices(labels, 5, rng)  # exact quotas 2.5, 1.5, 1.0
    assert len(idx) == 5 and len(set(idx.tolist())) == 5 and np.all(np.diff(idx) > 0)
    assert np.bincount(labels[idx], minlength=3).tolist() == [3, 1, 1]
    with pytest.raises(ValueError, match="size=11"):
        stratified_indices(labels, 11, rng)


def test_sample_takes_no_path():
    with pytest.raises(ValueError, match="received path='x'"):
        mnist.load_data("x", sample=True)


def test_load_or_sample_prefers_the_full_set(shared_data, monkeypatch):
    monkeypatch.setenv("CONVLENS_DATA", str(shared_data))
    loaded = datasets.load_or_sample("mnist")
    assert not loaded.is_sample and loaded.reason is None
    assert loaded.location == shared_data / "mnist"
    assert loaded.message == (
        f"Using the full MNIST dataset from {shared_data / 'mnist'}: "
        "60,000 training and 10,000 test images."
    )
    check_splits(loaded.data, 60000, 10000)


def test_load_or_sample_falls_back_to_the_sample(tmp_path):
    loaded = datasets.load_or_sample("mnist", download=False)
    assert loaded.is_sample and loaded.location is None
    assert "using the sample shipped with convlens: 6,000 training and 1,000 test images" in loaded.message
    assert str(tmp_path / "cache" / "mnist") in loaded.message
    assert "Downloading was switched off" in loaded.reason
    check_splits(loaded.data, 6000, 1000)


def test_load_or_sample_does_not_hide_problems(tmp_path):
    with pytest.raises(datasets.DatasetNotFoundError, match="Fashion-MNIST not found"):
        datasets.load_or_sample("fashion_mnist", download=False)
    with pytest.raises(datasets.DatasetNotFoundError, match=f"missing in {tmp_path}"):
        datasets.load_or_sample("mnist", path=tmp_path)  # a wrong path is an error
    cache = tmp_path / "cache" / "mnist"
    cache.mkdir(parents=True)
    (cache / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b broken")
    with pytest.raises(datasets.DatasetFileError, match="t10k-labels-idx1-ubyte.gz"):
        datasets.load_or_sample("mnist", download=False)
    with pytest.raises(ValueError, match="name='cifar100'; allowed: mnist, fashion_mnist"):
        datasets.load_or_sample("cifar100")
