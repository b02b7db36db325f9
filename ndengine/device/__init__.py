"""Devices: the array module, worker configuration and memory of each device."""
from .blas import load_numpy as _load_numpy

_load_numpy()   # first, so OpenBLAS starts with ndengine's spin timeout (see .blas)
from .device import Device, DeviceError, cpu, cpu_pinned, current_device, gpu, num_gpus

Context = Device

__all__ = ["Device", "Context", "DeviceError", "cpu", "cpu_pinned", "gpu", "current_device", "num_gpus"]

from .storage import Storage, set_pool_min, storage_of  # noqa: E402

__all__ += ["Storage", "set_pool_min", "storage_of"]

from .blas import BLAS, blas_info, blas_threads, set_blas_threads  # noqa: E402

__all__ += ["BLAS", "blas_info", "blas_threads", "set_blas_threads"]

from .sharing import cpu_sharing, set_cpu_sharing  # noqa: E402
from . import sim_gpu, streams, transfer  # noqa: E402,F401  (the stand-in GPU of the tests)

__all__ += ["cpu_sharing", "set_cpu_sharing"]
