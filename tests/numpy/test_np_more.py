"""The rest of MXNet's np names against NumPy: math extras, creation, windows,
polynomials, sets, I/O, misc, random samplers, linalg additions."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as onp
import pytest

from ndengine import np as mnp
from ndengine.base import OpError

from np_oracle import assert_same, data, mx_dtype, oracle, with_inputs

sys.path.insert(0, str(Path(__file__).parents[1] / "autograd"))
from ag_helpers import check_grad  # noqa: E402

RNG = onp.random.default_rng(11)


def keep_int(np_dtype, inputs):
    return mx_dtype(np_dtype, inputs, keep_int=True)     # MXNet: int prod keeps int32


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@oracle(rtol=1e-5, atol=1e-5, dtype_rule=keep_int)
def test_math_extras(dtype, xp):
    xn = data((3, 4), dtype)
    x = xp.asarray(xn)
    new = xp is mnp     # names NumPy 2 removed: compare with their replacements
    product, alltrue, sometrue = ((xp.product, xp.alltrue, xp.sometrue) if new
                                  else (xp.prod, xp.all, xp.any))
    round_ = xp.round_ if new else xp.round
    trapz = xp.trapz if new else xp.trapezoid
    r = [xp.deg2rad(x), xp.rad2deg(x), xp.heaviside(x, 0.5), xp.spacing(x),
         xp.real(x), product(x, axis=0), alltrue(x > -2), sometrue(x > 2, axis=1),
         xp.diff(x), xp.diff(x, n=2, axis=0), xp.ediff1d(x), xp.array_equiv(x, x[0:1])]
    if dtype != "int32":
        r += [xp.modf(x), xp.frexp(x), xp.divmod(x, 1.5), xp.i0(x), xp.fabs(x),
              xp.unwrap(x * 3), trapz(x), trapz(x, dx=0.5, axis=0),
              trapz(x, x=xp.asarray(onp.arange(4.0, dtype=dtype))), round_(x, 1)]
    return with_inputs(tuple(r), xn)


def test_math_extras_mxnet_dtypes():
    i = mnp.array(onp.array([-1, 2], dtype="int32"))
    assert mnp.fabs(i).dtype == onp.int32           # MXNet keeps the int dtype
    assert mnp.deg2rad(i).dtype == onp.float32
    assert mnp.interp(mnp.array([1.5]), mnp.array([1., 2.]), mnp.array([10., 20.])).dtype \
        == onp.float64                            # NumPy's (and MXNet's fallback)
    assert_same(mnp.diff(mnp.array(onp.array([True, False, False]))),
                onp.diff(onp.array([True, False, False])))
    assert_same(mnp.diff(mnp.array([1., 2., 4.]), prepend=0., append=mnp.array([9.])),
                onp.diff(onp.array([1., 2., 4.], dtype="float32"), prepend=0, append=[9]),
                dtype="float32")


@oracle(dtype_rule=None)
def test_interp(xp):
    x = xp.asarray(data((5,)))
    xs = xp.asarray(onp.array([-2., 0., 1., 2.5]))
    fs = xp.asarray(onp.array([0., 1., -1., 3.]))
    return (xp.interp(x, xs, fs), xp.interp(x, xs, fs, left=-9., right=9.),
            xp.interp(1.25, xs, fs), xp.interp(x, xs, fs, period=3.0))


@oracle()
def test_creation_extras(xp):
    v = xp.asarray(data((3,)))
    return (xp.logspace(0, 2, 5), xp.logspace(0, 3, 4, base=2, endpoint=False),
            xp.logspace(0, 2, 3, dtype="int32"), xp.meshgrid(v, v[:2]),
            xp.meshgrid(v, v[:2], indexing="ij"), xp.meshgrid(v, v[:2], v, sparse=True),
            xp.hamming(5), xp.hanning(6), xp.blackman(4), xp.bartlett(5), xp.hamming(1),
            xp.hanning(0))


@oracle(dtype_rule=None)
def test_vander(xp):
    v = xp.asarray(data((3,)))
    i = xp.asarray(onp.array([1, 2, 3], dtype="int32"))
    return xp.vander(v), xp.vander(v, 4, increasing=True), xp.vander(i)


def test_window_and_logspace_float32_default():
    assert mnp.hamming(4).dtype == onp.float32
    assert mnp.logspace(0, 1, 3).dtype == onp.float32
    assert mnp.hamming(4, dtype="float64").dtype == onp.float64


@oracle(rtol=1e-5, atol=1e-5)
def test_polynomials_composite(xp):
    p = xp.asarray(onp.array([1., -3., 2.], dtype="float32"))
    q = xp.asarray(onp.array([1., 1.], dtype="float32"))
    x = xp.asarray(data((4,)))
    return (xp.polyval(p, x), xp.polyval(p, 2.0), xp.polyadd(p, q), xp.polysub(q, p),
            xp.polyder(p), xp.polyder(p, 2))


@oracle(rtol=1e-5, atol=1e-5, dtype_rule=None)
def test_polynomials_host(xp):
    p = xp.asarray(onp.array([1., -3., 2.], dtype="float32"))
    q = xp.asarray(onp.array([1., 1.], dtype="float32"))
    return (xp.polymul(p, q), xp.polydiv(p, q), xp.polyint(p), xp.polyint(p, 2, [1., 2.]),
            xp.polyfit(xp.asarray(onp.arange(5.)), xp.asarray(onp.arange(5.)) * 2 + 1, 1),
            xp.poly(xp.asarray(onp.array([1., 2.]))), xp.sort(xp.roots(p)))


@oracle(dtype_rule=None)
def test_sets(xp):
    a = xp.asarray(onp.array([[3., 1.], [2., 5.]], dtype="float32"))
    b = xp.asarray(onp.array([1., 7., 3.], dtype="float32"))
    return (xp.isin(a, b), xp.isin(a, b, invert=True), xp.intersect1d(a, b),
            xp.intersect1d(a, b, return_indices=True), xp.setdiff1d(a, b),
            xp.setxor1d(a, b), xp.union1d(a, b))


def test_in1d():
    a = onp.array([[3., 1.], [2., 5.]], dtype="float32")
    assert_same(mnp.in1d(mnp.array(a), mnp.array([1., 5.])), onp.isin(a.ravel(), [1., 5.]))


def test_genfromtxt(tmp_path):
    text = "a,b\n1,2.5\n3,nan\n"
    r = mnp.genfromtxt(io.StringIO(text), delimiter=",", skip_header=1)
    assert_same(r, onp.genfromtxt(io.StringIO(text), delimiter=",", skip_header=1))
    p = tmp_path / "t.csv"
    p.write_text(text)
    assert mnp.genfromtxt(str(p), delimiter=",", skip_header=1).dtype == onp.float64
    with pytest.raises(TypeError, match="dtype"):
        mnp.genfromtxt(io.StringIO(text), delimiter=",", dtype=None, names=True)


@oracle(dtype_rule=None)
def test_misc(xp):
    x = xp.asarray(data((3, 4)))
    bits = xp.asarray(onp.array([[1, 0, 1], [0, 1, 1]], dtype="uint8"))
    return (xp.apply_along_axis(lambda r: r * 2, 1, x),
            xp.apply_along_axis(lambda r: r.sum(), 0, x),
            xp.apply_over_axes(xp.sum, x, [0, 1]),
            xp.packbits(bits), xp.packbits(bits, axis=1, bitorder="little"),
            xp.unpackbits(xp.asarray(onp.array([5, 255], dtype="uint8"))),
            xp.unpackbits(xp.asarray(onp.array([[5], [3]], dtype="uint8")), axis=1, count=4))


def test_dtype_helpers_constants_printoptions():
    assert mnp.min_scalar_type(10) == onp.uint8
    assert mnp.promote_types("float32", "int64") == onp.float64
    assert onp.isnan(mnp.NAN) and onp.isnan(mnp.NaN) and mnp.NINF == -onp.inf
    assert mnp.PINF == onp.inf and mnp.PZERO == 0.0 and onp.signbit(mnp.NZERO)
    a = mnp.arange(4)
    assert mnp.may_share_memory(a, a) and mnp.shares_memory(a, a)
    assert not mnp.shares_memory(a, mnp.arange(4))
    old = onp.get_printoptions()
    try:
        mnp.set_printoptions(precision=2)
        assert "3.14" in str(mnp.array([3.14159])) and "3.142" not in str(mnp.array([3.14159]))
    finally:
        onp.set_printoptions(**old)


def test_submodules_reexport():
    assert mnp.fallback.nanmax is mnp.nanmax
    assert mnp.fallback_linalg.lstsq is mnp.linalg.lstsq
    assert mnp.function_base.meshgrid is mnp.meshgrid
    assert mnp.io.genfromtxt is mnp.genfromtxt
    assert mnp.multiarray.sort is mnp.sort and mnp.multiarray.ndarray is mnp.ndarray
    assert mnp.stride_tricks.broadcast_arrays is mnp.broadcast_arrays
    assert mnp.utils.PINF == onp.inf and mnp.arrayprint.set_printoptions is mnp.set_printoptions


@pytest.mark.parametrize("name,args,check", [
    ("chisquare", (3.0,), lambda s: 2 < s.mean() < 4),
    ("pareto", (5.0,), lambda s: (s >= 0).all()),
    ("power", (2.0,), lambda s: ((s >= 0) & (s <= 1)).all()),
    ("rayleigh", (2.0,), lambda s: 2 < s.mean() < 3),
    ("weibull", (1.5,), lambda s: (s >= 0).all()),
])
def test_random_samplers(name, args, check):
    mnp.random.seed(3)
    s = getattr(mnp.random, name)(*args, size=(2000,))
    assert s.dtype == onp.float32 and s.shape == (2000,)
    assert check(s.asnumpy())
    mnp.random.seed(3)
    onp.testing.assert_array_equal(getattr(mnp.random, name)(*args, size=(2000,)).asnumpy(),
                                   s.asnumpy())
    with pytest.raises(ValueError, match=name):
        getattr(mnp.random, name)(-1.0, size=3)


def test_multivariate_normal():
    mnp.random.seed(0)
    s = mnp.random.multivariate_normal(mnp.array([1., -1.]),
                                       mnp.array([[1., 0.5], [0.5, 2.]]), size=(4000,))
    assert s.shape == (4000, 2) and s.dtype == onp.float32
    c = onp.cov(s.asnumpy().T)
    onp.testing.assert_allclose(c, [[1., 0.5], [0.5, 2.]], atol=0.15)
    with pytest.raises(ValueError, match="same length"):
        mnp.random.multivariate_normal(mnp.zeros(2), mnp.eye(3))


@oracle(rtol=1e-4, atol=1e-5)
def test_linalg_extras(xp):
    a = xp.asarray(data((3, 3)) + onp.eye(3, dtype="float32") * 4)
    b = xp.asarray(data((3, 2)))
    t = xp.asarray(data((2, 3, 6)) + 0)
    return (xp.linalg.matrix_power(a, 3), xp.linalg.matrix_power(a, 0),
            xp.linalg.matrix_power(a, -2), xp.linalg.multi_dot([a, a, b]),
            xp.linalg.multi_dot([a[0], a, b[:, 0]]), xp.linalg.cond(a),
            xp.linalg.cond(a, "fro"), xp.linalg.cond(a, 1), xp.linalg.cond(a, -2),
            xp.linalg.tensorinv(xp.reshape(xp.asarray(data((4, 4)) + 4 * onp.eye(4, dtype="float32")),
                                           (4, 2, 2)), ind=1),
            xp.linalg.tensorsolve(xp.reshape(xp.asarray(data((6, 6)) + 4 * onp.eye(6, dtype="float32")),
                                             (6, 2, 3)), xp.asarray(data((6,)))))


def test_eig_and_lstsq():
    a = onp.array([[2., 1.], [1., 3.]], dtype="float32")
    w, v = mnp.linalg.eig(mnp.array(a))
    ww = onp.linalg.eigvals(a)
    onp.testing.assert_allclose(onp.sort(w.asnumpy()), onp.sort(ww), rtol=1e-5)
    onp.testing.assert_allclose(a @ v.asnumpy(), v.asnumpy() * w.asnumpy(), rtol=1e-4,
                                atol=1e-5)
    assert w.dtype == onp.float32
    onp.testing.assert_allclose(onp.sort(mnp.linalg.eigvals(mnp.array(a)).asnumpy()),
                                onp.sort(ww), rtol=1e-5)
    with pytest.raises(OpError, match="complex"):
        mnp.linalg.eig(mnp.array([[0., -1.], [1., 0.]]))[0].asnumpy()
    A = onp.array([[1., 0.], [1., 1.], [1., 2.]])
    y = onp.array([1., 2., 2.9])
    x, res, rank, s = mnp.linalg.lstsq(mnp.array(A), mnp.array(y), rcond=None)
    wx, wres, wrank, ws = onp.linalg.lstsq(A, y, rcond=None)
    assert_same(x, wx) and assert_same(res, wres)
    assert rank == wrank and isinstance(rank, int)


@pytest.mark.parametrize("name,fn", [
    ("multiply", lambda a: mnp.polyval(a[0], a[1])),
    ("subtract", lambda a: mnp.diff(a, n=2, axis=1)),
    ("subtract", lambda a: mnp.ediff1d(a, to_begin=mnp.array([1.0]))),
    ("add", lambda a: mnp.trapz(a, axis=0)),
    ("matmul", lambda a: mnp.linalg.matrix_power(a[:, :3], 3)),
    ("inv", lambda a: mnp.linalg.tensorinv(a[:, :3] + mnp.eye(3) * 3, ind=1)),
    ("broadcast_to", lambda a: mnp.meshgrid(a[0], a[1])[1]),
    ("i0", lambda a: mnp.i0(a)),
    ("heaviside", lambda a: mnp.heaviside(a, a)),
    ("modf", lambda a: mnp.modf(a * 3)[0]),
])
def test_more_grads(name, fn):
    check_grad(name, fn, [RNG.standard_normal((3, 4))])
