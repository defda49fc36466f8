"""The inference thread: concurrent predicts share forward passes and equal one-at-a-time results; errors reach every waiter."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
import torch

from convlens import Sequential, layers
from convlens.lens import predict_proba
from convlens.web.inference import Inference


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return Sequential([layers.Input((8, 8, 1)), layers.Conv2D(3, 3, activation="relu"), layers.Flatten(),
                       layers.Dense(4, activation="softmax")])


def test_concurrent_predicts_are_batched_and_equal_single_ones(model):
    images = np.random.default_rng(0).uniform(0, 255, (24, 8, 8, 1)).astype(np.float32)
    calls = []
    handle = model.layers[0].register_forward_hook(lambda _l, inputs, _o: calls.append(inputs[0].shape[0]))
    worker = Inference(model)

    async def all_at_once():
        return await asyncio.gather(*(worker.predict(image) for image in images))

    try:
        got = asyncio.run(all_at_once())
    finally:
        handle.remove()
        worker.close()
    np.testing.assert_allclose(got, predict_proba(model, images), rtol=1e-5, atol=1e-7)
    assert sum(calls) == 24 and len(calls) < 24  # fewer forward passes than requests


def test_an_error_reaches_every_waiter_and_the_thread_goes_on(model):
    worker = Inference(model)

    async def scenario():
        bad = [worker.predict(np.zeros((5, 5, 1), np.float32)) for _ in range(3)]
        results = await asyncio.gather(*bad, return_exceptions=True)
        return results, await worker.predict(np.zeros((8, 8, 1), np.float32)), \
            await worker.run(lambda m, x: m.name + x, "!")

    try:
        errors, good, ran = asyncio.run(scenario())
    finally:
        worker.close()
    assert all(isinstance(e, ValueError) and "(8, 8, 1)" in str(e) for e in errors)
    assert good.shape == (4,) and ran == model.name + "!"


def test_the_inference_thread_alone_computes_on_one_thread(model):
    before = torch.get_num_threads()
    worker = Inference(model)

    async def counts():
        return await worker.run(lambda _m: torch.get_num_threads())

    try:
        inside = asyncio.run(counts())
    finally:
        worker.close()
    seen = []
    fresh = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    fresh.start()
    fresh.join()
    assert inside == 1 and torch.get_num_threads() == before and seen == [before]
