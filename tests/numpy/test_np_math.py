"""Elementwise math, operators, comparisons and logic against NumPy."""
from __future__ import annotations

import operator

import numpy as onp
import pytest

import ndengine
from ndengine import np as mnp
from ndengine.ndarray.ops import BINARY_NAMES, UNARY_NAMES

from np_oracle import assert_same, data, oracle, with_inputs

DTYPES = ["float32", "float64", "int32", "int64", "bool", "float16", "uint8"]


# domain of each unary function (positive inputs where NumPy would give NaN)
POSITIVE = {"sqrt", "log", "log2", "log10", "log1p", "reciprocal", "arccosh"}
UNIT = {"arcsin", "arccos", "arctanh"}
INT_ONLY = {"bitwise_not"}
NO_BOOL = {"reciprocal", "negative", "sign", "positive", "absolute", "square", "floor", "ceil", "trunc",
           "rint", "fix", "signbit", "isposinf", "isneginf", "cbrt"}
FLOAT_ONLY_NP = {"isposinf", "isneginf"}


def unary_input(name, dtype):
    x = data((3, 4), dtype, positive=name in POSITIVE)
    if name in UNIT and x.dtype.kind == "f":
        x = (x / 4).astype(x.dtype)
    if name == "arccosh" and x.dtype.kind == "f":
        x = (x + 1).astype(x.dtype)
    if name in UNIT and x.dtype.kind in "iu":
        x = (x % 1).astype(x.dtype)
    return x


def _unary_cases():
    for name in sorted(UNARY_NAMES):
        for dt in ["float32", "int32", "bool", "float64"]:
            if dt == "bool" and name in NO_BOOL | INT_ONLY:
                continue
            if dt.startswith("float") and name in INT_ONLY:
                continue
            if dt in ("int32", "bool") and name in FLOAT_ONLY_NP:
                continue
            yield name, dt


@pytest.mark.parametrize("name,dtype", list(_unary_cases()))
@oracle(rtol=2e-3, atol=1e-3)
def test_unary(name, dtype, xp):
    x = unary_input(name, dtype)
    fn = getattr(xp, name)
    with onp.errstate(all="ignore"):
        return with_inputs(fn(xp.asarray(x)), x)


ARITH = ["add", "subtract", "multiply", "true_divide", "maximum", "minimum", "power",
         "mod", "floor_divide", "fmod", "hypot", "arctan2", "fmax", "fmin", "copysign"]
COMPARE = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
           "logical_and", "logical_or", "logical_xor"]
INTOPS = ["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift", "gcd",
          "lcm"]


def _binary_input(name, dtype, shape):
    positive = name in ("power", "mod", "floor_divide", "fmod", "true_divide", "left_shift",
                        "right_shift", "gcd", "lcm")
    x = data(shape, dtype, positive=positive, hi=3 if name != "power" else 2)
    return x


@pytest.mark.parametrize("name", ARITH + COMPARE + INTOPS)
@pytest.mark.parametrize("da,db", [("float32", "float32"), ("int32", "int32"),
                                   ("float32", "int32"), ("int32", "float64"),
                                   ("bool", "bool"), ("float16", "float32"),
                                   ("int64", "int32"), ("uint8", "int32")])
@oracle(rtol=1e-3, atol=1e-3)
def test_binary(name, da, db, xp):
    if name in INTOPS and "f" in (onp.dtype(da).kind + onp.dtype(db).kind):
        pytest.skip("integer-only op")
    if name in ARITH and da == db == "bool" and name not in ("add", "multiply", "maximum",
                                                             "minimum", "fmax", "fmin"):
        pytest.skip("NumPy itself rejects this op on booleans")
    if name in ("left_shift", "right_shift", "gcd", "lcm") and "bool" in (da, db):
        pytest.skip("NumPy itself rejects this op on booleans")
    a = _binary_input(name, da, (2, 3, 4))
    b = _binary_input(name, db, (3, 1))
    with onp.errstate(all="ignore"):
        return with_inputs(getattr(xp, name)(xp.asarray(a), xp.asarray(b)), a, b)


OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
             operator.mod, operator.pow, operator.lt, operator.le, operator.gt, operator.ge,
             operator.eq, operator.ne]


@pytest.mark.parametrize("op", OPERATORS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("scalar", [2, 1.5, onp.float64(2.5), True])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
@pytest.mark.parametrize("reflected", [False, True])
@oracle(rtol=1e-5, atol=1e-5)
def test_operator_with_python_scalar(op, scalar, dtype, reflected, xp):
    """Python and NumPy scalars are weak: they take the array's dtype where they fit
    (MXNet; an int array with a float scalar gives float32, not float64)."""
    x = data((2, 3), dtype, positive=True)
    a = xp.asarray(x)
    if xp is onp and isinstance(scalar, onp.generic):
        scalar = scalar.item()     # NumPy 2 treats NumPy scalars as strong; MXNet does not
    r = op(scalar, a) if reflected else op(a, scalar)
    return with_inputs(r, x)


@pytest.mark.parametrize("op", OPERATORS, ids=lambda f: f.__name__)
@oracle(rtol=1e-5)
def test_operator_broadcasting(op, xp):
    a = data((4, 1, 3), "float32", positive=True)
    b = data((2, 1), "float32", positive=True)
    return op(xp.asarray(a), xp.asarray(b))


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor, operator.lshift,
                                operator.rshift], ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", ["int32", "bool"])
@oracle()
def test_bitwise_operators(op, dtype, xp):
    if dtype == "bool" and op in (operator.lshift, operator.rshift):
        pytest.skip("NumPy rejects shifts of booleans")
    a = data((3, 4), dtype, positive=True)
    b = data((4,), dtype, positive=True)
    return op(xp.asarray(a), xp.asarray(b))


@pytest.mark.parametrize("fn", [operator.neg, operator.pos, abs, operator.invert],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
@oracle()
def test_unary_operators(fn, dtype, xp):
    if dtype == "bool" and fn in (operator.neg, operator.pos, abs):
        pytest.skip("NumPy rejects -bool")
    if dtype == "float32" and fn is operator.invert:
        pytest.skip("NumPy rejects ~float")
    return fn(xp.asarray(data((3,), dtype)))


@pytest.mark.parametrize("op", ["iadd", "isub", "imul", "itruediv", "ifloordiv", "imod",
                                "ipow"])
@pytest.mark.parametrize("rhs", ["array", "scalar", "broadcast"])
@oracle(rtol=1e-5)
def test_inplace_operators(op, rhs, xp):
    a = xp.asarray(data((3, 4), "float32", positive=True))
    before = a
    b = {"array": data((3, 4), "float32", positive=True), "scalar": 2.0,
         "broadcast": data((4,), "float32", positive=True)}[rhs]
    b = xp.asarray(b) if rhs != "scalar" else b
    a = getattr(operator, op)(a, b)
    assert a is before
    return a


@pytest.mark.parametrize("op", ["iand", "ior", "ixor", "iadd", "imul"])
@oracle()
def test_inplace_int_operators(op, xp):
    a = xp.asarray(data((5,), "int32", positive=True))
    b = xp.asarray(data((5,), "int32", positive=True))
    return getattr(operator, op)(a, b)


def test_inplace_errors_name_op_shapes_device():
    a = mnp.ones((2, 3))
    with pytest.raises(ValueError, match=r"add.*\(2, 3\).*\(4, 3\).*cpu\(0\)"):
        a += mnp.ones((4, 3))
    with pytest.raises(ValueError, match=r"result shape \(2, 2, 3\) does not match"):
        a += mnp.ones((2, 2, 3))
    i = mnp.ones((3,), dtype="int32")
    with pytest.raises(TypeError, match=r"true_divide.*float32.*int32.*cpu\(0\)"):
        i /= 2
    assert (i.asnumpy() == 1).all()


@pytest.mark.parametrize("name", ["where", "clip"])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
@oracle()
def test_where_clip(name, dtype, xp):
    x = data((3, 4), dtype)
    if name == "where":
        c = data((4,), "bool")
        return with_inputs(xp.where(xp.asarray(c), xp.asarray(x), 0), x)
    return xp.clip(xp.asarray(x), -1, 2)


@oracle()
def test_where_scalars_give_float32(xp):
    c = onp.array([True, False, True])
    return xp.where(xp.asarray(c), 1.0, 0.0)


@oracle()
def test_where_broadcasts_three_ways(xp):
    c, x, y = data((2, 1, 3), "bool"), data((4, 1), "float32"), data((3,), "float32")
    return xp.where(xp.asarray(c), xp.asarray(x), xp.asarray(y))


@pytest.mark.parametrize("args", [(None, 1.0), (0.5, None), (0.0, 1.0)])
@oracle()
def test_clip_one_sided(args, xp):
    return xp.clip(xp.asarray(data((5,), "float32")), *args)


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="clip"):
        mnp.clip(mnp.ones(3), None, None)


