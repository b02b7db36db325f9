"""What the profiler costs: the dispatch loops with the profiler never enabled, off after
having run, and on.

Cases (each N times, then one wait):
  engine push   ``engine.push(f, (x,), (new_var(),))``: the engine's per-op cost (the
                ``async_rw`` case of benchmarks/engine_dispatch.py)
  y = x + 1     the seed's loop on a (1, 2) array through ``ndengine.np``, asynchronous
  y = x + 1 sync  the same with ``y.wait_to_read()`` after each op
Modes, each in a fresh process (so one mode's state never leaks into another's), the
processes of the three modes taking turns, round after round:
  never  ndengine.profiler is never imported
  off    the profiler ran (set_state('run'), some ops, set_state('stop'), dump) before
         the measurement
  on     the profiler records every op
Reported: microseconds per op, the median over rounds of each process's best of
--repeat runs; ``off`` should be within the noise of ``never`` (the engine then tests one
flag), and ``on - never`` is the recording cost per op.

    python benchmarks/profiler_overhead.py [--quick] [--json OUT]
"""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402

BENCH = "profiler_overhead"
HERE = Path(__file__).resolve().parent
CASES = ("engine push", "y = x + 1", "y = x + 1 sync")
MODES = ("never", "off", "on")


def _child(mode: str, n: int, repeat: int, trace_path: str) -> dict[str, float]:
    """In a fresh process: us/op of each case in *mode* (best of *repeat*)."""
    import time

    import ndengine as mx
    from ndengine import engine, np

    prof = None
    if mode in ("off", "on"):
        from ndengine import profiler as prof

        prof.set_config(filename=trace_path)
        prof.set_state("run")
    x = np.ones((1, 2))               # the same preamble in every mode
    for _ in range(100):
        x = x + 1
    mx.waitall()
    if prof is not None:
        prof.set_state("stop")
        prof.dump()
        if mode == "on":
            prof.set_state("run")

    f = (lambda: None)
    v = engine.new_var()
    x = np.ones((1, 2))

    def engine_push() -> None:
        push, new_var = engine.push, engine.new_var
        for _ in range(n):
            push(f, (v,), (new_var(),))
        engine.wait_all()

    def seed_async() -> None:
        for _ in range(n):
            y = x + 1
        y.wait_to_read()
        mx.waitall()

    def seed_sync() -> None:
        for _ in range(n):
            y = x + 1
            y.wait_to_read()

    out = {}
    for case, fn in zip(CASES, (engine_push, seed_async, seed_sync)):
        fn()                                     # warm-up
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
        out[case] = best / n * 1e6
    if prof is not None:
        prof.set_state("stop")
        mx.waitall()
        from ndengine.engine import HOOKS

        out["hooks_active_after"] = float(HOOKS.active)
    return out


def _measure(mode: str, n: int, repeat: int) -> dict[str, float]:
    code = f"""
import json, sys, tempfile, os
sys.path.insert(0, {str(HERE)!r})
import profiler_overhead as m
path = os.path.join(tempfile.mkdtemp(), "t.json")
print(json.dumps(m._child({mode!r}, {n}, {repeat}, path)))
"""
    return _harness.run_python(code)


def run(quick: bool = False) -> list[dict]:
    n, repeat, rounds = (2_000, 3, 2) if quick else (20_000, 5, 5)
    per_mode: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    for r in range(rounds):
        order = MODES if r % 2 == 0 else tuple(reversed(MODES))
        for mode in order:
            per_mode[mode].append(_measure(mode, n, repeat))
    rows = []
    for case in CASES:
        med = {m: statistics.median(res[case] for res in per_mode[m]) for m in MODES}
        spread = {m: (min(res[case] for res in per_mode[m]), max(res[case] for res in per_mode[m]))
                  for m in MODES}
        for mode in MODES:
            rows.append(_harness.row(
                BENCH, f"{case} [{mode}]", "ndengine", med[mode] * n / 1e6,
                us_per_op=round(med[mode], 2),
                range_us=f"{spread[mode][0]:.2f}..{spread[mode][1]:.2f}",
                **({"on_cost_us": round(med["on"] - med["never"], 2)} if mode == "on" else {}),
                **({"off_vs_never_pct": round(100 * (med["off"] / med["never"] - 1), 1)}
                   if mode == "off" else {})))
    leaked = [res.get("hooks_active_after") for m in ("off", "on") for res in per_mode[m]]
    if any(leaked):
        raise RuntimeError("the profiler left the engine hooks on after set_state('stop')")
    return rows


if __name__ == "__main__":
    _harness.main(run, __doc__)
