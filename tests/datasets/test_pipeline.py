"""The lazy Dataset pipeline: tf.data's documented semantics on small arrays, and fit on a batched dataset."""

import time

import numpy as np
import pytest
import torch

from convlens import Sequential, layers
from convlens.datasets.pipeline import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset


def values(dataset):
    return [element.tolist() for element in dataset]


def test_from_tensor_slices_of_arrays_tuples_and_dicts():
    assert values(Dataset.from_tensor_slices(np.arange(3))) == [0, 1, 2]
    x, y = next(iter(Dataset.from_tensor_slices((np.ones((4, 2)), np.arange(4)))))
    assert x.numpy().tolist() == [1.0, 1.0] and y.item() == 0
    first = next(iter(Dataset.from_tensor_slices({"a": [1, 2], "b": [[3], [4]]})))
    assert first["a"].item() == 1 and first["b"].tolist() == [3]
    with pytest.raises(ValueError, match=r"\[2, 3\]"):
        Dataset.from_tensor_slices((np.zeros(2), np.zeros(3)))


def test_batch_remainder_and_cardinality_as_tf_data():
    ds = Dataset.from_tensor_slices(np.arange(7))
    assert values(ds.batch(3)) == [[0, 1, 2], [3, 4, 5], [6]] and len(ds.batch(3)) == 3
    assert values(ds.batch(3, drop_remainder=True)) == [[0, 1, 2], [3, 4, 5]] and len(ds.batch(3, True)) == 2
    assert values(ds.batch(3).unbatch()) == list(range(7))
    assert ds.take(3).cardinality() == 3 and ds.take(10).cardinality() == 7 and ds.skip(5).cardinality() == 2
    assert ds.skip(9).cardinality() == 0 and values(ds.skip(5)) == [5, 6]
    assert ds.repeat().cardinality() == INFINITE_CARDINALITY and ds.repeat(2).cardinality() == 14
    assert ds.repeat().take(9).cardinality() == 9 and values(ds.repeat().take(9)) == list(range(7)) + [0, 1]
    assert ds.filter(lambda v: v % 2 == 0).cardinality() == UNKNOWN_CARDINALITY
    assert values(ds.filter(lambda v: v % 2 == 0)) == [0, 2, 4, 6]
    assert values(Dataset.from_tensor_slices(np.arange(0)).repeat()) == []
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())


def test_map_unpacks_tuples_and_is_lazy():
    calls = []
    ds = Dataset.from_tensor_slices((np.arange(4), np.arange(4))).map(
        lambda x, y: (calls.append(1) or x * 2, y), num_parallel_calls=AUTOTUNE)
    assert calls == []  # nothing runs until iterated
    assert [x.item() for x, _ in ds.take(2)] == [0, 2] and len(calls) == 2


def test_shuffle_is_seeded_a_permutation_and_limited_by_its_buffer():
    ds = Dataset.from_tensor_slices(np.arange(100))
    a, b = values(ds.shuffle(100, seed=1)), values(ds.shuffle(100, seed=1))
    assert a == b and sorted(a) == list(range(100)) and a != list(range(100))
    once = ds.shuffle(100, seed=1)
    assert values(once) != values(once)  # reshuffled on each pass...
    fixed = ds.shuffle(100, seed=1, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)  # ...unless asked not to
    # a buffer of 10 can only emit one of the first 10 elements first, and element i no later than it can be held
    small = values(ds.shuffle(10, seed=2))
    assert small[0] < 10 and all(small.index(i) >= i - 9 for i in range(100))
    assert values(ds.shuffle(1, seed=0)) == list(range(100))


def test_cache_reads_the_source_once_and_freezes_an_earlier_shuffle():
    reads = []
    ds = Dataset.from_tensor_slices(np.arange(5)).map(lambda v: reads.append(1) or v).cache()
    assert values(ds) == values(ds) and len(reads) == 5
    frozen = Dataset.from_tensor_slices(np.arange(20)).shuffle(20, seed=0).cache()
    assert values(frozen) == values(frozen.repeat(2))[:20]
    with pytest.raises(ValueError, match="filename"):
        Dataset.from_tensor_slices(np.arange(3)).cache("/tmp/x")


def test_prefetch_overlaps_producing_with_consuming():
    def slow(v):
        time.sleep(0.02)
        return v
    ds = Dataset.from_tensor_slices(np.arange(10)).map(slow)

    def consume(dataset):
        start = time.perf_counter()
        for _ in dataset:
            time.sleep(0.02)  # the "training step"
        return time.perf_counter() - start
    serial, overlapped = consume(ds), consume(ds.prefetch(AUTOTUNE))
    assert values(ds.prefetch(2)) == list(range(10))
    assert overlapped < 0.8 * serial  # ideally half: producing and consuming run side by side


def test_prefetch_reraises_errors_of_the_pipeline():
    def fail(v):
        raise RuntimeError("bad element")
    with pytest.raises(RuntimeError, match="bad element"):
        list(Dataset.from_tensor_slices(np.arange(3)).map(fail).prefetch(1))


def test_fit_evaluate_predict_accept_a_batched_dataset():
    torch.manual_seed(0)
    x = np.random.default_rng(0).random((32, 4, 4, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("int64")
    ds = Dataset.from_tensor_slices((x, y)).shuffle(32, seed=0).batch(8).prefetch(AUTOTUNE)
    model = Sequential([layers.Input((4, 4, 1)), layers.Flatten(), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    loss, _ = model.evaluate(Dataset.from_tensor_slices((x, y)).batch(8), verbose=0)
    np.testing.assert_allclose(loss, model.evaluate(x, y, verbose=0)[0], rtol=1e-5)
    assert model.predict(Dataset.from_tensor_slices((x, y)).batch(8), verbose=0).shape == (32, 2)


def test_image_folder_datasets_take_tf_data_methods_and_train(tmp_path):
    from PIL import Image

    from convlens.datasets import image_dataset_from_directory
    rng = np.random.default_rng(0)
    for name in ("cats", "dogs"):
        (tmp_path / name).mkdir()
        for i in range(4):
            Image.fromarray(rng.integers(0, 255, (10, 12, 3), dtype=np.uint8)).save(tmp_path / name / f"{i}.png")
    ds = image_dataset_from_directory(tmp_path, image_size=(8, 8), batch_size=3, seed=1)
    assert ds.cardinality() == 3 and ds.take(1).cardinality() == 1
    pipeline = ds.map(lambda x, y: (x / 255, y), num_parallel_calls=AUTOTUNE).cache().shuffle(3, seed=0)
    pipeline = pipeline.prefetch(buffer_size=AUTOTUNE)
    images, labels = next(iter(pipeline.take(1)))
    assert images.numpy().shape[1:] == (8, 8, 3) and float(images.max()) <= 1.0 and labels.dtype == torch.int32
    assert sum(len(y) for _, y in pipeline) == 8 and len(list(ds.unbatch())) == 8
    model = Sequential([layers.Input((8, 8, 3)), layers.Flatten(), layers.Dense(2)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert len(model.fit(pipeline, epochs=1, verbose=0).history["loss"]) == 1
