"""NDArray: pushes return at once; metadata never blocks; every sync point waits for
exactly what it needs; in-place writes keep push order."""
from __future__ import annotations

import operator
import threading

import numpy as onp
import pytest

import ndengine
from ndengine import np as mnp
from ndengine import npx


def test_metadata_does_not_block(gate):
    x = mnp.ones((2, 3))
    g = gate(x)
    y = (x * 2 + 1).T
    assert y.shape == (3, 2) and y.dtype == onp.float32 and y.size == 6 and y.ndim == 2
    assert y.ctx is ndengine.cpu(0) and y.device is ndengine.cpu(0) and y.context is y.ctx
    assert y.T.shape == (2, 3) and len(y) == 3 and y.nbytes == 24 and y.itemsize == 4
    assert y._data is None and not g.timed_out          # nothing ran: x is held
    g.open()
    assert y.tolist() == [[3.0, 3.0]] * 3


OPS = [
    lambda x: x + 1, lambda x: 1 - x, lambda x: x * x, lambda x: x / 3, lambda x: -x,
    lambda x: x ** 2, lambda x: x @ x.T, lambda x: mnp.dot(x, x.T), lambda x: mnp.exp(x),
    lambda x: x.sum(axis=0), lambda x: x.mean(), lambda x: x.argmax(axis=1),
    lambda x: x.reshape(-1), lambda x: x[0], lambda x: x[:, 1:], lambda x: x[mnp.array([0, 0],
                                                                               dtype="int64")],
    lambda x: mnp.concatenate([x, x]), lambda x: mnp.stack([x, x]), lambda x: mnp.split(x, 2)[0],
    lambda x: mnp.where(x > 0, x, 0), lambda x: mnp.clip(x, 0, 1), lambda x: x.astype("int32"),
    lambda x: x > 0.5, lambda x: mnp.linalg.norm(x), lambda x: mnp.linalg.inv(x),
    lambda x: npx.softmax(x), lambda x: npx.relu(x), lambda x: mnp.cumsum(x),
    lambda x: mnp.random.normal(x, 1.0), lambda x: mnp.zeros_like(x) + x, lambda x: x.copy(),
    lambda x: x.copyto(ndengine.cpu(1)), lambda x: mnp.einsum("ij,jk->ik", x, x),
    lambda x: mnp.tile(x, 2), lambda x: mnp.broadcast_to(x, (3, 2, 2)),
]


@pytest.mark.parametrize("op", OPS)
def test_every_op_returns_at_once(gate, op):
    """With x's producer held, each op is pushed and returns; it runs once released."""
    x = mnp.array([[1.0, 2.0], [3.0, 4.0]])
    g = gate(x)
    mnp.random.seed(0)
    y = op(x)
    ys = y if isinstance(y, (list, tuple)) else [y]
    assert all(v._data is None for v in ys) and not g.timed_out
    g.open()
    mnp.random.seed(0)
    want = op(mnp.array([[1.0, 2.0], [3.0, 4.0]]))
    for v, w in zip(ys, want if isinstance(want, (list, tuple)) else [want]):
        onp.testing.assert_allclose(v.asnumpy(), w.asnumpy(), rtol=1e-6)


def test_in_place_ops_and_setitem_return_at_once(gate):
    x = mnp.ones((3,))
    assert x.wait_to_read() is None          # as MXNet's
    buf = x._data
    g = gate(x)
    x += 1
    x *= 3
    x[0] = 10.0
    x[1:] = mnp.array([7.0, 8.0])
    mnp.add(x, 1, out=x)
    assert not g.timed_out and x._data is buf and buf.tolist() == [1.0, 1.0, 1.0]
    g.open()
    assert x.tolist() == [11.0, 8.0, 9.0]


