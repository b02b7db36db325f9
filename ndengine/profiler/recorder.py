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
* ``on_push`` takes the recorder's lock; ``on_end`` takes none (a worker holding a lock
  the front end waits for, while it waits for the GIL, would convoy them).
"""
from __future__ import annotations

import functools
import threading
import weakref
from collections import deque
from typing import Any

import numpy as _onp

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
        # (weakref to the var, producer id or 0, (shape, dtype) or None) per read var
        self.inputs: list[tuple[Any, int, Any]] = []
        # (weakref to the var, (shape, dtype) or None) per written var
        self.outputs: list[tuple[Any, Any]] = []
        self.consts: list[Any] = []

    @property
    def full_name(self) -> str:
        return self.scope + self.name if self.scope else self.name

    @property
    def finished(self) -> bool:
        return self.t_end is not None

    def __repr__(self) -> str:
        return f"<OpRecord #{self.id} {self.full_name} on {self.device}>"


_NDArray: Any = None
_ndarray = _onp.ndarray
_SCALARS = (int, float, bool, complex)


def _scan(args: Any, arrays: dict[int, Any], consts: list[Any], depth: int) -> None:
    """Collect the NDArrays (``id(var) -> (shape, dtype)``) and the scalar operands among
    a partial's arguments (lists and tuples are searched two levels deep)."""
    for a in args:
        c = a.__class__
        if c is _NDArray:
            arrays[id(a._var)] = (a._shape, a._dtype)
        elif c in _SCALARS:
            consts.append(a)
        elif c is list or c is tuple:
            if depth < 2:
                _scan(a, arrays, consts, depth + 1)
        elif c is _ndarray and a.ndim == 0:      # a 0-d scalar operand
            consts.append(a.item())


@functools.lru_cache(maxsize=4096)
def describe(meta: Any) -> str | None:
    """``"(1, 2) float32"`` from ``(shape, dtype)``."""
    return None if meta is None else f"{tuple(meta[0])} {meta[1]}"


def array_info(op: Any) -> tuple[dict[int, Any], list[Any]]:
    """``({id(var): (shape, dtype)}, scalar operands)`` of the arrays in *op*'s callable
    (a ``functools.partial`` over NDArrays, for ops the array layers push)."""
    global _NDArray
    args = getattr(op.fn, "args", None)
    if not args:
        return {}, []
    if _NDArray is None:
        from ..ndarray.ndarray import NDArray   # read-only: shapes and dtypes, no waiting
        _NDArray = NDArray
    arrays: dict[int, Any] = {}
    consts: list[Any] = []
    _scan(args, arrays, consts, 0)
    return arrays, consts


class _VarState:
    """Per var: the last op (id) that wrote it and the ids of its readers in flight.
    ``ref`` tells a live entry from one left by a dead var whose id was reused."""

    __slots__ = ("ref", "writer", "readers")

    def __init__(self, ref: Any) -> None:
        self.ref = ref
        self.writer = 0
        self.readers: set[int] = set()


