"""Suite-wide setup: tests never touch the user's real dataset cache."""

from __future__ import annotations

import os
import tempfile

import matplotlib

matplotlib.use("Agg")
# Keras (a test dependency: convlens-saved files must load in Keras itself) runs
# on the PyTorch backend already installed, so no TensorFlow or JAX is needed.
os.environ.setdefault("KERAS_BACKEND", "torch")
# A dataset download or cache lookup in any test lands in a throw-away folder.
os.environ.setdefault("CONVLENS_CACHE", tempfile.mkdtemp(prefix="convlens-test-cache-"))
