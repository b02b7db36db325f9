"""Per-op cost of the dependency engine: an empty op, N times.

  asynchronous: push all N, then wait_all
  synchronous:  push, then wait_for_var on its output, each time
next to calling the function directly, for a no-dependency op and for an op reading a
var x and writing a new var (the shape of ``y = x + 1``).  Prints microseconds per op
(best of --repeat runs) and writes JSON with --json.

    python benchmarks/engine_dispatch.py [--n 100000] [--repeat 5] [--engine threaded]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--engine", default="threaded", choices=["threaded", "naive"])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    r = measure(args.n, args.repeat, args.engine)
    if args.json:
        print(json.dumps({"engine": args.engine, "n": args.n, "us_per_op": r}))
    else:
        for k, v in r.items():
            print(f"{args.engine:9s} {k:13s} {v:7.2f} us/op")


if __name__ == "__main__":
    main()
