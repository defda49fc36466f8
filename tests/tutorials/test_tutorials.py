"""The tutorial programs run unchanged on convlens and on real Keras (torch backend): only the import differs."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
PROGRAMS = sorted(p.name for p in HERE.glob("*.py") if not p.name.startswith(("test_", "_")))
HAVE_KERAS = importlib.util.find_spec("keras") is not None
HAVE_TENSORFLOW = importlib.util.find_spec("tensorflow") is not None
# Programs whose Keras version needs TensorFlow even on the torch backend: there,
# keras.utils.image_dataset_from_directory returns a tf.data.Dataset.
NEEDS_TENSORFLOW_ON_KERAS = {"image_classification.py"}


def _run(program: str, library: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TUTORIAL_LIBRARY": library, "KERAS_BACKEND": "torch", "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, str(HERE / program)], env=env, capture_output=True, text=True,
                          timeout=600, cwd=HERE)


@pytest.mark.parametrize("library", ["convlens", "keras"])
@pytest.mark.parametrize("program", PROGRAMS)
def test_tutorial_runs(program, library):
    if library == "keras" and not HAVE_KERAS:
        pytest.skip("real Keras is not installed (a test dependency)")
    if library == "keras" and program in NEEDS_TENSORFLOW_ON_KERAS and not HAVE_TENSORFLOW:
        pytest.skip(f"{program} on real Keras needs TensorFlow (image_dataset_from_directory returns a "
                    "tf.data.Dataset), which is not installed")
    result = _run(program, library)
    assert result.returncode == 0, f"{program} on {library}:\n{result.stdout}\n{result.stderr[-4000:]}"


def test_programs_differ_from_keras_versions_only_in_the_import():
    for program in PROGRAMS:
        imports = [line for line in (HERE / program).read_text().splitlines() if "import" in line and "keras" in line]
        assert imports == ['if os.environ.get("TUTORIAL_LIBRARY") == "keras": import keras  # noqa: E701',
                           "else: import convlens.keras as keras  # noqa: E701"], program
