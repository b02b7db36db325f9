"""Hard edges of a process's life (issues 18 and 19): Ctrl-C at exit and in a wait, the
exit timeout with work pending, fork while another thread pushes, work pushed or waited
for from inside an op, engine switches.  Each case runs in a child process, bounded by
timeouts: a hang fails the test instead of stalling the suite."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

HARD_TIMEOUT = 60


class Child:
    """A Python child process whose stdout and stderr are read by threads as it runs."""

    def __init__(self, argv: list[str], env: dict | None = None,
                 affinity: set[int] | None = None) -> None:
        full_env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))

        def pre() -> None:
            if affinity is not None:
                os.sched_setaffinity(0, affinity)

        self.proc = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=full_env,
                                     preexec_fn=pre if affinity else None)
        self.lines: list[str] = []
        self.err: list[str] = []
        self._new = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(f, b), daemon=True)
                         for f, b in ((self.proc.stdout, self.lines),
                                      (self.proc.stderr, self.err))]
        for t in self._readers:
            t.start()

    def _read(self, f, buf: list[str]) -> None:
        for line in f:
            with self._new:
                buf.append(line.rstrip("\n"))
                self._new.notify_all()
        with self._new:
            self._new.notify_all()

    def send_signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait_line(self, marker: str, timeout: float) -> None:
        """Until stdout has printed the line *marker*."""
        with self._new:
            ok = self._new.wait_for(lambda: marker in self.lines or
                                    self.proc.poll() is not None and
                                    not any(t.is_alive() for t in self._readers[:1]),
                                    timeout)
        if not ok or marker not in self.lines:
            self.proc.kill()
            self.finish(10)
            raise AssertionError(f"no {marker!r} line within {timeout} s: {self.lines} "
                                 f"{self.stderr[-2000:]}")

    @property
    def stdout(self) -> str:
        return "\n".join(self.lines)

    @property
    def stderr(self) -> str:
        return "\n".join(self.err)

    def finish(self, timeout: float) -> int:
        """The exit code; a process still running after *timeout* fails the test."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            for t in self._readers:
                t.join(5)
            raise AssertionError(f"the process hung (killed after {timeout} s): "
                                 f"{self.stdout[-1000:]} {self.stderr[-3000:]}")
        for t in self._readers:
            t.join(5)
        return self.proc.returncode


def _spawn(code: str, env: dict | None = None, affinity: set[int] | None = None) -> Child:
    return Child(["-c", textwrap.dedent(code)], env, affinity)


# -- Ctrl-C ---------------------------------------------------------------------------
PRODUCTS_AT_EXIT = """
    from ndengine import np
    x = np.random.normal(size=(1200, 1200))
    ys = [np.dot(x, x) for _ in range(400)]
    print("pushed")
"""


@pytest.mark.timeout(HARD_TIMEOUT)
def test_ctrl_c_at_exit_abandons_the_pending_work_and_exits() -> None:
    """SIGINT while the interpreter finishes the work in flight at exit: the process
    exits (a second Ctrl-C at the latest) and says how many ops it abandoned."""
    child = _spawn(PRODUCTS_AT_EXIT)
    child.wait_line("pushed", 30)
    time.sleep(0.5)                         # the script has ended: the exit drain runs
    child.send_signal(signal.SIGINT)
    try:
        child.proc.wait(10)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGINT)    # the second Ctrl-C
    code = child.finish(15)
    err = child.stderr
    assert code != -signal.SIGSEGV, err
    assert "abandoned" in err and "Traceback" not in err, err


@pytest.mark.timeout(HARD_TIMEOUT)
def test_ctrl_c_in_waitall_raises_promptly_and_leaves_the_engine_usable() -> None:
    proc = _spawn("""
        import time
        from ndengine import np, npx
        x = np.random.normal(size=(1200, 1200))
        ys = [np.dot(x, x) for _ in range(400)]
        print("waiting")
        try:
            npx.waitall()
            print("not interrupted")
        except KeyboardInterrupt:
            print("interrupted")
        z = np.ones((3,)) + 1
        print("usable", float(z.sum()))
    """, env={"NDENGINE_EXIT_TIMEOUT": "0.5"})     # the products left are given up at exit
    proc.wait_line("waiting", 30)
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait_line("interrupted", 10)
    latency = time.monotonic() - sent
    code = proc.finish(40)
    # promptly: within a few kernels' time, not after the 400 products (> 10 s)
    assert latency < 5.0, latency
    assert "usable 6.0" in proc.stdout and code == 0, (proc.stdout, proc.stderr)


