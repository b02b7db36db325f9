"""Moving buffers between devices (runs inside copy ops, on the copy workers).

``copyto``/``as_in_ctx``/``to_device`` push a copy op on the *destination* device's copy
workers; the op calls :func:`transfer`.  Which path a copy takes:

==============  ===============================================================
CPU -> CPU      ``numpy.array(copy=True)`` (a memcpy; NumPy releases the GIL)
host -> GPU     host buffer -> pinned staging buffer -> async H2D on this thread's
                stream for the GPU -> event synchronized -> staging buffer returned
GPU -> host     made contiguous on the GPU -> async D2H into a pinned buffer ->
                event synchronized -> copied out to a NumPy array -> buffer returned
GPU -> GPU      made contiguous -> async device-to-device copy on this thread's stream
                for the destination -> event synchronized
==============  ===============================================================

A copy is complete when :func:`transfer` returns (it waited for its own event, see
:mod:`.streams`), so the engine may start the readers of its output at once, whatever
stream or device they run on.  Pinned buffers are pooled by size class
(:class:`PinnedPool`): page-locking memory is slow, reusing it is not.  The logic is
written against a backend (:class:`.gpu_backend.GpuBackend`); the CPU tests drive it with a
stand-in backend whose "device memory" is NumPy.
"""
from __future__ import annotations

import threading
from typing import Any

import numpy

from ..base import env_int
from . import streams as _streams

__all__ = ["transfer", "to_host", "PinnedPool", "pinned_pool", "host_to_device",
           "device_to_host", "device_to_device"]


def _size_class(nbytes: int) -> int:
    return 1 << (max(nbytes, 1) - 1).bit_length()


class PinnedPool:
    """Pinned host staging buffers, reused by size class (powers of two).

    ``get(nbytes)`` hands out a uint8 buffer of at least *nbytes*; ``put`` returns it.
    At most *max_bytes* of free buffers are kept; beyond that a returned buffer is
    dropped (freed)."""

    def __init__(self, alloc: Any, max_bytes: int | None = None) -> None:
        self._alloc = alloc
        self._lock = threading.Lock()
        self._free: dict[int, list[Any]] = {}
        self.max_bytes = (env_int("NDENGINE_PINNED_POOL_BYTES", default=256 << 20)
                          if max_bytes is None else max_bytes)
        self.pooled = 0          # bytes of free buffers kept
        self.in_use = 0          # bytes handed out
        self.hits = 0
        self.misses = 0

    def get(self, nbytes: int) -> Any:
        cls = _size_class(nbytes)
        with self._lock:
            free = self._free.get(cls)
            if free:
                buf = free.pop()
                self.pooled -= cls
                self.hits += 1
            else:
                buf = None
                self.misses += 1
            self.in_use += cls
        if buf is None:
            try:
                buf = self._alloc(cls)
            except BaseException:
                with self._lock:
                    self.in_use -= cls
                raise
        return buf

    def put(self, buf: Any) -> None:
        cls = buf.nbytes
        with self._lock:
            self.in_use -= cls
            if self.pooled + cls <= self.max_bytes:
                self._free.setdefault(cls, []).append(buf)
                self.pooled += cls

    def clear(self) -> int:
        with self._lock:
            freed = self.pooled
            self._free.clear()
            self.pooled = 0
        return freed

    def info(self) -> dict[str, int]:
        with self._lock:
            return {"pooled": self.pooled, "in_use": self.in_use, "hits": self.hits,
                    "misses": self.misses, "max_bytes": self.max_bytes}


_pools: dict[int, PinnedPool] = {}
_pools_lock = threading.Lock()


def pinned_pool(backend: Any) -> PinnedPool:
    """The staging pool of *backend* (one per backend object)."""
    pool = _pools.get(id(backend))
    if pool is None:
        with _pools_lock:
            pool = _pools.get(id(backend))
            if pool is None:
                pool = _pools[id(backend)] = PinnedPool(backend.pinned_empty)
    return pool


def _staging(pool: PinnedPool, shape: tuple[int, ...], dtype: Any) -> tuple[Any, Any]:
    dtype = numpy.dtype(dtype)
    n = dtype.itemsize
    for s in shape:
        n *= s
    raw = pool.get(n)
    return raw, raw[:n].view(dtype).reshape(shape)


def host_to_device(buf: Any, dst: Any, backend: Any = None) -> Any:
    """A new buffer on device *dst* holding host array *buf*, staged through pinned
    memory; returns once the copy is complete."""
    backend = backend or dst.backend
    host = numpy.asarray(buf)
    pool = pinned_pool(backend)
    raw, stage = _staging(pool, host.shape, host.dtype)
    try:
        numpy.copyto(stage, host)
        out = backend.empty(dst, host.shape, host.dtype)
        stream = _streams.current(dst, backend)
        backend.h2d(out, stage, stream)
        _streams.finish(stream)
    finally:
        pool.put(raw)
    return out


def device_to_host(buf: Any, src: Any, backend: Any = None) -> numpy.ndarray:
    """A NumPy array holding device buffer *buf* (on *src*), staged through pinned
    memory; returns once the copy is complete."""
    backend = backend or src.backend
    stream = _streams.current(src, backend)
    buf = backend.contiguous(src, buf, stream)
    pool = pinned_pool(backend)
    raw, stage = _staging(pool, tuple(buf.shape), buf.dtype)
    try:
        backend.d2h(stage, buf, stream)
        _streams.finish(stream)
        return stage.copy()
    finally:
        pool.put(raw)


def device_to_device(buf: Any, src: Any, dst: Any, backend: Any = None) -> Any:
    """A new buffer on *dst* holding *buf* (on *src*; both devices of *backend*)."""
    backend = backend or dst.backend
    src_stream = _streams.current(src, backend)
    buf = backend.contiguous(src, buf, src_stream)
    _streams.finish(src_stream)
    out = backend.empty(dst, tuple(buf.shape), buf.dtype)
    stream = _streams.current(dst, backend)
    backend.d2d(out, buf, stream)
    _streams.finish(stream)
    return out


def transfer(buf: Any, src: Any, dst: Any) -> Any:
    """A new buffer on *dst* holding *buf* (which lives on *src*); complete on return."""
    if not src.is_gpu and not dst.is_gpu:
        return numpy.array(buf, copy=True)
    if dst.is_gpu and not src.is_gpu:
        return host_to_device(buf, dst)
    if src.is_gpu and not dst.is_gpu:
        return device_to_host(buf, src)
    return device_to_device(buf, src, dst)


def to_host(buf: Any, device: Any) -> numpy.ndarray:
    """The buffer as a NumPy array (a copy for GPU buffers, the buffer itself on CPU)."""
    if device.is_gpu:
        return device_to_host(buf, device)
    return buf
