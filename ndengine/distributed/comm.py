"""Collectives as engine ops, on a communication worker of their own.

Each collective is one engine op that reads its input arrays' vars and writes its output
arrays' vars, like any array op, so it runs once the gradients it reduces are computed
and the ops that use its results wait for it.  Two things are special:

* **Its own worker.**  The ops run on :data:`COMM_DEVICE` (``cpu_shared(0)``, a device
  no array lives on), so the engine gives them a worker thread of their own: a rank
  waiting for the others never holds a compute worker.  (The engine schedules onto
  ``Device`` handles only; ``cpu_shared`` is the one CPU-like type arrays never use.
  A waiting front-end thread may still run a ready collective itself, as it runs any
  ready CPU op: it would be waiting anyway.)
* **One order on every rank.**  MPI matches collectives by their order, so every
  collective also writes :data:`COMM_VAR`: the engine then runs them one at a time in
  push order, and every rank pushes them in the same order (the same program), whatever
  order their inputs become ready in.  The Trainer pushes the last layer's gradients
  first, the order backward produces them, so this costs no overlap.

How one collective runs (:func:`_run`): the ranks first exchange a 256-byte *header*
(the collective's number and a description: op, keys, shapes, dtypes) with a
non-blocking ``Iallgather`` that the op polls, with a deadline
(``NDENGINE_DIST_TIMEOUT``) and while watching for notices of ranks that failed or
exited (:mod:`.world`).  Once every rank is there and agrees, the payload moves with a
blocking ``Allreduce`` / ``Bcast`` (the GIL released): MPICH progresses a non-blocking
collective only inside MPI calls, and a polled ``Iallreduce`` ran at 0.1x (64 KB) to
0.5x (1 MB) the speed of the blocking call here (2 ranks, polling with ``sleep(0)``).
A rank can no longer fail between the header and the payload except by dying, and
then the launcher ends the job.  Ranks that disagree
(another key, shape or dtype, another op) all raise the same error naming what each
rank pushed; none sends a payload.  An error in the op is stored on its outputs and
raised at their next sync point, as for any op.
"""
from __future__ import annotations

import functools
import hashlib
import time
from typing import Any, Callable, Sequence

import numpy as _onp

from .. import engine
from ..device import Device
from .world import DistError, DistTimeout, World, timeout, world

__all__ = ["COMM_DEVICE", "COMM_VAR", "allreduce", "broadcast", "barrier", "push_collective",
           "describe"]

COMM_DEVICE = Device("cpu_shared", 0)
COMM_VAR = engine.new_var("distributed.comm")

# A waiting rank spins on Test (which releases the GIL) this long before it sleeps
# (``NDENGINE_DIST_SPIN_US``, default 100).  Yielding the core with sleep(0) instead
# cost ~200 us per collective on this loaded 2-core machine (8 allreduces of 256 KB in
# flight: 489 us each, 156 us with a 1 ms spin); but a long spin steals the core a
# slower peer's thread needs when ranks oversubscribe the cores (64 KB waited for:
# 125-3100 us with a 1 ms spin, 70-75 us with 50 us).  With a core per thread, a
# longer spin only helps.
def _spin_s() -> float:
    import os

    raw = os.environ.get("NDENGINE_DIST_SPIN_US", "").strip()
    try:
        return max(0.0, float(raw) * 1e-6) if raw else 1e-4
    except ValueError:
        raise DistError(f"NDENGINE_DIST_SPIN_US must be a number, got {raw!r}") from None


_SPIN_S = _spin_s()
_HEADER = 256          # bytes per rank: 8 seq, 8 hash, 240 description
_partial = functools.partial


def describe(arrays: Sequence[Any], keys: Sequence[Any] | None = None) -> str:
    """``key: shape dtype`` of each array (what the ranks must agree on)."""
    if keys is None:
        keys = range(len(arrays))
    return ", ".join(f"{k!r}: {tuple(a.shape)} {a.dtype}" for k, a in zip(keys, arrays))


def _header(seq: int, desc: str) -> _onp.ndarray:
    row = _onp.zeros(_HEADER, dtype=_onp.uint8)
    raw = desc.encode("utf-8", "replace")
    row[:8] = _onp.frombuffer(_onp.int64(seq).tobytes(), dtype=_onp.uint8)
    row[8:16] = _onp.frombuffer(hashlib.blake2b(raw, digest_size=8).digest(), dtype=_onp.uint8)
    text = raw[:_HEADER - 16]
    row[16:16 + len(text)] = _onp.frombuffer(text, dtype=_onp.uint8)
    return row


def _row_text(row: _onp.ndarray) -> str:
    seq = int(_onp.frombuffer(row[:8].tobytes(), dtype=_onp.int64)[0])
    text = row[16:].tobytes().rstrip(b"\0").decode("utf-8", "replace")
    return f"#{seq} {text}"


