"""Process life: fork gives the child a fresh engine; exiting with work in flight is clean."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as onp
import pytest

from ndengine import engine

EXIT_TIMEOUT = 60


def _wait_child(pid: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"forked child {pid} hung")


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_gets_a_fresh_engine_that_works():
    a = onp.zeros(1000)
    v = engine.new_var("v")
    for i in range(200):                    # work in flight at fork time
        engine.push(lambda i=i: onp.add(a, i, out=a), writes=[v])
    parent_engine = engine.get_engine()
    pid = os.fork()
    if pid == 0:                            # child: report through the exit code only
        code = 1
        try:
            signal.alarm(30)
            fresh = engine.get_engine() is not parent_engine
            done_before_fork = bool((a == sum(range(200))).all())
            b = onp.zeros(1000)
            w = engine.new_var("w")
            for i in range(100):
                engine.push(lambda i=i: onp.add(b, i, out=b), reads=[v], writes=[w])
            engine.wait_for_var(w)
            engine.wait_all()
            ok = (b == sum(range(100))).all()
            stats = engine.statistics()
            counted = stats["pushed"] == 100 and stats["pending"] == 0
            code = 0 if (fresh and done_before_fork and ok and counted) else \
                10 + fresh + 2 * done_before_fork + 4 * bool(ok)
        finally:
            os._exit(code)
    assert _wait_child(pid, 45) == 0
    engine.wait_for_var(v)                  # the parent's engine still works
    assert (a == sum(range(200))).all()
    engine.push(lambda: onp.add(a, 1, out=a), writes=[v])
    engine.wait_for_var(v)
    assert (a == sum(range(200)) + 1).all()


def run_script(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=EXIT_TIMEOUT, env=full_env)


def assert_clean(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Exception" not in proc.stderr, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr


@pytest.mark.timeout(90)
def test_exit_with_slow_work_in_flight_finishes_it_and_exits_cleanly(tmp_path):
    out = tmp_path / "done.txt"
    proc = run_script(f"""
        import time
        from ndengine import engine
        v = engine.new_var("v")
        def slow(i):
            def fn():
                time.sleep(0.05)
                with open({str(out)!r}, "a") as f:
                    f.write(f"{{i}}\\n")
            return fn
        for i in range(10):
            engine.push(slow(i), writes=[v])
        print("pushed", flush=True)
    """)
    assert_clean(proc)
    assert proc.stdout == "pushed\n"
    assert out.read_text().split() == [str(i) for i in range(10)]


@pytest.mark.timeout(90)
def test_exit_with_a_failing_op_in_flight_exits_cleanly():
    proc = run_script("""
        import time
        from ndengine import engine
        v, w = engine.new_var("v"), engine.new_var("w")
        def fails():
            time.sleep(0.05)
            raise ValueError("never waited for")
        engine.push(fails, writes=[v])
        engine.push(lambda: None, reads=[v], writes=[w])
    """)
    assert_clean(proc)


@pytest.mark.timeout(90)
def test_exit_with_an_op_that_never_finishes_is_bounded_by_the_exit_timeout():
    proc = run_script("""
        import threading
        from ndengine import engine
        stuck = threading.Event()
        v, w = engine.new_var("v"), engine.new_var("w")
        engine.push(lambda: stuck.wait(), writes=[v])
        engine.push(lambda: None, reads=[v], writes=[w])
    """, env={"NDENGINE_EXIT_TIMEOUT": "1", "NDENGINE_EXIT_GRACE": "1"})
    assert proc.returncode == 0, proc.stderr
    # one line says what was given up: the op behind the stuck one, and the stuck one
    assert proc.stderr.strip() == ("ndengine: exit NDENGINE_EXIT_TIMEOUT (1 s) passed: "
                                   "abandoned 1 pending op (waiting for the 1 running)")
