"""Shared helpers for the profiler tests: a clean profiler per test, and a checker of
the Chrome trace event format."""
from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from ndengine import engine, profiler
from ndengine.engine import HOOKS
from ndengine.profiler import core


def _reset() -> None:
    prof = core.PROFILER
    prof.set_state("stop")
    prof.paused = False
    engine.wait_all()
    rec = prof.rec
    with rec.lock:
        rec.records = []
        rec.by_id = {}
        rec.user_events = []
        rec.ended.clear()
        rec.stats = {}
    prof.config = dict(core.DEFAULT_CONFIG)
    prof._apply()


@pytest.fixture
def prof(tmp_path: Any) -> Iterator[Any]:
    """The profiler, stopped and empty, writing to a temporary file."""
    _reset()
    profiler.set_config(filename=str(tmp_path / "profile.json"))
    yield profiler
    _reset()
    assert core.PROFILER.rec not in HOOKS._subs


def record(fn: Any, **config: Any) -> dict[str, Any]:
    """Run *fn* with the profiler on (then wait for everything) and return the trace as
    written by dump() and read back."""
    if config:
        profiler.set_config(**config)
    profiler.set_state("run")
    try:
        fn()
        engine.wait_all()
    finally:
        profiler.set_state("stop")
    path = profiler.dump()
    with open(path) as f:
        return json.load(f)


# ------------------------------------------------------------------------ format checks
_REQUIRED = {
    "X": ("name", "ph", "ts", "dur", "pid", "tid"),
    "B": ("name", "ph", "ts", "pid", "tid"),
    "E": ("ph", "ts", "pid", "tid"),
    "i": ("name", "ph", "ts", "pid", "tid", "s"),
    "C": ("name", "ph", "ts", "pid", "args"),
    "M": ("name", "ph", "pid", "args"),
    "s": ("name", "cat", "ph", "id", "ts", "pid", "tid"),
    "f": ("name", "cat", "ph", "id", "ts", "pid", "tid"),
}


def check_trace_format(trace: dict[str, Any]) -> None:
    """Assert *trace* follows the Chrome trace event format (JSON object form)."""
    assert isinstance(trace, dict) and isinstance(trace["traceEvents"], list)
    json.loads(json.dumps(trace))                      # plain JSON types only
    for e in trace["traceEvents"]:
        ph = e.get("ph")
        assert ph in _REQUIRED, e
        for key in _REQUIRED[ph]:
            assert key in e, (key, e)
        if "ts" in e:
            assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
        if ph == "X":
            assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
        if ph == "i":
            assert e["s"] in ("g", "p", "t"), e
        if ph == "C":
            assert all(isinstance(v, (int, float)) for v in e["args"].values()), e
        if ph == "M":
            assert e["name"] in ("process_name", "thread_name", "process_sort_index",
                                 "thread_sort_index", "process_labels"), e
        if ph == "f":
            assert e.get("bp") == "e", e
    check_nesting(trace)
    check_flows_bound(trace)


def spans(trace: dict[str, Any], cat: str = "operator") -> list[dict[str, Any]]:
    return [e for e in trace["traceEvents"] if e["ph"] == "X" and e.get("cat") == cat]


def check_nesting(trace: dict[str, Any], eps: float = 1e-3) -> None:
    """Complete events on one thread nest: none partially overlaps another."""
    lanes: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for e in trace["traceEvents"]:
        if e["ph"] == "X":
            lanes.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
    for lane, evs in lanes.items():
        evs.sort(key=lambda se: (se[0], -se[1]))
        stack: list[float] = []
        for start, end in evs:
            while stack and start >= stack[-1] - eps:
                stack.pop()
            if stack:
                assert end <= stack[-1] + eps, f"partial overlap on {lane}: {start}..{end}"
            stack.append(end)


def check_flows_bound(trace: dict[str, Any], eps: float = 1e-3) -> None:
    """Every flow start/finish lies inside a complete event of its thread, and every
    id has exactly one start and one finish."""
    lanes: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for e in trace["traceEvents"]:
        if e["ph"] == "X":
            lanes.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
    ends: dict[Any, list[str]] = {}
    for e in trace["traceEvents"]:
        if e["ph"] in ("s", "f"):
            ends.setdefault(e["id"], []).append(e["ph"])
            inside = [se for se in lanes.get((e["pid"], e["tid"]), [])
                      if se[0] - eps <= e["ts"] <= se[1] + eps]
            assert inside, f"flow event not bound to a slice: {e}"
    for fid, phs in ends.items():
        assert sorted(phs) == ["f", "s"], (fid, phs)


def span_at(trace: dict[str, Any], e: dict[str, Any]) -> dict[str, Any]:
    """The op span a flow event is bound to (innermost containing slice)."""
    cands = [x for x in spans(trace) if x["pid"] == e["pid"] and x["tid"] == e["tid"]
             and x["ts"] - 1e-3 <= e["ts"] <= x["ts"] + x["dur"] + 1e-3]
    return min(cands, key=lambda x: x["dur"])


def names_of(trace: dict[str, Any]) -> tuple[dict[int, str], dict[tuple[int, int], str]]:
    procs: dict[int, str] = {}
    threads: dict[tuple[int, int], str] = {}
    for e in trace["traceEvents"]:
        if e["ph"] == "M" and e["name"] == "process_name":
            procs[e["pid"]] = e["args"]["name"]
        elif e["ph"] == "M" and e["name"] == "thread_name":
            threads[(e["pid"], e["tid"])] = e["args"]["name"]
    return procs, threads
