"""Array creation against NumPy, with MXNet's float32 defaults."""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine
from ndengine import np as mnp

from np_oracle import assert_same, data, oracle

F32 = onp.dtype("float32")


def f32_default(np_dtype, inputs):
    """Creation defaults to float32 where NumPy's default is float64 or int64."""
    return F32 if onp.dtype(np_dtype) in (onp.float64, onp.int64) else onp.dtype(np_dtype)


@pytest.mark.parametrize("call", [
    lambda xp: xp.zeros((2, 3)), lambda xp: xp.ones((2, 3)), lambda xp: xp.zeros(4),
    lambda xp: xp.full((2, 2), 7), lambda xp: xp.full((3,), 2.5), lambda xp: xp.eye(3),
    lambda xp: xp.eye(3, 4, k=1), lambda xp: xp.identity(2), lambda xp: xp.arange(5),
    lambda xp: xp.arange(2, 11, 3), lambda xp: xp.arange(0, 1, 0.25),
    lambda xp: xp.arange(5.0, 0, -1.5), lambda xp: xp.linspace(0, 1, 5),
    lambda xp: xp.linspace(0, 1, 4, endpoint=False), lambda xp: xp.zeros(()),
    lambda xp: xp.ones((0, 3)), lambda xp: xp.array([1, 2, 3]),
    lambda xp: xp.array([[1.5, 2], [3, 4]]), lambda xp: xp.array(3.5),
    lambda xp: xp.array(7), lambda xp: xp.asarray([1.0, 2.0]),
])
@oracle(dtype_rule=f32_default)
def test_creation_defaults_to_float32(call, xp):
    return call(xp)


CREATION_DTYPES = ["float32", "float64", "float16", "int32", "int64", "uint8", "int8", "bool"]


@pytest.mark.parametrize("name,dtype", [
    (n, d) for n in ["zeros", "ones", "full", "empty", "arange", "eye", "array"]
    for d in CREATION_DTYPES if not (n == "arange" and d == "bool")])   # NumPy rejects that
@oracle(dtype_rule=None)
def test_creation_explicit_dtype(name, dtype, xp):
    dt = getattr(xp, dtype if dtype != "bool" else "bool_")
    if name == "zeros":
        return xp.zeros((2, 3), dtype=dt)
    if name == "ones":
        return xp.ones((2, 3), dtype=dt)
    if name == "full":
        return xp.full((2, 3), 1, dtype=dt)
    if name == "empty":
        r = xp.empty((2, 3), dtype=dt)
        return xp.zeros_like(r)         # contents are arbitrary; shape and dtype are not
    if name == "arange":
        return xp.arange(0, 6, 2, dtype=dt)
    if name == "eye":
        return xp.eye(3, dtype=dt)
    return xp.array([[1, 0], [2, 1]], dtype=dt)


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "full_like", "empty_like"])
@pytest.mark.parametrize("dtype", ["float32", "int32", "float64", "bool"])
@oracle(dtype_rule=None)
def test_like_functions_keep_dtype(name, dtype, xp):
    x = xp.asarray(data((2, 3), dtype))
    if name == "full_like":
        return xp.full_like(x, 1)
    r = getattr(xp, name)(x)
    return xp.zeros_like(r) if name == "empty_like" else r


@oracle(dtype_rule=None)
def test_like_functions_take_dtype(xp):
    x = xp.asarray(data((2, 3), "float32"))
    return (xp.zeros_like(x, dtype="int32"), xp.ones_like(x, dtype=xp.float64),
            xp.full_like(x, 2, dtype="int8"))


