"""Indexing and assignment: slices, integers, integer arrays, boolean masks."""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine
from ndengine import np as mnp

from np_oracle import assert_same, data, oracle


def idx(xp, v):
    return xp.asarray(onp.array(v, dtype="int64"))


KEYS = [
    lambda xp: 1, lambda xp: -1, lambda xp: (1, 2), lambda xp: (0, -1, 3),
    lambda xp: slice(1, None), lambda xp: slice(None, None, -1), lambda xp: (slice(None), 1),
    lambda xp: (Ellipsis, 2), lambda xp: (None, 0), lambda xp: (slice(0, 2), None, slice(1, 3)),
    lambda xp: (1, slice(None, None, 2)), lambda xp: Ellipsis, lambda xp: (),
    lambda xp: idx(xp, [0, 2, 2]), lambda xp: (idx(xp, [0, 1]), idx(xp, [2, 0])),
    lambda xp: (slice(None), idx(xp, [[0], [2]])), lambda xp: [0, 2],
    lambda xp: (1, idx(xp, [0, 0, 1]), slice(None)), lambda xp: onp.array([1, 0]),
    lambda xp: (slice(5, 9),), lambda xp: slice(-10, 10),
]


@pytest.mark.parametrize("key", KEYS)
@oracle()
def test_getitem(key, xp):
    return xp.asarray(data((3, 4, 5)))[key(xp)]


@pytest.mark.parametrize("mask", [
    lambda x: x > 0, lambda x: (x > 0)[:, 0], lambda x: (x > 100), lambda x: (x > 0)[0]])
@oracle()
def test_boolean_mask_getitem(mask, xp):
    """Data-dependent: the result's shape depends on the mask's values, so this blocks."""
    x = xp.asarray(data((3, 4)))
    m = mask(x)
    if m.ndim == 1 and m.shape[0] == 4:
        return x[:, m]
    return x[m]


SET_CASES = [
    (lambda xp: 0, lambda xp: 7.0), (lambda xp: (1, 2), lambda xp: -1),
    (lambda xp: slice(0, 2), lambda xp: xp.asarray(data((4,)))),
    (lambda xp: (slice(None), 1), lambda xp: xp.asarray(data((3,)))),
    (lambda xp: Ellipsis, lambda xp: 0.5), (lambda xp: (slice(None), slice(1, 3)),
                                            lambda xp: xp.asarray(data((3, 1)))),
    (lambda xp: idx(xp, [0, 2]), lambda xp: xp.asarray(data((2, 4)))),
    (lambda xp: (idx(xp, [0, 1]), idx(xp, [3, 3])), lambda xp: 9.0),
    (lambda xp: slice(None, None, -1), lambda xp: xp.asarray(data((3, 4)))),
    (lambda xp: 1, lambda xp: [1, 2, 3, 4]),
    (lambda xp: (0, slice(None)), lambda xp: xp.asarray(data((4,), "int32"))),
]


@pytest.mark.parametrize("key,value", SET_CASES)
@oracle()
def test_setitem(key, value, xp):
    x = xp.asarray(data((3, 4)))
    x[key(xp)] = value(xp)
    return x


@oracle()
def test_setitem_boolean_mask(xp):
    x = xp.asarray(data((3, 4)))
    x[x < 0] = 0
    x[(x > 1)[:, 0]] = xp.asarray(data((4,)))
    return x


def test_fill_writes_through_a_row_view():
    """``x[0]`` is a view (as in MXNet): fill on x shows in it, and a write to it in x."""
    x = mnp.array(data((2, 3)))
    y = x[0]
    x.fill(3.0)
    y[1] = -5.0
    assert x.tolist() == [[3.0, -5.0, 3.0], [3.0] * 3]
    assert y.tolist() == [3.0, -5.0, 3.0]