# -- exit -----------------------------------------------------------------------------
@pytest.mark.timeout(HARD_TIMEOUT)
def test_the_exit_timeout_abandons_what_is_left_and_the_process_exits() -> None:
    """NDENGINE_EXIT_TIMEOUT=1 with about 40 s of work pending: once the timeout has
    passed no new op starts, the abandoned ones are counted, and exit completes."""
    proc = _spawn("""
        import time
        from ndengine import engine, np
        v = engine.new_var("v")
        x = np.random.normal(size=(800, 800))
        ys = [np.dot(x, x) for _ in range(20)]
        for i in range(200):
            engine.push(lambda: time.sleep(0.2), writes=[v])
        print("pushed")
    """, env={"NDENGINE_EXIT_TIMEOUT": "1"})
    proc.wait_line("pushed", 30)
    t = time.monotonic()
    proc.finish(30)
    assert time.monotonic() - t < 15, proc.stderr
    assert "abandoned" in proc.stderr, proc.stderr


# -- fork -----------------------------------------------------------------------------
@pytest.mark.timeout(HARD_TIMEOUT)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_while_another_thread_pushes_never_hangs() -> None:
    proc = _spawn("""
        import os, threading, time
        from ndengine import np, npx
        stop = threading.Event()
        def pusher():
            a = np.ones((50, 50))
            while not stop.is_set():
                a = (a * 1.0001 + 0.0) / 1.0001
        t = threading.Thread(target=pusher); t.start()
        time.sleep(0.2)
        for k in range(5):
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    z = np.arange(10) * 2
                    code = 0 if float(z.sum()) == 90.0 else 3
                finally:
                    os._exit(code)
            deadline = time.monotonic() + 20
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    assert os.waitstatus_to_exitcode(status) == 0, status
                    break
                if time.monotonic() > deadline:
                    os.kill(pid, 9); raise SystemExit("child hung")
                time.sleep(0.01)
        stop.set(); t.join(); npx.waitall()
        print("forks ok")
    """)
    code = proc.finish(50)
    out, err = proc.stdout, proc.stderr
    assert code == 0 and "forks ok" in out, err


@pytest.mark.timeout(HARD_TIMEOUT)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_with_an_op_that_does_not_finish_is_bounded_and_the_child_says_why() -> None:
    """An op still running at fork time (past NDENGINE_FORK_TIMEOUT) does not hold the
    fork; in the child, what it writes raises an error saying it was pending in the
    parent, and the child's own work runs."""
    proc = _spawn("""
        import os, threading, time
        from ndengine import engine, np
        from ndengine.base import MXNetError
        release = threading.Event()
        v = engine.new_var("v")
        engine.push(lambda: release.wait(20), writes=[v], name="slow")
        t = time.monotonic()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                try:
                    engine.wait_for_var(v)
                    code = 2
                except MXNetError as e:
                    ok = "pending in the parent process when it forked" in str(e)
                    code = 0 if ok and float((np.arange(4) + 1).sum()) == 10.0 else 3
            finally:
                os._exit(code)
        print("fork took", round(time.monotonic() - t, 1))
        _, status = os.waitpid(pid, 0)
        release.set()
        engine.wait_for_var(v)                 # the parent's op still completes
        print("child", os.waitstatus_to_exitcode(status))
    """, env={"NDENGINE_FORK_TIMEOUT": "0.5"})
    code = proc.finish(50)
    assert code == 0 and "child 0" in proc.stdout, (proc.stdout, proc.stderr)
    took = float(proc.stdout.split("fork took")[1].split()[0])
    assert took < 10, proc.stdout


@pytest.mark.timeout(HARD_TIMEOUT)
@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_multiprocessing_while_a_thread_pushes(method: str, tmp_path) -> None:
    script = tmp_path / "pool_main.py"       # spawn and forkserver re-import the main file
    script.write_text(textwrap.dedent(f"""
        import multiprocessing as mp, threading
        from ndengine import np, npx

        def work(i):
            from ndengine import np
            return float((np.arange(4) * i).sum())

        if __name__ == "__main__":
            stop = threading.Event()
            def pusher():
                a = np.ones((50, 50))
                while not stop.is_set():
                    a = a * 1.0
            t = threading.Thread(target=pusher); t.start()
            with mp.get_context({method!r}).Pool(2) as pool:
                got = pool.map(work, range(4))
            stop.set(); t.join(); npx.waitall()
            print("pool", got)
    """))
    proc = Child([str(script)])
    code = proc.finish(50)
    out, err = proc.stdout, proc.stderr
    assert code == 0 and "pool [0.0, 6.0, 12.0, 18.0]" in out, err


