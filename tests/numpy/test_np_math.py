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


BOOL_ARITH = {"add", "multiply", "maximum", "minimum", "fmax", "fmin"}
DTYPE_PAIRS = [("float32", "float32"), ("int32", "int32"), ("float32", "int32"),
               ("int32", "float64"), ("bool", "bool"), ("float16", "float32"),
               ("int64", "int32"), ("uint8", "int32")]


def _binary_cases():
    """Every op with every dtype pair NumPy itself accepts for it."""
    for name in ARITH + COMPARE + INTOPS:
        for da, db in DTYPE_PAIRS:
            kinds = onp.dtype(da).kind + onp.dtype(db).kind
            if name in INTOPS and "f" in kinds:
                continue
            if name in ARITH and da == db == "bool" and name not in BOOL_ARITH:
                continue
            if name in ("left_shift", "right_shift", "gcd", "lcm") and "b" in kinds:
                continue
            yield name, da, db


@pytest.mark.parametrize("name,da,db", list(_binary_cases()))
@oracle(rtol=1e-3, atol=1e-3)
def test_binary(name, da, db, xp):
    a = _binary_input(name, da, (2, 3, 4))
    b = _binary_input(name, db, (3, 1))
    with onp.errstate(all="ignore"):
        return with_inputs(getattr(xp, name)(xp.asarray(a), xp.asarray(b)), a, b)


@pytest.mark.parametrize("name", ["bitwise_and", "left_shift", "gcd"])
def test_integer_ops_reject_floats_at_call(name):
    with pytest.raises(TypeError, match=rf"{name}: only integer and boolean dtypes.*float32"):
        getattr(mnp, name)(mnp.ones(3), mnp.ones(3, dtype="int32"))


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


BITWISE = [operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift]


@pytest.mark.parametrize("op,dtype", [(op, dt) for op in BITWISE for dt in ("int32", "bool")
                                      if not (dt == "bool" and op in (operator.lshift,
                                                                      operator.rshift))],
                         ids=str)
@oracle()
def test_bitwise_operators(op, dtype, xp):
    a = data((3, 4), dtype, positive=True)
    b = data((4,), dtype, positive=True)
    return op(xp.asarray(a), xp.asarray(b))


UNARY_OPERATORS = [(operator.neg, "float32"), (operator.neg, "int32"), (operator.pos, "float32"),
                   (operator.pos, "int32"), (abs, "float32"), (abs, "int32"),
                   (operator.invert, "int32"), (operator.invert, "bool")]


@pytest.mark.parametrize("fn,dtype", UNARY_OPERATORS, ids=str)
@oracle()
def test_unary_operators(fn, dtype, xp):
    return fn(xp.asarray(data((3,), dtype)))


def test_unary_operators_reject_what_numpy_rejects():
    with pytest.raises(TypeError, match=r"negative.*bool"):
        -mnp.array(onp.array([True, False]))
    with pytest.raises(TypeError, match=r"bitwise_not.*float32"):
        ~mnp.ones(2)


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



@oracle()
def test_remaining_operators(xp):
    i = xp.asarray(data((5,), "int32", positive=True))
    x = xp.asarray(data((3, 3), "float32", positive=True))
    q, r = divmod(x, 2.0)
    rq, rr = divmod(7.0, x)
    sh = 1 << i, 64 >> i
    a = xp.asarray(data((5,), "int32", positive=True))
    a <<= 2
    a >>= 1
    m = xp.asarray(data((3, 3), "float32"))
    m @= x
    return q, r, rq, rr, sh[0], sh[1], a, m


def test_in_place_matmul_needs_the_left_shape():
    a = mnp.ones((2, 3))
    with pytest.raises(ValueError, match=r"matmul \(in place\).*\(2, 2\).*\(2, 3\)"):
        a @= mnp.ones((3, 2))
