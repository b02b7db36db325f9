"""Pooled storage: reuse, no reuse while referenced, counters, limits, out of memory."""
from __future__ import annotations

import gc

import numpy as onp
import pytest

import ndengine
from ndengine import cpu, np
from ndengine.base import OpError
from ndengine.device.storage import POOL_MIN, Storage


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


def test_array_ops_use_the_pool_and_give_numpy_results():
    ndengine.empty_cache()
    n = POOL_MIN // 4 * 2                      # float32 elements: above the pool threshold
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


def test_out_of_memory_in_an_op_is_an_op_error_and_the_engine_keeps_running():
    from ndengine.device.storage import storage_of

    st = storage_of(cpu(0))
    ndengine.empty_cache()
    gc.collect()
    x = np.ones((POOL_MIN,))                   # 4 x POOL_MIN bytes
    x.wait_to_read()
    old = st.limit
    st.set_limit(st.info()["allocated"] + POOL_MIN)   # room for less than one output
    try:
        y = x * 2
        z = y + 1
        with pytest.raises(OpError, match="memory limit") as ei:
            z.wait_to_read()
        assert isinstance(ei.value.__cause__, MemoryError)
    finally:
        st.set_limit(old)
    assert float((x * 3).sum()) == 3 * POOL_MIN   # the engine goes on
    ndengine.waitall()
