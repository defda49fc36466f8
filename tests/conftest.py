"""Suite-wide setup: tests never touch the user's real dataset cache."""

from __future__ import annotations

import os
import tempfile

import matplotlib

matplotlib.use("Agg")
# A dataset download or cache lookup in any test lands in a throw-away folder.
os.environ.setdefault("CONVLENS_CACHE", tempfile.mkdtemp(prefix="convlens-test-cache-"))
