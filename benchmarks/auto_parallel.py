"""The "Automatic Parallelism" chapter, with CPU devices standing in for its two GPUs.

(a) two devices   ``run(x) = [np.sin(x).dot(x) for _ in range(200)]`` with x of 200x200
                  float32 on cpu(0) and on cpu(1): each alone, both together, next to
                  NumPy running both workloads one after the other.
                  Goals: together <= 0.6 x NumPy sequential; (alone + alone) / together
                  >= 1.7.  Real MXNet 1.9.1 on its cpu(0)/cpu(1) for reference.
(b) compute+copy  ``y = run(x)`` on cpu(1) (the GPU stand-in), ``[v.copyto(cpu(0)) for v
                  in y]``: run, copy, run-and-copy.  Goal: (run + copy) / run_and_copy
                  >= 0.9 x (run + copy) / max(run, copy).
(c) small ops     the seed's exercise 2: many small independent ops on one device,
                  pushed all at once, against the same ops each waited for (in
                  sequence) and against NumPy; three sizes, from dispatch-bound 100x100
                  to 1000x1000.  Goal: all pushed faster than each waited for.
(d) BLAS policy   a chain of dependent products on one device (each needs the one
                  before) under the adaptive BLAS policy and under a static budget (one
                  BLAS thread per kernel).

(a) and (b) run under both CPU sharing modes (``NDENGINE_CPU_SHARING``, see
ndengine.device.sharing): ``adaptive`` (the default: a lone device uses every core)
and ``partitioned`` (each CPU device in use a fixed share, as each GPU is its own
hardware).  Every ndengine measurement runs in a fresh process with its configuration
in the environment, so variants do not share thread pools; (a) and (b) take the median
over five such processes, each the median of interleaved repetitions.  Goals are
checked on those medians; the notes add each ratio taken within every round (``paired``:
the machine's slow and fast phases, which move a single figure by 10-20% here, then
affect both sides alike) and its spread over the processes.

The yardstick, ``python threads`` (benchmarks/_threads_ref.py): the same workloads done
by hand with plain Python threads and queues and no dependency tracking.  What they
cannot reach is out of reach, on this machine, of any engine whose workers are Python
threads: the GIL's hand-offs between threads cost the same.

    python benchmarks/auto_parallel.py [--quick] [--json OUT]
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402

BENCH = "auto_parallel"
HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- in-process parts
def _interleaved(fns: dict[str, Any], repeat: int, warmup: int = 1) -> dict[str, Any]:
    """Median seconds of each function, the functions taking turns in every round;
    ``rounds`` keeps each round's times (for ratios taken within a round, which the
    machine's slow and fast phases affect alike)."""
    for _ in range(warmup):
        for f in fns.values():
            f()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    out: dict[str, Any] = {k: statistics.median(v) for k, v in times.items()}
    out["rounds"] = [{k: times[k][i] for k in fns} for i in range(repeat)]
    return out


def measure_two_devices(n: int, size: int, repeat: int) -> dict[str, float]:
    """(a) in this process: cpu(0) alone, cpu(1) alone, both together."""
    import ndengine as mx
    from ndengine import np, npx

    x0 = np.random.uniform(size=(size, size), device=mx.cpu(0))
    x1 = np.random.uniform(size=(size, size), device=mx.cpu(1))

    def run(x: Any) -> list:
        return [np.sin(x).dot(x) for _ in range(n)]

    def alone0() -> None:
        run(x0)
        npx.waitall()

    def alone1() -> None:
        run(x1)
        npx.waitall()

    def both() -> None:
        run(x0)
        run(x1)
        npx.waitall()

    r = _interleaved({"alone0": alone0, "alone1": alone1, "both": both}, repeat)
    r["blas"] = {k: v for k, v in mx.device.blas_info().items()
                 if k in ("policy", "cap", "chosen", "peak_in_flight")}
    return r


