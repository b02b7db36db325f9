"""A timeline picture of a Chrome trace written by ndengine's profiler (matplotlib).

One lane per thread: the front end's first (the Python threads that pushed ops, with a
tick per push, and the ops they ran themselves while waiting), then each device's
workers and copy workers.  Ops are coloured by kind (compute, copy, random, creation,
view); below, an optional panel of the ops in flight per device.  matplotlib (the
``demo`` extra) is imported only here, and without pyplot, so the caller's backend is
left alone.
"""
from __future__ import annotations

import json
import os
from typing import Any

from ..base import optional_import
from .kinds import KIND_COLORS, op_kind
from .trace import FRONT_END

__all__ = ["render_timeline", "load_trace", "timeline_lanes"]


def load_trace(source: Any) -> dict[str, Any]:
    """A trace dict from a dict, a JSON string path, or an open file."""
    if isinstance(source, dict):
        return source
    if hasattr(source, "read"):
        data = json.load(source)
    else:
        with open(os.fspath(source)) as f:
            data = json.load(f)
    if isinstance(data, list):          # the bare-array form of the format
        data = {"traceEvents": data}
    return data


def timeline_lanes(trace: dict[str, Any]) -> list[dict[str, Any]]:
    """The lanes (one per thread with op spans or pushes), in display order: each a dict
    with ``pid``, ``tid``, ``label``, ``front`` (a front-end thread?), ``spans`` (list of
    ``(ts, dur, kind, name)``, times in us) and ``pushes`` (list of ts in us)."""
    procs: dict[int, str] = {}
    psort: dict[int, int] = {}
    tnames: dict[tuple[int, int], str] = {}
    tsort: dict[tuple[int, int], int] = {}
    lanes: dict[tuple[int, int], dict[str, Any]] = {}
    for e in trace.get("traceEvents", []):
        ph = e.get("ph")
        if ph == "M":
            key = (e.get("pid"), e.get("tid"))
            name = e.get("name")
            arg = e.get("args", {})
            if name == "process_name":
                procs[e["pid"]] = arg.get("name", str(e["pid"]))
            elif name == "process_sort_index":
                psort[e["pid"]] = arg.get("sort_index", 0)
            elif name == "thread_name":
                tnames[key] = arg.get("name", str(e.get("tid")))
            elif name == "thread_sort_index":
                tsort[key] = arg.get("sort_index", 0)
        elif (ph == "X" and e.get("cat") == "operator") or (ph == "i" and e.get("cat") == "push"):
            key = (e["pid"], e["tid"])
            lane = lanes.get(key)
            if lane is None:
                lane = lanes[key] = {"pid": key[0], "tid": key[1], "spans": [], "pushes": []}
            if ph == "X":
                kind = e.get("args", {}).get("kind") or op_kind(e["name"])
                lane["spans"].append((float(e["ts"]), float(e.get("dur", 0.0)), kind,
                                      e["name"]))
            else:
                lane["pushes"].append(float(e["ts"]))
    for key, lane in lanes.items():
        proc = procs.get(key[0], f"process {key[0]}")
        thread = tnames.get(key, f"thread {key[1]}")
        lane["front"] = proc == FRONT_END
        lane["label"] = f"front end: {thread}" if lane["front"] else f"{proc} {thread}"
        lane["order"] = (0 if lane["front"] else 1, psort.get(key[0], key[0]),
                         tsort.get(key, key[1]), key[1])
    return sorted(lanes.values(), key=lambda lane: lane["order"])


def _counter_series(trace: dict[str, Any]) -> dict[str, list[tuple[float, float]]]:
    procs = {e["pid"]: e.get("args", {}).get("name", str(e["pid"]))
             for e in trace.get("traceEvents", [])
             if e.get("ph") == "M" and e.get("name") == "process_name"}
    series: dict[str, list[tuple[float, float]]] = {}
    for e in trace.get("traceEvents", []):
        if e.get("ph") == "C" and e.get("name") == "ops in flight":
            dev = procs.get(e["pid"], str(e["pid"]))
            series.setdefault(dev, []).append((float(e["ts"]), float(e["args"]["ops"])))
    for s in series.values():
        s.sort()
    return series


def _flow_segments(trace: dict[str, Any], lane_y: dict[tuple[int, int], float]
                   ) -> list[tuple[float, float, float, float]]:
    """``(x0, y0, x1, y1)`` in us per dependency flow whose ends lie on drawn lanes."""
    spans: dict[int, tuple[int, int, float, float]] = {}
    starts: dict[Any, Any] = {}
    ends: dict[Any, Any] = {}
    for e in trace.get("traceEvents", []):
        if e.get("ph") == "X" and e.get("cat") == "operator" and "id" in e.get("args", {}):
            spans[e["args"]["id"]] = (e["pid"], e["tid"], e["ts"], e["ts"] + e.get("dur", 0))
        elif e.get("ph") == "s" and e.get("cat") == "dependency":
            starts[e["id"]] = e.get("args", {}).get("from")
        elif e.get("ph") == "f" and e.get("cat") == "dependency":
            ends[e["id"]] = e.get("args", {}).get("to")
    out = []
    for fid, src in starts.items():
        a, b = spans.get(src), spans.get(ends.get(fid))
        if a is None or b is None:
            continue
        ya, yb = lane_y.get((a[0], a[1])), lane_y.get((b[0], b[1]))
        if ya is None or yb is None or ya == yb:
            continue                      # same lane: the order already shows it
        out.append((a[3], ya, b[2], yb))
    return out


