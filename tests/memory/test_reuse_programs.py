"""Random programs that drop handles while their ops are pending: pooled buffers are
reused (the pool's hit counter moves) and every result still equals NumPy's, including
those of slow readers that were still pending when the last handle of their input went.
"""
from __future__ import annotations

import gc
import time

import numpy as onp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndengine
from ndengine import cpu, np
from ndengine.device.storage import storage_of
from ndengine.ndarray.ndarray import apply_op
from ndengine.ndarray.ops import OpDef

# 256 x 256 float32 = 256 KB: every output is pooled (tests/memory/conftest.py sets
# the threshold to 256 KB for these tests)
SIDE = 256


def _slow_copy(xp, a):
    """A reader that takes its time: if the pool handed its input's buffer to a newer
    array before it ran, it would copy the newer array's values."""
    time.sleep(0.002)
    return a.copy()


SLOW_COPY = OpDef("slow_copy", _slow_copy, lambda a: (a.shape, a.dtype))

STEPS = ["create", "binary", "unary", "inplace", "slow_read", "drop", "drop"]


class Program:
    def __init__(self, draw):
        self.draw = draw
        self.ref: list[onp.ndarray] = []
        self.nd: list = []

    def pick(self) -> int:
        return self.draw(st.integers(0, len(self.ref) - 1))

    def add(self, ref: onp.ndarray, nd) -> None:
        self.ref.append(ref.astype(onp.float32))
        self.nd.append(nd)

    def create(self) -> None:
        k = self.draw(st.integers(1, 5))
        self.add(onp.full((SIDE, SIDE), k, dtype=onp.float32), np.ones((SIDE, SIDE)) * k)

    def binary(self) -> None:
        i, j = self.pick(), self.pick()
        op = self.draw(st.sampled_from(["add", "subtract", "multiply"]))
        self.add(getattr(onp, op)(self.ref[i], self.ref[j]),
                 getattr(np, op)(self.nd[i], self.nd[j]))

    def unary(self) -> None:
        i = self.pick()
        self.add(onp.tanh(self.ref[i] * onp.float32(0.5)), np.tanh(self.nd[i] * 0.5))

    def inplace(self) -> None:
        i, j = self.pick(), self.pick()
        self.ref[i] = self.ref[i] + self.ref[j]
        self.nd[i] += self.nd[j]

    def slow_read(self) -> None:
        i = self.pick()
        self.add(self.ref[i].copy(), apply_op(SLOW_COPY, (self.nd[i],)))

    def drop(self) -> None:
        if len(self.ref) > 1:
            i = self.pick()
            del self.ref[i], self.nd[i]     # the last handle may go with work pending


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.integers(4, 30))
def test_dropped_handles_are_reused_only_after_their_readers(data, length):
    try:
        ndengine.waitall()          # an abandoned example may leave work behind
    except Exception:
        pass
    p = Program(data.draw)
    p.create()
    for _ in range(length):
        getattr(p, data.draw(st.sampled_from(STEPS)))()
        if data.draw(st.booleans()):
            gc.collect()            # release dropped handles now, with ops pending
    for k, (ref, nd) in enumerate(zip(p.ref, p.nd)):
        onp.testing.assert_allclose(nd.asnumpy(), ref, rtol=1e-5, atol=1e-5,
                                    err_msg=f"array {k}")


def test_the_programs_do_reuse_buffers():
    """The property above is not vacuous: such a program takes buffers back from the
    pool."""
    st_ = storage_of(cpu(0))
    before = st_.info()["hits"]
    xs = [np.ones((SIDE, SIDE)) * k for k in range(4)]
    for _ in range(20):
        y = apply_op(SLOW_COPY, (xs[0],))
        xs = [x + 1 for x in xs]
        del y
    ndengine.waitall()
    assert st_.info()["hits"] > before
    onp.testing.assert_allclose(xs[3].asnumpy(), onp.full((SIDE, SIDE), 23.0))
