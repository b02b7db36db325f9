"""Pooled storage: reuse, no reuse while referenced, counters, limits, out of memory."""
from __future__ import annotations

import gc

import numpy as onp
import pytest

import ndengine
from ndengine import cpu, np
from ndengine.base import OpError
from ndengine.device.storage import Storage


F32 = onp.dtype("float32")


def test_slab_is_reused_after_last_reference_dies():
    st = Storage(cpu(0))
    a = st.alloc((512, 512), F32)
    addr = a.__array_interface__["data"][0]
    del a
    b = st.alloc((500, 500), F32)          # same size class
    assert b.__array_interface__["data"][0] == addr
    assert st.info()["hits"] == 1 and st.info()["misses"] == 1


def test_slab_not_reused_while_a_view_lives():
    st = Storage(cpu(0))
    a = st.alloc((512, 512), F32)
    a[:] = 7
    view = a[10:20]
    del a
    b = st.alloc((512, 512), F32)
    b[:] = 0
    assert (view == 7).all()               # the view's memory was not handed out again
    assert st.info()["misses"] == 2


def test_info_and_empty_cache():
    st = Storage(cpu(0))
    a = st.alloc((256, 1024), F32)
    info = st.info()
    assert info["allocated"] == info["in_use"] == 1 << 20 and info["pooled"] == 0
    del a
    info = st.info()
    assert info["pooled"] == 1 << 20 and info["in_use"] == 0
    assert st.empty_cache() == 1 << 20
    assert st.info()["allocated"] == 0


def test_limit_raises_memory_error_and_recovers():
    st = Storage(cpu(0))
    st.set_limit(3 << 20)
    a = st.alloc((1 << 20,), onp.dtype("uint8"))
    b = st.alloc((1 << 20,), onp.dtype("uint8"))
    with pytest.raises(MemoryError, match="memory limit"):
        st.alloc((1 << 21,), onp.dtype("uint8"))
    del a, b
    st.alloc((1 << 21,), onp.dtype("uint8"))   # freed slabs are given back first
    with pytest.raises(ValueError):
        st.set_limit(0)


def test_array_ops_use_the_pool_and_give_numpy_results(small_pool_min):
    ndengine.empty_cache()
    n = small_pool_min // 4 * 2                # float32 elements: above the pool threshold
    host = onp.random.default_rng(0).random(n, dtype=onp.float32)
    x = np.array(host)
    y = x
    for _ in range(20):
        y = np.tanh(y * 1.0001) + x
    expect = host
    for _ in range(20):
        expect = onp.tanh(expect * onp.float32(1.0001)) + host
    onp.testing.assert_allclose(y.asnumpy(), expect, rtol=1e-6)
    info = ndengine.memory_info(cpu(0))
    assert info["hits"] > 0                    # slabs were reused along the chain
    assert info["in_use"] <= 8 * n * 4         # only a few buffers live at once


def test_out_of_memory_in_an_op_is_an_op_error_and_the_engine_keeps_running(small_pool_min):
    from ndengine.device.storage import storage_of

    st = storage_of(cpu(0))
    ndengine.empty_cache()
    gc.collect()
    x = np.ones((small_pool_min,))             # 4 x small_pool_min bytes
    x.wait_to_read()
    old = st.limit
    st.set_limit(st.info()["allocated"] + small_pool_min)   # room for less than one output
    try:
        y = x * 2
        z = y + 1
        with pytest.raises(OpError, match="memory limit") as ei:
            z.wait_to_read()
        assert isinstance(ei.value.__cause__, MemoryError)
    finally:
        st.set_limit(old)
    assert float((x * 3).sum()) == 3 * small_pool_min   # the engine goes on
    ndengine.waitall()


