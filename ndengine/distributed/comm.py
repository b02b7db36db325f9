"""Collectives as engine ops, on a communication worker of their own.

Each collective is one engine op that reads its input arrays' vars and writes its output
arrays' vars, like any array op, so it runs once the gradients it reduces are computed
and the ops that use its results wait for it.  Two things are special:

* **Its own worker.**  The ops run on :data:`COMM_DEVICE` (``cpu_shared(0)``, a device
  no array lives on), so the engine gives them a worker thread of their own: a rank
  waiting for the others never holds a compute worker.  (The engine schedules onto
  ``Device`` handles only; ``cpu_shared`` is the one CPU-like type arrays never use.
  A waiting front-end thread never runs a collective itself (``cpu_shared`` is not
  inline_ok): an op interrupted there by a Ctrl-C would be queued again and send its
  message twice.  So every collective pays the hand-off to the communication worker.)
* **One order on every rank.**  MPI matches collectives by their order, so every
  collective also writes :data:`COMM_VAR`: the engine then runs them one at a time in
  push order, and every rank pushes them in the same order (the same program), whatever
  order their inputs become ready in.  The Trainer pushes the last layer's gradients
  first, the order backward produces them, so this costs no overlap.

How one collective runs (:func:`_run`): the ranks first exchange a 16-byte *header*
(the collective's number and the 64-bit hash of its *signature*: op, keys, shapes,
dtypes; the signature's text and hash are made on its first use only) with a
non-blocking ``Iallgather`` that the op polls (:func:`_wait`), with a deadline
(``NDENGINE_DIST_TIMEOUT``) and while watching for notices of ranks that failed or
exited (:mod:`.world`).  This is where a rank waits for a slower one.  Once every rank
is there and agrees, the payload moves with a blocking ``Allreduce`` / ``Bcast`` (the
GIL released): MPICH progresses a non-blocking collective only inside MPI calls, and
a polled ``Iallreduce`` ran at 0.1x (64 KB) to 0.5x (1 MB) the speed of the blocking
call here (2 ranks, polling with ``sleep(0)``); the header itself costs 2.5-4 us
(raw mpi4py, 2 ranks), a few percent of a 64 KB allreduce.  A rank can no longer fail
between the header and the payload except by dying, and then the launcher ends the
job.  Ranks that disagree (another key, shape or dtype, another op, another number of
fused keys) see different headers; every rank then sees the same rows, so all of them
exchange the signatures' texts and raise the same error naming what each rank
pushed; none sends a payload.  An error in the op is stored on its outputs and raised
at their next sync point, as for any op.

:func:`allgather` gives every rank every rank's arrays (rows of a new array); the
compressed kvstore sends its 2-bit codes with it (see :mod:`ndengine.kvstore.compression`).

Buffers: :func:`allreduce_inplace` (the kvstore's pushpull into the pushed arrays,
the Trainer's path) has MPI sum a single array in its own memory when nothing else
sees it, and fuses several into a pooled buffer they then view; :func:`allreduce`
(new output arrays) reduces into a pooled buffer the outputs view.
"""
from __future__ import annotations

import functools
import hashlib
import os
import sys
import time
from typing import Any, Callable, Sequence

import numpy as _onp

from .. import engine
from ..device import Device
from .world import DistError, DistTimeout, World, timeout, world

__all__ = ["COMM_DEVICE", "COMM_VAR", "allreduce", "allreduce_inplace", "allgather", "broadcast",
           "barrier",
           "push_collective", "describe", "signature"]

COMM_DEVICE = Device("cpu_shared", 0)
COMM_VAR = engine.new_var("distributed.comm")

