"""The dependency engine on its own: what the seeds' front end / back end picture means.

Pushes NumPy work over engine vars and shows that pushing returns at once, that
independent ops on two devices run in parallel, that a sync point waits for exactly
what it needs, and that an op's error surfaces at the sync point.

    python examples/engine_demo.py [--scale small] [--json out.json]
"""
from __future__ import annotations

import time

import numpy

from _common import Report, cli, ms, scale_from_env

from ndengine import cpu, engine  # noqa: E402

SIZES = {"small": 200_000, "default": 2_000_000, "full": 2_000_000}


def run(scale: str | None = None) -> Report:
    scale = scale_from_env(scale)
    n = SIZES[scale]
    rep = Report("The dependency engine", scale)
    rep.heading(f"Push 20 ops over vars x -> y (on cpu(0)) and x -> z (on cpu(1)), n = {n}")
    data = {"x": numpy.ones(n), "y": None, "z": None}
    x, y, z = engine.new_var("x"), engine.new_var("y"), engine.new_var("z")

    def make_y() -> None:
        data["y"] = numpy.sin(data["x"]) ** 2

    def make_z() -> None:
        data["z"] = numpy.cos(data["x"]) ** 2

    with rep.benchmark("push 20 ops, then wait for y and z"):
        t0 = time.perf_counter()
        for _ in range(10):
            engine.push(make_y, reads=[x], writes=[y], device=cpu(0), name="sin^2")
            engine.push(make_z, reads=[x], writes=[z], device=cpu(1), name="cos^2")
        issued = time.perf_counter() - t0
        engine.wait_for_var(y)
        engine.wait_for_var(z)
    rep.explain(f"pushing took {ms(issued)}; the ops themselves ran on the devices' workers "
                "(reads of x run together, writes to y run in push order)")
    identity = bool(numpy.allclose(data["y"] + data["z"], 1.0))
    rep.explain(f"sin^2 + cos^2 == 1: {identity}")

    rep.heading("An op's error surfaces at the sync point")

    def fail() -> None:
        raise ValueError("bad input")

    w = engine.new_var("w")
    engine.push(fail, writes=[w], name="failing_op")
    try:
        engine.wait_for_var(w)
        surfaced = False
    except Exception as e:  # noqa: BLE001 - shown to the user
        print("error surfaced at the sync point:", e)
        surfaced = True
    stats = engine.statistics()
    print("engine:", stats["engine"], "| ops pushed:", stats["pushed"],
          "| devices:", ", ".join(stats["devices"]))
    rep.facts.update(issue_s=issued, identity_holds=identity, error_surfaced=surfaced)
    return rep


if __name__ == "__main__":
    cli(run, __doc__)
