"""README.md's convlens.keras compatibility table is the one docs/keras_compat.py computes now."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("keras")
ROOT = Path(__file__).resolve().parents[2]


def test_readme_table_is_current():
    spec = importlib.util.spec_from_file_location("keras_compat", ROOT / "docs" / "keras_compat.py")
    compat = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compat)
    readme = (ROOT / "README.md").read_text()
    shown = readme.split(compat.BEGIN, 1)[1].split(compat.END, 1)[0].strip()
    assert shown == compat.table(), "README's table is stale: run `KERAS_BACKEND=torch python docs/keras_compat.py`"
