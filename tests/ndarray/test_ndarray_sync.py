"""NDArray sync points: values, Python conversions, and MXNet 1.9.1's print format.

The expected strings were produced by real MXNet 1.9.1 (``from mxnet import np, npx;
npx.set_np()``, NumPy 1.23) for the same arrays; ``ctx=`` for a CPU other than cpu(0)
is ndengine's (MXNet shows the context only for GPUs; ndengine's extra CPUs stand in
for them)."""
from __future__ import annotations

import copy
import pickle

import numpy as onp
import pytest

import ndengine
from ndengine import np as mnp

MXNET_REPRS = [
    (lambda: mnp.ones((1, 2)) * 3, "array([[3., 3.]])", "[[3. 3.]]"),
    (lambda: mnp.arange(5), "array([0., 1., 2., 3., 4.])", "[0. 1. 2. 3. 4.]"),
    (lambda: mnp.array(3.5), "array(3.5)", "3.5"),
    (lambda: mnp.array(onp.array([1, 2, 3])), "array([1, 2, 3], dtype=int64)", "[1 2 3]"),
    (lambda: mnp.arange(6, dtype="int32").reshape(2, 3),
     "array([[0, 1, 2],\n       [3, 4, 5]], dtype=int32)", "[[0 1 2]\n [3 4 5]]"),
    (lambda: mnp.arange(3, dtype="float64"), "array([0., 1., 2.], dtype=float64)", "[0. 1. 2.]"),
    (lambda: mnp.arange(3, dtype="float16"), "array([0., 1., 2.], dtype=float16)", "[0. 1. 2.]"),
    (lambda: mnp.array([1, 2], dtype="uint8"), "array([1, 2], dtype=uint8)", "[1 2]"),
    (lambda: mnp.array([1, 2, 3], dtype="int32") == 2, "array([False,  True, False])",
     "[False  True False]"),
    (lambda: mnp.zeros((0, 3)), "array([], shape=(0, 3))", "[]"),
    (lambda: mnp.linspace(0, 1, 5), "array([0.  , 0.25, 0.5 , 0.75, 1.  ])",
     "[0.   0.25 0.5  0.75 1.  ]"),
    (lambda: mnp.ones((2, 2, 2)),
     "array([[[1., 1.],\n        [1., 1.]],\n\n       [[1., 1.],\n        [1., 1.]]])", None),
    (lambda: mnp.arange(2000, dtype="int64"),
     "array([   0,    1,    2, ..., 1997, 1998, 1999], dtype=int64)",
     "[   0    1    2 ... 1997 1998 1999]"),
    (lambda: mnp.arange(2000).reshape(2, 1000),
     "array([[0.000e+00, 1.000e+00, 2.000e+00, ..., 9.970e+02, 9.980e+02,\n        9.990e+02],\n"
     "       [1.000e+03, 1.001e+03, 1.002e+03, ..., 1.997e+03, 1.998e+03,\n        1.999e+03]])",
     None),
    (lambda: mnp.array(3, dtype="int32"), "array(3, dtype=int32)", "3"),
]


@pytest.mark.parametrize("make,want_repr,want_str", MXNET_REPRS)
def test_repr_and_str_match_mxnet(make, want_repr, want_str, capsys):
    x = make()
    assert repr(x) == want_repr
    if want_str is not None:
        assert str(x) == want_str
        print(x)
        assert capsys.readouterr().out == want_str + "\n"


def test_device_is_shown_when_not_a_cpu():
    # MXNet 1.9.1 shows no device for any cpu(i), and shows it for cpu_pinned / gpu
    x = mnp.ones((2,), ctx=ndengine.cpu(1))
    assert repr(x) == "array([1., 1.])" and str(x) == "[1. 1.]"
    x = mnp.ones((2,), ctx=ndengine.cpu_pinned(0))
    assert repr(x) == "array([1., 1.], ctx=cpu_pinned(0))"
    assert str(x) == "[1. 1.] @cpu_pinned(0)"
    i = mnp.array([1, 2], dtype="int32", ctx=ndengine.cpu_pinned(0))
    assert repr(i) == "array([1, 2], dtype=int32, ctx=cpu_pinned(0))"
    s = mnp.array(2.0, ctx=ndengine.cpu_pinned(0))
    assert repr(s) == "array(2., ctx=cpu_pinned(0))" and str(s) == "2.0"   # no @ for 0-d (MXNet)


