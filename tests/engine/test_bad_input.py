"""Bad input is refused at the call, with an error naming the argument; never a hang."""
from __future__ import annotations

import pytest

from ndengine.device import DeviceError, cpu, gpu, num_gpus

KINDS = ["threaded", "naive"]


@pytest.fixture(params=KINDS)
def eng(request, make_engine):
    return make_engine(request.param, workers=1)


def noop() -> None:
    return None


def test_non_callable_fn(eng):
    with pytest.raises(TypeError, match=r"push: fn must be callable, got int"):
        eng.push(3, writes=[eng.new_var()])


def test_non_var_in_reads_or_writes(eng):
    v = eng.new_var()
    with pytest.raises(TypeError, match=r"reads\[1\] must be a Var.*got str"):
        eng.push(noop, reads=[v, "x"], writes=[eng.new_var()])
    with pytest.raises(TypeError, match=r"writes\[0\] must be a Var.*got int"):
        eng.push(noop, writes=[5])
    with pytest.raises(TypeError, match=r"writes\[0\] must be a Var.*got NoneType"):
        eng.push(noop, reads=[v], writes=[None])


def test_deleted_var_in_reads_or_writes(eng):
    v, w = eng.new_var("gone"), eng.new_var()
    eng.delete_var(v)
    with pytest.raises(ValueError, match=r"push: reads\[0\].*gone.*deleted"):
        eng.push(noop, reads=[v], writes=[w])
    with pytest.raises(ValueError, match=r"push: writes\[0\].*gone.*deleted"):
        eng.push(noop, writes=[v])


@pytest.mark.parametrize("device", ["cpu", "cpu(0)", 0])
def test_device_that_is_not_a_device(eng, device):
    with pytest.raises(TypeError, match=r"push: device must be a Device"):
        eng.push(noop, writes=[eng.new_var()], device=device)


def test_unavailable_gpu(eng):
    assert num_gpus() == 0
    with pytest.raises(DeviceError, match=r"gpu\(0\).*not available") as info:
        eng.push(noop, writes=[eng.new_var()], device=gpu(0))
    assert isinstance(info.value, ValueError)


def test_priority_must_be_an_int(eng):
    with pytest.raises(TypeError, match=r"priority must be an int"):
        eng.push(noop, writes=[eng.new_var()], priority=1.5)


def test_a_refused_push_leaves_the_engine_usable(eng):
    v = eng.new_var()
    for bad in (dict(fn=1), dict(device="cpu"), dict(writes=[object()])):
        args = dict(fn=noop, writes=[v]) | bad
        with pytest.raises(TypeError):
            eng.push(**args)
    out = []
    eng.push(lambda: out.append(1), writes=[v])
    eng.wait_for_var(v)
    assert out == [1]
    stats = eng.statistics()
    assert stats["pending"] == 0 and stats["completed"] == stats["pushed"]


def test_waiting_on_a_deleted_var_is_a_clear_error(eng):
    v = eng.new_var("gone")
    eng.push(noop, writes=[v])
    eng.delete_var(v)
    with pytest.raises(ValueError, match=r"wait_for_var: .*gone.*deleted"):
        eng.wait_for_var(v)
    with pytest.raises(ValueError, match=r"wait_to_write: .*gone.*deleted"):
        eng.wait_to_write(v)


def test_waiting_on_a_non_var(eng):
    with pytest.raises(TypeError, match=r"wait_for_var: expected a Var, got int"):
        eng.wait_for_var(1)
    with pytest.raises(TypeError, match=r"wait_to_write: expected a Var, got NoneType"):
        eng.wait_to_write(None)


def test_delete_var_twice_and_non_var(eng):
    v = eng.new_var("v")
    eng.delete_var(v)
    with pytest.raises(ValueError, match=r"delete_var: .*already deleted"):
        eng.delete_var(v)
    with pytest.raises(TypeError, match=r"delete_var: expected a Var"):
        eng.delete_var("v")


def test_delete_var_runs_after_pending_ops_on_it(eng):
    v = eng.new_var("v")
    log = []
    eng.push(lambda: log.append("write"), writes=[v])
    eng.push(lambda: log.append("read"), reads=[v], writes=[eng.new_var()])
    eng.delete_var(v, on_delete=lambda: log.append("delete"))
    eng.wait_all()
    assert log == ["write", "read", "delete"]


def test_bound_must_be_positive(eng):
    with pytest.raises(ValueError, match="max_pending_ops"):
        eng.set_bound(max_pending_ops=0)
    with pytest.raises(ValueError, match="max_pending_bytes"):
        eng.set_bound(max_pending_bytes=0)


def test_single_var_instead_of_a_sequence_names_the_argument(eng):
    v = eng.new_var()
    with pytest.raises(TypeError, match=r"reads"):
        eng.push(noop, reads=v, writes=[eng.new_var()])


def test_unhashable_device_names_the_argument(eng):
    with pytest.raises(TypeError, match=r"device"):
        eng.push(noop, writes=[eng.new_var()], device=[cpu(0)])
