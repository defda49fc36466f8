"""The examples in the datasets docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "convlens.datasets",
    "convlens.datasets.checks",
    "convlens.datasets.idx",
    "convlens.datasets.idx_dataset",
    "convlens.datasets.image_dataset",
    "convlens.datasets.make_sample",
    "convlens.datasets.mnist",
    "convlens.datasets.resize",
    "convlens.datasets.sample",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
