"""Shared test images: one odd-sized and one even-sized, so centring and
border handling are exercised on both parities."""

import numpy as np
import pytest

SHAPES = [(17, 23), (16, 20)]


@pytest.fixture(params=SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def image(request) -> np.ndarray:
    return np.random.default_rng(sum(request.param)).random(request.param, dtype=np.float32)


@pytest.fixture
def colour() -> np.ndarray:
    return np.random.default_rng(7).random((2, 9, 12, 3), dtype=np.float32)
