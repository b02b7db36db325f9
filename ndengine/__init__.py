"""ndengine: MXNet's asynchronous programming model on modern NumPy."""
from __future__ import annotations

__version__ = "0.1.0"

from . import base, engine
from .base import MXNetError
from .device import Context, Device, cpu, cpu_pinned, current_device, gpu, num_gpus


def waitall() -> None:
    """Wait for all pushed work to finish (``mxnet.nd.waitall``)."""
    engine.wait_all()


__all__ = ["base", "engine", "MXNetError", "Context", "Device", "cpu", "cpu_pinned", "gpu",
           "current_device", "num_gpus", "waitall", "__version__"]
