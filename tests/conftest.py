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

# The Keras goldens and the NumPy references are float32 on a CPU. On an NVIDIA
# GPU, PyTorch (like TensorFlow) runs convolutions in TF32 by default, which
# differs from float32 by up to ~2e-3 relative (the tutorial CNN's outputs);
# the suite compares in full float32 so that one tolerance holds everywhere.
import torch  # noqa: E402

torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False