def measure_compute_copy(n: int, size: int, repeat: int) -> dict[str, float]:
    """(b): run on cpu(1), copy to cpu(0); run, copy, run and copy."""
    import ndengine as mx
    from ndengine import np, npx

    gpu, cpu = mx.cpu(1), mx.cpu(0)
    x = np.random.uniform(size=(size, size), device=gpu)

    def run(x: Any) -> list:
        return [np.sin(x).dot(x) for _ in range(n)]

    def copy_to_cpu(ys: list) -> list:
        return [y.copyto(cpu) for y in ys]

    ready = run(x)
    npx.waitall()

    def run_only() -> None:
        run(x)
        npx.waitall()

    def copy_only() -> None:
        copy_to_cpu(ready)
        npx.waitall()

    def run_and_copy() -> None:
        copy_to_cpu(run(x))
        npx.waitall()

    return _interleaved({"run": run_only, "copy": copy_only, "run_and_copy": run_and_copy},
                        repeat)


def measure_small_ops(n: int, size: int, repeat: int) -> dict[str, float]:
    """(c): n small independent ops on cpu(0), pushed at once vs each waited for."""
    import numpy as onp

    import ndengine as mx
    from ndengine import np, npx

    xs = [np.random.uniform(size=(size, size), device=mx.cpu(0)) for _ in range(8)]
    nxs = [x.asnumpy() for x in xs]

    def parallel() -> None:
        for i in range(n):
            np.tanh(xs[i & 7])
        npx.waitall()

    def sequence() -> None:
        for i in range(n):
            np.tanh(xs[i & 7]).wait_to_read()

    def numpy() -> None:
        for i in range(n):
            onp.tanh(nxs[i & 7])

    return _interleaved({"parallel": parallel, "sequence": sequence, "numpy": numpy}, repeat)


def measure_chain(n: int, size: int, repeat: int) -> dict[str, float]:
    """(d): y = y @ w, n times (each product needs the one before), on cpu(0) and in NumPy."""
    import numpy as onp

    import ndengine as mx
    from ndengine import np, npx

    rng = onp.random.default_rng(0)
    w_np = (rng.standard_normal((size, size)) / onp.sqrt(size)).astype(onp.float32)
    w = np.array(w_np, device=mx.cpu(0))

    def nd() -> None:
        y = w
        for _ in range(n):
            y = np.matmul(y, w)
        npx.waitall()

    def numpy() -> None:
        y = w_np
        for _ in range(n):
            y = y @ w_np

    r = _interleaved({"ndengine": nd, "numpy": numpy}, repeat)
    r["blas"] = {k: v for k, v in mx.device.blas_info().items()
                 if k in ("policy", "cap", "chosen")}
    return r


def measure_threads(part: str, n: int, size: int, repeat: int) -> dict[str, Any]:
    """(a), (b) or (c) done by hand with plain Python threads (see _threads_ref)."""
    import _threads_ref
    return getattr(_threads_ref, f"measure_{part}")(n, size, repeat)


def measure_numpy_two(n: int, size: int, repeat: int) -> dict[str, float]:
    """NumPy running both workloads of (a) one after the other."""
    import numpy as onp

    rng = onp.random.default_rng(0)
    x0 = rng.uniform(size=(size, size)).astype(onp.float32)
    x1 = rng.uniform(size=(size, size)).astype(onp.float32)

    def seq() -> None:
        [onp.sin(x0).dot(x0) for _ in range(n)]
        [onp.sin(x1).dot(x1) for _ in range(n)]

    return _interleaved({"sequential": seq}, repeat)


# --------------------------------------------------------------------------- subprocesses
def _in_process(func: str, env: dict[str, str], **kw: Any) -> dict[str, Any]:
    """Run measure_<func>(**kw) in a fresh interpreter with *env* set."""
    code = f"""
import os, json, sys
os.environ.update({env!r})
sys.path.insert(0, {str(HERE)!r})
import auto_parallel as ap
print(json.dumps(ap.measure_{func}(**{kw!r})))
"""
    return _harness.run_python(code)


