"""Aggregate statistics per op name: count, total, mean, min, max time (ms)."""
from __future__ import annotations

import json
from typing import Any

__all__ = ["format_stats", "SORT_KEYS", "stats_from_trace"]

SORT_KEYS = ("total", "avg", "min", "max", "count")


def _rows(stats: dict[str, list[float]], sort_by: str, ascending: bool
          ) -> list[tuple[str, int, float, float, float, float]]:
    """``(name, count, total, min, max, avg)`` in ms, sorted."""
    rows = []
    for name, (count, total, lo, hi) in stats.items():
        n = int(count)
        rows.append((name, n, total * 1e3, lo * 1e3, hi * 1e3, total * 1e3 / n if n else 0.0))
    index = {"count": 1, "total": 2, "min": 3, "max": 4, "avg": 5}[sort_by]
    rows.sort(key=lambda r: (r[index], r[0]), reverse=not ascending)
    return rows


def format_stats(stats: dict[str, list[float]], format: str = "table", sort_by: str = "total",
                 ascending: bool = False) -> str:
    """See mxnet.profiler.dumps: *stats* maps an op name to ``[count, total, min, max]``
    in seconds."""
    if format not in ("table", "json"):
        raise ValueError(f"dumps: format must be 'table' or 'json', got {format!r}")
    if sort_by not in SORT_KEYS:
        raise ValueError(f"dumps: sort_by must be one of {SORT_KEYS}, got {sort_by!r}")
    rows = _rows(stats, sort_by, bool(ascending))
    if format == "json":
        ops = {name: {"Count": n, "Total": round(t, 6), "Min": round(lo, 6),
                      "Max": round(hi, 6), "Avg": round(avg, 6)}
               for name, n, t, lo, hi, avg in rows}
        return json.dumps({"Time": {"operator": ops}, "Unit": {"Time": "ms"}}, indent=4)
    width = max([28] + [len(r[0]) + 2 for r in rows])
    head = (f"{'Name':<{width}}{'Total Count':>12}{'Time (ms)':>14}{'Min Time (ms)':>15}"
            f"{'Max Time (ms)':>15}{'Avg Time (ms)':>15}")
    rule = (f"{'----':<{width}}{'-----------':>12}{'---------':>14}{'-------------':>15}"
            f"{'-------------':>15}{'-------------':>15}")
    lines = ["Profile Statistics:", "\tNote the difference in units for different entries.",
             "operator", "=================", head, rule]
    for name, n, t, lo, hi, avg in rows:
        lines.append(f"{name:<{width}}{n:>12d}{t:>14.4f}{lo:>15.4f}{hi:>15.4f}{avg:>15.4f}")
    return "\n".join(lines) + "\n"


def stats_from_trace(trace: dict[str, Any]) -> dict[str, list[float]]:
    """Aggregate the op spans (``cat: operator``) of a Chrome trace, in seconds."""
    stats: dict[str, list[float]] = {}
    for e in trace.get("traceEvents", []):
        if e.get("ph") != "X" or e.get("cat") != "operator":
            continue
        dt = float(e.get("dur", 0.0)) * 1e-6
        s = stats.get(e["name"])
        if s is None:
            stats[e["name"]] = [1, dt, dt, dt]
        else:
            s[0] += 1
            s[1] += dt
            s[2] = min(s[2], dt)
            s[3] = max(s[3], dt)
    return stats
