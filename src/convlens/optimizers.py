"""``convlens.optimizers``: Keras's ``keras.optimizers`` names, as in ``from convlens.optimizers import ...``.

The implementation lives in :mod:`convlens.training.optimizers`.
"""

from .training.optimizers import *  # noqa: F401,F403 - the public names, listed in its __all__
from .training.optimizers import __all__  # noqa: F401
