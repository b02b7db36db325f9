"""Trace the "Automatic Parallelism" workload and draw its timeline.

``run(x) = [np.sin(x).dot(x) for _ in range(n)]`` on cpu(0) and on cpu(1) at once, then
the results of cpu(1) copied to cpu(0) (the chapter's "GPU" results going back to the
CPU) while cpu(1) still computes.  The profiler records every op; the picture has a
lane per engine worker (one per device by default, like a GPU's stream; ``--workers``),
one for cpu(0)'s copy worker, and one for the front end (Python's thread: a tick per
push, and the ops it ran itself while waiting at ``waitall``).

    python examples/make_timeline.py [--out docs/img/timeline_auto_parallel.png]
        [--scale small|default|full] [--workers N] [--trace T.json] [--width PIXELS]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:        # run from a clone without installing
    sys.path.insert(0, str(ROOT))

SIZES = {"small": (96, 6), "default": (500, 10), "full": (1000, 25)}   # (side, dots per run)


def run(x, n):
    from ndengine import np

    return [np.sin(x).dot(x) for _ in range(n)]


def workload(x0, x1, n):
    import ndengine as mx

    y0 = run(x0, n)                                  # cpu(0)
    y1 = run(x1, n)                                  # cpu(1), at the same time
    back = [v.copyto(mx.cpu(0)) for v in y1]         # copies overlap cpu(1)'s compute
    mx.npx.waitall()
    return y0, back


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "img" / "timeline_auto_parallel.png"))
    ap.add_argument("--scale", choices=sorted(SIZES),
                    default=os.environ.get("NDENGINE_EXAMPLE_SCALE") or "default")
    ap.add_argument("--trace", help="also keep the Chrome trace here (open it in Perfetto)")
    ap.add_argument("--width", type=int, default=1000, help="picture width in pixels")
    ap.add_argument("--workers", type=int, help="engine workers per device (default: "
                    "$NDENGINE_CPU_WORKERS, else 1)")
    args = ap.parse_args(argv)
    side, n = SIZES[args.scale]
    if args.workers is not None:
        os.environ["NDENGINE_CPU_WORKERS"] = str(args.workers)
    else:
        os.environ.setdefault("NDENGINE_CPU_WORKERS", "1")
    import ndengine as mx                            # after the worker count is set
    from ndengine import np, profiler
    from ndengine.profiler.timeline import render_timeline

    x0 = np.random.uniform(size=(side, side), device=mx.cpu(0))
    x1 = np.random.uniform(size=(side, side), device=mx.cpu(1))
    workload(x0, x1, n)                              # warm-up: threads, caches, BLAS

    trace_path = args.trace or os.path.join(tempfile.mkdtemp(), "auto_parallel.json")
    profiler.set_config(filename=trace_path, profile_all=True)
    profiler.set_state("run")
    workload(x0, x1, n)
    profiler.set_state("stop")
    profiler.dump()

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    render_timeline(trace_path, args.out, size=(args.width, None), flows=True,
                    title=f"sin(x).dot(x) x{n} on cpu(0) and cpu(1) ({side}x{side}), "
                          f"cpu(1)'s results copied to cpu(0)")
    print(f"wrote {args.out}" + (f" and {trace_path}" if args.trace else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
