"""The shared GPU logic — copy paths, pinned staging pool, the stream completion rule —
driven by a stand-in backend whose "device memory" is NumPy and whose copies only
happen when their stream is synchronized (as an asynchronous DMA would)."""
from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as onp
import pytest

import ndengine as mx
from ndengine.device import streams, transfer
from ndengine.device.streams import NULL_STREAM, NullEvent
from ndengine.device.transfer import PinnedPool


class DeviceBuf:
    """Device memory of the stand-in: a NumPy array that host code must not touch."""

    def __init__(self, arr: onp.ndarray) -> None:
        self.arr = arr

    shape = property(lambda self: self.arr.shape)
    dtype = property(lambda self: self.arr.dtype)
    nbytes = property(lambda self: self.arr.nbytes)
    flags = property(lambda self: self.arr.flags)


class Event:
    def __init__(self, stream: "Stream") -> None:
        self.stream = stream
        self.upto = len(stream.queued)

    def synchronize(self) -> None:
        self.stream.run(self.upto)
        self.stream.backend.event_syncs += 1


class Stream:
    def __init__(self, backend: "StandIn", device: Any) -> None:
        self.backend, self.device = backend, device
        self.queued: list[Callable[[], None]] = []
        self.done = 0
        self.thread = threading.get_ident()

    def enqueue(self, fn: Callable[[], None]) -> None:
        self.queued.append(fn)

    def run(self, upto: int) -> None:
        while self.done < upto:
            self.queued[self.done]()
            self.done += 1

    def record(self, event: Any = None) -> Event:
        return Event(self)


class StandIn:
    """The GpuBackend contract, with NumPy underneath."""

    name = "standin"
    stages_through_pinned = True

    def __init__(self) -> None:
        self.streams: list[Stream] = []
        self.event_syncs = 0
        self.pinned_allocs = 0

    def new_stream(self, device: Any) -> Stream:
        s = Stream(self, device)
        self.streams.append(s)
        return s

    def empty(self, device: Any, shape: tuple, dtype: Any) -> DeviceBuf:
        return DeviceBuf(onp.full(shape, onp.nan, dtype=dtype) if onp.dtype(dtype).kind == "f"
                         else onp.zeros(shape, dtype=dtype))

    def pinned_empty(self, nbytes: int) -> onp.ndarray:
        self.pinned_allocs += 1
        return onp.empty(nbytes, dtype=onp.uint8)

    def contiguous(self, device: Any, buf: DeviceBuf, stream: Stream) -> DeviceBuf:
        if buf.arr.flags.c_contiguous:
            return buf
        out = DeviceBuf(onp.empty(buf.shape, buf.dtype))
        stream.enqueue(lambda: onp.copyto(out.arr, buf.arr))
        return out

    def h2d(self, dst: DeviceBuf, host: onp.ndarray, stream: Stream) -> None:
        stream.enqueue(lambda: onp.copyto(dst.arr, host))

    def d2h(self, host: onp.ndarray, src: DeviceBuf, stream: Stream) -> None:
        stream.enqueue(lambda: onp.copyto(host, src.arr))

    def d2d(self, dst: DeviceBuf, src: DeviceBuf, stream: Stream) -> None:
        stream.enqueue(lambda: onp.copyto(dst.arr, src.arr))


@pytest.fixture
def backend() -> StandIn:
    b = StandIn()
    yield b
    transfer._pools.pop(id(b), None)
    streams.thread_streams().clear()


GPU0, GPU1 = mx.gpu(0), mx.gpu(1)      # handles only: the stand-in backend serves them


def test_host_to_device_and_back_through_pinned_staging(backend: StandIn) -> None:
    host = onp.arange(12, dtype=onp.float32).reshape(3, 4)
    dev = transfer.host_to_device(host, GPU0, backend)
    assert isinstance(dev, DeviceBuf)
    onp.testing.assert_array_equal(dev.arr, host)        # complete on return
    back = transfer.device_to_host(dev, GPU0, backend)
    assert isinstance(back, onp.ndarray)
    onp.testing.assert_array_equal(back, host)
    pool = transfer.pinned_pool(backend).info()
    assert pool["in_use"] == 0                           # staging buffers returned
    assert backend.event_syncs == 2                      # one event per copy, no device sync