def test_scalar_conversions():
    x = mnp.array([2.7])
    assert float(x) == pytest.approx(2.7) and int(x) == 2 and bool(x) is True
    assert x.item() == pytest.approx(2.7) and isinstance(x.item(), float)
    assert complex(mnp.array(1.5)) == 1.5
    assert bool(mnp.array(0.0)) is False
    i = mnp.array([5], dtype="int64")
    assert isinstance(i.item(), int) and [0, 1, 2, 3, 4, 5][i] == 5 and ["a", "b"][i - 4] == "b"
    assert mnp.ones((2, 3)).item(4) == 1.0
    assert mnp.arange(4.0).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert mnp.array(3.0).tolist() == 3.0
    assert f"{mnp.array(3.14159):.2f}" == "3.14"


@pytest.mark.parametrize("call,exc,match", [
    (lambda: float(mnp.ones(2)), TypeError, "only size-1 arrays"),
    (lambda: int(mnp.ones((2, 2))), TypeError, "only size-1 arrays"),
    (lambda: bool(mnp.ones(2)), ValueError, "more than one element is ambiguous"),
    (lambda: bool(mnp.ones(0)), ValueError, "empty array is ambiguous"),
    (lambda: mnp.ones(2).item(), ValueError, "size 1"),
    (lambda: len(mnp.array(1.0)), TypeError, "len"),
    (lambda: iter(mnp.array(1.0)).__next__(), TypeError, "0-d"),
    (lambda: [1, 2][mnp.array([1.0])], TypeError, "integer"),
    (lambda: {mnp.ones(1): 1}, TypeError, "unhashable"),
])
def test_conversion_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_numpy_interoperability():
    x = mnp.arange(6.0).reshape(2, 3)
    a = onp.asarray(x)
    assert isinstance(a, onp.ndarray) and a.dtype == onp.float32 and a.tolist() == x.tolist()
    a[0, 0] = 100                                 # a copy: x is unchanged
    assert x[0, 0].item() == 0.0
    assert onp.asarray(x, dtype="float64").dtype == onp.float64
    v = onp.asarray(x, copy=False) if onp.lib.NumpyVersion(onp.__version__) >= "2.0.0" else a
    assert not v.flags.writeable
    r = onp.add(x, 1)                             # a ufunc on an NDArray gives an NDArray
    assert isinstance(r, ndengine.NDArray) and r.tolist() == (x + 1).tolist()
    s = onp.sum(x, axis=0)                        # so does an array function
    assert isinstance(s, ndengine.NDArray) and s.tolist() == [3.0, 5.0, 7.0]
    assert onp.allclose(onp.exp(x).asnumpy(), onp.exp(a.astype("float32") * 0 + x.asnumpy()))
    assert (onp.array([1.0, 2.0, 3.0], dtype="float32") + mnp.ones(3)).tolist() == [2, 3, 4]


def test_asnumpy_returns_a_copy():
    x = mnp.ones((3,))
    a = x.asnumpy()
    a[0] = 7
    assert x.tolist() == [1.0, 1.0, 1.0]


def test_pickle_and_copy():
    x = mnp.arange(4.0, ctx=ndengine.cpu(1))
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == x.tolist() and y.device is ndengine.cpu(1) and y.dtype == x.dtype
    c = copy.copy(x)
    d = copy.deepcopy(x)
    x += 1
    assert c.tolist() == d.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_copyto_and_as_in_ctx():
    x = mnp.arange(3.0)
    y = x.copyto(ndengine.cpu(1))
    assert y.device is ndengine.cpu(1) and y.tolist() == [0.0, 1.0, 2.0]
    assert x.as_in_ctx(ndengine.cpu(0)) is x
    z = x.as_in_ctx(ndengine.cpu(2))
    assert z.device is ndengine.cpu(2) and z.tolist() == x.tolist()
    t = mnp.zeros((3,))
    assert x.copyto(t) is t and t.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match=r"copyto: shape \(3,\).*does not match.*\(2,\)"):
        x.copyto(mnp.zeros(2))
    with pytest.raises(TypeError, match="copyto"):
        x.copyto("cpu(1)")


def test_ndarray_constructor_is_np_array():
    x = ndengine.NDArray([1, 2, 3])
    assert isinstance(x, mnp.ndarray) and x.dtype == onp.float32