def render_timeline(trace: Any, path: str, format: str | None = None,
                    size: tuple[int, int | None] = (1200, None), title: str | None = None,
                    start_ms: float | None = None, end_ms: float | None = None,
                    counters: bool = True, flows: bool = False, dpi: int = 100) -> str:
    """Draw *trace* (dict, path or file) as a timeline into *path* (``png``/``svg``/``pdf``,
    from the suffix unless *format* is given).  *size* is ``(width, height)`` in pixels
    (height None: from the number of lanes).  Returns *path*."""
    # lazily: matplotlib is the demo extra (a clear error naming it when it is missing)
    Figure = optional_import("matplotlib.figure", "drawing a profiler timeline").Figure
    from matplotlib.patches import Patch

    trace = load_trace(trace)
    fmt = (format or os.path.splitext(path)[1].lstrip(".") or "png").lower()
    lanes = timeline_lanes(trace)
    if not lanes:
        raise ValueError("timeline: the trace has no op spans (cat 'operator', ph 'X')")
    series = _counter_series(trace) if counters else {}
    t0 = min([s[0] for lane in lanes for s in lane["spans"]]
             + [p for lane in lanes for p in lane["pushes"]])
    t1 = max([s[0] + s[1] for lane in lanes for s in lane["spans"]]
             + [p for lane in lanes for p in lane["pushes"]])
    lo = start_ms if start_ms is not None else 0.0
    hi = end_ms if end_ms is not None else max((t1 - t0) / 1e3, 1e-3)
    width, height = size
    if height is None:
        height = 110 + 34 * len(lanes) + (120 if series else 0)
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    if series:
        ax, axc = fig.subplots(2, 1, sharex=True, gridspec_kw={
            "height_ratios": [max(1, len(lanes)), 1.6 if len(lanes) > 2 else 1.0]})
    else:
        ax, axc = fig.subplots(), None
    px = (hi - lo) / max(width * 0.8, 1)           # ~ one pixel of the axes, in ms
    min_w = 1.5 * px                               # at least ~1.5 px, so tiny ops show
    min_copy_w = 3.5 * px                          # copies wider: overlap is the point
    label_w = (hi - lo) / max(width, 1) * 6.5      # ~ width of a character of the labels
    kinds_seen: list[str] = []
    lane_y: dict[tuple[int, int], float] = {}
    n = len(lanes)
    for i, lane in enumerate(lanes):
        y = n - 1 - i
        lane_y[(lane["pid"], lane["tid"])] = y
        by_kind: dict[tuple[str, bool], list[tuple[float, float]]] = {}
        for ts, dur, kind, name in lane["spans"]:
            x, w = (ts - t0) / 1e3, max(dur / 1e3, min_copy_w if kind == "copy" else min_w)
            by_kind.setdefault((kind, w > 4 * min_w), []).append((x, w))
            if w > label_w * max(len(name), 3) and lo <= x + w / 2 <= hi:
                ax.text(x + w / 2, y, name, ha="center", va="center", fontsize=7,
                        color="white", clip_on=True)
        for (kind, wide), bars in by_kind.items():
            if kind not in kinds_seen:
                kinds_seen.append(kind)
            # a thin white edge separates ops run back to back; narrow bars go without
            ax.broken_barh(bars, (y - 0.38, 0.76), facecolors=KIND_COLORS.get(
                kind, KIND_COLORS["compute"]), edgecolors="white" if wide else "none",
                linewidth=0.4 if wide else 0)
        if lane["pushes"]:
            xs = [(p - t0) / 1e3 for p in lane["pushes"]]
            ax.vlines(xs, y + 0.40, y + 0.48, colors="#222222", linewidth=0.6)
    if flows:
        from matplotlib.collections import LineCollection

        segs = [[((x0 - t0) / 1e3, y0), ((x1 - t0) / 1e3, y1)]
                for x0, y0, x1, y1 in _flow_segments(trace, lane_y)]
        if segs:
            ax.add_collection(LineCollection(segs, colors="#444444", linewidths=0.5,
                                             alpha=0.35))
    ax.set_yticks(range(n))
    ax.set_yticklabels([lane["label"] for lane in reversed(lanes)], fontsize=9)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlim(lo, hi)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    handles = [Patch(color=KIND_COLORS.get(k, KIND_COLORS["compute"]), label=k)
               for k in sorted(kinds_seen, key=lambda k: list(KIND_COLORS).index(k)
                               if k in KIND_COLORS else 99)]
    if any(lane["pushes"] for lane in lanes):
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="#222222", linewidth=0.8, label="push"))
    fig.legend(handles=handles, loc="lower center", fontsize=8, ncol=len(handles),
               frameon=False)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    if axc is not None:
        for dev, pts in sorted(series.items()):
            xs = [(t - t0) / 1e3 for t, _ in pts]
            ax_vals = [v for _, v in pts]
            axc.step(xs, ax_vals, where="post", linewidth=1.0, label=dev)
        axc.set_ylabel("ops in\nflight", fontsize=8)
        axc.tick_params(labelsize=8)
        axc.legend(fontsize=7, loc="upper right")
        axc.grid(axis="x", color="#dddddd", linewidth=0.6)
        axc.set_xlabel("time (ms)")
    else:
        ax.set_xlabel("time (ms)")
    fig.tight_layout(rect=(0, 22 / height, 1, 1))   # room for the legend below
    fig.savefig(path, format=fmt, dpi=dpi)
    return path
