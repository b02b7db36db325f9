"""Per-op cost of the dependency engine: an empty op, N times.

  asynchronous: push all N, then wait_all
  synchronous:  push, then wait_for_var on its output, each time
next to calling the function directly, for a no-dependency op and for an op reading a
var x and writing a new var (the shape of ``y = x + 1``).  Prints microseconds per op
(best of --repeat runs) and writes JSON with --json.

    python benchmarks/engine_dispatch.py [--n 100000] [--repeat 5] [--engine threaded]
    python benchmarks/engine_dispatch.py [--quick] --json OUT    (run_all's rows)
"""
from __future__ import annotations

import argparse
import json
import time


def measure(n: int, repeat: int, engine_kind: str) -> dict[str, float]:
    from ndengine import engine

    engine.set_engine(engine_kind)

    def f() -> None:
        return None

    x = engine.new_var("x")
    push = engine.push

    def direct() -> None:
        for _ in range(n):
            f()

    def async_nodeps() -> None:
        for _ in range(n):
            push(f)
        engine.wait_all()

    def async_rw() -> None:
        new_var = engine.new_var
        for _ in range(n):
            push(f, (x,), (new_var(),))
        engine.wait_all()

    def sync_rw() -> None:
        new_var = engine.new_var
        wait = engine.wait_for_var
        for _ in range(n):
            y = new_var()
            push(f, (x,), (y,))
            wait(y)

    out = {}
    for name, fn in [("direct", direct), ("async_nodeps", async_nodeps),
                     ("async_rw", async_rw), ("sync_rw", sync_rw)]:
        fn()  # warm-up (pools, caches)
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
        out[name] = best / n * 1e6
    return out


BENCH = "engine_dispatch"
CASES = {"async_nodeps": "empty op, async (no deps)", "async_rw": "empty op, async (x -> new)",
         "sync_rw": "empty op, sync (x -> new)", "direct": "the function called directly"}


def run(quick: bool = False) -> list[dict]:
    """Rows for run_all: microseconds per op as ``seconds`` (per op), goal <= 4 us."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _harness

    n = 20_000 if quick else 100_000
    rows = []
    for kind in ("threaded", "naive"):
        r = _harness.run_python(
            "import json, sys; sys.path.insert(0, %r); import engine_dispatch as d; "
            "print(json.dumps(d.measure(%d, %d, %r)))"
            % (str(Path(__file__).resolve().parent), n, 3 if quick else 5, kind))
        for key, case in CASES.items():
            if kind == "naive" and key == "direct":
                continue
            extra: dict = {"us_per_op": round(r[key], 2), "config": kind, "n": n}
            if kind == "threaded" and key != "direct":
                extra.update(goal="<= 4 us per op", goal_met=bool(r[key] <= 4.0))
            rows.append(_harness.row(BENCH, case, "ndengine", r[key] * 1e-6, **extra))
    return rows


def main() -> None:
    import sys

    if any(a == "--quick" or a.startswith("--json") for a in sys.argv[1:]):
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import _harness

        _harness.main(run, __doc__)
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--engine", default="threaded", choices=["threaded", "naive"])
    args = ap.parse_args()
    r = measure(args.n, args.repeat, args.engine)
    for k, v in r.items():
        print(f"{args.engine:9s} {k:13s} {v:7.2f} us/op")


if __name__ == "__main__":
    main()