def _peer_two_devices(n: int, size: int, repeat: int) -> dict[str, Any] | None:
    code = _harness.PEER_TIMER + f"""
import mxnet as mx
from mxnet import np, npx
npx.set_np()
x0 = np.random.uniform(size=({size}, {size}), ctx=mx.cpu(0))
x1 = np.random.uniform(size=({size}, {size}), ctx=mx.cpu(1))
def run(x):
    return [np.sin(x).dot(x) for _ in range({n})]
def a0():
    run(x0); npx.waitall()
def a1():
    run(x1); npx.waitall()
def both():
    run(x0); run(x1); npx.waitall()
ts = {{"alone0": [], "alone1": [], "both": []}}
for f in (a0, a1, both):
    f()
for _ in range({repeat}):
    for k, f in (("alone0", a0), ("alone1", a1), ("both", both)):
        t = time.perf_counter(); f(); ts[k].append(time.perf_counter() - t)
print(json.dumps({{k: statistics.median(v) for k, v in ts.items()}}))
"""
    try:
        return _harness.run_peer("mxnet", code)
    except Exception as e:   # a broken peer must not lose ndengine's figures
        print(f"mxnet peer failed: {e}", file=sys.stderr)
        return None


# --------------------------------------------------------------------------- the rows
def _two_device_rows(case: str, r: dict[str, Any], numpy_seq: float, impl: str,
                     **extra: Any) -> list[dict]:
    alone = r["alone0"] + r["alone1"]
    both = r["both"]
    ratios = {"alone_sum_over_together": round(alone / both, 2),
              "together_over_numpy_seq": round(both / numpy_seq, 2)}
    return [
        _harness.row(BENCH, f"{case}: cpu(0) alone", impl, r["alone0"], **extra),
        _harness.row(BENCH, f"{case}: cpu(1) alone", impl, r["alone1"], **extra),
        _harness.row(BENCH, f"{case}: both together", impl, both, **ratios, **extra),
    ]


SHARING_MODES = [("adaptive", {}), ("partitioned", {"NDENGINE_CPU_SHARING": "partitioned"})]
THREADS_CONFIG = "by hand: a thread + queue per device, 1 BLAS thread each"


def _two_device_ratio(r: dict[str, float]) -> float:
    return (r["alone0"] + r["alone1"]) / r["both"]


def _copy_ratio(r: dict[str, float]) -> float:
    """overlap / ideal = max(run, copy) / run_and_copy"""
    return max(r["run"], r["copy"]) / r["run_and_copy"]


def _median_of_processes(func: str, env: dict[str, str], procs: int, **kw: Any
                         ) -> dict[str, Any]:
    """measure_<func> in *procs* fresh processes; each figure is the median over them
    (each process's figure is itself a median of interleaved repetitions)."""
    runs = [_in_process(func, env, **kw) for _ in range(procs)]
    out: dict[str, Any] = {"runs": runs}
    for k, v in runs[0].items():
        if k == "rounds":
            continue
        if isinstance(v, (int, float)):
            out[k] = statistics.median(r[k] for r in runs)
        else:
            out[k] = v
    return out


def _paired(r: dict[str, Any], ratio: Any) -> float:
    """The median over every round of every process of *ratio* taken within the round
    (the machine's slow and fast phases then affect both sides of the ratio alike)."""
    rounds = [x for p in r["runs"] for x in p["rounds"]]
    return round(statistics.median(ratio(x) for x in rounds), 3)


def _spread(values: list[float]) -> str:
    """``min-max`` of a figure over the processes."""
    return f"{min(values):.2f}-{max(values):.2f}"


