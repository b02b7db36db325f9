"""``mxnet.context`` / ``mxnet.device``: device handles, and ``gpu_memory_info``."""
from .device import Context, Device, cpu, cpu_pinned, current_device, gpu, num_gpus
from .npx import gpu_memory_info

current_context = current_device

__all__ = ["Context", "Device", "cpu", "cpu_pinned", "gpu", "num_gpus", "current_context",
           "current_device", "gpu_memory_info"]
