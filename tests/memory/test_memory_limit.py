"""Under a memory limit every op's outputs count, whatever made them (issue 19: only
elementwise ops used to; zeros, ones, full, empty, arange, random draws, np.array, copy,
tile, dot allocated past the limit): a MemoryError naming the op, the size and the
limit, at the sync point for an op (at the call for np.array's host copy)."""
from __future__ import annotations

import gc
import os
import subprocess
import sys

import numpy as onp
import pytest

import ndengine
from ndengine import cpu, np, npx
from ndengine.device import storage
from ndengine.device.storage import storage_of

LIMIT = 8 << 20            # 8 MB
N = 4 << 20                # float32 elements: 16 MB, twice the limit


@pytest.fixture
def limited():
    st = storage_of(cpu(0))
    npx.waitall()
    gc.collect()
    old = st.limit
    st.set_limit(LIMIT)
    try:
        yield st
    finally:
        st.set_limit(old)
        npx.waitall()


OVER = {
    "zeros": lambda: np.zeros(N),
    "ones": lambda: np.ones(N),
    "full": lambda: np.full(N, 3.0),
    "empty": lambda: np.empty(N),
    "arange": lambda: np.arange(N),
    "random.normal": lambda: np.random.normal(size=N),
    "random.uniform": lambda: np.random.uniform(size=N),
    "copy": lambda: np.broadcast_to(np.ones(1), (N,)).copy(),
    "tile": lambda: np.tile(np.ones(1024), N // 1024),
    "dot": lambda: np.dot(np.ones((2048, 1)), np.ones((1, 2048))),
    "add": lambda: np.ones((1, 1024)) + np.ones((N // 1024, 1)),
    "exp": lambda: np.exp(np.broadcast_to(np.ones(1), (N,))),
    "getitem": lambda: np.ones((1, 1024))[np.zeros(N // 1024, dtype="int64")],
    "copyto": lambda: np.broadcast_to(np.ones(1), (N,)).copyto(cpu(0)),
}
OP_NAME = {"ones": "full", "copy": "copy"}


@pytest.mark.parametrize("name", list(OVER))
def test_an_output_past_the_limit_is_a_memory_error_naming_op_size_and_limit(limited, name):
    y = OVER[name]()
    op = OP_NAME.get(name, name)
    with pytest.raises(MemoryError, match=rf"{op}: allocating \d+ bytes on cpu\(0\) would "
                                          rf"exceed its memory limit of {LIMIT} bytes"):
        y.wait_to_read()
    # the engine goes on, and small outputs still fit
    assert float(np.ones(8).sum()) == 8.0


def test_np_array_of_host_data_past_the_limit_fails_at_the_call(limited):
    host = onp.ones(N, dtype=onp.float32)
    with pytest.raises(MemoryError, match=rf"array: allocating {4 * N} bytes on cpu\(0\) "
                                          rf"would exceed its memory limit"):
        np.array(host)


def test_held_outputs_count_until_they_are_freed(limited):
    quarter = LIMIT // 4 // 4                      # float32 elements of a quarter limit
    held = [np.zeros(quarter) for _ in range(3)]   # 3/4 of the limit
    npx.waitall()
    assert limited.info()["outside_pool"] >= 3 * LIMIT // 4
    with pytest.raises(MemoryError, match="zeros: allocating"):
        np.zeros(2 * quarter).wait_to_read()       # 5/4: over
    del held
    gc.collect()
    z = np.zeros(2 * quarter)                      # fits once the others are gone
    z.wait_to_read()
    assert limited.info()["outside_pool"] < LIMIT


def test_views_are_not_charged(limited):
    x = np.arange(float(LIMIT * 3 // 5 // 8 * 2))  # 3/5 of the limit
    x.wait_to_read()
    for v in (x.reshape(-1, 2), x[::2], np.broadcast_to(x, (4, x.size)), x[10:]):
        v.wait_to_read()                           # a view costs nothing
    with pytest.raises(MemoryError, match="reshape"):
        x.reshape(-1, 2).T.reshape(-1).wait_to_read()   # a copy: past the limit


def test_without_a_limit_nothing_is_charged():
    st = storage_of(cpu(0))
    if st.limit is not None or storage._ENV_LIMIT is not None:
        pytest.skip("a memory limit is set for this run")
    assert not storage.LIMITED
    np.zeros(N).wait_to_read()


def test_the_environment_limit_holds_for_every_allocation_path():
    code = r"""
import ndengine.numpy as np
n = 50_000_000            # 200 MB of float32
bad = []
for name, f in [("zeros", lambda: np.zeros(n)), ("ones", lambda: np.ones(n)),
                ("arange", lambda: np.arange(n)), ("normal", lambda: np.random.normal(size=n)),
                ("tile", lambda: np.tile(np.ones(1000), n // 1000)),
                ("dot", lambda: np.dot(np.ones((7072, 1)), np.ones((1, 7072))))]:
    try:
        f().wait_to_read()
        bad.append(name)
    except MemoryError as e:
        assert "memory limit of 100000000 bytes" in str(e), e
print("allocated past the limit:", bad)
"""
    env = {**os.environ, "NDENGINE_MEMORY_LIMIT": "100000000"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "allocated past the limit: []"
