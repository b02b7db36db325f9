"""Choosing the engine: set_engine, NDENGINE_ENGINE, MXNET_ENGINE_TYPE; naive semantics."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest

from ndengine import engine
from ndengine.base import OpError

PROBE = textwrap.dedent("""
    import json, threading
    from ndengine import engine
    eng = engine.get_engine()
    v = engine.new_var()
    seen = []
    engine.push(lambda: seen.append(threading.current_thread() is threading.main_thread()),
                writes=[v])
    ran_at_push = list(seen)
    engine.wait_all()
    print(json.dumps({"kind": eng.kind, "type": type(eng).__name__,
                      "ran_at_push": ran_at_push, "in_caller": seen}))
""")


def probe(env: dict) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items()
            if k not in ("NDENGINE_ENGINE", "MXNET_ENGINE_TYPE")}
    full.update(env)
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=60, env=full)


@pytest.mark.parametrize("env,kind", [
    ({}, "threaded"),
    ({"NDENGINE_ENGINE": "naive"}, "naive"),
    ({"NDENGINE_ENGINE": " Naive "}, "naive"),
    ({"MXNET_ENGINE_TYPE": "NaiveEngine"}, "naive"),
    ({"MXNET_ENGINE_TYPE": "ThreadedEnginePerDevice"}, "threaded"),
    ({"NDENGINE_ENGINE": "threaded", "MXNET_ENGINE_TYPE": "NaiveEngine"}, "threaded"),
])
def test_engine_chosen_by_environment(env, kind):
    proc = probe(env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["kind"] == kind
    if kind == "naive":
        assert out["type"] == "NaiveEngine"
        assert out["ran_at_push"] == [True]      # ran before push returned, in the caller
    else:
        assert out["in_caller"] != []            # ran by wait_all at the latest


def test_bad_engine_environment_is_a_clear_error():
    proc = probe({"NDENGINE_ENGINE": "fast"})
    assert proc.returncode != 0
    assert "NDENGINE_ENGINE must be 'threaded' or 'naive'" in proc.stderr
    assert "'fast'" in proc.stderr


@pytest.fixture
def restore_threaded():
    engine.wait_all()
    yield
    engine.set_engine("threaded")
    engine.wait_all()


def test_set_engine_naive_runs_each_op_at_push_time_in_the_caller(restore_threaded):
    engine.set_engine("naive")
    assert engine.get_engine().kind == "naive"
    assert engine.push == engine.get_engine().push       # the module entry points rebound
    v, w = engine.new_var(), engine.new_var()
    log = []
    engine.push(lambda: log.append(("a", threading.current_thread())), writes=[v])
    assert log == [("a", threading.current_thread())]
    engine.push(lambda: log.append(("b", threading.current_thread())), reads=[v], writes=[w])
    assert len(log) == 2
    engine.wait_for_var(w)
    stats = engine.statistics()
    assert stats["engine"] == "naive" and stats["pending"] == 0
    assert all(d["workers"] == 0 for d in stats["devices"].values())
    engine.set_engine("naive")                              # no-op
    engine.set_engine("threaded")
    assert engine.get_engine().kind == "threaded"


def test_set_engine_keeps_pending_errors_and_work(restore_threaded):
    x = engine.new_var("x")
    done = []
    gate = threading.Event()

    def slow_then_fail() -> None:
        gate.wait(10)
        done.append(1)
        raise KeyError("carried over")

    engine.push(slow_then_fail, writes=[x], name="carried")
    gate.set()
    engine.set_engine("naive")          # finishes the old engine's work first
    assert done == [1]
    with pytest.raises(OpError, match="carried"):
        engine.wait_all()
    engine.wait_all()


def test_set_engine_rejects_unknown_kinds(restore_threaded):
    with pytest.raises(ValueError, match="'threaded' or 'naive'"):
        engine.set_engine("NaiveEngine")
    assert engine.get_engine().kind == "threaded"


def test_naive_engine_instance_never_starts_threads(make_engine):
    before = threading.active_count()
    eng = make_engine("naive", devices=(0, 1))
    x = eng.new_var()
    eng.push(lambda: None, writes=[x], copy=True)
    assert threading.active_count() == before
    assert eng.statistics()["pending"] == 0


@pytest.mark.timeout(60)
def test_naive_engine_runs_every_op_whatever_the_cores_gate_says(make_engine):
    """With no workers, the threads that push and wait are the only ones that can run
    an op: the 'help only while a core is free' gate must not apply.  (Front-end
    threads pushing to a naive engine at once could fill the cores and leave an op to
    nobody: a full-suite run under load hung in test_frontends' naive case.)"""
    from ndengine.device import cpu

    eng = make_engine("naive", devices=(0, 1))
    eng._ncores = 0                              # every core taken, as far as the gate sees
    done: list = []

    def program() -> None:
        x, y = eng.new_var(), eng.new_var()
        eng.push(lambda: done.append("op"), writes=[x])
        eng.push(lambda: done.append("copy"), reads=[x], writes=[y], device=cpu(1), copy=True)
        eng.wait_for_var(y)
        eng.wait_all()
        done.append("end")

    th = threading.Thread(target=program, daemon=True)
    th.start()
    th.join(10)
    assert not th.is_alive(), "an op was left to nobody"
    assert done == ["op", "copy", "end"]