def test_staging_buffers_are_reused_not_reallocated(backend: StandIn) -> None:
    host = onp.ones((64,), dtype=onp.float64)
    for _ in range(5):
        transfer.host_to_device(host, GPU0, backend)
    info = transfer.pinned_pool(backend).info()
    assert backend.pinned_allocs == 1 and info["hits"] == 4 and info["misses"] == 1
    assert info["pooled"] == 512


def test_the_returned_host_copy_does_not_share_the_staging_buffer(backend: StandIn) -> None:
    a = transfer.device_to_host(DeviceBuf(onp.full((4,), 1.0)), GPU0, backend)
    b = transfer.device_to_host(DeviceBuf(onp.full((4,), 2.0)), GPU0, backend)
    onp.testing.assert_array_equal(a, [1, 1, 1, 1])      # not overwritten by the reuse
    onp.testing.assert_array_equal(b, [2, 2, 2, 2])


def test_non_contiguous_device_buffers_are_made_contiguous_first(backend: StandIn) -> None:
    base = onp.arange(12.0).reshape(3, 4)
    back = transfer.device_to_host(DeviceBuf(base.T), GPU0, backend)
    onp.testing.assert_array_equal(back, base.T)


def test_device_to_device_waits_on_its_own_streams(backend: StandIn) -> None:
    src = DeviceBuf(onp.arange(6.0).reshape(2, 3).T)
    out = transfer.device_to_device(src, GPU0, GPU1, backend)
    onp.testing.assert_array_equal(out.arr, onp.arange(6.0).reshape(2, 3).T)
    assert {s.device for s in backend.streams} == {GPU0, GPU1}


def test_each_thread_gets_its_own_stream_per_device(backend: StandIn) -> None:
    mine = streams.current(GPU0, backend)
    assert streams.current(GPU0, backend) is mine
    other: list[Any] = []
    th = threading.Thread(target=lambda: other.append(streams.current(GPU0, backend)))
    th.start()
    th.join()
    assert other[0] is not mine and other[0].thread != mine.thread
    assert streams.current(GPU1, backend) is not mine


def test_finish_records_and_synchronizes_an_event(backend: StandIn) -> None:
    s = streams.current(GPU0, backend)
    ran: list[int] = []
    s.enqueue(lambda: ran.append(1))
    ev = streams.finish(s)
    assert ran == [1] and isinstance(ev, Event)


def test_cpu_streams_are_null_and_born_complete() -> None:
    s = streams.current(mx.cpu(0))
    assert s is NULL_STREAM and s.use() is s
    ev = streams.finish(s)
    assert isinstance(ev, NullEvent) and ev.done and ev.query()


def test_pinned_pool_size_classes_bound_and_clear() -> None:
    allocs: list[int] = []
    pool = PinnedPool(lambda n: (allocs.append(n), onp.empty(n, onp.uint8))[1], max_bytes=1024)
    a = pool.get(100)
    assert a.nbytes == 128 and allocs == [128]
    pool.put(a)
    assert pool.get(120) is a                       # same class: reused
    big = pool.get(2000)
    assert big.nbytes == 2048
    pool.put(big)                                   # over max_bytes: dropped
    pool.put(a)
    info = pool.info()
    assert info["pooled"] == 128 and info["in_use"] == 0
    assert pool.clear() == 128 and pool.info()["pooled"] == 0


def test_pinned_pool_allocation_failure_leaves_the_books_straight() -> None:
    def fail(n: int) -> Any:
        raise MemoryError("no pinned memory")

    pool = PinnedPool(fail, max_bytes=1024)
    with pytest.raises(MemoryError):
        pool.get(10)
    assert pool.info()["in_use"] == 0


def test_cpu_to_cpu_transfer_is_a_real_copy() -> None:
    buf = onp.arange(4.0)
    out = transfer.transfer(buf, mx.cpu(0), mx.cpu(1))
    assert out is not buf and not onp.shares_memory(out, buf)
    onp.testing.assert_array_equal(out, buf)
    assert transfer.to_host(buf, mx.cpu(1)) is buf
