"""``mxnet.context`` / ``mxnet.device``: device handles."""
from .device import Context, Device, cpu, cpu_pinned, current_device, gpu, num_gpus

current_context = current_device

__all__ = ["Context", "Device", "cpu", "cpu_pinned", "gpu", "num_gpus", "current_context",
           "current_device"]
