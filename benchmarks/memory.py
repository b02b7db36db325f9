"""Memory under asynchrony: pooled storage and backpressure, next to plain NumPy.

(a) tanh chain   ``y = np.tanh(y * 1.0001)`` pushed at once then ``waitall``: every
                 step allocates two outputs, of 8 MB (100 steps) or of 64 MB (15).
                 ndengine by default (the per-device buffer pool takes outputs from
                 32 MB on, on glibc: below, the C heap reuses memory itself), with the
                 pool for every output (``NDENGINE_POOL_MIN_BYTES=1``), without it, and
                 NumPy; time and peak RSS growth.
(b) runaway loop 2,000 pushes creating 4 MB arrays (``np.ones(n) * 2``, each handle
                 dropped at once), no waits: the front end races ahead and only the
                 engine's bound (``NDENGINE_MAX_PENDING_*``, run-ahead window) keeps
                 memory in check.  Peak RSS growth over the first run (no warm-up)
                 next to NumPy doing the same.

Every case runs in a fresh process (peak RSS from ``VmHWM``, reset after warm-up).
The seed's training loop with and without its barrier (RSS growth, issue 6's goal) is
in ``training_loop.py``.

    python benchmarks/memory.py [--quick] [--json OUT]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402

BENCH = "memory"

PRELUDE = "import json, os, statistics, sys, time\n" + _harness.RSS_SNIPPET

CHAIN = PRELUDE + r'''
import numpy as onp
N, STEPS, REPEAT, IMPL = {n}, {steps}, {repeat}, {impl!r}
if IMPL == "numpy":
    x = onp.random.default_rng(0).uniform(-1, 1, N).astype(onp.float32)
    def once():
        y = x
        for _ in range(STEPS):
            y = onp.tanh(y * onp.float32(1.0001))
        return float(y[0])
else:
    sys.path.insert(0, {root!r})
    from ndengine import np, npx
    x = np.random.uniform(-1, 1, size=N)
    def once():
        y = x
        for _ in range(STEPS):
            y = np.tanh(y * 1.0001)
        npx.waitall()
        return float(y[0])
once()
base = rss_mb(); exact = reset_peak()
ts = []
for _ in range(REPEAT):
    t = time.perf_counter(); once(); ts.append(time.perf_counter() - t)
print(json.dumps({{"seconds": statistics.median(ts), "peak_growth_mb": peak_mb() - base,
                  "exact_peak": exact}}))
'''

RUNAWAY = PRELUDE + r'''
import numpy as onp
N, PUSHES, IMPL = {n}, {pushes}, {impl!r}
if IMPL == "numpy":
    def once():
        for _ in range(PUSHES):
            y = onp.ones(N, dtype=onp.float32) * 2
        return float(y[0])
else:
    sys.path.insert(0, {root!r})
    from ndengine import engine, np, npx
    def once():
        for _ in range(PUSHES):
            y = np.ones(N) * 2
        npx.waitall()
        return float(y[0])
    np.ones(4).asnumpy()        # start the engine's workers before the baseline
base = rss_mb(); exact = reset_peak()   # no warm-up: the first run's footprint counts
t = time.perf_counter(); v = once(); sec = time.perf_counter() - t
out = {{"seconds": sec, "peak_growth_mb": peak_mb() - base, "exact_peak": exact, "value": v}}
if IMPL != "numpy":
    st = engine.statistics()
    out["bound_mb"] = round(st["max_pending_bytes"] / 2**20)
    out["max_pending_ops"] = st["max_pending_ops"]
    out["throttled"] = sum(d["throttled_pushes"] for d in st["devices"].values())
print(json.dumps(out))
'''

ROOT = str(Path(__file__).resolve().parent.parent)


def run(quick: bool = False) -> list[dict]:
    rows = []
    # 8 MB outputs (the C heap reuses them: the pool is off by default) and 64 MB
    # (above glibc's mmap ceiling: every fresh one costs page faults; the pool is on)
    sizes = ((1 << 19, 40, 3), (4 << 20, 6, 3)) if quick else ((2 << 20, 100, 5),
                                                                  (16 << 20, 15, 5))
    configs = (("numpy", {}, None), ("ndengine", {}, "default"),
               ("ndengine", {"NDENGINE_POOL_MIN_BYTES": "1"}, "pool for every output"),
               ("ndengine", {"NDENGINE_POOL_MIN_BYTES": str(1 << 40)}, "pool off"))
    for n, steps, repeat in sizes:
        case = f"tanh(y*1.0001) x{steps}, {n * 4 >> 20} MB float32 outputs"
        for impl, env, label in configs:
            code = CHAIN.format(n=n, steps=steps, repeat=repeat, impl=impl, root=ROOT)
            r = _harness.run_python(_with_env(code, env))
            extra = {"peak_growth_mb": round(r["peak_growth_mb"], 1),
                     "exact_peak": r["exact_peak"]}
            if label is not None:
                extra["config"] = label
            rows.append(_harness.row(BENCH, case, impl, r["seconds"], **extra))

    n_run, pushes = 1 << 20, (500 if quick else 2000)
    case = f"runaway: {pushes} x 4 MB outputs, no waits"
    for impl in ("numpy", "ndengine"):
        code = RUNAWAY.format(n=n_run, pushes=pushes, impl=impl, root=ROOT)
        r = _harness.run_python(code)
        extra = {k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()
                 if k not in ("seconds", "value")}
        rows.append(_harness.row(BENCH, case, impl, r["seconds"], **extra))
    return rows


def _with_env(code: str, env: dict[str, str]) -> str:
    if not env:
        return code
    return f"import os\nos.environ.update({env!r})\n" + code


if __name__ == "__main__":
    _harness.main(run, __doc__)