def test_boolean_mask_assignment_of_a_scalar_does_not_block():
    """``x[mask] = scalar`` has a known result shape: it is pushed like any write,
    reading the mask's var (no wait for the mask's values)."""
    import threading

    gate = threading.Event()
    x = mnp.arange(6.0)
    m = x > 2
    ndengine.engine.push(lambda: gate.wait(30), (), (m._var,), name="gate")
    x[m] = 0.0                       # would deadlock the test if it waited for m
    x += 1
    gate.set()
    assert x.tolist() == [1.0, 2.0, 3.0, 1.0, 1.0, 1.0]


def test_setitem_keeps_push_order():
    """Reads pushed before an assignment see the old value; reads after see the new."""
    x = mnp.zeros((4,))
    before = x + 1
    x[1:3] = 5.0
    mid = x * 2
    x[:] = mnp.arange(4.0)
    x += 1
    after = x.copy()
    assert before.tolist() == [1.0, 1.0, 1.0, 1.0]
    assert mid.tolist() == [0.0, 10.0, 10.0, 0.0]
    assert after.tolist() == [1.0, 2.0, 3.0, 4.0]


def test_getitem_does_not_block():
    x = mnp.random.normal(size=(256, 256))
    y = mnp.dot(x, x)
    row = y[3]            # pushed after dot, returns at once
    assert row.shape == (256,)
    assert onp.allclose(row.asnumpy(), y.asnumpy()[3])


@pytest.mark.parametrize("key,exc,match", [
    (5, IndexError, r"getitem: index 5 is out of bounds for axis 0 with size 3.*\(3, 4\).*cpu\(0\)"),
    ((0, 0, 0), IndexError, r"too many indices"),
    ("a", IndexError, r"getitem"),
])
def test_getitem_errors_at_call(key, exc, match):
    x = mnp.ones((3, 4))
    with pytest.raises(exc, match=match) as ei:
        x[key]
    assert isinstance(ei.value, ndengine.base.MXNetError)


def test_setitem_errors_at_call():
    x = mnp.ones((3, 4))
    with pytest.raises(ValueError, match=r"setitem: could not broadcast input array from "
                                         r"shape \(3,\) into shape \(2, 4\).*cpu\(0\)"):
        x[:2] = mnp.ones(3)
    with pytest.raises(IndexError, match=r"index 9 is out of bounds.*cpu\(0\)"):
        x[9] = 1.0
    with pytest.raises(ValueError, match=r"setitem: operands are on different devices"):
        x[0] = mnp.ones(4, ctx=ndengine.cpu(1))
    with pytest.raises(ValueError, match=r"could not broadcast.*\(2,\) into shape \(3, 1\)"):
        x[:, 1:2] = mnp.ones(2)
    assert x.tolist() == [[1.0] * 4] * 3


def test_integer_array_index_out_of_range_fails_at_sync_point():
    """The index's values are not known at the call: the error surfaces at the next
    sync point of the result, as in MXNet."""
    x = mnp.ones((3,))
    y = x[mnp.array([0, 7], dtype="int64")]
    with pytest.raises(ndengine.base.MXNetError, match="out of bounds"):
        y.asnumpy()


def test_nonzero_unique_argwhere_are_blocking_but_correct():
    a = onp.array([[0, 1, 2], [3, 0, 3]], dtype="int32")
    x = mnp.array(a)
    for got, want in zip(mnp.nonzero(x), onp.nonzero(a)):
        assert_same(got, want)
    assert_same(x.nonzero()[1], onp.nonzero(a)[1])
    assert_same(mnp.unique(x), onp.unique(a))
    u, c = mnp.unique(x, return_counts=True)
    assert_same(c, onp.unique(a, return_counts=True)[1])
    assert_same(mnp.argwhere(x), onp.argwhere(a))
    assert_same(mnp.flatnonzero(x), onp.flatnonzero(a))
    assert_same(mnp.where(x > 1)[0], onp.where(a > 1)[0])
