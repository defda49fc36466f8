"""``convlens.metrics``: Keras's ``keras.metrics`` names, as in ``from convlens.metrics import ...``.

The implementation lives in :mod:`convlens.training.metrics`.
"""

from .training.metrics import *  # noqa: F401,F403 - the public names, listed in its __all__
from .training.metrics import __all__  # noqa: F401
