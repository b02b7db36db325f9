"""Random programs on the threaded and naive engines equal a sequential replay, exactly.

Each op does real NumPy work that releases the GIL (32x32 float64 matmuls and ufuncs on
buffers kept in a dict keyed by var) and writes its outputs in two visible stages, so a
reader running concurrently with a writer, or a write overtaking an earlier read, shows
up as a wrong number.  Values are small integers held in float64 (kept below 97 by a
modulo), so every result is exact whatever the BLAS blocking.  Programs mix priorities,
up to three CPU devices, copy ops, and sync points (whose observed values are checked
against the replay too).  The ``sim-gpu`` configurations run the same programs on the
stand-in asynchronous GPU (:mod:`ndengine.device.sim_gpu`: each op's callable runs later
on its worker's stream thread), so an op completed before its stream's event fired
shows up as a wrong value too.  Settings known to have deadlocked before (tiny run-ahead
windows, tiny backpressure bounds) each get an engine of their own.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as onp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ndengine.device import Device, set_cpu_sharing

from engine_helpers import new_engine

SIZE = 32
MOD = 97.0
BUF_BYTES = SIZE * SIZE * 8
MIN_OPS = 200
MAX_OPS = 240


@st.composite
def programs(draw: Any) -> dict[str, Any]:
    nvars = draw(st.integers(8, 12))
    ndev = draw(st.integers(1, 3))
    var = st.integers(0, nvars - 1)
    step = st.one_of(
        st.tuples(st.just("op"),
                  st.lists(var, max_size=3),                       # reads (may repeat)
                  st.lists(var, min_size=1, max_size=2),           # writes
                  st.sampled_from(["mm", "add", "mix"]),
                  st.integers(0, 96),                              # constant
                  st.integers(-3, 3),                              # priority
                  st.integers(0, ndev - 1),                        # device
                  st.booleans() if ndev > 1 else st.just(False),   # copy op
                  st.sampled_from([0, BUF_BYTES, 70_000])),         # declared nbytes
        st.tuples(st.just("wait"), var),
    )
    steps = draw(st.lists(step, min_size=MIN_OPS, max_size=MAX_OPS))
    seed = draw(st.integers(0, 2**31 - 1))
    return {"nvars": nvars, "steps": steps, "seed": seed}


def initial_buffers(prog: dict[str, Any]) -> dict[int, onp.ndarray]:
    rng = onp.random.default_rng(prog["seed"])
    return {i: rng.integers(0, 97, size=(SIZE, SIZE)).astype(onp.float64)
            for i in range(prog["nvars"])}


def make_fn(bufs: dict[int, onp.ndarray], step: tuple) -> Callable[[], None]:
    _, reads, writes, kind, const, *_ = step

    def fn() -> None:
        acc = onp.full((SIZE, SIZE), float(const))
        for i, r in enumerate(reads):
            x = bufs[r]
            if kind == "mm" or (kind == "mix" and i % 2 == 0):
                acc = onp.matmul(acc, x)
            else:
                acc = onp.add(acc, onp.sin(x).round() + x)
            onp.mod(acc, MOD, out=acc)
        for j, w in enumerate(writes):
            out = bufs[w]
            onp.multiply(out, 0.0, out=out)          # a torn state a racing reader would see
            onp.add(out, (acc + j) % MOD, out=out)
    return fn


def replay(prog: dict[str, Any]) -> tuple[dict[int, onp.ndarray], list[onp.ndarray]]:
    """Run the program sequentially in push order: final buffers and the value each
    sync point must observe."""
    bufs = initial_buffers(prog)
    seen = []
    for step in prog["steps"]:
        if step[0] == "op":
            make_fn(bufs, step)()
        else:
            seen.append(bufs[step[1]].copy())
    return bufs, seen


def run_on(eng: Any, prog: dict[str, Any], device_type: str = "cpu"
           ) -> tuple[dict[int, onp.ndarray], list[onp.ndarray]]:
    bufs = initial_buffers(prog)
    vs = [eng.new_var(f"v{i}") for i in range(prog["nvars"])]
    seen = []
    for k, step in enumerate(prog["steps"]):
        if step[0] == "op":
            _, reads, writes, _, _, prio, dev, copy, nbytes = step
            eng.push(make_fn(bufs, step), reads=[vs[i] for i in reads],
                     writes=[vs[i] for i in writes], device=Device(device_type, dev),
                     priority=prio,
                     name=f"op{k}", copy=copy, nbytes=nbytes * len(writes))
        else:
            eng.wait_for_var(vs[step[1]])
            seen.append(bufs[step[1]].copy())
    eng.wait_all()
    for v in vs:
        eng.delete_var(v)
    eng.wait_all()
    stats = eng.statistics()
    assert stats["pending"] == 0 and stats["completed"] == stats["pushed"]
    return bufs, seen


CONFIGS = {
    "threaded-1": dict(workers=1),
    "threaded-2": dict(workers=2),
    "threaded-4": dict(workers=4),
    "naive": dict(kind="naive"),
    # partitioned CPU sharing: waiting threads help a device only within its share of
    # the cores, and workers poll before parking when their next ops wait on others
    "partitioned-1": dict(workers=1, sharing="partitioned"),
    "partitioned-2": dict(workers=2, sharing="partitioned"),
    "window-1": dict(workers=2, run_ahead=1),
    "window-2-tiny-bytes": dict(workers=2, run_ahead=2, run_ahead_bytes=1),
    "window-8-small-bytes": dict(workers=4, run_ahead=8, run_ahead_bytes=3 * BUF_BYTES),
    "bound-1": dict(workers=2, max_pending_ops=1),
    "bound-3-window-2": dict(workers=1, max_pending_ops=3, run_ahead=2),
    "bound-bytes-window-1": dict(workers=4, max_pending_ops=4, max_pending_bytes=BUF_BYTES,
                                 run_ahead=1, run_ahead_bytes=1),
    # the stand-in asynchronous GPU: ops complete only after their stream's event
    "sim-gpu": dict(workers=1, device="sim_gpu"),
    "sim-gpu-window-1": dict(workers=1, device="sim_gpu", run_ahead=1, max_pending_ops=3),
    "sim-gpu-naive": dict(kind="naive", device="sim_gpu"),
}
_engines: dict[str, Any] = {}


def engine_for(config: str) -> Any:
    """One engine per configuration, shared by its examples (engines cannot stop their
    threads, so one per example would pile them up)."""
    eng = _engines.get(config)
    if eng is None:
        cfg = {k: v for k, v in CONFIGS[config].items() if k not in ("sharing", "device")}
        eng = _engines[config] = new_engine(devices=(0, 1, 2), copy_pools=True, **cfg)
    return eng


def check_program(config: str, prog: dict[str, Any]) -> None:
    expected, expected_seen = replay(prog)
    prev = set_cpu_sharing(CONFIGS[config].get("sharing", "adaptive"))
    try:
        got, got_seen = run_on(engine_for(config), prog,
                               CONFIGS[config].get("device", "cpu"))
    finally:
        set_cpu_sharing(prev)
    assert len(got_seen) == len(expected_seen)
    for i, (a, b) in enumerate(zip(got_seen, expected_seen)):
        assert onp.array_equal(a, b), f"sync point {i} saw a different value"
    for i in expected:
        assert onp.array_equal(got[i], expected[i]), f"var {i} differs from the replay"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("config", list(CONFIGS))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.data_too_large])
@given(prog=programs())
def test_random_program_equals_sequential_replay(config: str, prog: dict[str, Any]) -> None:
    check_program(config, prog)


def test_workers_setting_was_honoured() -> None:
    for config, cfg in CONFIGS.items():
        if "workers" in cfg:
            devs = engine_for(config).statistics()["devices"]
            for i in range(3):
                assert devs[f"cpu({i})"]["workers"] == cfg["workers"]
                assert devs[f"cpu({i})/copy"]["copy"]
