"""``convlens.losses``: Keras's ``keras.losses`` names, as in ``from convlens.losses import ...``.

The implementation lives in :mod:`convlens.training.losses`.
"""

from .training.losses import *  # noqa: F401,F403 - the public names, listed in its __all__
from .training.losses import __all__  # noqa: F401