@pytest.mark.parametrize("name", ["isclose", "around", "nan_to_num", "logaddexp",
                                  "divide", "remainder", "abs"])
@oracle(rtol=1e-4, atol=1e-4)
def test_misc_math(name, xp):
    x = data((6,), "float32")
    y = data((6,), "float32")
    if name == "isclose":
        return xp.isclose(xp.asarray(x), xp.asarray(x + onp.float32(1e-7)))
    if name == "around":
        return xp.around(xp.asarray(x), 1)
    if name == "nan_to_num":
        z = onp.array([onp.nan, onp.inf, -onp.inf, 1], dtype="float32")
        return xp.nan_to_num(xp.asarray(z))
    if name in ("logaddexp", "divide", "remainder"):
        return getattr(xp, name)(xp.asarray(x), xp.asarray(onp.abs(y) + 1))
    return getattr(xp, name)(xp.asarray(x))


def test_out_argument_writes_target():
    a, b = mnp.ones((2, 2)), mnp.full((2, 2), 3.0)
    out = mnp.zeros((2, 2))
    r = mnp.add(a, b, out=out)
    assert r is out
    assert (out.asnumpy() == 4).all()


def test_functions_accept_lists_and_scalars():
    assert_same(mnp.add([1, 2], 3), onp.array([4.0, 5.0], dtype="float32"))
    assert_same(mnp.exp(0), onp.array(1.0, dtype="float32"))
    assert_same(mnp.maximum(mnp.ones(2), [0.0, 2.0]), onp.array([1.0, 2.0], dtype="float32"))


def test_broadcast_error_names_op_shapes_and_device():
    with pytest.raises(ValueError) as ei:
        mnp.ones((2, 3)) + mnp.ones((3, 2))
    msg = str(ei.value)
    assert "add" in msg and "(2, 3)" in msg and "(3, 2)" in msg and "cpu(0)" in msg
    assert "float32" in msg
    assert isinstance(ei.value, ndengine.base.MXNetError)


def test_dtype_error_names_op_and_dtypes():
    with pytest.raises(TypeError) as ei:
        mnp.bitwise_and(mnp.ones(3), mnp.ones(3))
    msg = str(ei.value)
    assert "bitwise_and" in msg and "float32" in msg and "cpu(0)" in msg
    assert isinstance(ei.value, ndengine.base.MXNetError)


def test_mixed_device_operands_rejected():
    a = mnp.ones((2,), ctx=ndengine.cpu(0))
    b = mnp.ones((2,), ctx=ndengine.cpu(1))
    with pytest.raises(ValueError, match=r"multiply.*cpu\(0\).*cpu\(1\)"):
        a * b

