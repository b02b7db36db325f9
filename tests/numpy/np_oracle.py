"""NumPy as the oracle of the np/npx tests.

``oracle`` runs one test body twice, with ``xp=numpy`` and ``xp=ndengine.np``, and
compares the results' values, shapes and dtypes.  The expected dtype is NumPy's,
adjusted by MXNet's documented defaults (see :func:`mx_dtype`).
"""
from __future__ import annotations

import functools
import inspect

import numpy as onp
import pytest

from ndengine import np as mnp
from ndengine.ndarray.ndarray import NDArray

F64 = onp.dtype("float64")
_RNG = [onp.random.default_rng(0)]


def data(shape, dtype="float32", lo=-3, hi=3, positive=False):
    """Test data of *dtype* (reproducible: ``oracle`` reseeds before each run)."""
    rng = _RNG[0]
    dt = onp.dtype(dtype)
    if dt == onp.bool_:
        return rng.random(shape) > 0.5
    if dt.kind in "iu":
        lo = 1 if positive or dt.kind == "u" else lo
        return rng.integers(lo, hi + 1, size=shape).astype(dt)
    return rng.uniform(0.1 if positive else lo, hi, size=shape).astype(dt)


def reseed(seed=0):
    _RNG[0] = onp.random.default_rng(seed)


def mx_dtype(np_dtype, inputs=(), keep_int=False):
    """The dtype ndengine promises where NumPy gives *np_dtype*: float64 becomes float32
    unless an input array is float64, and a float result of integer/bool inputs is
    float32 (MXNet's float32 default); with *keep_int*, an
    integer result takes the dtype of the integer input (MXNet's sum/prod/cumsum)."""
    dt = onp.dtype(np_dtype)
    in_dts = [onp.dtype(a.dtype) for a in inputs if hasattr(a, "dtype")]
    if dt == F64 and F64 not in in_dts:
        return onp.dtype("float32")
    if dt.kind == "f" and in_dts and not any(d.kind == "f" for d in in_dts):
        return onp.dtype("float32")     # NumPy: float16 for bool/int8 inputs
    if keep_int and dt.kind in "iu":
        ints = [d for d in in_dts if d.kind in "iu"]
        if ints:
            return ints[0]
    return dt


def assert_same(got, want, rtol=1e-5, atol=1e-6, dtype=None, check_dtype=True):
    """*got* (ndengine) equals *want* (NumPy) in values, shape and dtype."""
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)), f"expected a sequence, got {type(got)}"
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_same(g, w, rtol, atol, dtype, check_dtype)
        return
    if isinstance(want, (bool, int, float)) and not isinstance(got, NDArray):
        assert got == pytest.approx(want, rel=rtol, abs=atol)
        return
    assert isinstance(got, NDArray), f"expected an ndengine array, got {type(got).__name__}"
    want = onp.asarray(want)
    g = got.asnumpy()
    assert got.shape == want.shape == g.shape, f"shape {got.shape} != {want.shape}"
    if check_dtype:
        exp = onp.dtype(dtype) if dtype is not None else want.dtype
        assert got.dtype == exp == g.dtype, f"dtype {got.dtype} (buffer {g.dtype}) != {exp}"
    if want.dtype.kind in "fc":
        onp.testing.assert_allclose(g.astype(want.dtype), want, rtol=rtol, atol=atol,
                                    equal_nan=True)
    else:
        onp.testing.assert_array_equal(g, want)


def oracle(rtol=1e-5, atol=1e-6, dtype_rule=mx_dtype, check_dtype=True):
    """Decorator: run the test body with ``xp=numpy`` and ``xp=ndengine.np`` (the body
    builds its inputs with ``xp.asarray`` of NumPy data, which keeps their dtype) and
    compare the results.  ``dtype_rule(np_dtype, np_inputs)`` gives the dtype ndengine
    must produce; the body may return ``(result, inputs)`` to pass its inputs."""
    def deco(fn):
        sig = inspect.signature(fn)
        params = [p for p in sig.parameters.values() if p.name != "xp"]

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            reseed()
            want = fn(*args, xp=onp, **kwargs)
            reseed()
            got = fn(*args, xp=mnp, **kwargs)
            inputs = ()
            if isinstance(want, _WithInputs):
                want, inputs, got = want.value, want.inputs, got.value
            _compare(got, want, inputs)

        def _compare(got, want, inputs):
            if isinstance(want, (tuple, list)):
                assert isinstance(got, (tuple, list)) and len(got) == len(want)
                for g, w in zip(got, want):
                    _compare(g, w, inputs)
                return
            dt = None
            if hasattr(want, "dtype") and dtype_rule is not None:
                dt = dtype_rule(want.dtype, inputs)
            elif isinstance(want, (onp.generic,)):
                want = onp.asarray(want)
                dt = dtype_rule(want.dtype, inputs) if dtype_rule else None
            assert_same(got, want, rtol, atol, dt, check_dtype)

        wrapper.__signature__ = sig.replace(parameters=params)
        del wrapper.__wrapped__
        return wrapper
    return deco


class _WithInputs:
    def __init__(self, value, inputs):
        self.value = value
        self.inputs = inputs


def with_inputs(value, *inputs):
    """Return this from an ``oracle`` body so the dtype rule sees the inputs."""
    return _WithInputs(value, inputs)
