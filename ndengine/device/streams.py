"""Streams and events: how an op's completion is recorded, shared by every backend.

The rule (kept simple on purpose)
---------------------------------
* Every engine worker of a GPU gets its own CUDA stream (``worker_init``); every other
  thread that touches a GPU (a copy worker of a CPU device, a front-end thread) gets a
  stream of its own for that GPU the first time it needs one (:func:`current`).
* A kernel is queued on the stream of the thread that runs the op.  The op is *done*
  when the kernel is: the thread records an event on its stream after the kernel and
  synchronizes on that event (:func:`finish`) before the engine completes the op.  The
  thread waits for its own event only — never for the whole device, never for another
  worker's stream — so the other workers and copy workers keep going.
* Dependencies across streams and devices therefore need nothing more: the engine
  starts a reader only after its writer completed, and a writer completes only after its
  event fired.  Copies do the same on the copy worker's stream (see :mod:`.transfer`).

On a CPU the stream is :data:`NULL_STREAM`, whose events are born complete: the same
code runs, and the CPU tests exercise it.  The cost on a GPU is one event
synchronization per op on the worker that ran it; with two workers per GPU, two ops
are in flight per device.  (Letting the worker return before the kernel finishes, and
making each reader's stream wait on the writer's event instead, would keep more in
flight; it also needs buffer lifetimes tied to events.  Not done.)
"""
from __future__ import annotations

import threading
from typing import Any

__all__ = ["NullStream", "NullEvent", "NULL_STREAM", "current", "set_current", "finish",
           "thread_streams"]


class NullEvent:
    """An event that has already happened (CPU work is done when its call returns)."""

    __slots__ = ()

    def synchronize(self) -> None:
        return None

    def query(self) -> bool:
        return True

    @property
    def done(self) -> bool:
        return True


_NULL_EVENT = NullEvent()


class NullStream:
    """The CPU's stream: work on it is complete when the call that queued it returns."""

    __slots__ = ()

    def record(self, event: Any = None) -> NullEvent:
        return _NULL_EVENT

    def synchronize(self) -> None:
        return None

    def use(self) -> "NullStream":
        return self

    def __repr__(self) -> str:
        return "<NullStream>"


NULL_STREAM = NullStream()

_local = threading.local()


def thread_streams() -> dict[Any, Any]:
    """This thread's streams, by device."""
    streams = getattr(_local, "streams", None)
    if streams is None:
        streams = _local.streams = {}
    return streams


def set_current(device: Any, stream: Any) -> None:
    """Make *stream* this thread's stream for *device* (``worker_init`` does)."""
    thread_streams()[device] = stream


def current(device: Any, backend: Any = None) -> Any:
    """This thread's stream for *device*, created on first use (CPU: the null stream).

    *backend* (default: the device's) makes new streams; tests pass a stand-in."""
    streams = thread_streams()
    s = streams.get(device)
    if s is None:
        if backend is None:
            backend = device.backend
        s = streams[device] = backend.new_stream(device)
    return s


def finish(stream: Any) -> Any:
    """Wait until everything queued on *stream* so far is done, by recording an event
    and synchronizing on it; returns the event."""
    ev = stream.record()
    ev.synchronize()
    return ev