def _check_gone(w: World, what: str) -> None:
    """Raise if this rank is failing, or a rank failed or exited before joining this
    collective (one it completed before leaving may still complete here)."""
    n = w.completed + 1
    if w.aborting is not None:
        raise DistError(f"{what}: not started, rank {w.rank} failed: {w.aborting}")
    if not w.gone:
        return
    for r, why in sorted(w.gone.items()):
        if w.exited_after.get(r, 0) >= n:
            continue           # it took part in this collective before leaving
        raise DistError(f"{what}: {why}; rank {w.rank} (host {w.host}) stops at its "
                        f"collective #{n}")


def _wait(w: World, req: Any, what: str) -> None:
    """Poll *req* until done: spin for :data:`_SPIN_S` (``Test`` releases the GIL), then
    sleep with a growing delay (at most 250 us), so a rank that waits long for a slower
    one leaves the cores to the computation it overlaps; watch for notices every
    millisecond; give up at the deadline."""
    perf = time.perf_counter
    t0 = perf()
    limit = timeout()
    next_poll = t0 + 1e-3
    while not req.Test():
        now = perf()
        elapsed = now - t0
        if elapsed < _SPIN_S:
            continue
        if now >= next_poll:
            next_poll = now + 1e-3
            w.poll_notices()
            _check_gone(w, what)
            if elapsed > limit:
                raise DistTimeout(
                    f"{what}: the other ranks did not join within {limit:g} s "
                    f"(NDENGINE_DIST_TIMEOUT) at rank {w.rank}'s collective "
                    f"#{w.completed + 1} (host {w.host}); a rank may hang, have exited "
                    f"without notice, or push collectives in another order")
        time.sleep(min(2.5e-4, elapsed / 8))


def _agree(w: World, what: str, desc: str) -> None:
    """The header exchange: every rank is at this collective and pushes the same thing."""
    w.poll_notices()
    _check_gone(w, what)
    seq = w.completed + 1
    mine = _header(seq, desc)
    rows = _onp.empty((w.size, _HEADER), dtype=_onp.uint8)
    w.inflight = True
    req = w.data.Iallgather(mine, rows)
    _wait(w, req, what)
    w.inflight = False
    if not (rows[:, :16] == mine[:16]).all():
        w.completed += 1       # every rank saw the same rows: all stay in step
        lines = "; ".join(f"rank {r}: {_row_text(rows[r])}" for r in range(w.size))
        raise DistError(f"{what}: the ranks disagree on collective #{seq} (keys, shapes, "
                        f"dtypes or op differ): {lines}")


def _run(what: str, desc: str, payload: Callable[[World], None]) -> None:
    """The body of every collective op (see the module notes)."""
    w = world()
    if w.size > 1:
        _agree(w, what, desc)
    payload(w)
    w.completed += 1


def push_collective(fn: Callable[[], None], reads: Sequence[Any], writes: Sequence[Any],
                    name: str, priority: int = 0) -> None:
    """Push *fn* (a collective) onto the communication worker, ordered after every
    earlier collective (it writes :data:`COMM_VAR`)."""
    w = world()
    w.pushed += 1
    engine.push(fn, tuple(reads), tuple(writes) + (COMM_VAR,), COMM_DEVICE, priority, name)


# ------------------------------------------------------------------------- buffers
_REDUCE_AS = {_onp.dtype(_onp.float16): _onp.dtype(_onp.float32),
              _onp.dtype(_onp.bool_): _onp.dtype(_onp.int32)}


def _host(buf: Any) -> _onp.ndarray:
    return buf if isinstance(buf, _onp.ndarray) else buf.get()


def _to_device(buf: _onp.ndarray, device: Device) -> Any:
    return buf if not device.is_gpu else device.xp.asarray(buf)


def _flat(arrays: Sequence[Any], dtype: _onp.dtype) -> _onp.ndarray:
    """The values of *arrays* as one contiguous 1-d buffer of *dtype*: a single C-order
    array of that dtype is used as it is (read only), several are copied into one."""
    if len(arrays) == 1:
        buf = _host(arrays[0]._data)
        if buf.dtype == dtype and buf.flags.c_contiguous:
            return buf.reshape(-1)
        return _onp.array(buf, dtype=dtype, order="C").reshape(-1)
    out = _onp.empty(sum(a.size for a in arrays), dtype=dtype)
    i = 0
    for a in arrays:
        out[i:i + a.size] = _host(a._data).reshape(-1)
        i += a.size
    return out


