"""The dependency engine on its own: what the seeds' front end / back end picture means.

Pushes NumPy work over engine vars and shows that pushing returns at once, that
independent ops run in parallel, and that a sync point waits for exactly what it needs.
"""
from __future__ import annotations

import time

import numpy

from ndengine import cpu, engine

N = 2_000_000


def main() -> None:
    data = {"x": numpy.ones(N), "y": None, "z": None}
    x, y, z = engine.new_var("x"), engine.new_var("y"), engine.new_var("z")

    def make_y() -> None:
        data["y"] = numpy.sin(data["x"]) ** 2

    def make_z() -> None:
        data["z"] = numpy.cos(data["x"]) ** 2

    t0 = time.perf_counter()
    for _ in range(10):
        engine.push(make_y, reads=[x], writes=[y], device=cpu(0), name="sin^2")
        engine.push(make_z, reads=[x], writes=[z], device=cpu(1), name="cos^2")
    issued = time.perf_counter() - t0
    engine.wait_for_var(y)
    engine.wait_for_var(z)
    total = time.perf_counter() - t0
    print(f"pushed 20 ops in {issued * 1e3:.2f} ms; all done after {total * 1e3:.1f} ms")
    print("sin^2 + cos^2 == 1:", bool(numpy.allclose(data["y"] + data["z"], 1.0)))

    def fail() -> None:
        raise ValueError("bad input")

    w = engine.new_var("w")
    engine.push(fail, writes=[w], name="failing_op")
    try:
        engine.wait_for_var(w)
    except Exception as e:  # noqa: BLE001 - shown to the user
        print("error surfaced at the sync point:", e)
    stats = engine.statistics()
    print("engine:", stats["engine"], "| ops pushed:", stats["pushed"],
          "| devices:", ", ".join(stats["devices"]))


if __name__ == "__main__":
    main()