# How a rank waits for the others (:func:`_wait`): it spins on ``Test`` (which releases
# the GIL) for ``NDENGINE_DIST_SPIN_US`` (default 20), then polls with a
# ``sched_yield`` between tests up to ``NDENGINE_DIST_YIELD_US`` (default 2000), then
# sleeps with a growing delay.  A yield gives the core at once to any thread waiting
# for one (the compute worker of this rank or of another rank on the same cores) and
# returns at once when there is none, so a wait keeps its latency without stealing a
# core; a sleep returns tens of microseconds late at best (much later on a loaded
# machine: every collective then pays a rescheduling), and a spin keeps the core from
# the computation a slower peer is still doing.
def _env_us(name: str, default_us: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return max(0.0, float(raw) * 1e-6) if raw else default_us * 1e-6
    except ValueError:
        raise DistError(f"{name} must be a number of microseconds, got {raw!r}") from None


def _spin_s() -> float:
    return _env_us("NDENGINE_DIST_SPIN_US", 20)


_SPIN_S = _spin_s()
_YIELD_S = _env_us("NDENGINE_DIST_YIELD_US", 2000)
_partial = functools.partial
_sched_yield = getattr(os, "sched_yield", None) or functools.partial(time.sleep, 0)
_getrefcount = sys.getrefcount


def describe(arrays: Sequence[Any], keys: Sequence[Any] | None = None) -> str:
    """``key: shape dtype`` of each array (what the ranks must agree on)."""
    if keys is None:
        keys = range(len(arrays))
    return ", ".join(f"{k!r}: {tuple(a.shape)} {a.dtype}" for k, a in zip(keys, arrays))


# A collective's *signature*: its op and the keys, shapes and dtypes it moves.  Its text
# and 64-bit hash are made on its first use only (the Trainer repeats the same few every
# step); the header exchanged then carries the collective's number and the hash.
_SIGS: dict[tuple, tuple[int, str]] = {}
_SIGS_MAX = 4096


def signature(op: str, arrays: Sequence[Any], keys: Sequence[Any] | None = None) -> tuple[int, str]:
    """``(hash, text)`` of a collective (*op*, e.g. ``"allreduce"``, and what it moves)."""
    k = (op, None if keys is None else tuple(keys), tuple([a._shape for a in arrays]),
         tuple([a._dtype for a in arrays]))
    try:
        return _SIGS[k]
    except KeyError:
        pass
    except TypeError:             # an unhashable key: no cache
        k = None
    text = f"{op} {describe(arrays, keys)}" if arrays else op
    h = int.from_bytes(hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=8).digest(),
                       "little", signed=True)
    if k is not None:
        if len(_SIGS) >= _SIGS_MAX:
            _SIGS.clear()
        _SIGS[k] = (h, text)
    return h, text


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
    """Poll *req* until done: spin for :data:`_SPIN_S`, then yield the core between
    tests until :data:`_YIELD_S`, then sleep with a growing delay (at most 250 us), so
    a rank that waits long for a slower one leaves the cores to the computation it
    overlaps; watch for notices every millisecond; give up at the deadline."""
    test = req.Test
    if test():
        return
    perf = time.perf_counter
    t0 = perf()
    spin, yield_s = _SPIN_S, _YIELD_S
    limit = None                 # read at the first poll: most waits end before
    next_poll = t0 + 1e-3
    while not test():
        now = perf()
        elapsed = now - t0
        if elapsed < spin:
            continue
        if now >= next_poll:
            next_poll = now + 1e-3
            w.poll_notices()
            _check_gone(w, what)
            if limit is None:
                limit = timeout()
            if elapsed > limit:
                raise DistTimeout(
                    f"{what}: the other ranks did not join within {limit:g} s "
                    f"(NDENGINE_DIST_TIMEOUT) at rank {w.rank}'s collective "
                    f"#{w.completed + 1} (host {w.host}); a rank may hang, have exited "
                    f"without notice, or push collectives in another order")
        if elapsed < yield_s:
            _sched_yield()
        else:
            time.sleep(min(2.5e-4, elapsed / 8))


