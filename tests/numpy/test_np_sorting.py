"""Sorting, searching, take_along_axis against NumPy; gradients by finite differences."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as onp
import pytest

from ndengine import np as mnp

from ndengine.base import OpError

from np_oracle import data, oracle, with_inputs

sys.path.insert(0, str(Path(__file__).parents[1] / "autograd"))
from ag_helpers import check_grad  # noqa: E402


@pytest.mark.parametrize("axis", [-1, 0, 1, None])
@pytest.mark.parametrize("dtype", ["float32", "int32", "float64"])
@oracle()
def test_sort_argsort(axis, dtype, xp):
    xn = data((3, 4), dtype, hi=9)
    x = xp.asarray(xn)
    return with_inputs((xp.sort(x, axis=axis), xp.argsort(x, axis=axis, kind="stable")), xn)


@oracle()
def test_sort_method_and_ties(xp):
    x = xp.asarray(onp.array([1., 1., 0., 1.], dtype="float32"))
    return x.argsort(), xp.sort(x), xp.argsort(xp.asarray(onp.array([3, 1, 3, 1])), kind="stable")


@pytest.mark.parametrize("kth", [1, (0, 2), -1])
@oracle()
def test_partition(kth, xp):
    x = xp.asarray(data((3, 5)))
    p = xp.partition(x, kth, axis=1)
    ap = xp.argpartition(x, kth, axis=1)
    k = [kth] if isinstance(kth, int) else list(kth)
    return p[:, k], xp.take_along_axis(x, ap, axis=1)[:, k]


@pytest.mark.parametrize("side", ["left", "right"])
@oracle()
def test_searchsorted(side, xp):
    a = xp.asarray(onp.array([1., 2., 2., 3.], dtype="float32"))
    v = xp.asarray(onp.array([[2., 0.1], [5., 2.5]], dtype="float32"))
    return xp.searchsorted(a, v, side=side), xp.searchsorted(a, 2.0, side=side)


@oracle()
def test_searchsorted_sorter(xp):
    a = xp.asarray(onp.array([3., 1., 2.], dtype="float32"))
    s = xp.argsort(a)
    return xp.searchsorted(a, xp.asarray(onp.array([2.5], dtype="float32")), sorter=s)


@oracle()
def test_lexsort(xp):
    a = xp.asarray(onp.array([1, 5, 1, 4, 3, 4, 4]))
    b = xp.asarray(onp.array([9, 4, 0, 4, 0, 2, 1]))
    return xp.lexsort((b, a)), xp.lexsort(xp.stack([b, a]))


def test_msort_and_nanarg():
    x = data((3, 2))
    onp.testing.assert_array_equal(mnp.msort(mnp.array(x)).asnumpy(), onp.sort(x, axis=0))
    y = onp.array([[1., onp.nan, 3.], [onp.nan, 0.5, -1.]], dtype="float32")
    assert mnp.nanargmax(mnp.array(y), axis=1).tolist() == onp.nanargmax(y, axis=1).tolist()
    assert mnp.nanargmin(mnp.array(y)).item() == onp.nanargmin(y)
    with pytest.raises(OpError, match="All-NaN"):
        mnp.nanargmax(mnp.array([onp.nan, onp.nan])).item()


@pytest.mark.parametrize("axis", [0, 1, None])
@oracle()
def test_take_along_axis(axis, xp):
    x = xp.asarray(data((3, 4)))
    if axis is None:
        idx = xp.asarray(onp.array([0, 11, 5, 5]))
    elif axis == 0:
        idx = xp.asarray(onp.array([[2, 0, 1, 1]]))        # broadcast along axis 1
    else:
        idx = xp.asarray(onp.array([[3, 0], [1, 1], [0, 2]]))
    return xp.take_along_axis(x, idx, axis=axis)


def test_sort_errors():
    x = mnp.ones((2, 3))
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        mnp.sort(x, axis=2)
    with pytest.raises(ValueError, match="kind"):
        mnp.sort(x, kind="bogus")
    with pytest.raises(ValueError, match="kth"):
        mnp.partition(x, 3)
    with pytest.raises(ValueError, match="1-D"):
        mnp.searchsorted(x, 1.0)
    with pytest.raises(IndexError, match="integer"):
        mnp.take_along_axis(x, mnp.ones((2, 1)), axis=1)
    with pytest.raises(ValueError, match="same number of dimensions"):
        mnp.take_along_axis(x, mnp.array(onp.array([0])), axis=1)


def test_sort_grad():
    x = onp.random.default_rng(1).standard_normal((3, 4))
    check_grad("sort", lambda a: mnp.sort(a, axis=1), [x])
    check_grad("sort", lambda a: mnp.sort(a, axis=0), [x])
    check_grad("sort", lambda a: mnp.sort(a, axis=None), [x])


def test_take_along_axis_grad():
    x = onp.random.default_rng(2).standard_normal((3, 4))
    idx = mnp.array(onp.array([[0, 0], [3, 1], [2, 2]]))         # repeats add up
    check_grad("take_along_axis", lambda a: mnp.take_along_axis(a, idx, axis=1), [x])
    idx0 = mnp.array(onp.array([[2, 0, 1, 1]]))
    check_grad("take_along_axis", lambda a: mnp.take_along_axis(a, idx0, axis=0), [x])
