"""MXNet's profiling objects: Domain, Task, Frame, Event, Counter, Marker, Scope.

They record into the running profiler (nothing while it is stopped or paused), on the
lane of the calling thread in the trace's "front end" process.
"""
from __future__ import annotations

import threading
import time
from typing import Any

__all__ = ["Domain", "Task", "Frame", "Event", "Counter", "Marker", "Scope"]

_perf = time.perf_counter


def _profiler() -> Any:
    from . import core
    return core.PROFILER


def _emit(event: dict[str, Any]) -> None:
    prof = _profiler()
    if prof.recording:
        event["thread"] = threading.current_thread().name
        prof.rec.add_user_event(event)


class Domain:
    """See mxnet.profiler.Domain: groups tasks, frames, counters and markers (the trace's
    category)."""

    def __init__(self, name: str) -> None:
        self.name = str(name)

    def __str__(self) -> str:
        return self.name

    def new_task(self, name: str) -> "Task":
        return Task(self, name)

    def new_frame(self, name: str) -> "Frame":
        return Frame(self, name)

    def new_counter(self, name: str, value: int | None = None) -> "Counter":
        return Counter(self, name, value)

    def new_marker(self, name: str) -> "Marker":
        return Marker(self, name)


class _Duration:
    """A span from start() to stop() on the calling thread (also a context manager)."""

    _cat = "task"

    def __init__(self, domain: Domain | None, name: str) -> None:
        self.domain = domain
        self.name = str(name)
        self._t: float | None = None

    def start(self) -> None:
        """Start timing scope for this object."""
        self._t = _perf()

    def stop(self) -> None:
        """Stop timing scope for this object (records one span)."""
        if self._t is None:
            raise RuntimeError(f"{type(self).__name__} {self.name!r}: stop() without start()")
        t, self._t = self._t, None
        cat = str(self.domain) if self.domain is not None else self._cat
        _emit({"ph": "X", "name": self.name, "cat": cat, "t": t, "t_end": _perf(),
               "args": {"type": self._cat}})

    def __enter__(self) -> "_Duration":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __str__(self) -> str:
        return self.name


class Task(_Duration):
    """See mxnet.profiler.Task: a logical unit of work of one thread."""

    _cat = "task"


class Frame(_Duration):
    """See mxnet.profiler.Frame: a discretely numbered period (e.g. one iteration)."""

    _cat = "frame"


class Event(_Duration):
    """See mxnet.profiler.Event: a demarcated region of code (no domain)."""

    _cat = "event"

    def __init__(self, name: str) -> None:
        super().__init__(None, name)


class Counter:
    """See mxnet.profiler.Counter: a value tracked over time (a ``ph: C`` series)."""

    def __init__(self, domain: Domain, name: str, value: int | None = None) -> None:
        self.domain = domain
        self.name = str(name)
        self.value = 0
        self._lock = threading.Lock()
        if value is not None:
            self.set_value(value)

    def _record(self) -> None:
        _emit({"ph": "C", "name": self.name, "cat": str(self.domain), "t": _perf(),
               "args": {self.name: self.value}})

    def set_value(self, value: int) -> None:
        with self._lock:
            self.value = int(value)
            self._record()

    def increment(self, delta: int = 1) -> None:
        with self._lock:
            self.value += int(delta)
            self._record()

    def decrement(self, delta: int = 1) -> None:
        self.increment(-int(delta))

    def __iadd__(self, delta: int) -> "Counter":
        self.increment(delta)
        return self

    def __isub__(self, delta: int) -> "Counter":
        self.decrement(delta)
        return self

    def __str__(self) -> str:
        return self.name


_MARK_SCOPES = {"global": "g", "process": "p", "thread": "t", "task": "t", "marker": "t"}


class Marker:
    """See mxnet.profiler.Marker: an instant in time (a ``ph: i`` event)."""

    def __init__(self, domain: Domain, name: str) -> None:
        self.domain = domain
        self.name = str(name)

    def mark(self, scope: str = "process") -> None:
        """Record the instant; *scope* is 'global', 'process', 'thread', 'task' or 'marker'."""
        s = _MARK_SCOPES.get(scope)
        if s is None:
            raise ValueError(f"Marker.mark: scope must be one of {sorted(_MARK_SCOPES)}, "
                             f"got {scope!r}")
        _emit({"ph": "i", "name": self.name, "cat": str(self.domain), "t": _perf(), "s": s})


class Scope:
    """See mxnet.profiler.Scope: ops pushed inside ``with Scope('name'):`` (by this thread)
    are named ``name:op`` in the trace and the aggregate stats.  (MXNet applies it to its
    memory profiler; here it labels ops.)"""

    def __init__(self, name: str = "<unk>:", append_mode: bool = False) -> None:
        self.name = name if name.endswith(":") else name + ":"
        self.append_mode = append_mode
        self._saved: list[str] = []

    def __enter__(self) -> "Scope":
        scopes = _profiler().rec.scopes
        old = getattr(scopes, "name", "")
        self._saved.append(old)
        scopes.name = old + self.name if self.append_mode else self.name
        return self

    def __exit__(self, *exc: object) -> None:
        _profiler().rec.scopes.name = self._saved.pop()