def _counting_refcounts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the slabs the pool examines (each costs one sys.getrefcount)."""
    import sys

    import ndengine.device.storage as storage

    calls = [0]

    def counted(obj):
        calls[0] += 1
        return sys.getrefcount(obj) - 1      # without this wrapper's own argument

    monkeypatch.setattr(storage, "_getrefcount", counted)
    return calls


def test_many_live_arrays_do_not_make_each_allocation_scan_them_all(monkeypatch):
    """400 long-lived arrays of one size class, then a temporary allocated and dropped
    400 times: the pool may not look at every live slab for each temporary (it did:
    160,000 slabs examined, 48 us per allocation with 2000 live 300x300 arrays), and
    the slabs it allocates instead of finding the dead ones stay within an eighth of
    those in use."""
    import ndengine.device.storage as storage

    st = Storage(cpu(0))
    live = [st.alloc((256, 256), F32) for _ in range(400)]
    cls = 256 * 256 * 4
    calls = _counting_refcounts(monkeypatch)
    for _ in range(400):
        tmp = st.alloc((256, 256), F32)
        del tmp
    assert calls[0] <= 20 * 400, calls[0]
    extra = st.info()["allocated"] // cls - len(live)
    assert extra <= len(live) // storage._SKIP_RATIO + 2, extra
    assert st.info()["hits"] > 0            # the dead temporaries were found and reused


def test_dead_slabs_are_found_again_after_a_skip():
    """After the live arrays die, allocations reuse their slabs within a bounded number
    of fresh allocations (the skip after a pass that found few dead ones)."""
    import ndengine.device.storage as storage

    st = Storage(cpu(0))
    live = [st.alloc((256, 256), F32) for _ in range(400)]
    tmp = st.alloc((256, 256), F32)
    del tmp
    st.alloc((256, 256), F32)               # a pass: 1 dead of 400 -> skip the next ones
    before = st.info()["misses"]
    live.clear()
    again = [st.alloc((256, 256), F32) for _ in range(400)]
    fresh = st.info()["misses"] - before
    assert fresh <= 400 // storage._SKIP_RATIO + 1, fresh
    assert len(again) == 400


def test_default_threshold_and_set_pool_min():
    """By default (glibc) only outputs from 32 MB on come from the pool: below that
    the C heap reuses memory itself and the pool only costs time."""
    import platform

    from ndengine.device import storage

    glibc = platform.libc_ver()[0] == "glibc"
    assert storage.POOL_MIN_DEFAULT == (32 << 20 if glibc else 256 << 10)
    st = storage.storage_of(cpu(0))
    prev = storage.set_pool_min(None)
    try:
        assert storage.POOL_MIN == storage.POOL_MIN_DEFAULT
        x = np.ones((1 << 20,))                        # 4 MB
        x.wait_to_read()
        before = st.info()
        (x * 2).wait_to_read()
        after = st.info()
        assert (after["hits"], after["misses"]) == (before["hits"], before["misses"])
        big = np.ones((storage.POOL_MIN_DEFAULT // 4,))
        big.wait_to_read()
        (big * 2).wait_to_read()
        assert st.info()["hits"] + st.info()["misses"] == after["hits"] + after["misses"] + 1
    finally:
        storage.set_pool_min(prev)
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="set_pool_min"):
            storage.set_pool_min(bad)


def test_a_memory_limit_brings_outputs_from_256_kb_into_the_pool():
    """Under a memory limit the pool serves outputs from 256 KB on (else the limit
    would count only outputs of 32 MB and more), and without one the default again."""
    from ndengine.device import storage

    st = storage.storage_of(cpu(0))
    storage.set_pool_min(None)                 # the default, as without the fixture
    old = st.limit
    try:
        st.set_limit(1 << 40)
        assert storage.POOL_MIN == min(storage.POOL_MIN_DEFAULT, storage.POOL_MIN_LIMITED)
        x = np.ones((1 << 18,))                # 1 MB
        x.wait_to_read()
        before = st.info()
        (x * 2).wait_to_read()
        after = st.info()
        assert after["hits"] + after["misses"] == before["hits"] + before["misses"] + 1
        st.set_limit(old)
        if old is None:
            assert storage.POOL_MIN == storage.POOL_MIN_DEFAULT
        storage.set_pool_min(123 << 10)        # an explicit threshold is kept
        st.set_limit(1 << 40)
        assert storage.POOL_MIN == 123 << 10
    finally:
        st.set_limit(old)
