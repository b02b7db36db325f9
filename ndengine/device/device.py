"""The Device contract: what the engine and the array layers need from a device.

A device is identified by ``(device_type, device_id)`` and is interned, so
``cpu(0) is cpu(0)``.  It names the array module its kernels use (``xp``: NumPy for
CPUs, CuPy for GPUs), how many worker and copy threads the engine should give it, and
a per-thread set-up hook (BLAS thread budget, CUDA stream).  The engine owns the
threads; the device says how they are configured.  ``Device`` doubles as MXNet's
``Context``: ``with cpu(1): ...`` makes it the default device in that block.

What differs between device types lives in a *backend* (``device.backend``):
:mod:`.cpu_backend` (NumPy, the BLAS thread budget, allocator settings) and :mod:`.gpu_backend` (CuPy,
one stream per worker, pinned staging buffers).  Everything else — the completion rule
(:mod:`.streams`), the copy paths (:mod:`.transfer`), storage — is shared, so the CPU
tests exercise it.  Several CPU devices ``cpu(0), cpu(1), ...`` each get their own
workers and stand in for several GPUs; the BLAS budget keeps them from oversubscribing
the cores they share.
"""
from __future__ import annotations

import threading
from typing import Any, ClassVar

from ..base import MXNetError, env_int

__all__ = ["Device", "cpu", "gpu", "cpu_pinned", "current_device", "num_gpus", "DeviceError"]


class DeviceError(MXNetError, ValueError):
    """An unknown or unavailable device was named."""


# CPU devices are logical: cpu(i) stands in for a GPU, with workers of its own.  An id
# from this bound on is a mistake (``mx.cpu(99)``), not a device: a clear error at the
# call, where MXNet (whose CPU ids mean nothing) accepts any.
MAX_CPU_DEVICES = env_int("NDENGINE_MAX_CPU_DEVICES", default=64)


def _default_cpu_workers() -> int:
    """One compute worker per CPU device, as MXNet's ``MXNET_CPU_WORKER_NTHREADS``.

    Parallelism within a device comes from the BLAS library's threads and from a
    waiting front end, which runs ready ops itself while a core is free; parallelism
    across devices from each device's worker.  Measured on 2 cores
    (``benchmarks/auto_parallel.py``, ``benchmarks/training_loop.py``): with 2 workers
    per device the chapter's two-device workload took 0.053 s instead of 0.044 s,
    10,000 small ops 0.150 s instead of 0.123 s (0.182 s instead of 0.152 s each
    waited for), and the training loop without barrier ran 1.5x slower; only one
    device's products alone gained (0.034 s instead of 0.038 s)."""
    return 1


