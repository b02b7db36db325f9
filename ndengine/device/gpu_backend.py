"""The CuPy backend: found only where CuPy and a CUDA device are present.

**Not yet run on GPU hardware** (``num_gpus()`` is 0 where ndengine is developed and
tested; ``tests/device/test_gpu.py`` runs where a GPU exists).  Only what is specific to
CUDA lives here — the array module, streams, events, pinned and device memory; worker
configuration, the completion rule (:mod:`.streams`) and the copy paths
(:mod:`.transfer`) are shared with the CPU backend, and tested there.

* ``worker_init``: the worker thread makes its GPU current and gets its own
  non-blocking stream, made current for CuPy in that thread, so every kernel the worker
  runs is queued on it.
* ``use``: ``Device.run_op``/``finish_op`` run an op with its GPU and this thread's
  stream for it current (a worker's own; a stream of its own for any other thread: the
  naive driver runs ops in the pushing thread), so gpu(1)'s ops never launch on gpu(0).
* ``finish_op``: after an op's callable returned, record an event on that stream and
  synchronize on it (see :mod:`.streams`).
* Host<->device copies go through page-locked (pinned) host buffers, taken from a pool
  (:class:`.transfer.PinnedPool`), so the DMA is asynchronous on the copy stream.
"""
from __future__ import annotations

import contextlib
import functools
from typing import Any, Iterator

from . import streams as _streams

__all__ = ["num_gpus", "cupy_module", "BACKEND", "GpuBackend"]


@functools.lru_cache(maxsize=1)
def _probe() -> int:
    try:
        import cupy  # type: ignore[import-not-found]
    except Exception:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


def num_gpus() -> int:
    """Number of CUDA devices CuPy can see (0 without CuPy)."""
    return _probe()


def cupy_module():
    if not _probe():
        from .device import DeviceError

        raise DeviceError("no GPU available: CuPy is not installed or sees no CUDA device")
    import cupy  # type: ignore[import-not-found]

    return cupy


class GpuBackend:
    """What differs on a GPU: array module, streams/events, memory."""

    name = "gpu"
    stages_through_pinned = True

    @property
    def xp(self) -> Any:
        return cupy_module()

    # -- streams ---------------------------------------------------------------------
    def new_stream(self, device: Any) -> Any:
        cp = cupy_module()
        with cp.cuda.Device(device.device_id):
            return cp.cuda.Stream(non_blocking=True)

    def before_workers(self, device: Any) -> None:
        return None

    def worker_init(self, device: Any, index: int, is_copy: bool) -> None:
        cp = cupy_module()
        cp.cuda.Device(device.device_id).use()
        stream = self.new_stream(device)
        stream.use()                    # CuPy's current stream is per thread
        _streams.set_current(device, stream)

    @contextlib.contextmanager
    def use(self, device: Any) -> Iterator[None]:
        """*device* and this thread's stream for it current for a block (``Device.
        run_op``/``finish_op``): a worker's own, or — in any other thread, such as the
        naive driver's pushing thread — one made for the thread on first use, so gpu(1)'s
        ops never launch on gpu(0).  CuPy restores the previous device and stream."""
        cp = cupy_module()
        with cp.cuda.Device(device.device_id), _streams.current(device, self):
            yield

    def finish_op(self, device: Any) -> None:
        """The op that just ran on this thread is done when its kernels are (called
        inside :meth:`use`: the stream is this thread's for *device*)."""
        _streams.finish(_streams.current(device, self))

    def synchronize(self, device: Any) -> None:
        cp = cupy_module()
        cp.cuda.Device(device.device_id).synchronize()

    # -- memory ----------------------------------------------------------------------
    def empty(self, device: Any, shape: tuple[int, ...], dtype: Any) -> Any:
        cp = cupy_module()
        with cp.cuda.Device(device.device_id):
            return cp.empty(shape, dtype=dtype)

    def pinned_empty(self, nbytes: int) -> Any:
        """A page-locked host buffer of *nbytes* as a NumPy uint8 array."""
        cp = cupy_module()
        import numpy

        mem = cp.cuda.alloc_pinned_memory(nbytes)
        return numpy.frombuffer(mem, dtype=numpy.uint8, count=nbytes)

    def contiguous(self, device: Any, buf: Any, stream: Any) -> Any:
        cp = cupy_module()
        if buf.flags.c_contiguous:
            return buf
        with cp.cuda.Device(device.device_id), stream:
            return cp.ascontiguousarray(buf)

    def h2d(self, dst: Any, host: Any, stream: Any) -> None:
        """Queue pinned *host* -> device *dst* on *stream*."""
        dst.set(host, stream=stream)

    def d2h(self, host: Any, src: Any, stream: Any) -> None:
        """Queue device *src* (contiguous) -> pinned *host* on *stream*."""
        try:
            src.get(stream=stream, out=host, blocking=False)   # CuPy >= 13
        except TypeError:
            src.get(stream=stream, out=host)

    def d2d(self, dst: Any, src: Any, stream: Any) -> None:
        """Queue device *src* (contiguous) -> *dst* (maybe another GPU) on *stream*."""
        dst.data.copy_from_device_async(src.data, src.nbytes, stream=stream)

    def empty_cache(self, device: Any) -> None:
        cp = cupy_module()
        with cp.cuda.Device(device.device_id):
            cp.get_default_memory_pool().free_all_blocks()
        cp.get_default_pinned_memory_pool().free_all_blocks()


BACKEND = GpuBackend()
