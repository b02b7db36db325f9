"""``mpiexec -n 2 python -m ndengine.distributed.check``: are the ranks there, where do
they run, how fast is an allreduce?

Prints one line per rank (rank, host, pid, MPI library), then, on rank 0, the time and
bandwidth of an allreduce of ``--mb`` megabytes of float32 pushed through ndengine's
engine op, next to raw mpi4py ``Allreduce`` of the same buffer.  Bandwidth is the
algorithm bandwidth, bytes reduced per second (``size / time``).  Exits non-zero if a
rank's sum is wrong.
"""
from __future__ import annotations

import argparse
import os
import sys
import time


def _bench(fn, reps: int) -> float:
    fn()                                       # warm up (first-touch, connections)
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ndengine.distributed.check")
    ap.add_argument("--mb", type=float, default=4.0, help="megabytes per allreduce")
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args(argv)

    import numpy as onp

    from .. import np
    from . import comm, world

    w = world()
    MPI = w.MPI
    line = f"rank {w.rank} of {w.size} on host {w.host} (pid {os.getpid()})"
    lines = w.data.gather(line, root=0)
    if w.rank == 0:
        print(MPI.Get_library_version().splitlines()[0].strip())
        for ln in lines:
            print(ln)
    n = max(1, int(args.mb * (1 << 20) // 4))
    x = np.ones((n,), dtype="float32") * (w.rank + 1)
    expect = w.size * (w.size + 1) / 2
    ok = True

    def engine_allreduce() -> None:
        nonlocal ok
        out = comm.allreduce([x])[0]
        v = out[:1].asnumpy()[0]
        ok = ok and v == expect

    buf = onp.full(n, w.rank + 1, dtype=onp.float32)
    res = onp.empty_like(buf)

    def raw_allreduce() -> None:
        w.data.Allreduce(buf, res, op=MPI.SUM)

    comm.barrier()
    t_nd = _bench(engine_allreduce, args.reps)
    w.data.Barrier()
    t_raw = _bench(raw_allreduce, args.reps)
    ok = ok and bool(res[0] == expect)
    oks = w.data.gather(ok, root=0)
    if w.rank == 0:
        mb = n * 4 / 1e6
        print(f"allreduce of {mb:.1f} MB float32 over {w.size} ranks: ndengine "
              f"{t_nd * 1e3:.2f} ms ({mb / 1e3 / t_nd:.2f} GB/s), raw mpi4py "
              f"{t_raw * 1e3:.2f} ms ({mb / 1e3 / t_raw:.2f} GB/s), ratio "
              f"{t_raw / t_nd:.2f}")
        print("sums correct on every rank" if all(oks) else
              f"WRONG sums on ranks {[r for r, o in enumerate(oks) if not o]}")
    comm.barrier()
    return 0 if all(w.data.bcast(oks, root=0)) else 1


if __name__ == "__main__":
    sys.exit(main())
