"""The engine-hook subscriber that records ops while the profiler runs.

Design notes
------------
* The recorder is subscribed to :data:`ndengine.engine.HOOKS` only between
  ``set_state('run')`` and the end of the last op pushed before ``set_state('stop')``;
  otherwise the engine's hot path sees ``HOOKS.active`` false and pays nothing.
* ``on_push`` runs in the pushing thread, in push order per thread; it gives the op an
  id (the engine's ``seq`` is only assigned later, when the op is registered), and
  finds the op's dependencies from the vars it reads and writes: the last op that wrote
  each read var (``data``: read after write), the last writer of each written var
  (``write-after-write``) and the readers of a written var still in flight
  (``write-after-read``).  The shapes and dtypes come from the op's callable: the array
  layers push a ``functools.partial`` whose arguments include the NDArrays, which carry
  ``_var``, ``_shape`` and ``_dtype`` (read without blocking); a callable that is not a
  partial (a fused bulk op, a raw engine push) simply has none.
* ``on_end`` runs in the thread that ran the op; it copies the engine's timestamps
  (``t_push``/``t_start``/``t_end``, ``perf_counter`` seconds) and thread name.  Ops
  the front end ran itself (while waiting: it helps) are told apart by the thread name:
  engine workers are named ``ndengine-<device>...``.
* Everything mutable is guarded by one lock, taken only while the profiler records.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any

from ..engine.hooks import HOOKS

__all__ = ["OpRecord", "Recorder", "DATA", "WAW", "WAR"]

DATA = "data"                   # read after write: producer -> consumer
WAW = "write-after-write"
WAR = "write-after-read"


class OpRecord:
    """What the profiler keeps of one pushed op."""

    __slots__ = ("id", "name", "device", "copy", "nbytes", "priority", "site", "info",
                 "scope", "push_thread", "t_push", "t_start", "t_end", "thread", "error",
                 "deps", "inputs", "outputs", "consts")

    def __init__(self, oid: int, op: Any, scope: str, push_thread: str) -> None:
        self.id = oid
        self.name = op.name
        self.device = op.device
        self.copy = op.copy
        self.nbytes = op.nbytes
        self.priority = op.priority
        self.site = op.pushed_at
        self.info = op.info
        self.scope = scope
        self.push_thread = push_thread
        self.t_push: float = getattr(op, "t_push", None) or 0.0
        self.t_start: float | None = None
        self.t_end: float | None = None
        self.thread: str | None = None
        self.error: str | None = None
        self.deps: list[tuple[int, str]] = []
        # (weakref to the var, producer id or 0, "shape dtype" or None) per read var
        self.inputs: list[tuple[Any, int, str | None]] = []
        # (weakref to the var, "shape dtype" or None) per written var
        self.outputs: list[tuple[Any, str | None]] = []
        self.consts: list[Any] = []

    @property
    def full_name(self) -> str:
        return self.scope + self.name if self.scope else self.name

    @property
    def finished(self) -> bool:
        return self.t_end is not None

    def __repr__(self) -> str:
        return f"<OpRecord #{self.id} {self.full_name} on {self.device}>"


def _is_array(x: Any) -> bool:
    return hasattr(x, "_var") and hasattr(x, "_shape") and hasattr(x, "_dtype")


def _scan(args: Any, arrays: list[Any], consts: list[Any], depth: int) -> None:
    """Collect the NDArrays (and scalar operands) among a partial's arguments."""
    for a in args:
        c = a.__class__
        if c is int or c is float or c is bool or c is complex:
            consts.append(a)
        elif c is list or c is tuple:
            if depth < 2:
                _scan(a, arrays, consts, depth + 1)
        elif _is_array(a):
            arrays.append(a)
        elif getattr(a, "shape", None) == () and hasattr(a, "item"):
            try:                       # a 0-d NumPy scalar operand
                consts.append(a.item())
            except Exception:
                pass


def describe(shape: Any, dtype: Any) -> str:
    return f"{tuple(shape)} {dtype}"


def array_info(op: Any) -> tuple[dict[int, str], list[Any]]:
    """``({id(var): "shape dtype"}, scalar operands)`` of the arrays in *op*'s callable."""
    args = getattr(op.fn, "args", None)
    if not args:
        return {}, []
    arrays: list[Any] = []
    consts: list[Any] = []
    _scan(args, arrays, consts, 0)
    return {id(a._var): describe(a._shape, a._dtype) for a in arrays}, consts


class _VarState:
    """Per var: the last op (id) that wrote it and the ids of its readers in flight."""

    __slots__ = ("writer", "readers")

    def __init__(self) -> None:
        self.writer = 0
        self.readers: set[int] = set()


