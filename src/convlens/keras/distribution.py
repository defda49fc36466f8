"""``keras.distribution``: Keras 3's data-parallel API (``DataParallel``, ``DeviceMesh``, ``set_distribution``) on
PyTorch's DistributedDataParallel engine (see :mod:`convlens.distribution`)."""

from ._export import public

globals().update(public("convlens.distribution"))
__all__ = sorted(n for n in globals() if not n.startswith("_") and n != "public")
