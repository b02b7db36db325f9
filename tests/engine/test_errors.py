"""Errors inside ops: poisoning, skipping, delivery (wait_all raises an error no sync
point has raised yet, once), sticky failure of a var until a successful write, recovery."""
from __future__ import annotations

import inspect
import threading
import time

import pytest

from ndengine.base import MXNetError, OpError

KINDS = ["threaded", "naive"]


class Boom(Exception):
    pass


def boom() -> None:
    raise Boom("kaboom")


def here() -> int:
    """The line number of the caller's next line (where the push is)."""
    return inspect.currentframe().f_back.f_lineno + 1


@pytest.fixture(params=KINDS)
def eng(request, make_engine):
    return make_engine(request.param, workers=2)


def test_error_is_raised_at_the_sync_point_with_name_site_and_cause(eng):
    x = eng.new_var("x")
    line = here()
    eng.push(boom, writes=[x], name="exploding_op")
    with pytest.raises(OpError) as info:
        eng.wait_for_var(x)
    err = info.value
    assert isinstance(err, MXNetError) and isinstance(err, RuntimeError)
    assert err.op_name == "exploding_op"
    assert "exploding_op" in str(err)
    assert err.pushed_at == f"{__file__}:{line}"
    assert f"test_errors.py:{line}" in str(err)
    assert isinstance(err.__cause__, Boom) and str(err.__cause__) == "kaboom"
    with pytest.raises(OpError) as again:  # x has no value: every sync point on it
        eng.wait_for_var(x)                 # raises the same error
    assert again.value is err
    eng.wait_all()                 # ... but it is delivered: wait_all does not raise it


def test_error_poisons_every_var_the_op_writes(eng):
    x, y = eng.new_var("x"), eng.new_var("y")
    eng.push(boom, writes=[x, y], name="two_outputs")
    with pytest.raises(OpError, match="two_outputs"):
        eng.wait_for_var(x)
    with pytest.raises(OpError, match="two_outputs"):
        eng.wait_for_var(y)


def test_readers_of_a_poisoned_var_are_skipped_and_poisoned_in_turn(eng):
    x, y, z = eng.new_var("x"), eng.new_var("y"), eng.new_var("z")
    ran = []
    eng.push(boom, writes=[x], name="source")
    eng.push(lambda: ran.append("y"), reads=[x], writes=[y], name="middle")
    eng.push(lambda: ran.append("z"), reads=[y], writes=[z], name="sink")
    eng.push(lambda: ran.append("rw"), reads=[x], writes=[x], name="read_write")
    with pytest.raises(OpError, match="source") as info:
        eng.wait_for_var(z)
    assert ran == []
    assert isinstance(info.value.__cause__, Boom)
    with pytest.raises(OpError, match="source"):
        eng.wait_for_var(y)
    with pytest.raises(OpError, match="source"):  # the read-write op kept x poisoned
        eng.wait_for_var(x)
    eng.wait_all()                 # every sync point above consumed the one error


def test_unrelated_vars_stay_usable_and_workers_survive(eng):
    x, u = eng.new_var("x"), eng.new_var("u")
    out = []
    for _ in range(4):             # more failures than workers
        eng.push(boom, writes=[x])
    for i in range(50):
        eng.push(lambda i=i: out.append(i), writes=[u])
    eng.wait_for_var(u)
    assert out == list(range(50))
    with pytest.raises(OpError):
        eng.wait_for_var(x)
    # later ops still run, on threads that saw the failures
    eng.push(lambda: out.append("later"), writes=[x])
    eng.wait_for_var(x)
    assert out[-1] == "later"
    with pytest.raises(OpError):   # three of the four failures were never raised
        eng.wait_all()
    eng.wait_all()


def test_later_successful_write_clears_the_poison(eng):
    x = eng.new_var("x")
    ran = []
    eng.push(boom, writes=[x], name="first")
    eng.push(lambda: ran.append(1), writes=[x], name="overwrite")   # no read of x
    eng.wait_for_var(x)            # x's error is gone with the overwrite
    assert ran == [1]
    eng.push(lambda: ran.append(2), reads=[x], writes=[eng.new_var()])
    with pytest.raises(OpError, match="first"):
        eng.wait_all()             # ... but the error itself was never raised: wait_all does
    assert ran == [1, 2]