class Recorder:
    """Subscribes to the engine hooks and keeps an :class:`OpRecord` per op.

    ``on_push`` takes :attr:`lock` (ids, var states and the record list change
    together); ``on_end`` takes no lock: it fills in the record and appends it to
    :attr:`ended` (atomic operations under the GIL), so a worker never holds a lock the
    front end may need.  Counters of ops in flight and the aggregate stats are computed
    from the records when asked for."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recording = False          # record new pushes (run and not paused)
        self.subscribed = False
        self.stopping = False           # stopped; unsubscribe once in-flight ops end
        self.records: list[OpRecord] = []       # in push order
        self.by_id: dict[int, OpRecord] = {}
        self.live: dict[Any, OpRecord] = {}     # engine op -> record, until it ends
        self.vars: dict[int, _VarState] = {}    # id(var) -> state (see _var_state)
        self._purge_at = 4096
        self.next_id = 1
        self.ended: deque[OpRecord] = deque()   # ended, not yet in the stats
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
            self.stopping = True        # before looking at live: see on_end
            if not self.live:
                self._unsubscribe_locked()

    def _unsubscribe_locked(self) -> None:
        self.stopping = False
        if self.subscribed:
            self.subscribed = False
            HOOKS.unsubscribe(self)

    def clear_finished(self) -> None:
        """Forget finished ops and user events (a new session)."""
        with self.lock:
            self.records = [r for r in self.records if r.t_end is None]
            self.by_id = {r.id: r for r in self.records}
            self.user_events = []

    def fold_stats(self) -> dict[str, list[float]]:
        """Add the ops ended since the last call to the aggregate stats; return them."""
        with self.lock:
            ended = self.ended
            stats = self.stats
            while ended:
                rec = ended.popleft()
                dt = rec.t_end - rec.t_start
                s = stats.get(rec.full_name)
                if s is None:
                    stats[rec.full_name] = [1, dt, dt, dt]
                else:
                    s[0] += 1
                    s[1] += dt
                    if dt < s[2]:
                        s[2] = dt
                    if dt > s[3]:
                        s[3] = dt
            return {k: list(v) for k, v in stats.items()}

    def reset_stats(self) -> None:
        self.fold_stats()
        with self.lock:
            self.stats = {}

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

    def _var_state(self, v: Any) -> _VarState:
        """Lock held: the state of var *v*, created (or renewed, if *v*'s id belonged
        to a var that died) as needed.  Dead vars' entries are purged now and then."""
        tracked = self.vars
        st = tracked.get(id(v))
        if st is None or st.ref() is not v:
            if len(tracked) >= self._purge_at:
                for k in [k for k, s in tracked.items() if s.ref() is None]:
                    del tracked[k]
                self._purge_at = max(4096, 2 * len(tracked))
            st = tracked[id(v)] = _VarState(weakref.ref(v))
        return st

    def _link_locked(self, rec: OpRecord, op: Any, shapes: dict[int, Any]) -> None:
        """Lock held: find *rec*'s dependencies and note it as reader/writer of its vars."""
        deps = rec.deps
        oid = rec.id
        for v in op.reads:
            st = self._var_state(v)
            if st.writer:
                deps.append((st.writer, DATA))
            rec.inputs.append((st.ref, st.writer, shapes.get(id(v))))
            st.readers.add(oid)
        rw = op.rw
        for v in op.writes:
            st = self._var_state(v)
            if v in rw:                       # read and written: an input too
                if st.writer:
                    deps.append((st.writer, DATA))
                rec.inputs.append((st.ref, st.writer, shapes.get(id(v))))
            elif st.writer:
                deps.append((st.writer, WAW))
            for r in tuple(st.readers):     # a copy: on_end discards without the lock
                if r != oid:
                    deps.append((r, WAR))
            st.readers = set()
            st.writer = oid
            rec.outputs.append((st.ref, shapes.get(id(v))))

    def on_end(self, op: Any, error: BaseException | None) -> None:
        rec = self.live.get(op)
        if rec is None:
            return
        t_start = getattr(op, "t_start", None)
        t_end = getattr(op, "t_end", None)
        if t_start is None or t_end is None:      # hooks came on while it was running
            t_start = t_end = rec.t_push
        rec.t_start = t_start
        rec.thread = getattr(op, "thread", None)
        if error is not None:
            rec.error = f"{type(error).__name__}: {error}"[:300]
        tracked = self.vars
        for v in op.reads:
            st = tracked.get(id(v))
            if st is not None:
                st.readers.discard(rec.id)
        rec.t_end = t_end                          # last: marks the record finished
        self.ended.append(rec)
        del self.live[op]
        if self.stopping and not self.live:
            with self.lock:
                if self.stopping and not self.live:
                    self._unsubscribe_locked()

    # ------------------------------------------------------------------ queries
    def writer_of(self, var: Any) -> int:
        """Id of the last recorded op that wrote *var* (0 if none)."""
        with self.lock:
            st = self.vars.get(id(var))
            return st.writer if st is not None and st.ref() is var else 0

    def snapshot(self) -> tuple[list[OpRecord], list[dict[str, Any]]]:
        with self.lock:
            return list(self.records), list(self.user_events)

    def add_user_event(self, event: dict[str, Any]) -> None:
        self.user_events.append(event)
