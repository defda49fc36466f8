"""Keras 3's distribution names on torch.distributed: ``DeviceMesh``, ``DataParallel``, ``set_distribution``, ``distribution``.

As in Keras's ``DataParallel``, the model is replicated on every process and
``batch_size`` is the *global* batch: each process takes a disjoint slice of
every global batch. A process started by ``torchrun`` trains data-parallel
without any call; ``set_distribution(DataParallel())`` says so explicitly
(and joins the process group at once).

Example:
    >>> mesh = DeviceMesh(shape=(1,), axis_names=["batch"])
    >>> DataParallel(device_mesh=mesh).batch_dim_name
    'batch'
    >>> distribution() is None  # one process, nothing set
    True
"""

from __future__ import annotations

from typing import Any, Sequence

from . import process_group

__all__ = ["DataParallel", "DeviceMesh", "distribution", "set_distribution"]


class DeviceMesh:
    """The processes of a job as a named grid; data parallel uses one axis, ``"batch"``.

    Args:
        shape: processes along each axis (default: ``(world size,)``).
        axis_names: one name per axis (default ``["batch"]``).
        devices: accepted for Keras compatibility; each process uses its own device.
    """

    def __init__(self, shape: Sequence[int] | None = None, axis_names: Sequence[str] | None = None,
                 devices: Any = None) -> None:
        self.shape = tuple(shape) if shape is not None else (process_group.world_size(),)
        self.axis_names = list(axis_names) if axis_names is not None else ["batch"]
        if len(self.axis_names) != len(self.shape):
            raise ValueError(f"DeviceMesh: `axis_names` needs one name per axis of `shape`. Received: shape={self.shape}, "
                             f"axis_names={self.axis_names}")
        if len(self.shape) != 1:
            raise ValueError(f"DeviceMesh: convlens distributes data only, over a one-axis mesh. Received: shape={self.shape}")
        self.devices = devices

    def __repr__(self) -> str:
        return f"DeviceMesh(shape={self.shape}, axis_names={self.axis_names})"


class DataParallel:
    """Replicate the model on every process and split every global batch between them (Keras's ``DataParallel``).

    Args:
        device_mesh: a one-axis ``DeviceMesh`` (default: all processes).
        devices: accepted for Keras compatibility.
        backend: ``"gloo"`` (CPUs) or ``"nccl"`` (CUDA GPUs); default: NCCL when a GPU is present.
    """

    def __init__(self, device_mesh: DeviceMesh | None = None, devices: Any = None, backend: str | None = None) -> None:
        self.backend = backend
        self._mesh = device_mesh
        self.devices = devices

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._mesh if self._mesh is not None else DeviceMesh()

    @property
    def batch_dim_name(self) -> str:
        return self.device_mesh.axis_names[0]

    @property
    def rank(self) -> int:
        return process_group.rank()

    @property
    def world_size(self) -> int:
        return process_group.world_size()

    def join(self) -> None:
        """Join the process group (from torchrun's environment) and check the mesh matches it."""
        process_group.join(self.backend)
        size = process_group.world_size()
        if self._mesh is not None and self._mesh.shape[0] != size:
            raise ValueError(f"DataParallel: the device mesh has {self._mesh.shape[0]} processes but the job has {size}.")

    def __repr__(self) -> str:
        return f"DataParallel(world_size={self.world_size}, rank={self.rank})"


_current: DataParallel | None = None


def set_distribution(value: DataParallel | None) -> None:
    """Make ``value`` the distribution that ``fit``/``evaluate``/``predict`` use (``None``: one process again)."""
    global _current
    if value is not None and not isinstance(value, DataParallel):
        raise ValueError(f"set_distribution() takes a DataParallel or None. Received: {type(value).__name__}")
    if value is not None:
        value.join()
    _current = value


def distribution() -> DataParallel | None:
    """The distribution in effect: the one set, else ``DataParallel()`` in a process started by torchrun, else None."""
    global _current
    if _current is None and process_group.from_environment() and process_group.world_size() > 1:
        set_distribution(DataParallel())
    return _current
