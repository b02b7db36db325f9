"""Reductions with axis/keepdims against NumPy (functions and methods)."""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine
from ndengine import np as mnp

from np_oracle import data, mx_dtype, oracle, with_inputs


def keep_int_rule(np_dtype, inputs):
    """MXNet: integer sum/prod/cumsum keep the input's dtype (NumPy widens to int64)."""
    return mx_dtype(np_dtype, inputs, keep_int=True)


AXES = [None, 0, 1, -1, (0, 2), (0, 1, 2)]
REDUCTIONS = ["sum", "mean", "max", "min", "prod", "std", "var", "all", "any"]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@oracle(rtol=1e-4, atol=1e-4, dtype_rule=keep_int_rule)
def test_reduction_functions(name, axis, keepdims, xp):
    x = data((2, 3, 4), "float32", positive=name == "prod", hi=2)
    return getattr(xp, name)(xp.asarray(x), axis=axis, keepdims=keepdims)


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool", "float64", "float16"])
@oracle(rtol=2e-3, atol=2e-3, dtype_rule=keep_int_rule)
def test_reduction_dtypes(name, dtype, xp):
    x = data((3, 4), dtype, positive=True, hi=3)
    if dtype == "bool" and name in ("std", "var"):
        x = x.astype("int32")
    return with_inputs(getattr(xp.asarray(x), name)(axis=0), x)


def test_reduction_dtypes_follow_mxnet():
    i = mnp.array([1, 2, 3], dtype="int32")
    assert i.sum().dtype == onp.int32          # MXNet keeps int32 (NumPy: int64)
    assert i.prod().dtype == onp.int32
    assert mnp.cumsum(i).dtype == onp.int32
    assert i.mean().dtype == onp.float32       # MXNet: float32 (NumPy: float64)
    assert i.std().dtype == onp.float32
    assert (i == 2).sum().dtype == onp.int64   # bools count in int64, as both do
    assert i.max().dtype == onp.int32
    assert i.sum(dtype="float64").dtype == onp.float64


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "std", "var", "all", "any"])
@oracle(rtol=1e-4, atol=1e-4)
def test_reduction_methods(name, xp):
    x = data((3, 4), "float32", positive=True, hi=2)
    return getattr(xp.asarray(x), name)(axis=1, keepdims=True)


@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("name", ["std", "var"])
@oracle(rtol=1e-4)
def test_ddof(name, ddof, xp):
    return getattr(xp, name)(xp.asarray(data((5, 3))), axis=0, ddof=ddof)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
@oracle()
def test_arg_reductions(name, axis, keepdims, xp):
    x = data((4, 5), "float32")
    r = getattr(xp, name)(xp.asarray(x), axis=axis, keepdims=keepdims)
    m = getattr(xp.asarray(x), name)(axis=axis, keepdims=keepdims)
    return r, m


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
@oracle(dtype_rule=keep_int_rule)
def test_cumsum(axis, dtype, xp):
    x = data((3, 4), dtype)
    return with_inputs((xp.cumsum(xp.asarray(x), axis=axis), xp.asarray(x).cumsum(axis=axis)), x)


@oracle()
def test_reductions_of_empty_and_zero_d(xp):
    e = xp.asarray(onp.zeros((0, 3), dtype="float32"))
    z = xp.asarray(onp.array(2.5, dtype="float32"))
    return e.sum(axis=0), e.sum(), z.sum(), z.max(), xp.prod(e, axis=0)


@pytest.mark.parametrize("call", [
    lambda x: x.sum(axis=3), lambda x: x.mean(axis=-4), lambda x: x.max(axis=(0, 0)),
    lambda x: x.argmax(axis=2), lambda x: mnp.cumsum(x, axis=5)])
def test_bad_axis_names_op_shape_and_device(call):
    x = mnp.ones((2, 3))
    with pytest.raises(ndengine.base.MXNetError) as ei:
        call(x)
    msg = str(ei.value)
    assert "axis" in msg and "(2, 3)" in msg and "cpu(0)" in msg


def test_max_of_empty_axis_raises_at_call():
    with pytest.raises(ValueError, match=r"max.*zero-size"):
        mnp.zeros((0, 3)).max(axis=0)


@pytest.mark.parametrize("name", ["nansum", "nanmean", "average", "count_nonzero"])
@oracle(rtol=1e-5)
def test_more_reductions(name, xp):
    x = data((3, 4))
    x[0, 1] = onp.nan if name.startswith("nan") else x[0, 1]
    if name == "average":
        w = data((4,), positive=True)
        return xp.average(xp.asarray(x), axis=1, weights=xp.asarray(w))
    if name == "count_nonzero":
        return with_inputs(xp.count_nonzero(xp.asarray(x > 0), axis=0), x)
    return getattr(xp, name)(xp.asarray(x), axis=0)


def test_out_argument_of_reduction():
    out = mnp.zeros((3,))
    r = mnp.sum(mnp.ones((2, 3)), axis=0, out=out)
    assert r is out and out.tolist() == [2.0, 2.0, 2.0]
