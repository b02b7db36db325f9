"""Records -> Chrome trace event JSON (opens in Perfetto and chrome://tracing).

Layout: a process per device (its worker and copy-worker threads), and a "front end"
process whose threads are the Python threads that pushed ops, ran ops themselves while
waiting (helping), or used the profiling objects (Task, Marker...).  One complete event
(``ph: X``) per op with its shapes, dtypes and push-to-start latency in ``args``; flow
events (``ph: s`` / ``f``) for the dependencies between ops; counters (``ph: C``) of ops
and bytes in flight per device; metadata events (``ph: M``) naming processes and threads.
Timestamps are microseconds from the profiler's start.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from .kinds import op_kind
from .recorder import OpRecord, describe

__all__ = ["build_trace", "FRONT_END", "lane_label"]

FRONT_END = "front end"
_WORKER = re.compile(r"^ndengine-(?P<dev>.+?)(?P<copy>/copy)?-(?P<idx>\d+)$")


def lane_label(thread: str | None) -> tuple[str, str, int]:
    """``(process, thread label, sort index)`` of an engine or front-end thread name."""
    m = _WORKER.match(thread or "")
    if m is None:
        return FRONT_END, thread or "unknown thread", -1
    idx = int(m.group("idx"))
    if m.group("copy"):
        return m.group("dev"), f"copy worker {idx}", 1000 + idx
    return m.group("dev"), f"worker {idx}", idx


class _Lanes:
    """Assigns pids to processes and tids to threads, and writes their metadata."""

    def __init__(self, devices: Iterable[str]) -> None:
        self.pids: dict[str, int] = {FRONT_END: 1}
        for d in sorted(set(devices)):
            self.process(d)
        self.tids: dict[tuple[int, str], int] = {}
        self.sort: dict[tuple[int, int], int] = {}
        self.front_order = 0

    def process(self, name: str) -> int:
        pid = self.pids.get(name)
        if pid is None:
            pid = self.pids[name] = len(self.pids) + 1
        return pid

    def lane(self, thread: str | None) -> tuple[int, int]:
        proc, label, order = lane_label(thread)
        pid = self.process(proc)
        tid = self.tids.get((pid, label))
        if tid is None:
            tid = self.tids[(pid, label)] = len(self.tids) + 1
            if order < 0:                       # front-end threads in order of appearance
                order = self.front_order
                self.front_order += 1
            self.sort[(pid, tid)] = order
        return pid, tid

    def metadata(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for name, pid in self.pids.items():
            out.append({"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                        "args": {"name": name}})
            out.append({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0,
                        "args": {"sort_index": pid}})
        for (pid, label), tid in self.tids.items():
            out.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                        "args": {"name": label}})
            out.append({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid,
                        "args": {"sort_index": self.sort[(pid, tid)]}})
        return out


def _site(site: Any, cache: dict[Any, str | None]) -> str | None:
    if site is None:
        return None
    s = cache.get(site, False)
    if s is False:
        try:
            from ..engine import site_location
            loc = site_location(site)
            s = f"{loc[0]}:{loc[1]}" if loc else None
        except Exception:
            s = None
        cache[site] = s
    return s


def _span_args(r: OpRecord, kind: str, sites: dict[Any, str | None]) -> dict[str, Any]:
    args: dict[str, Any] = {
        "id": r.id,
        "device": str(r.device),
        "kind": kind,
        "inputs": [describe(m) for _, _, m in r.inputs if m is not None],
        "outputs": [describe(m) for _, m in r.outputs if m is not None],
        "push_to_start_us": round((r.t_start - r.t_push) * 1e6, 3),
        "pushed_by": r.push_thread,
    }
    if r.nbytes:
        args["bytes"] = r.nbytes
    deps = sorted({d for d, _ in r.deps})
    if deps:
        args["deps"] = deps
    if r.consts:
        args["scalars"] = [c if isinstance(c, (int, float, bool)) else repr(c)
                           for c in r.consts[:8]]
    if r.priority:
        args["priority"] = r.priority
    if r.error:
        args["error"] = r.error
    if isinstance(r.info, dict):
        for k, v in r.info.items():
            args.setdefault(str(k), v if isinstance(v, (int, float, str, list)) else repr(v))
    site = _site(r.site, sites)
    if site:
        args["pushed_at"] = site
    return args


def build_trace(records: list[OpRecord], user_events: list[dict[str, Any]], t0: float, *,
                api: bool = True, memory: bool = True,
                other: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Chrome trace (a dict with ``traceEvents``) of the finished *records* (the
    counters count the unfinished ones too)."""
    def us(t: float) -> float:
        return round((t - t0) * 1e6, 3)

    done = [r for r in records if r.t_end is not None]
    lanes = _Lanes([str(r.device) for r in records])
    events: list[dict[str, Any]] = []
    where: dict[int, tuple[int, int, float, float]] = {}   # id -> pid, tid, ts, end
    sites: dict[Any, str | None] = {}
    for r in done:
        pid, tid = lanes.lane(r.thread)
        ts = us(r.t_start)
        end = us(r.t_end)
        kind = op_kind(r.name, r.copy)
        events.append({"name": r.full_name, "cat": "operator", "ph": "X", "ts": ts,
                       "dur": round(end - ts, 3), "pid": pid, "tid": tid,
                       "args": _span_args(r, kind, sites)})
        where[r.id] = (pid, tid, ts, end)
        if api:
            ppid, ptid = lanes.lane(r.push_thread)
            events.append({"name": f"push {r.full_name}", "cat": "push", "ph": "i", "s": "t",
                           "ts": us(r.t_push), "pid": ppid, "tid": ptid,
                           "args": {"id": r.id}})
    events.extend(_flows(done, where))
    events.extend(_counters(records, lanes, us, memory))
    events.extend(_user_events(user_events, lanes, us))
    events.sort(key=lambda e: e["ts"])
    meta = {"ndengine_ops": len(done), "ndengine_unfinished": len(records) - len(done)}
    meta.update(other or {})
    return {"traceEvents": lanes.metadata() + events, "displayTimeUnit": "ms",
            "otherData": meta}