SYNC_POINTS = {
    "wait_to_read": lambda y: y.wait_to_read(),
    "wait_to_write": lambda y: y.wait_to_write(),
    "asnumpy": lambda y: y.asnumpy(),
    "item": lambda y: y[0].item(),
    "tolist": lambda y: y.tolist(),
    "repr": repr, "str": str, "print": lambda y: print(y),
    "bool": lambda y: bool(y[0]), "float": lambda y: float(y[0]), "int": lambda y: int(y[0]),
    "__array__": lambda y: onp.asarray(y), "numpy function": lambda y: onp.sum(y.asnumpy()),
    "format": lambda y: f"{y[0]:.1f}", "waitall": lambda y: npx.waitall(),
    "index": lambda y: [10, 20][y.astype("int64")[0]],
}


@pytest.mark.parametrize("name", sorted(SYNC_POINTS))
def test_sync_points_wait_for_the_value(name):
    """A sync point returns only after the array's producer has finished."""
    x = mnp.zeros((2,))
    release = threading.Event()
    done = []

    def slow():
        release.wait(20)
        done.append(True)
    ndengine.engine.push(slow, (), (x._var,), name="slow")
    y = x + 1
    threading.Timer(0.05, release.set).start()
    SYNC_POINTS[name](y)
    assert done == [True]


def test_len_and_iteration_do_not_wait(gate):
    """len() uses the known shape; iteration pushes row getitems lazily."""
    x = mnp.ones((3, 2))
    g = gate(x)
    assert len(x) == 3
    rows = list(iter(x))
    assert len(rows) == 3 and all(r._data is None for r in rows)
    g.open()
    assert [r.tolist() for r in rows] == [[1.0, 1.0]] * 3


def test_wait_to_read_does_not_wait_for_unrelated_work(gate):
    a = mnp.ones((2,))
    b = mnp.ones((2,))
    g = gate(b)
    c = b * 2            # held behind the gate
    d = a + 1
    d.wait_to_read()     # returns although c cannot run yet
    assert d.tolist() == [2.0, 2.0] and c._data is None
    g.open()
    assert c.tolist() == [2.0, 2.0]


def test_wait_to_write_waits_for_pending_reads():
    x = mnp.ones((2,))
    x.wait_to_read()
    seen = []
    release = threading.Event()

    def reader():
        release.wait(20)
        seen.append(x._data.copy())
    ndengine.engine.push(reader, (x._var,), (ndengine.engine.new_var(),), name="reader")
    threading.Timer(0.05, release.set).start()
    x.wait_to_write()
    assert len(seen) == 1


def test_in_place_ops_keep_push_order():
    x = mnp.zeros((4,))
    snapshots = []
    for i in range(20):
        snapshots.append(x + 0)          # a read of the current value
        if i % 4 == 0:
            x += 1
        elif i % 4 == 1:
            x *= 2
        elif i % 4 == 2:
            x[i % 4] = float(i)
        else:
            mnp.subtract(x, 1, out=x)
    ref = onp.zeros(4, dtype="float32")
    want = []
    for i in range(20):
        want.append(ref.copy())
        if i % 4 == 0:
            ref += 1
        elif i % 4 == 1:
            ref *= 2
        elif i % 4 == 2:
            ref[i % 4] = float(i)
        else:
            ref -= 1
    for s, w in zip(snapshots, want):
        onp.testing.assert_array_equal(s.asnumpy(), w)
    onp.testing.assert_array_equal(x.asnumpy(), ref)


@pytest.mark.parametrize("op", [operator.iadd, operator.isub, operator.imul, operator.itruediv])
def test_in_place_keeps_identity_and_dtype(op):
    x = mnp.ones((2, 2))
    y = op(x, mnp.full((2,), 2.0))
    assert y is x and x.dtype == onp.float32
    i = mnp.ones((2,), dtype="int32")
    i += 2
    assert i.dtype == onp.int32 and i.tolist() == [3, 3]


def test_many_pushes_then_one_wait():
    x = mnp.ones((1, 2))
    ys = [x + i for i in range(2000)]
    npx.waitall()
    assert ys[-1].tolist() == [[2000.0, 2000.0]]
