"""``convlens.callbacks``: Keras's ``keras.callbacks`` names, as in ``from convlens.callbacks import ...``.

The implementation lives in :mod:`convlens.training.callbacks`.
"""

from .training.callbacks import *  # noqa: F401,F403 - the public names, listed in its __all__
from .training.callbacks import __all__  # noqa: F401