def _agree(w: World, what: str, sig: tuple[int, str]) -> None:
    """The header exchange: every rank is at this collective and pushes the same thing.
    16 bytes per rank (the collective's number, the signature's hash), polled; the
    texts move only when the headers differ (every rank then sees the same rows, so
    every rank takes part in that second exchange), to name what each rank pushed."""
    w.poll_notices()
    _check_gone(w, what)
    seq = w.completed + 1
    bufs = w.header_buffers
    if bufs is None or w.inflight:
        # (buffers of an exchange left incomplete by an error are not reused)
        bufs = w.header_buffers = (_onp.empty(2, dtype=_onp.int64),
                                   _onp.empty((w.size, 2), dtype=_onp.int64))
    mine, rows = bufs
    mine[0] = seq
    mine[1] = sig[0]
    w.inflight = True
    req = w.data.Iallgather(mine, rows)
    _wait(w, req, what)
    w.inflight = False
    if rows.tobytes() == mine.tobytes() * w.size:
        return
    w.inflight = True
    texts = w.data.allgather(sig[1])
    w.inflight = False
    w.completed += 1           # every rank saw the same rows: all stay in step
    lines = "; ".join(f"rank {r}: #{int(rows[r, 0])} {texts[r]}" for r in range(w.size))
    raise DistError(f"{what}: the ranks disagree on collective #{seq} (keys, shapes, "
                    f"dtypes or op differ): {lines}")


def _run(what: str, sig: tuple[int, str], payload: Callable[[World], None]) -> None:
    """The body of every collective op (see the module notes)."""
    w = world()
    if w.size > 1:
        _agree(w, what, sig)
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
    _gather(arrays, out)
    return out


def _gather(arrays: Sequence[Any], out: _onp.ndarray) -> None:
    i = 0
    for a in arrays:
        n = a.size
        out[i:i + n] = _host(a._data).reshape(-1)
        i += n


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


def _own_buffer(a: Any) -> _onp.ndarray | None:
    """*a*'s host buffer, to be written in place by an op that writes a's var: C-order
    memory no other array sees (None when there is none: a device array, a buffer
    shared or not contiguous).  An array flagged shared whose buffer nobody else
    references any more (a gradient adopts backward's temporary, which is gone by
    now) is its sole owner again: ``sys.getrefcount`` counts every array and view
    holding the buffer."""
    from ..ndarray.ndarray import writable

    if a._family is not None:
        buf = writable(a)             # a view or a viewed root: the family's memory
        return buf if (buf.__class__ is _onp.ndarray and buf.flags.c_contiguous) else None
    buf = a._data
    if (buf.__class__ is not _onp.ndarray or buf.base is not None
            or not buf.flags.writeable or not buf.flags.c_contiguous):
        return None
    if a._shared:
        if _getrefcount(buf) > 3:     # a._data, buf, the call's argument
            return None
        a._shared = False
    return buf


# The buffers fused messages are summed in (and allreduce into new arrays' results):
# the arrays then take views of one, so a buffer whose only reference left is the
# pool's is free again (its arrays are gone or hold other buffers now) and is reused
# instead of a fresh one with its page faults (~1.5 ms for 4 MB here).  The Trainer's
# steps alternate between two: the store keeps the last step's sums.
_POOL: dict[tuple[int, Any], list] = {}
_POOL_BYTES = [0]
_POOL_MAX_BYTES = 64 << 20
_POOL_PER_SIZE = 4


def _result_buffer(n: int, dtype: _onp.dtype) -> _onp.ndarray:
    bufs = _POOL.get((n, dtype))
    if bufs is None:
        bufs = _POOL[(n, dtype)] = []
    for buf in bufs:
        if _getrefcount(buf) <= 3:      # the list, buf, the call's argument
            return buf
    buf = _onp.empty(n, dtype=dtype)
    if len(bufs) < _POOL_PER_SIZE and _POOL_BYTES[0] + buf.nbytes <= _POOL_MAX_BYTES:
        bufs.append(buf)
        _POOL_BYTES[0] += buf.nbytes
    return buf