def test_array_dtype_rules_follow_mxnet():
    assert mnp.array([1, 2, 3]).dtype == F32               # MXNet: Python data -> float32
    assert mnp.array([True, False]).dtype == F32
    assert mnp.array(onp.array([1, 2])).dtype == onp.int64  # NumPy arrays keep their dtype
    assert mnp.array(onp.array([1.0])).dtype == onp.float64
    assert mnp.array(onp.float64(2.0)).dtype == onp.float64
    assert mnp.array(onp.array([True])).dtype == onp.bool_
    assert mnp.arange(5).dtype == F32
    assert mnp.arange(5, dtype="int32").dtype == onp.int32
    assert mnp.full((2,), True).dtype == onp.bool_
    assert mnp.full((2,), 3).dtype == F32
    assert mnp.full((2,), 2.5, dtype="int32").tolist() == [2, 2]
    assert mnp.linspace(0, 10, 5, dtype="int32").tolist() == [0, 2, 5, 7, 10]


def test_array_copies_and_keeps_device():
    src = onp.arange(4.0, dtype="float32")
    a = mnp.array(src)
    src[0] = 100
    assert a[0].item() == 0.0
    b = mnp.array(a)
    assert b is not a and b.tolist() == a.tolist()
    c = mnp.array(a, ctx=ndengine.cpu(1))
    assert c.device == ndengine.cpu(1) and c.tolist() == a.tolist()
    d = mnp.array(a, dtype="int32")
    assert d.dtype == onp.int32
    assert mnp.asarray(a) is a
    assert mnp.asarray(a, dtype="float32") is a
    assert mnp.asarray(a, dtype="float64") is not a


def test_array_from_nested_ndarrays_and_generators():
    rows = [mnp.array([1.0, 2.0]), mnp.array([3.0, 4.0])]
    assert_same(mnp.array(rows), onp.array([[1, 2], [3, 4]], dtype="float32"))
    assert_same(mnp.stack(rows), onp.array([[1, 2], [3, 4]], dtype="float32"))


@pytest.mark.parametrize("fn", ["zeros", "ones", "full", "arange", "eye", "linspace", "empty"])
def test_creation_on_other_device(fn):
    dev = ndengine.cpu(1)
    call = {"zeros": lambda: mnp.zeros((2,), ctx=dev), "ones": lambda: mnp.ones(2, device=dev),
            "full": lambda: mnp.full((2,), 3, ctx=dev), "arange": lambda: mnp.arange(3, ctx=dev),
            "eye": lambda: mnp.eye(2, ctx=dev), "linspace": lambda: mnp.linspace(0, 1, 3, ctx=dev),
            "empty": lambda: mnp.empty((2,), ctx=dev)}[fn]
    x = call()
    assert x.ctx == dev and x.device == dev
    x.wait_to_read()
    with dev:
        assert mnp.zeros(1).device == dev
    assert mnp.zeros(1).device == ndengine.cpu(0)


@pytest.mark.parametrize("call,match", [
    (lambda: mnp.zeros((2, -1)), r"zeros: negative dimensions.*cpu\(0\)"),
    (lambda: mnp.ones("abc"), r"shape"),
    (lambda: mnp.arange(0, 5, 0), r"arange: step must not be zero"),
    (lambda: mnp.linspace(0, 1, -2), r"linspace.*non-negative"),
    (lambda: mnp.full((2, -3), 1.0), r"full: negative"),
    (lambda: mnp.array([[1, 2], [3]]), r"array"),
    (lambda: mnp.zeros((2,), ctx="gpu(7)"), r"gpu\(7\)"),
])
def test_creation_errors(call, match):
    with pytest.raises((ndengine.base.MXNetError, ValueError, TypeError), match=match):
        call()


def test_dtype_names():
    for name in ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                 "bool_"]:
        assert getattr(mnp, name) is getattr(onp, name)
    assert mnp.dtype("float32") == F32
    assert mnp.pi == onp.pi and mnp.e == onp.e and mnp.inf == onp.inf
    assert mnp.nan != mnp.nan and mnp.newaxis is None
    assert mnp.ndarray is ndengine.NDArray
    assert mnp.finfo(mnp.float32).eps == onp.finfo(onp.float32).eps