class Device:
    """A device handle (MXNet's ``Context``)."""

    __slots__ = ("device_type", "device_id", "__weakref__")
    _interned: ClassVar[dict[tuple[str, int], "Device"]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()
    _local: ClassVar[threading.local] = threading.local()
    devtype2str: ClassVar[dict[int, str]] = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared",
                                              102: "sim_gpu"}
    devstr2type: ClassVar[dict[str, int]] = {v: k for k, v in devtype2str.items()}

    device_type: str
    device_id: int

    def __new__(cls, device_type: "str | Device" = "cpu", device_id: int = 0) -> "Device":
        if isinstance(device_type, Device):
            return device_type
        if device_type not in cls.devstr2type:
            raise DeviceError(
                f"unknown device type {device_type!r}; expected one of "
                f"{sorted(cls.devstr2type)}"
            )
        if not isinstance(device_id, int) or isinstance(device_id, bool) or device_id < 0:
            raise DeviceError(f"device id must be a non-negative int, got {device_id!r}")
        key = (device_type, device_id)
        dev = cls._interned.get(key)
        if dev is None:
            with cls._lock:
                dev = cls._interned.get(key)
                if dev is None:
                    if device_type != "gpu" and device_id >= MAX_CPU_DEVICES:
                        raise DeviceError(
                            f"{device_type}({device_id}) cannot exist: CPU devices are "
                            f"logical (each gets its own workers), numbered 0 to "
                            f"{MAX_CPU_DEVICES - 1} (NDENGINE_MAX_CPU_DEVICES raises the "
                            f"bound)")
                    dev = object.__new__(cls)
                    object.__setattr__(dev, "device_type", device_type)
                    object.__setattr__(dev, "device_id", device_id)
                    cls._interned[key] = dev
        return dev

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Device objects are immutable")

    def __reduce__(self):
        return (Device, (self.device_type, self.device_id))

    # -- identity --------------------------------------------------------------
    @property
    def device_typeid(self) -> int:
        return self.devstr2type[self.device_type]

    @property
    def is_gpu(self) -> bool:
        """A GPU, or the stand-in asynchronous GPU of the tests (``sim_gpu``, see
        :mod:`.sim_gpu`): memory that is not the host's, kernels that finish later."""
        return self.device_type == "gpu" or self.device_type == "sim_gpu"

    # Devices are interned, so identity hash and equality (C-level, fast) are right.

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    __str__ = __repr__

    # -- what the engine needs ---------------------------------------------------
    @property
    def available(self) -> bool:
        if self.device_type == "gpu":
            return self.device_id < num_gpus()
        return True

    def check_available(self) -> None:
        if not self.available:
            raise DeviceError(
                f"device {self} is not available (num_gpus() == {num_gpus()}; "
                "GPUs need CuPy and a CUDA device)"
            )

    @property
    def num_workers(self) -> int:
        """Compute worker threads the threaded engine runs for this device (at least
        one: a waiting thread helps only while a core is free, so a device without
        workers could leave a ready op to nobody)."""
        if self.device_type == "gpu" or self.device_type == "sim_gpu":
            return _workers(("NDENGINE_GPU_WORKERS", "MXNET_GPU_WORKER_NTHREADS"), 2)
        return _workers(("NDENGINE_CPU_WORKERS", "MXNET_CPU_WORKER_NTHREADS"),
                        _default_cpu_workers())

    @property
    def num_copy_workers(self) -> int:
        return _workers(("NDENGINE_COPY_WORKERS", "MXNET_GPU_COPY_NTHREADS"), 1)

    @property
    def inline_ok(self) -> bool:
        """May a waiting front-end thread run this device's ready ops itself?

        True for CPUs.  GPU ops are bound to their worker's stream, so no.  Nor are
        ``cpu_shared`` ones: that device carries the collectives of
        :mod:`ndengine.distributed.comm`, which must run on its own worker, in push order,
        never in a front-end thread that a Ctrl-C could interrupt half way through a
        message (the interrupted op would be queued again and send twice).
        """
        return not self.is_gpu and self.device_type != "cpu_shared"

    @property
    def backend(self) -> Any:
        """What differs per device type: :data:`.cpu_backend.BACKEND`,
        :data:`.gpu_backend.BACKEND` or (tests) :data:`.sim_gpu.BACKEND`."""
        if self.device_type == "gpu":
            from . import gpu_backend as _gpu

            return _gpu.BACKEND
        if self.device_type == "sim_gpu":
            from . import sim_gpu as _sim

            return _sim.BACKEND
        from . import cpu_backend as _cpu

        return _cpu.BACKEND

    @property
    def needs_finish(self) -> bool:
        """Must the engine call :meth:`finish_op` after each op's callable?  (GPU: its
        kernels were only queued on the worker's stream.)"""
        return self.is_gpu

    def before_workers(self) -> None:
        """Called by the engine in the thread that starts this device's workers, before
        they start (CPU: the allocator settings, see :mod:`.cpu_backend`)."""
        self.backend.before_workers(self)

    def worker_init(self, worker_index: int, is_copy: bool) -> None:
        """Called once in each engine worker thread of this device, before any op:
        CPU — the BLAS thread budget and allocator settings (:mod:`.cpu_backend`); GPU — the
        current device and a stream of the worker's own (:mod:`.gpu_backend`)."""
        self.backend.worker_init(self, worker_index, is_copy)

    def run_op(self, fn: Any) -> None:
        """Call an op's callable in this thread, for a device that :attr:`needs_finish`
        (the engine calls :meth:`finish_op` right after), with this device and this
        thread's stream for it current (the backend's ``use``): a worker set them up in
        :meth:`worker_init`, but any other thread — the naive driver runs every op in
        the pushing thread — has whatever device its own code made current (CUDA:
        device 0), and gpu(1)'s kernels would launch there.  On a GPU the kernels the
        callable launches queue on that stream; the test stand-in (:mod:`.sim_gpu`)
        queues the whole callable on it."""
        backend = self.backend
        run = getattr(backend, "run_op", None)
        use = getattr(backend, "use", None)
        if use is None:
            fn() if run is None else run(self, fn)
            return
        with use(self):
            fn() if run is None else run(self, fn)

    def finish_op(self) -> None:
        """Wait until the kernels the op that just ran in this thread queued are done
        (an event on this thread's stream for this device, made current as by
        :meth:`run_op`; see :mod:`.streams`).  No-op on a CPU."""
        use = getattr(self.backend, "use", None)
        if use is None:
            self.backend.finish_op(self)
            return
        with use(self):
            self.backend.finish_op(self)

    def synchronize(self) -> None:
        """Wait for all work queued on this device by any stream (not the engine's
        pending ops: use ``waitall`` for those)."""
        self.backend.synchronize(self)

    @property
    def xp(self):
        """The array module of this device's kernels."""
        if self.device_type == "gpu":
            from . import gpu_backend as _gpu

            return _gpu.cupy_module()
        import numpy

        return numpy

    # -- MXNet's Context API -------------------------------------------------------
    def __enter__(self) -> "Device":
        stack = getattr(Device._local, "stack", None)
        if stack is None:
            stack = Device._local.stack = []
        stack.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        Device._local.stack.pop()

    def empty_cache(self) -> None:
        """Return pooled memory of this device (see ``ndengine.memory_info``)."""
        from .storage import storage_of

        storage_of(self).empty_cache()


def _workers(names: tuple[str, ...], default: int) -> int:
    n = env_int(*names, default=default)
    if n < 1:
        raise ValueError(f"{'/'.join(names)} must be at least 1 (worker threads per "
                         f"device), got {n}")
    return n


_default_device = Device("cpu", 0)


def current_device() -> Device:
    """The innermost ``with device:`` block of this thread, else ``cpu(0)``."""
    stack = getattr(Device._local, "stack", None)
    if stack:
        return stack[-1]
    return _default_device


def cpu(device_id: int = 0) -> Device:
    """See ``mxnet.cpu``: the CPU device *device_id*.  Several CPU devices each get
    their own workers, so they stand in for several GPUs."""
    return Device("cpu", device_id)


def cpu_pinned(device_id: int = 0) -> Device:
    return Device("cpu_pinned", device_id)


def gpu(device_id: int = 0) -> Device:
    """See ``mxnet.gpu``.  Creating the handle never fails; using it without a GPU does."""
    return Device("gpu", device_id)


def num_gpus() -> int:
    from . import gpu_backend as _gpu

    return _gpu.num_gpus()
