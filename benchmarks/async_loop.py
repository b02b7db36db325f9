"""The "Asynchronous Computation" chapter: the front end returns at once.

(a) "Improving Computation": 10,000 times ``y = x + 1`` on a (1, 2) float32 array,
    synchronous (``y.wait_to_read()`` after each) and asynchronous (``npx.waitall()``
    once at the end), for ndengine, raw NumPy (always synchronous), real MXNet 1.9.1
    and PyTorch CPU (eager: no asynchrony on CPU; the same loop both times).
    Goals: asynchronous <= 0.2 x MXNet's time, synchronous <= 0.1 x MXNet's time.
(b) the warm-up: 10 times ``a = np.random.normal(size=(1000, 1000)); b = np.dot(a, a)``:
    the time until the loop returns (issuing) and until ``npx.waitall()`` returns (the
    work).  Goal (ndengine): issuing < 2% of the work.  MXNet for reference; NumPy and
    PyTorch CPU compute while issuing (issue == total).

Times are medians of several runs after a warm-up run.

    python benchmarks/async_loop.py [--quick] [--json OUT]
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402

BENCH = "async_loop"


def _loop_case(n: int) -> tuple[str, str]:
    return f"synchronous ({n} x y=x+1)", f"asynchronous ({n} x y=x+1)"


def _warm_case(size: int) -> tuple[str, str]:
    return (f"warm-up issue (10 x normal+dot {size})", f"warm-up until waitall (10 x {size})")


# ------------------------------------------------------------------------------ ndengine
def measure_ndengine(n: int, size: int, repeat: int) -> dict[str, Any]:
    from ndengine import np, npx

    x = np.ones((1, 2))

    def sync() -> None:
        for _ in range(n):
            y = x + 1
            y.wait_to_read()

    def async_() -> None:
        for _ in range(n):
            y = x + 1
        npx.waitall()

    def warm() -> tuple[float, float]:
        npx.waitall()
        t0 = time.perf_counter()
        for _ in range(10):
            a = np.random.normal(size=(size, size))
            b = np.dot(a, a)
        t_issue = time.perf_counter() - t0
        npx.waitall()
        return t_issue, time.perf_counter() - t0

    return {"sync": _harness.median_time(sync, repeat), "async": _harness.median_time(async_, repeat),
            "warm": _median_pair(warm, repeat)}


def _median_pair(fn: Any, repeat: int) -> tuple[float, float]:
    fn()
    pairs = [fn() for _ in range(repeat)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def measure_numpy(n: int, size: int, repeat: int) -> dict[str, Any]:
    import numpy

    x = numpy.ones((1, 2), dtype="float32")
    rng = numpy.random.default_rng(0)

    def loop() -> None:
        for _ in range(n):
            y = x + 1

    def warm() -> tuple[float, float]:
        t0 = time.perf_counter()
        for _ in range(10):
            a = rng.normal(size=(size, size)).astype("float32")
            b = numpy.dot(a, a)
        t = time.perf_counter() - t0
        return t, t

    t = _harness.median_time(loop, repeat)
    return {"sync": t, "async": t, "warm": _median_pair(warm, repeat)}


# --------------------------------------------------------------------------------- peers
MXNET_CODE = _harness.PEER_TIMER + '''
import mxnet as mx
from mxnet import np, npx
npx.set_np()
N, SIZE, REPEAT = {n}, {size}, {repeat}
x = np.ones((1, 2))
def sync():
    for _ in range(N):
        y = x + 1
        y.wait_to_read()
def async_():
    for _ in range(N):
        y = x + 1
    npx.waitall()
def warm():
    npx.waitall()
    t0 = time.perf_counter()
    for _ in range(10):
        a = np.random.normal(size=(SIZE, SIZE))
        b = np.dot(a, a)
    ti = time.perf_counter() - t0
    npx.waitall()
    return ti, time.perf_counter() - t0
warm()
pairs = [warm() for _ in range(REPEAT)]
print(json.dumps({{"sync": median_time(sync, REPEAT), "async": median_time(async_, REPEAT),
                  "warm": [statistics.median(p[0] for p in pairs),
                           statistics.median(p[1] for p in pairs)]}}))
'''

TORCH_CODE = _harness.PEER_TIMER + '''
import torch
N, SIZE, REPEAT = {n}, {size}, {repeat}
x = torch.ones((1, 2))
def loop():
    for _ in range(N):
        y = x + 1
def warm():
    t0 = time.perf_counter()
    for _ in range(10):
        a = torch.randn(size=(SIZE, SIZE))
        b = torch.mm(a, a)
    t = time.perf_counter() - t0
    return t, t
warm()
pairs = [warm() for _ in range(REPEAT)]
t = median_time(loop, REPEAT)
print(json.dumps({{"sync": t, "async": t, "warm": [statistics.median(p[0] for p in pairs),
                                               statistics.median(p[1] for p in pairs)]}}))
'''


def run(quick: bool = False) -> list[dict]:
    n, size, repeat = (2000, 500, 3) if quick else (10_000, 1000, 5)
    results: dict[str, dict[str, Any] | None] = {
        "ndengine": measure_ndengine(n, size, repeat),
        "numpy": measure_numpy(n, size, repeat),
    }
    for peer, code in (("mxnet", MXNET_CODE), ("torch", TORCH_CODE)):
        try:
            results[peer] = _harness.run_peer(peer, code.format(n=n, size=size, repeat=repeat))
        except RuntimeError as e:
            print(f"peer {peer} failed: {e}", file=sys.stderr)
            results[peer] = None
        if results[peer] is None:
            print(f"peer {peer}: not set up or failed; skipped", file=sys.stderr)

    sync_case, async_case = _loop_case(n)
    issue_case, total_case = _warm_case(size)
    rows = []
    for impl, r in results.items():
        if r is None:
            continue
        nd = impl == "ndengine"
        rows.append(_harness.row(BENCH, sync_case, impl, r["sync"],
                                 us_per_op=round(r["sync"] / n * 1e6, 2),
                                 **({"goal": "<= 0.1x mxnet", "goal_ratio": 0.1,
                                     "goal_vs": "mxnet"} if nd else {})))
        rows.append(_harness.row(BENCH, async_case, impl, r["async"],
                                 us_per_op=round(r["async"] / n * 1e6, 2),
                                 **({"goal": "<= 0.2x mxnet", "goal_ratio": 0.2,
                                     "goal_vs": "mxnet"} if nd else {})))
        t_issue, t_total = r["warm"]
        frac = t_issue / t_total if t_total else None
        extra: dict[str, Any] = {"issue_fraction": round(frac, 4) if frac is not None else None}
        if nd:
            extra.update(goal="issue < 2% of the work", goal_met=bool(frac is not None and frac < 0.02))
        rows.append(_harness.row(BENCH, issue_case, impl, t_issue, **extra))
        rows.append(_harness.row(BENCH, total_case, impl, t_total))
    return rows


if __name__ == "__main__":
    _harness.main(run, __doc__)
