"""ndengine: MXNet's asynchronous programming model on modern NumPy.

``import ndengine as mx`` feels like MXNet: ``mx.np``, ``mx.npx``, ``mx.cpu()``,
``mx.autograd``, ``mx.gluon``...  ``ndengine.alias_as_mxnet()`` makes ``import mxnet``
resolve to ndengine.
"""
from __future__ import annotations

__version__ = "0.1.0"

import importlib as _importlib

from . import base, engine
from . import numpy as np
from . import npx
from .base import MXNetError
from .compat import alias_as_mxnet
from .context import Context, Device, cpu, cpu_pinned, current_context, current_device, gpu, num_gpus
from .ndarray.ndarray import NDArray


def memory_info(device: Device | None = None) -> dict:
    """Memory of *device* (default cpu(0)), in bytes: ``allocated`` (held by its buffer
    pool), ``pooled`` (free, kept for reuse), ``in_use`` (handed out to arrays),
    ``in_flight`` (outputs of ops pushed but not yet run) and the backpressure bound."""
    from .device.storage import storage_of

    dev = device or cpu(0)
    info = storage_of(dev).info()
    stats = engine.statistics()
    pool = stats["devices"].get(str(dev), {})
    info["in_flight"] = pool.get("pending_bytes", 0)
    info["pending_ops"] = pool.get("pending", 0)
    info["max_pending_bytes"] = stats["max_pending_bytes"]
    info["max_pending_ops"] = stats["max_pending_ops"]
    return info


def empty_cache(device: Device | None = None) -> int:
    """Return the pooled (free) buffers of *device* (default: every device) to the
    allocator; returns the bytes released."""
    from .device import storage as _st

    devs = [device] if device is not None else list(_st._storages)
    return sum(_st.storage_of(d).empty_cache() for d in devs)


from .device.blas import BLAS as _BLAS  # noqa: E402


def waitall() -> None:
    """Wait for all pushed work to finish (``mxnet.nd.waitall``)."""
    try:
        engine.wait_all()
    finally:
        _BLAS.settle()      # plain NumPy after waitall gets the BLAS threads it would


numpy = np
context = _importlib.import_module(".context", __name__)

# name -> module, imported on first use (``import ndengine`` stays cheap)
_LAZY = {"autograd": "autograd", "gluon": "gluon", "init": "init", "initializer": "init",
         "optimizer": "optimizer", "kvstore": "kvstore", "kv": "kvstore",
         "profiler": "profiler", "d2l": "d2l", "util": "util", "random": "random",
         "nd": "ndarray"}


def __getattr__(name: str):
    if name in _LAZY:
        try:
            mod = _importlib.import_module(f".{_LAZY[name]}", __name__)
        except ModuleNotFoundError as e:
            raise AttributeError(f"module 'ndengine' has no attribute {name!r} ({e})") from None
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'ndengine' has no attribute {name!r}")


__all__ = ["base", "engine", "np", "npx", "numpy", "MXNetError", "Context", "Device", "cpu",
           "cpu_pinned", "gpu", "current_context", "current_device", "num_gpus", "waitall",
           "alias_as_mxnet", "NDArray", "memory_info", "empty_cache", "__version__"]