def _mid(ts: float, end: float) -> float:
    return round(ts + (end - ts) / 2, 3)


def _flows(done: list[OpRecord], where: dict[int, tuple[int, int, float, float]]
           ) -> list[dict[str, Any]]:
    """A flow (s at the producer, f at the consumer, bound to their spans) per dependency."""
    out: list[dict[str, Any]] = []
    fid = 0
    for r in done:
        seen: set[int] = set()
        for dep, kind in r.deps:
            src = where.get(dep)
            if src is None or dep in seen:
                continue
            seen.add(dep)
            dst = where[r.id]
            fid += 1
            out.append({"name": kind, "cat": "dependency", "ph": "s", "id": fid,
                        "pid": src[0], "tid": src[1], "ts": _mid(src[2], src[3]),
                        "args": {"from": dep, "to": r.id}})
            out.append({"name": kind, "cat": "dependency", "ph": "f", "bp": "e", "id": fid,
                        "pid": dst[0], "tid": dst[1], "ts": _mid(dst[2], dst[3]),
                        "args": {"from": dep, "to": r.id}})
    return out


def _counters(records: list[OpRecord], lanes: _Lanes, us: Any, memory: bool
              ) -> list[dict[str, Any]]:
    """Ops and output bytes in flight (pushed, not finished) per device, at every push
    and every end."""
    steps: list[tuple[float, int, str, int, int]] = []
    for r in records:
        dev = str(r.device)
        steps.append((r.t_push, 1, dev, 1, r.nbytes))
        if r.t_end is not None:
            steps.append((max(r.t_end, r.t_push), 0, dev, -1, -r.nbytes))
    steps.sort(key=lambda s: (s[0], s[1]))
    level: dict[str, list[int]] = {}
    out: list[dict[str, Any]] = []
    for t, _, dev, dn, db in steps:
        cur = level.setdefault(dev, [0, 0])
        cur[0] += dn
        cur[1] += db
        n, nbytes = cur
        pid = lanes.process(dev)
        ts = us(t)
        out.append({"name": "ops in flight", "ph": "C", "ts": ts, "pid": pid, "tid": 0,
                    "args": {"ops": n}})
        if memory:
            out.append({"name": "bytes in flight", "ph": "C", "ts": ts, "pid": pid, "tid": 0,
                        "args": {"bytes": nbytes}})
    return out


def _user_events(user_events: list[dict[str, Any]], lanes: _Lanes, us: Any
                 ) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for e in user_events:
        pid, tid = lanes.lane(e["thread"])
        ev = {"name": e["name"], "cat": e.get("cat", "user"), "ph": e["ph"], "ts": us(e["t"]),
              "pid": pid, "tid": tid}
        if e["ph"] == "X":
            ev["dur"] = round(us(e["t_end"]) - ev["ts"], 3)
        elif e["ph"] == "i":
            ev["s"] = e.get("s", "t")
        elif e["ph"] == "C":
            ev["tid"] = 0
        if e.get("args"):
            ev["args"] = e["args"]
        out.append(ev)
    return out