# ------------------------------------------------------------------------- the ops
def _run_allreduce(srcs: list, outs: list, what: str, sig: tuple[int, str],
                   mirrors: list | None = None) -> None:
    dtype = _group_dtype(srcs, what)
    result = _result_buffer(sum(a.size for a in srcs), dtype)
    if len(srcs) > 1:
        _gather(srcs, result)           # reduced in place
        flat = result
    else:
        flat = _flat(srcs, dtype)

    def payload(w: World) -> None:
        if w.size > 1:
            if result is flat:
                w.data.Allreduce(w.MPI.IN_PLACE, flat, op=w.MPI.SUM)
            else:
                w.data.Allreduce(flat, result, op=w.MPI.SUM)
        elif result is not flat:
            result[...] = flat

    _run(what, sig, payload)
    _scatter(result, outs, mirrors)


def allreduce(arrays: Sequence[Any], outs: Sequence[Any] | None = None, keys: Any = None,
              priority: int = 0, name: str = "allreduce",
              mirrors: Sequence[Any] | None = None) -> list:
    """Push one op that sums *arrays* over the ranks (fused into one message) and writes
    the sums into *outs* (new arrays when None, returned).  *mirrors* (an array or None
    per out, same shape) get the sums too, sharing the outs' buffers: no copy.
    Returns at once.  (To sum arrays into themselves, see :func:`allreduce_inplace`.)"""
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
    _group_dtype(arrays, name)
    sig = signature("allreduce", arrays, keys)
    push_collective(_partial(_run_allreduce, arrays, outs, name, sig, mirrors),
                    [a._var for a in arrays], writes, name, priority)
    return outs


def _run_allreduce_inplace(arrays: list, what: str, sig: tuple[int, str],
                           mirrors: list | None) -> None:
    from ..ndarray.ndarray import adopt, assign

    w = world()
    dtype = _group_dtype(arrays, what)
    own = None
    if len(arrays) == 1:
        own = _own_buffer(arrays[0])
        if own is not None and own.dtype != dtype:
            own = None
    if own is not None:
        # one array, its own memory: MPI sums straight into it (no copy, no new buffer)
        flat = own.reshape(-1)
    else:
        flat = _result_buffer(sum(a.size for a in arrays), dtype)
        _gather(arrays, flat)

    def payload(w: World) -> None:
        if w.size > 1:
            w.data.Allreduce(w.MPI.IN_PLACE, flat, op=w.MPI.SUM)

    _run(what, sig, payload)
    if own is None:
        _scatter(flat, arrays)          # views of the pooled buffer: no copy back
    if mirrors is not None:
        for a, m in zip(arrays, mirrors):
            if m is None:
                continue
            if m.dtype == a.dtype and m.device is a.device:
                adopt(m, a)                   # one buffer, two arrays: writes copy first
            else:
                assign(m, _to_device(_host(a._data).astype(m.dtype), m.device))


def allreduce_inplace(arrays: Sequence[Any], keys: Any = None, priority: int = 0,
                      name: str = "allreduce", mirrors: Sequence[Any] | None = None) -> list:
    """Push one op that replaces each of *arrays* by its sum over the ranks (fused into
    one message).  A single C-order array MPI sums in its own memory; several are
    copied into a pooled buffer, summed there, and each array takes a view of its part.
    *mirrors* (an array or None per array, same shape) get the sums too, sharing the
    buffers.  Returns *arrays* at once."""
    arrays = list(arrays)
    if not arrays:
        return []
    vars_ = [a._var for a in arrays]
    if len(set(map(id, vars_))) != len(vars_):
        raise DistError(f"{name}: an array is listed twice")
    writes = list(vars_)
    if mirrors is not None:
        mirrors = list(mirrors)
        if len(mirrors) != len(arrays):
            raise DistError(f"{name}: {len(arrays)} arrays need {len(arrays)} mirrors, got "
                            f"{len(mirrors)}")
        for m, a in zip(mirrors, arrays):
            if m is not None:
                if m.shape != a.shape:
                    raise DistError(f"{name}: mirror shape {m.shape} does not match the "
                                    f"array's {a.shape} on {a.device}")
                writes.append(m._var)
    _group_dtype(arrays, name)
    sig = signature("allreduce", arrays, keys)
    # reads and writes the arrays: an array whose producer failed skips the op
    push_collective(_partial(_run_allreduce_inplace, arrays, name, sig, mirrors),
                    vars_, writes, name, priority)
    return arrays


