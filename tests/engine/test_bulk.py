"""bulk(n): consecutive pushes of a thread fused into one engine op."""
from __future__ import annotations

import inspect

import numpy as onp
import pytest

from ndengine import engine
from ndengine.base import OpError
from ndengine.device import cpu


def pushed() -> int:
    return engine.statistics()["pushed"]


@pytest.fixture(autouse=True)
def quiet_engine():
    engine.wait_all()
    yield
    engine.wait_all()


def chain(n: int, bufs: dict, vs: list) -> None:
    """n dependent ops over three vars (results depend on the order they run in)."""
    for i in range(n):
        a, b = i % 3, (i + 1) % 3

        def fn(a=a, b=b, i=i) -> None:
            bufs[b][:] = (bufs[b] * 2 + bufs[a] + i) % 1009

        engine.push(fn, reads=[vs[a]], writes=[vs[b]], name=f"step{i}")


@pytest.mark.parametrize("size,n", [(1, 10), (4, 10), (16, 50), (64, 30)])
def test_bulk_results_equal_and_ops_are_coalesced(size, n):
    def fresh():
        return {k: onp.arange(64.0) + k for k in range(3)}

    expected = fresh()
    vs = [engine.new_var() for _ in range(3)]
    chain(n, expected, vs)
    engine.wait_all()
    got = fresh()
    before = pushed()
    with engine.bulk(size):
        chain(n, got, vs)
    engine.wait_all()
    assert pushed() - before == -(-n // size)     # ceil(n / size) fused ops
    for k in range(3):
        assert onp.array_equal(got[k], expected[k])


def test_error_inside_a_bulk_names_the_failing_sub_op_and_its_site():
    x, y = engine.new_var("x"), engine.new_var("y")
    ran = []

    def bad() -> None:
        raise ZeroDivisionError("in bulk")

    with engine.bulk(8):
        engine.push(lambda: ran.append(1), writes=[x], name="fine_before")
        line = inspect.currentframe().f_lineno + 1
        engine.push(bad, reads=[x], writes=[y], name="the_culprit")
        engine.push(lambda: ran.append(3), writes=[y], name="fine_after")
    with pytest.raises(OpError) as info:
        engine.wait_for_var(y)
    err = info.value
    assert err.op_name == "the_culprit"
    assert err.pushed_at == f"{__file__}:{line}"
    assert isinstance(err.__cause__, ZeroDivisionError)
    assert ran == [1]               # sub-ops after the failing one did not run
    # the fused op wrote x too, so x carries the error as well (documented in bulk.py)
    with pytest.raises(OpError, match="the_culprit"):
        engine.wait_for_var(x)


@pytest.mark.parametrize("sync", ["wait_for_var", "wait_to_write", "wait_all"])
def test_sync_point_inside_a_bulk_flushes(sync):
    v = engine.new_var("v")
    ran = []
    before = pushed()
    with engine.bulk(100):
        engine.push(lambda: ran.append(1), writes=[v])
        engine.push(lambda: ran.append(2), reads=[v], writes=[v])
        getattr(engine, sync)(*(() if sync == "wait_all" else (v,)))
        assert ran == [1, 2]
        engine.push(lambda: ran.append(3), writes=[v])
    engine.wait_all()
    assert ran == [1, 2, 3]
    # wait_to_write may push a barrier op of its own
    assert pushed() - before in ((2, 3) if sync == "wait_to_write" else (2,))


def test_device_change_and_copy_flag_flush():
    v, w = engine.new_var("v"), engine.new_var("w")
    ran = []
    before = pushed()
    with engine.bulk(100):
        engine.push(lambda: ran.append("a"), writes=[v], device=cpu(0))
        engine.push(lambda: ran.append("b"), writes=[v], device=cpu(0))
        engine.push(lambda: ran.append("c"), reads=[v], writes=[w], device=cpu(1))
        engine.push(lambda: ran.append("d"), reads=[w], writes=[v], device=cpu(1), copy=True)
        engine.push(lambda: ran.append("e"), writes=[v], device=cpu(0))
    engine.wait_all()
    assert ran == ["a", "b", "c", "d", "e"]
    assert pushed() - before == 4


def test_bulk_size_must_be_a_positive_int():
    for bad in (0, -1, 2.0, None):
        with pytest.raises(ValueError, match="size"):
            with engine.bulk(bad):
                pass


def test_delete_var_inside_a_bulk_runs_after_the_ops_pushed_before_it():
    v = engine.new_var("v")
    log = []
    with engine.bulk(8):
        engine.push(lambda: log.append("write"), writes=[v])
        engine.delete_var(v, on_delete=lambda: log.append("delete"))
    engine.wait_all()
    assert log == ["write", "delete"]


def test_bulk_gives_the_same_error_semantics_as_separate_pushes():
    v, w = engine.new_var("v"), engine.new_var("w")

    def bad() -> None:
        raise ValueError("old failure")

    engine.push(bad, writes=[v])   # v is poisoned (the error not yet raised)
    engine.get_engine().drain()
    log = []
    with engine.bulk(8):
        engine.push(lambda: log.append("overwrite v"), writes=[v])
        engine.push(lambda: log.append("read v"), reads=[v], writes=[w])
    try:
        engine.wait_for_var(w)     # without bulk: both run, w is fine
    finally:
        try:
            engine.wait_all()
        except OpError:
            pass
    assert log == ["overwrite v", "read v"]


def test_bulk_with_an_engine_instance_keeps_its_ops_on_that_engine(make_engine):
    eng = make_engine("threaded", workers=1)
    v = eng.new_var("v")
    ran = []
    with engine.bulk(4):
        eng.push(lambda: ran.append(1), writes=[v])
    engine.wait_all()
    eng.wait_all()
    assert ran == [1]
    assert eng.statistics()["pushed"] == 2      # the warm-up op and this one
