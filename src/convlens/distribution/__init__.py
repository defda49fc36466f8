"""Data parallel on torch.distributed, with Keras 3's names.

Start N processes with ``convlens train --nproc N`` or ``torchrun
--nproc-per-node N script.py``; ``fit``, ``evaluate`` and ``predict`` then run
data-parallel, ``batch_size`` being the global batch. See ``engine_hooks.py``
for what changes in the loop.

Example:
    >>> from convlens.distribution import DataParallel, distribution
    >>> distribution() is None
    True
"""

from .api import DataParallel, DeviceMesh, distribution, set_distribution
from .process_group import PeerFailure

__all__ = ["DataParallel", "DeviceMesh", "PeerFailure", "distribution", "set_distribution"]