# -- work from inside an op ---------------------------------------------------------------
@pytest.mark.timeout(HARD_TIMEOUT)
def test_an_op_that_pushes_more_than_the_backpressure_bound_completes() -> None:
    """Backpressure never blocks an op running inside the engine (its own completion is
    what would relieve it)."""
    proc = _spawn("""
        from ndengine import engine
        v, w = engine.new_var("v"), engine.new_var("w")
        count = [0]
        def inc():
            count[0] += 1
        def pusher():
            for _ in range(5000):
                engine.push(inc, writes=[w])
        engine.push(pusher, writes=[v])
        engine.wait_all()
        print("count", count[0])
    """, env={"NDENGINE_MAX_PENDING_OPS": "4096"})
    code = proc.finish(50)
    out, err = proc.stdout, proc.stderr
    assert code == 0 and "count 5000" in out, err


@pytest.mark.timeout(HARD_TIMEOUT)
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity")
@pytest.mark.parametrize("env", [{}, {"NDENGINE_POLICIES_OFF": "helping"}],
                         ids=["default", "outer op on the worker"])
def test_an_op_waiting_for_a_later_op_on_its_device_completes_on_one_core(env) -> None:
    """A thread that waits from inside an op must be able to run the op it waits for
    (or the engine adds a worker): on a one-core process too.  With the helping policy
    off the main thread never runs the outer op, so the device's one worker does, and
    must run the inner one itself (it hung before, whenever the worker had taken the
    outer op)."""
    proc = _spawn("""
        from ndengine import engine
        import ndengine as mx
        v, w = engine.new_var("v"), engine.new_var("w")
        box = []
        def outer():
            engine.push(lambda: box.append(1), writes=[w], device=mx.cpu(0))
            engine.wait_for_var(w)
            box.append(2)
        engine.push(outer, writes=[v], device=mx.cpu(0))
        engine.wait_all()
        print("box", box)
    """, affinity={0}, env=env)
    code = proc.finish(50)
    out, err = proc.stdout, proc.stderr
    assert code == 0 and "box [1, 2]" in out, err


# -- engine switches ------------------------------------------------------------------
@pytest.mark.timeout(HARD_TIMEOUT)
def test_switching_engines_does_not_leak_threads() -> None:
    proc = _spawn("""
        import threading
        from ndengine import engine, np
        (np.ones(3) + 1).wait_to_read()
        before = threading.active_count()
        for i in range(100):
            engine.set_engine("naive" if i % 2 == 0 else "threaded")
            (np.ones(3) + 1).wait_to_read()
        engine.set_engine("threaded")
        (np.ones(3) + 1).wait_to_read()
        print("threads", before, threading.active_count())
    """)
    code = proc.finish(50)
    out, err = proc.stdout, proc.stderr
    assert code == 0, err
    before, after = (int(x) for x in out.split()[-2:])
    assert after <= before + 2, out


@pytest.mark.timeout(HARD_TIMEOUT)
def test_switching_engines_while_another_thread_pushes_is_refused_or_safe() -> None:
    """Never a hang and never a wrong value: the switch either goes through or raises
    its clear error, and the pushing thread's results are right either way."""
    proc = _spawn("""
        import threading
        from ndengine import engine, np, npx
        stop = threading.Event()
        bad = []
        def pusher():
            a = np.ones((20, 20))
            while not stop.is_set():
                b = a * 2 + 1
                if float(b[0, 0]) != 3.0:
                    bad.append(float(b[0, 0]))
        t = threading.Thread(target=pusher); t.start()
        refused = switched = 0
        for i in range(40):
            try:
                engine.set_engine("naive" if i % 2 == 0 else "threaded")
                switched += 1
            except RuntimeError as e:
                assert "another thread pushed work" in str(e), e
                refused += 1
        stop.set(); t.join(); npx.waitall()
        print("ok", switched + refused, bad)
    """)
    code = proc.finish(50)
    assert code == 0 and "ok 40 []" in proc.stdout, (proc.stdout, proc.stderr)