def _run_broadcast(srcs: list, outs: list, root: int, what: str, sig: tuple[int, str]) -> None:
    dtype = _group_dtype(srcs, what)
    flat = _flat(srcs, dtype)
    if len(srcs) == 1:
        flat = flat.copy()         # Bcast writes in place; the input stays as it was

    def payload(w: World) -> None:
        if w.size > 1:
            w.data.Bcast(flat, root=root)

    _run(what, sig, payload)
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
    _group_dtype(arrays, name)
    sig = signature(f"broadcast from {root}:", arrays, keys)
    push_collective(_partial(_run_broadcast, arrays, outs, root, name, sig),
                    [a._var for a in arrays], [o._var for o in outs], name, priority)
    return outs


def _run_allgather(srcs: list, outs: list, what: str, sig: tuple[int, str]) -> None:
    from ..ndarray.ndarray import assign

    w = world()
    flat = _flat(srcs, _onp.dtype(srcs[0].dtype))     # read only: MPI sends from it
    rows = _onp.empty((w.size, flat.size), dtype=flat.dtype)

    def payload(w: World) -> None:
        if w.size > 1:
            w.data.Allgather(flat, rows)
        else:
            rows[0] = flat

    _run(what, sig, payload)
    i = 0
    for o in outs:
        n = o.size // w.size
        assign(o, _to_device(rows[:, i:i + n].reshape(o.shape), o.device))
        i += n


def allgather(arrays: Sequence[Any], keys: Any = None, priority: int = 0,
              name: str = "allgather", tag: str = "") -> list:
    """Push one op that gathers every rank's *arrays* (of one dtype, fused into one
    message): for each array a new one of shape ``(size,) + shape`` whose row *r* holds
    rank *r*'s values (the rows of a fused message view one buffer).  *tag* joins the
    signature the ranks must agree on (e.g. how the values are encoded).  Returns at
    once."""
    from ..ndarray.ndarray import _new

    arrays = list(arrays)
    if not arrays:
        return []
    dtypes = {_onp.dtype(a.dtype) for a in arrays}
    if len(dtypes) != 1:
        raise DistError(f"{name}: arrays fused into one message must share a dtype, got "
                        f"{sorted(str(d) for d in dtypes)}")
    n = world().size
    outs = [_new((n,) + tuple(a.shape), a.dtype, a.device) for a in arrays]
    sig = signature(f"allgather{tag}", arrays, keys)
    push_collective(_partial(_run_allgather, arrays, outs, name, sig),
                    [a._var for a in arrays], [o._var for o in outs], name, priority)
    return outs


_BARRIER_SIG = signature("barrier", ())


def _run_barrier(what: str) -> None:
    def payload(w: World) -> None:
        if w.size > 1:
            w.data.Barrier()

    _run(what, _BARRIER_SIG, payload)


def barrier(name: str = "barrier") -> None:
    """Wait until every rank has reached its barrier (and every collective pushed
    before it has run).  A failed or departed rank makes it raise, as a timeout does."""
    done = engine.new_var("barrier")
    push_collective(_partial(_run_barrier, name), (), (done,), name)
    engine.wait_for_var(done)
