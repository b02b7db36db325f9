"""A stand-in asynchronous GPU for tests: device type ``sim_gpu``, kernels run later.

A CUDA kernel launch returns before the kernel runs; the op is done only when an event
recorded after it has fired (:mod:`.streams`).  Code that forgets that — an engine that
completes an op without :meth:`.Device.finish_op`, a copy that returns without waiting
for its event — is right on a CPU and wrong on a GPU.  No CPU test can see it unless the
device really is asynchronous, so this backend is:

* **Streams are threads.**  Each thread that touches a ``sim_gpu`` device gets a
  :class:`SimStream` of its own (engine workers in ``worker_init``, any other thread on
  first use, as with CUDA streams).  A stream is a FIFO served by one daemon thread.
* **Kernels are queued.**  ``Device.run_op(fn)`` — how the engine calls an op's callable
  on a device that needs :meth:`finish_op` — queues the *whole callable* on the calling
  thread's stream and returns at once, as a CUDA launch does.  The stream thread runs it
  after a random delay (0 to 2x :data:`DELAY_S`), so an op completed without waiting has
  not written its outputs yet.  Host<->device copies (``h2d``/``d2h``/``d2d``) are
  queued the same way.
* **A current device per thread**, as CUDA's ``cudaSetDevice``: ``worker_init`` makes
  the worker's device and stream current (as :mod:`.gpu_backend` does); a kernel
  launched (``run_op``) while another device is current fails, naming both, and
  ``finish_op`` waits on the thread's *current* stream — so an op run in a thread that
  set neither up (the naive driver runs ops in the pushing thread) fails, or is seen
  done too early, as it would be on a GPU, unless the backend's ``use`` makes its device
  and stream current for the call (:meth:`.Device.run_op` does).  A thread that set
  nothing up has device 0 current and its default ("null") stream.
* **Events.**  ``record()`` queues a :class:`SimEvent`; ``synchronize()`` blocks until
  the stream thread reached it, then raises the first error a kernel queued before it
  raised (CUDA reports kernel faults at the next synchronization too).

"Device memory" is NumPy: ``xp`` is NumPy and results are exact, so tests compare with
NumPy.  The device is always available, has the GPU's worker counts and is never run
inline by a waiting thread (``inline_ok`` is False, as for a GPU).  It exists for tests
(``tests/device/test_sim_gpu.py`` and the Hypothesis program tests run on it); it makes
nothing faster.
"""
from __future__ import annotations

import queue
import random
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from . import streams as _streams

__all__ = ["SimStream", "SimEvent", "SimGpuBackend", "BACKEND", "set_delay", "DELAY_S"]

DELAY_S = 200e-6          # mean extra delay before each queued kernel (set_delay)


def set_delay(seconds: float) -> float:
    """Set the mean delay before each queued kernel runs; returns the previous one."""
    global DELAY_S
    prev = DELAY_S
    DELAY_S = float(seconds)
    return prev


class SimEvent:
    """Fires when its stream's thread reaches it."""

    __slots__ = ("_done", "error")

    def __init__(self) -> None:
        self._done = threading.Event()
        self.error: BaseException | None = None

    def query(self) -> bool:
        return self._done.is_set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def synchronize(self) -> None:
        self._done.wait()
        err = self.error
        if err is not None:
            self.error = None
            raise err


class SimStream:
    """A FIFO of kernels run by one daemon thread, in order."""

    def __init__(self, device: Any) -> None:
        self.device = device
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._error: BaseException | None = None     # first kernel error since last event
        self._rng = random.Random(id(self))
        self.launched = 0
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name=f"sim-stream-{device}")
        self._thread.start()

    def launch(self, fn: Callable[[], Any]) -> None:
        """Queue *fn*; it runs later on this stream's thread."""
        self.launched += 1
        self._q.put(fn)

    def record(self, event: SimEvent | None = None) -> SimEvent:
        ev = SimEvent() if event is None else event
        self._q.put(ev)
        return ev

    def synchronize(self) -> None:
        self.record().synchronize()

    def use(self) -> "SimStream":
        return self

    def _serve(self) -> None:
        get = self._q.get
        while True:
            item = get()
            if item.__class__ is SimEvent:
                item.error, self._error = self._error, None
                item._done.set()
                continue
            d = DELAY_S
            if d > 0:
                threading.Event().wait(self._rng.uniform(0, 2 * d))
            try:
                item()
            except BaseException as e:   # reported at the next event
                if self._error is None:
                    self._error = e

    def __repr__(self) -> str:
        return f"<SimStream {self.device} launched={self.launched}>"