def _scatter(flat: _onp.ndarray, outs: Sequence[Any], mirrors: Sequence[Any] | None = None) -> None:
    """Give each of *outs* its part of *flat* (a fresh buffer of ours: no copy); each
    mirror (an array or None per out) takes the same values, sharing the buffer (a
    later in-place write of either copies first)."""
    from ..ndarray.ndarray import assign

    i = 0
    for j, o in enumerate(outs):
        part = flat[i:i + o.size].reshape(o.shape)
        i += o.size
        if part.dtype != o.dtype:
            part = part.astype(o.dtype)
        part = _to_device(part, o.device)
        m = mirrors[j] if mirrors is not None else None
        if m is None:
            assign(o, part)
        else:
            assign(o, part, shared=True)
            assign(m, part if m.dtype == part.dtype else part.astype(m.dtype), shared=True)


def _group_dtype(arrays: Sequence[Any], what: str) -> _onp.dtype:
    dtypes = {_onp.dtype(a.dtype) for a in arrays}
    if len(dtypes) != 1:
        raise DistError(f"{what}: arrays fused into one message must share a dtype, got "
                        f"{sorted(str(d) for d in dtypes)}")
    dt = dtypes.pop()
    return _REDUCE_AS.get(dt, dt)


# ------------------------------------------------------------------------- the ops
def _run_allreduce(srcs: list, outs: list, what: str, desc: str,
                   mirrors: list | None = None) -> None:
    dtype = _group_dtype(srcs, what)
    flat = _flat(srcs, dtype)
    result = _onp.empty_like(flat)

    def payload(w: World) -> None:
        if w.size > 1:
            w.data.Allreduce(flat, result, op=w.MPI.SUM)
        else:
            result[...] = flat

    _run(what, desc, payload)
    _scatter(result, outs, mirrors)


def allreduce(arrays: Sequence[Any], outs: Sequence[Any] | None = None, keys: Any = None,
              priority: int = 0, name: str = "allreduce",
              mirrors: Sequence[Any] | None = None) -> list:
    """Push one op that sums *arrays* over the ranks (fused into one message) and writes
    the sums into *outs* (new arrays when None, returned).  *mirrors* (an array or None
    per out, same shape) get the sums too, sharing the outs' buffers: no copy.
    Returns at once."""
    from ..ndarray.ndarray import _new

    arrays = list(arrays)
    if not arrays:
        return []
    if outs is None:
        outs = [_new(a.shape, a.dtype, a.device) for a in arrays]
    outs = list(outs)
    for a, o in zip(arrays, outs):
        if a.shape != o.shape:
            raise DistError(f"{name}: output shape {o.shape} does not match the input's "
                            f"{a.shape} on {a.device}")
    writes = [o._var for o in outs]
    if mirrors is not None:
        mirrors = list(mirrors)
        for m, o in zip(mirrors, outs):
            if m is not None:
                if m.shape != o.shape:
                    raise DistError(f"{name}: mirror shape {m.shape} does not match the "
                                    f"output's {o.shape} on {o.device}")
                writes.append(m._var)
    desc = f"allreduce {describe(arrays, keys)}"
    _group_dtype(arrays, name)
    push_collective(_partial(_run_allreduce, arrays, outs, name, desc, mirrors),
                    [a._var for a in arrays], writes, name, priority)
    return outs


def _run_broadcast(srcs: list, outs: list, root: int, what: str, desc: str) -> None:
    dtype = _group_dtype(srcs, what)
    flat = _flat(srcs, dtype)
    if len(srcs) == 1:
        flat = flat.copy()         # Bcast writes in place; the input stays as it was

    def payload(w: World) -> None:
        if w.size > 1:
            w.data.Bcast(flat, root=root)

    _run(what, desc, payload)
    _scatter(flat, outs)


def broadcast(arrays: Sequence[Any], outs: Sequence[Any] | None = None, root: int = 0,
              keys: Any = None, priority: int = 0, name: str = "broadcast") -> list:
    """Push one op that gives *outs* (new arrays when None, returned) rank *root*'s
    values of *arrays*.  Every rank passes arrays of the same shapes and dtypes."""
    from ..ndarray.ndarray import _new

    arrays = list(arrays)
    w = world()
    if not isinstance(root, int) or not 0 <= root < w.size:
        raise DistError(f"{name}: root must be a rank in [0, {w.size}), got {root!r}")
    if outs is None:
        outs = [_new(a.shape, a.dtype, a.device) for a in arrays]
    outs = list(outs)
    desc = f"broadcast from {root}: {describe(arrays, keys)}"
    _group_dtype(arrays, name)
    push_collective(_partial(_run_broadcast, arrays, outs, root, name, desc),
                    [a._var for a in arrays], [o._var for o in outs], name, priority)
    return outs


def _run_barrier(what: str) -> None:
    def payload(w: World) -> None:
        if w.size > 1:
            w.data.Barrier()

    _run(what, "barrier", payload)


def barrier(name: str = "barrier") -> None:
    """Wait until every rank has reached its barrier (and every collective pushed
    before it has run).  A failed or departed rank makes it raise, as a timeout does."""
    done = engine.new_var("barrier")
    push_collective(_partial(_run_barrier, name), (), (done,), name)
    engine.wait_for_var(done)
