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


def waitall() -> None:
    """Wait for all pushed work to finish (``mxnet.nd.waitall``)."""
    engine.wait_all()


numpy = np
context = _importlib.import_module(".context", __name__)

_LAZY = {"autograd", "gluon", "init", "initializer", "optimizer", "kvstore", "profiler", "d2l",
         "util", "random"}


def __getattr__(name: str):
    if name in _LAZY:
        target = {"initializer": "init"}.get(name, name)
        try:
            mod = _importlib.import_module(f".{target}", __name__)
        except ModuleNotFoundError as e:
            raise AttributeError(f"module 'ndengine' has no attribute {name!r} ({e})") from None
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'ndengine' has no attribute {name!r}")


__all__ = ["base", "engine", "np", "npx", "numpy", "MXNetError", "Context", "Device", "cpu",
           "cpu_pinned", "gpu", "current_context", "current_device", "num_gpus", "waitall",
           "alias_as_mxnet", "NDArray", "__version__"]
