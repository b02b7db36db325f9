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
from .attribute import AttrScope  # mx.AttrScope, as MXNet has it at the top level
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

# name -> module, imported on first use (``import ndengine`` stays cheap).  Any other
# public submodule (``mx.metric``, ``mx.image``, ...) is imported on first use too.
_LAZY = {"initializer": "init", "kv": "kvstore", "nd": "ndarray", "img": "image",
         "rnd": "random", "numpy_extension": "npx", "sym": "symbol",
         "mod": "module", "executor": "symbol.executor", "mon": "monitor",
         "viz": "visualization"}


def _submodule(name: str) -> str | None:
    """The submodule *name* stands for, if ndengine has it."""
    import importlib.util

    if name.startswith("_"):
        return None
    target = _LAZY.get(name, name)
    return target if importlib.util.find_spec(f"{__name__}.{target}") is not None else None


def __getattr__(name: str):
    target = _submodule(name)
    if target is None:
        raise AttributeError(f"module 'ndengine' has no attribute {name!r}")
    mod = _importlib.import_module(f".{target}", __name__)
    globals()[name] = mod
    return mod


def __dir__() -> list[str]:
    import pkgutil

    subs = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    subs |= {k for k, v in _LAZY.items() if v in subs}
    return sorted(set(globals()) | subs)


__all__ = ["base", "engine", "np", "npx", "numpy", "MXNetError", "Context", "Device", "cpu",
           "cpu_pinned", "gpu", "current_context", "current_device", "num_gpus", "waitall",
           "alias_as_mxnet", "NDArray", "memory_info", "empty_cache", "AttrScope", "__version__"]


from .base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals())