class Recorder:
    """Subscribes to the engine hooks and keeps an :class:`OpRecord` per op."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recording = False          # record new pushes (run and not paused)
        self.subscribed = False
        self.stopping = False           # stopped; unsubscribe once in-flight ops end
        self.records: list[OpRecord] = []       # in push order
        self.by_id: dict[int, OpRecord] = {}
        self.live: dict[Any, OpRecord] = {}     # engine op -> record, until it ends
        self.vars: "weakref.WeakKeyDictionary[Any, _VarState]" = weakref.WeakKeyDictionary()
        self.next_id = 1
        # (t, device, ops in flight, bytes in flight), appended at push and at end
        self.counters: list[tuple[float, Any, int, int]] = []
        self.inflight: dict[Any, list[int]] = {}
        self.user_events: list[dict[str, Any]] = []   # markers, tasks, counters...
        self.stats: dict[str, list[float]] = {}       # name -> [count, total, min, max] (s)
        self.api = True          # record push markers (profile_api)
        self.memory = True       # record the bytes-in-flight counter (profile_memory)
        self.imperative = True   # record op spans (profile_imperative)
        self.scopes = threading.local()

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        with self.lock:
            self.stopping = False
            self.recording = True
            if not self.subscribed:
                self.subscribed = True
                HOOKS.subscribe(self)

    def stop(self) -> None:
        with self.lock:
            self.recording = False
            if self.live:
                self.stopping = True     # the last on_end unsubscribes
                return
            self._unsubscribe_locked()

    def _unsubscribe_locked(self) -> None:
        self.stopping = False
        if self.subscribed:
            self.subscribed = False
            HOOKS.unsubscribe(self)

    def clear_finished(self) -> None:
        """Forget finished ops, counters and user events (after a final dump)."""
        with self.lock:
            self.records = [r for r in self.records if r.t_end is None]
            self.by_id = {r.id: r for r in self.records}
            self.counters = []
            self.user_events = []

    def reset_stats(self) -> None:
        with self.lock:
            self.stats = {}

    def current_scope(self) -> str:
        return getattr(self.scopes, "name", "")

    # ------------------------------------------------------------------ hooks
    def on_push(self, op: Any) -> None:
        if not self.recording:
            return
        shapes, consts = array_info(op)
        thread = threading.current_thread().name
        scope = getattr(self.scopes, "name", "")
        with self.lock:
            if not self.recording:
                return
            oid = self.next_id
            self.next_id = oid + 1
            rec = OpRecord(oid, op, scope, thread)
            rec.consts = consts
            self._link_locked(rec, op, shapes)
            self.records.append(rec)
            self.by_id[oid] = rec
            self.live[op] = rec
            dev = op.device
            n = self.inflight.get(dev)
            if n is None:
                n = self.inflight[dev] = [0, 0]
            n[0] += 1
            n[1] += op.nbytes
            self.counters.append((rec.t_push, dev, n[0], n[1]))

    def _link_locked(self, rec: OpRecord, op: Any, shapes: dict[int, str]) -> None:
        """Lock held: find *rec*'s dependencies and note it as reader/writer of its vars."""
        deps = rec.deps
        tracked = self.vars
        oid = rec.id
        for v in op.reads:
            st = tracked.get(v)
            if st is None:
                st = tracked[v] = _VarState()
            if st.writer:
                deps.append((st.writer, DATA))
            rec.inputs.append((weakref.ref(v), st.writer, shapes.get(id(v))))
            st.readers.add(oid)
        rw = op.rw
        for v in op.writes:
            st = tracked.get(v)
            if st is None:
                st = tracked[v] = _VarState()
            if v in rw:                       # read and written: an input too
                if st.writer:
                    deps.append((st.writer, DATA))
                rec.inputs.append((weakref.ref(v), st.writer, shapes.get(id(v))))
            elif st.writer:
                deps.append((st.writer, WAW))
            for r in st.readers:
                if r != oid:
                    deps.append((r, WAR))
            st.readers = set()
            st.writer = oid
            rec.outputs.append((weakref.ref(v), shapes.get(id(v))))

    def on_end(self, op: Any, error: BaseException | None) -> None:
        rec = self.live.get(op)
        if rec is None:
            return
        rec.t_start = getattr(op, "t_start", None)
        rec.t_end = getattr(op, "t_end", None) or rec.t_start
        rec.thread = getattr(op, "thread", None)
        if rec.t_start is None:             # hooks came on while it was running
            rec.t_start = rec.t_end = rec.t_push
        if error is not None:
            rec.error = f"{type(error).__name__}: {error}"[:300]
        with self.lock:
            self.live.pop(op, None)
            tracked = self.vars
            for v in op.reads:
                st = tracked.get(v)
                if st is not None:
                    st.readers.discard(rec.id)
            dev = op.device
            n = self.inflight[dev]
            n[0] -= 1
            n[1] -= op.nbytes
            self.counters.append((rec.t_end, dev, n[0], n[1]))
            self._add_stat_locked(rec)
            if self.stopping and not self.live:
                self._unsubscribe_locked()

    def _add_stat_locked(self, rec: OpRecord) -> None:
        dt = rec.t_end - rec.t_start
        s = self.stats.get(rec.full_name)
        if s is None:
            self.stats[rec.full_name] = [1, dt, dt, dt]
        else:
            s[0] += 1
            s[1] += dt
            if dt < s[2]:
                s[2] = dt
            if dt > s[3]:
                s[3] = dt

    # ------------------------------------------------------------------ queries
    def writer_of(self, var: Any) -> int:
        """Id of the last recorded op that wrote *var* (0 if none)."""
        with self.lock:
            st = self.vars.get(var)
            return st.writer if st is not None else 0

    def snapshot(self) -> tuple[list[OpRecord], list[tuple[float, Any, int, int]],
                                list[dict[str, Any]]]:
        with self.lock:
            return list(self.records), list(self.counters), list(self.user_events)

    def add_user_event(self, event: dict[str, Any]) -> None:
        with self.lock:
            self.user_events.append(event)