_CURRENT = threading.local()     # per thread: .device, .stream (CUDA's current ones)
_NULL_STREAMS: dict[Any, SimStream] = {}     # each device's default stream


class SimGpuBackend:
    """The device contract of :mod:`.gpu_backend`, with NumPy memory and threaded streams."""

    name = "sim_gpu"
    stages_through_pinned = True

    @property
    def xp(self) -> Any:
        import numpy

        return numpy

    def new_stream(self, device: Any) -> SimStream:
        return SimStream(device)

    def before_workers(self, device: Any) -> None:
        return None

    def worker_init(self, device: Any, index: int, is_copy: bool) -> None:
        stream = self.new_stream(device)
        _streams.set_current(device, stream)
        _CURRENT.device, _CURRENT.stream = device, stream   # cudaSetDevice + stream.use()

    @contextmanager
    def use(self, device: Any) -> Iterator[None]:
        """*device* and this thread's stream for it current for a block (what
        ``gpu_backend.use`` does with ``cupy.cuda.Device`` and the stream)."""
        prev = getattr(_CURRENT, "device", None), getattr(_CURRENT, "stream", None)
        _CURRENT.device, _CURRENT.stream = device, _streams.current(device, self)
        try:
            yield
        finally:
            _CURRENT.device, _CURRENT.stream = prev

    def _current_stream(self, device: Any) -> SimStream:
        """The stream a kernel for *device* launched now is queued on: the thread's
        current one; an error when another device is current."""
        from .device import Device

        cur = getattr(_CURRENT, "device", None) or Device("sim_gpu", 0)
        if cur != device:
            raise RuntimeError(
                f"sim_gpu: a kernel for {device} was launched in thread "
                f"{threading.current_thread().name!r} while {cur} is current (the "
                f"thread never made {device} current: no worker_init, no use)")
        stream = getattr(_CURRENT, "stream", None)
        if stream is None:
            stream = _NULL_STREAMS.get(device)
            if stream is None:
                stream = _NULL_STREAMS.setdefault(device, SimStream(device))
        return stream

    def run_op(self, device: Any, fn: Callable[[], Any]) -> None:
        """Queue the op's callable on this thread's current stream (returns before it
        runs)."""
        self._current_stream(device).launch(fn)

    def finish_op(self, device: Any) -> None:
        _streams.finish(self._current_stream(device))

    def synchronize(self, device: Any) -> None:
        # every stream of this device that this process made: the current thread's is
        # enough for the tests (a real device-wide sync is not needed by the engine)
        _streams.current(device, self).synchronize()

    # -- memory ----------------------------------------------------------------------
    def empty(self, device: Any, shape: tuple[int, ...], dtype: Any) -> Any:
        import numpy

        return numpy.empty(shape, dtype=dtype)

    def pinned_empty(self, nbytes: int) -> Any:
        import numpy

        return numpy.empty(nbytes, dtype=numpy.uint8)

    def contiguous(self, device: Any, buf: Any, stream: Any) -> Any:
        import numpy

        if buf.flags.c_contiguous:
            return buf
        out = numpy.empty(buf.shape, buf.dtype)
        stream.launch(lambda: numpy.copyto(out, buf))
        return out

    def h2d(self, dst: Any, host: Any, stream: Any) -> None:
        import numpy

        stream.launch(lambda: numpy.copyto(dst, host))

    def d2h(self, host: Any, src: Any, stream: Any) -> None:
        import numpy

        stream.launch(lambda: numpy.copyto(host, src))

    def d2d(self, dst: Any, src: Any, stream: Any) -> None:
        import numpy

        stream.launch(lambda: numpy.copyto(dst, src))

    def empty_cache(self, device: Any) -> None:
        return None


BACKEND = SimGpuBackend()