def test_wait_all_raises_the_first_pending_error_and_clears_it(eng):
    a, b, c = eng.new_var("a"), eng.new_var("b"), eng.new_var("c")

    def fail(msg: str):
        def fn() -> None:
            raise Boom(msg)
        return fn

    eng.push(fail("first"), writes=[a], name="first")
    eng.drain()                    # 'first' has failed (drain raises nothing)
    eng.push(fail("second"), writes=[b], name="second")
    eng.drain()
    eng.push(lambda: None, reads=[b], writes=[c], name="skipped")
    with pytest.raises(OpError, match="first") as info:
        eng.wait_all()
    assert str(info.value.__cause__) == "first"
    eng.wait_all()                 # cleared: the second error is forgotten too
    assert eng.statistics()["errors_pending"] == 0


def test_an_error_consumed_downstream_is_not_raised_again_by_wait_all(eng):
    a, m = eng.new_var("a"), eng.new_var("m")
    eng.push(boom, writes=[a], name="source")
    eng.push(lambda: None, reads=[a], writes=[m], name="skipped")
    with pytest.raises(OpError, match="source"):
        eng.wait_for_var(m)        # the same error object travels to m
    eng.wait_all()


def test_error_raised_by_wait_for_var_is_not_raised_again_by_wait_all(eng):
    x = eng.new_var("x")
    eng.push(boom, writes=[x])
    with pytest.raises(OpError):
        eng.wait_for_var(x)
    eng.wait_all()


def test_wait_to_write_raises_the_error_of_a_finished_op(eng):
    x = eng.new_var("x")
    eng.push(boom, writes=[x], name="w")
    eng.drain()
    with pytest.raises(OpError, match="'w'"):
        eng.wait_to_write(x)
    with pytest.raises(OpError, match="'w'"):    # still failed: nothing wrote x since
        eng.wait_to_write(x)
    eng.push(lambda: None, writes=[x], name="fix")  # a successful write gives it a value
    eng.wait_to_write(x)
    eng.wait_for_var(x)
    eng.wait_all()


def test_wait_to_write_raises_the_error_of_an_op_still_running(make_engine):
    eng = make_engine("threaded", workers=2)
    x = eng.new_var("x")
    gate = threading.Event()

    def slow_failure() -> None:
        gate.wait(10)
        raise Boom("late")

    eng.push(slow_failure, writes=[x], name="slow_failure")
    threading.Timer(0.05, gate.set).start()
    try:
        with pytest.raises(OpError, match="slow_failure"):
            eng.wait_to_write(x)    # its barrier did not clear the error
    finally:
        gate.set()
    with pytest.raises(OpError, match="slow_failure"):
        eng.wait_for_var(x)         # x still has no value
    eng.wait_all()                  # delivered above: not raised again


def test_base_exception_in_an_op_is_caught_and_the_worker_survives(make_engine):
    eng = make_engine("threaded", workers=2)
    eng.policies.off("helping")          # the worker runs it, not the waiting thread
    x, y = eng.new_var("x"), eng.new_var("y")

    def exits() -> None:
        raise SystemExit(3)

    eng.push(exits, writes=[x], name="exits")
    with pytest.raises(OpError, match="exits") as info:
        eng.wait_for_var(x)
    assert isinstance(info.value.__cause__, SystemExit)
    out = []
    eng.push(lambda: out.append(1), writes=[y])
    eng.wait_for_var(y)
    assert out == [1]


def test_system_exit_in_the_calling_thread_propagates_and_the_op_is_requeued(eng):
    """Issue 19: SystemExit (and KeyboardInterrupt) raised while the calling thread runs
    an op itself propagate as themselves; the op is not poisoned but queued again."""
    x = eng.new_var("x")
    runs = []
    gate = threading.Event()
    if eng.kind == "threaded":          # keep the workers busy: this thread runs it
        eng._ncores = 8
        for _ in range(2):
            eng.push(lambda: gate.wait(30), writes=[eng.new_var()], name="hold")
        while eng.statistics()["devices"]["cpu(0)"]["running"] < 2:
            time.sleep(0.001)

    def exits_once() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise SystemExit(3)

    with pytest.raises(SystemExit):
        eng.push(exits_once, writes=[x], name="exits_once")
        eng.wait_for_var(x)              # (the naive engine runs it in push)
    assert x.exc is None
    eng.wait_for_var(x)                  # runs again, completes
    assert runs == [1, 1]
    gate.set()
    eng.wait_all()