def run(quick: bool = False) -> list[dict]:
    n, size, rep, procs = (50, 200, 3, 1) if quick else (200, 200, 9, 5)
    rows: list[dict] = []

    # (a) two devices ------------------------------------------------------------------
    npseq = statistics.median(measure_numpy_two(n, size, rep)["sequential"]
                              for _ in range(procs))
    rows.append(_harness.row(BENCH, "a: both, sequential", "numpy", npseq))
    for mode, env in SHARING_MODES:
        r = _median_of_processes("two_devices", env, procs, n=n, size=size, repeat=rep)
        rows += _two_device_rows("a", r, npseq, "ndengine", config=f"sharing={mode}")
        last = rows[-1]
        last["alone_sum_over_together_per_process"] = _spread(
            [_two_device_ratio(p) for p in r["runs"]])
        last["alone_sum_over_together_paired"] = _paired(r, _two_device_ratio)
        last["goal"] = "together <= 0.6x numpy; alone+alone >= 1.7x together"
        last["goal_met"] = bool(last["together_over_numpy_seq"] <= 0.6
                                and last["alone_sum_over_together"] >= 1.7)
    # the yardstick: the same by hand, a plain Python thread and queue per device
    r = _median_of_processes("threads", {}, procs, part="two_devices", n=n, size=size,
                             repeat=rep)
    rows += _two_device_rows("a", r, npseq, "python threads", config=THREADS_CONFIG)
    rows[-1]["alone_sum_over_together_paired"] = _paired(r, _two_device_ratio)
    peer = _peer_two_devices(n, size, rep)
    if peer is not None:
        rows += _two_device_rows("a", peer, npseq, "mxnet")

    # (b) compute and copy -------------------------------------------------------------
    variants = [("ndengine", "compute_copy", env, {}, f"sharing={mode}")
                for mode, env in SHARING_MODES]
    variants.append(("python threads", "threads", {}, {"part": "compute_copy"},
                     THREADS_CONFIG))
    for impl, func, env, kw, cfg in variants:
        r = _median_of_processes(func, env, procs, n=n, size=size, repeat=rep, **kw)
        ideal = (r["run"] + r["copy"]) / max(r["run"], r["copy"])
        got = (r["run"] + r["copy"]) / r["run_and_copy"]
        # overlap / ideal = max(run, copy) / run_and_copy, per process
        per_process = _spread([_copy_ratio(p) for p in r["runs"]])
        goal = {"goal": "overlap >= 0.9x ideal", "goal_met": bool(got / ideal >= 0.9)} \
            if impl == "ndengine" else {}
        rows += [_harness.row(BENCH, "b: run on cpu(1)", impl, r["run"], config=cfg),
                 _harness.row(BENCH, "b: copy to cpu(0)", impl, r["copy"], config=cfg),
                 _harness.row(BENCH, "b: run and copy", impl, r["run_and_copy"],
                              config=cfg, overlap=round(got, 3), ideal=round(ideal, 3),
                              ratio=round(got / ideal, 3), ratio_per_process=per_process,
                              ratio_paired=_paired(r, _copy_ratio), **goal)]

    # (c) small independent ops ----------------------------------------------------------
    # From a few microseconds of kernel (dispatch-bound: one Python thread runs them
    # fastest) to a few hundred, where each op still uses one core of two.
    for osize, count in ((100, 10000), (300, 2000), (1000, 200)):
        if quick:
            count //= 5
        r = _in_process("small_ops", {}, n=count, size=osize, repeat=rep)
        t = _in_process("threads", {}, part="small_ops", n=count, size=osize, repeat=rep)
        case = f"c: {count} x tanh {osize}x{osize}"
        rows += [_harness.row(BENCH, case, "numpy", r["numpy"]),
                 _harness.row(BENCH, case, "python threads", t["parallel"],
                              config="all pushed to a thread per core",
                              numpy_same_process=round(t["numpy"], 4),
                              speedup_over_numpy=round(t["numpy"] / t["parallel"], 2)),
                 _harness.row(BENCH, case, "ndengine", r["sequence"], config="each waited"),
                 _harness.row(BENCH, case, "ndengine", r["parallel"], config="all pushed",
                              ratio=round(r["sequence"] / r["parallel"], 2),
                              goal="all pushed faster than each waited (ratio: speed-up)",
                              goal_met=bool(r["parallel"] < r["sequence"]))]

    # (d) dependent products -------------------------------------------------------------
    for csize, cn in ((256, 200), (1024, 10)):
        if quick:
            cn = max(2, cn // 5)
        case = f"d: chain {csize}x{csize} x{cn}"
        for label, env in (("adaptive", {}), ("static_1_thread", {"NDENGINE_BLAS_THREADS": "1"})):
            r = _in_process("chain", env, n=cn, size=csize, repeat=rep)
            if label == "adaptive":
                rows.append(_harness.row(BENCH, case, "numpy", r["numpy"]))
            rows.append(_harness.row(BENCH, case, "ndengine", r["ndengine"], config=label,
                                     numpy_same_process=round(r["numpy"], 4)))
    return rows


if __name__ == "__main__":
    _harness.main(run, __doc__)
