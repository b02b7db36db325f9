"""ndengine.test_utils (``mx.test_utils``): comparisons and their messages, tolerances,
random data, the default device, running helpers.  (Against real MXNet:
tests/mxnet_diff/cases/cases_test_utils.py.)"""
from __future__ import annotations

import os

import numpy as onp
import pytest

import ndengine
from ndengine import cpu, legacy
from ndengine import numpy as np
from ndengine import test_utils as T


def test_assert_almost_equal_default_tolerances():
    a = onp.array([1.0, 2.0, 3.0], dtype=onp.float32)
    T.assert_almost_equal(np.array(a), a + 5e-5)            # float32: rtol 1e-4, atol 1e-3
    T.assert_almost_equal(np.array(a), a + 5e-4)
    with pytest.raises(AssertionError):
        T.assert_almost_equal(np.array(a), a + 5e-3)
    a64 = a.astype(onp.float64)
    T.assert_almost_equal(a64, a64 * (1 + 5e-6))            # float64: rtol 1e-5
    with pytest.raises(AssertionError):
        T.assert_almost_equal(a64, a64 * (1 + 5e-5))
    T.assert_almost_equal(a.astype(onp.float16), a.astype(onp.float16) + 0.05)
    with pytest.raises(AssertionError):
        T.assert_almost_equal(onp.array([1, 2], dtype=onp.int32), onp.array([1, 3], onp.int32))
    T.assert_almost_equal(legacy.array([1.0, 2.0]), np.array([1.0, 2.0]))
    T.assert_almost_equal(onp.array([True, False]), onp.array([True, False]))
    with pytest.raises(AssertionError):
        T.assert_almost_equal(onp.array([True, False]), onp.array([True, True]))


def test_assert_almost_equal_message_names_the_worst_element():
    a = onp.array([[1.0, 2.0], [3.0, 4.0]])
    b = a.copy()
    b[1, 0] = 3.5
    b[0, 1] = 2.01
    with pytest.raises(AssertionError) as ei:
        T.assert_almost_equal(a, b, names=("got", "want"))
    msg = str(ei.value)
    assert "Location of maximum error: (1, 0)" in msg
    assert "got=3.00000000" in msg and "want=3.50000000" in msg
    assert "rtol=1.000000e-05" in msg and "2 of 4 elements" in msg


def test_assert_almost_equal_shapes_nan_and_explicit_tolerances():
    T.assert_almost_equal(onp.ones((2, 3)), onp.ones(3))
    with pytest.raises(AssertionError, match="not equal"):
        T.assert_almost_equal(onp.ones((2, 3)), onp.ones(3), use_broadcast=False)
    with pytest.raises(AssertionError, match="cannot be compared"):
        T.assert_almost_equal(onp.ones((2, 3)), onp.ones(4))
    n = onp.array([1.0, onp.nan])
    with pytest.raises(AssertionError):
        T.assert_almost_equal(n, n)
    T.assert_almost_equal(n, n, equal_nan=True)
    T.assert_allclose(n, n)                                  # equal_nan by default
    with pytest.raises(AssertionError):
        T.assert_allclose(onp.array([1.0]), onp.array([1.0 + 1e-6]))
    T.assert_almost_equal(onp.array([1.0]), onp.array([1.1]), rtol=0.2)
    T.assert_almost_equal(onp.array([1.0], onp.float32), onp.array([1.05], onp.float32),
                          rtol={onp.dtype(onp.float32): 0.1})
    T.assert_almost_equal(2.0, 2.0 + 1e-7)
    with pytest.raises(AssertionError, match="Error"):
        T.assert_almost_equal(2.0, 2.5)


def test_other_comparisons():
    a = onp.array([1.0, onp.nan, 3.0])
    b = onp.array([1.0, 2.0, onp.nan])
    T.assert_almost_equal_ignore_nan(a, b)
    c, d = onp.array([1.0, 2.0, 3.0, 9.0]), onp.array([1.0, 2.0, 3.0, 4.0])
    T.assert_almost_equal_with_err(c, d, etol=0.3)
    with pytest.raises(AssertionError):
        T.assert_almost_equal_with_err(c, d, etol=0.2)
    assert T.almost_equal(d, d + 1e-6) and not T.almost_equal(d, d + 1e-4)
    assert T.almost_equal(np.array(d), d)
    assert T.same(np.array(d), d) and not T.same(d, d[:2])
    with pytest.raises(AssertionError, match="are not equal"):
        T.checkShapes(d, d[:2])
    x = legacy.ones((2, 2))
    assert T.same_array(x, x) and not T.same_array(x, x.copy())
    onp.testing.assert_array_equal(x.asnumpy(), 1)
    T.compare_ndarray_tuple((d, (d, None)), (d + 1e-7, (d, d)))
    with pytest.raises(AssertionError):
        T.compare_ndarray_tuple((d,), (d + 1,))
    assert "a=1.00000000, b=2.00000000" in T.locationError(d, d + 1, (0,), ("a", "b"))


def test_tolerance_tables():
    f32 = onp.dtype(onp.float32)
    assert T.default_rtols()[f32] == 1e-4 and T.default_atols()[f32] == 1e-3
    assert T.default_numeric_eps()[onp.dtype(onp.float64)] == 2.0 ** -14
    assert T.get_rtol() == 1e-5 and T.get_atol() == 1e-20 and T.get_etol() == 0
    assert T.get_tols(onp.ones(1, onp.float16), onp.ones(1), None, None) == (1e-2, 1e-1)
    assert T.get_tolerance(onp.ones(1, onp.int16), None, T.default_rtols()) == 0
    assert T.effective_dtype(np.ones(2)) == f32 and T.default_dtype() is onp.float32


def test_random_helpers():
    onp.random.seed(3)
    a = T.rand_ndarray((2, 3))
    assert type(a) is legacy.NDArray and a.shape == (2, 3) and a.dtype == onp.float32
    b = T.rand_ndarray((4,), dtype="float64", ctx=cpu(1))
    assert b.dtype == onp.float64 and b.context == cpu(1)
    c = T.rand_ndarray((20, 10), stype="csr", density=0.2)
    assert c.stype == "csr" and c.shape == (20, 10) and 0 < len(c.data) < 200
    r = T.rand_ndarray((20, 3), stype="row_sparse", density=0.5, ctx=cpu(1))
    assert r.stype == "row_sparse" and r.context == cpu(1) and 0 < len(r.indices) < 20
    with pytest.raises(ValueError, match="unknown stype"):
        T.rand_ndarray((2, 2), stype="coo")
    for _ in range(20):
        s = T.rand_shape_nd(3, dim=4)
        assert len(s) == 3 and all(1 <= d <= 4 for d in s)
        assert all(0 <= d <= 2 for d in T.rand_shape_2d(2, 2, allow_zero_size=True))
    assert len(T.rand_shape_3d()) == 3
    x, y = T.rand_coord_2d(0, 3, 5, 6)
    assert 0 <= x < 3 and y == 5
    r = T.random_arrays((2, 3), ())
    assert r[0].shape == (2, 3) and r[1].shape == () and r[0].dtype == onp.float32
    assert T.random_arrays((2,)).shape == (2,)
    u = T.random_uniform_arrays((100,), low=-1, high=1, dtype=onp.float64)[0]
    assert u.dtype == onp.float64 and -1 <= u.min() and u.max() < 1
    assert sorted(T.random_sample(list(range(5)), 5)) == list(range(5))
    with pytest.raises(ValueError):
        T.random_sample([1, 2], 3)


def test_reductions():
    x = onp.arange(24.0).reshape(2, 3, 4)
    onp.testing.assert_array_equal(T.np_reduce(x, (0, 2), True, onp.sum),
                                   x.sum(axis=(0, 2), keepdims=True))
    onp.testing.assert_array_equal(T.collapse_sum_like(x, (3, 1)), x.sum(axis=(0, 2))[:, None])
    assert T.collapse_sum_like(x, (0, 4)).shape == (0, 4)
    with pytest.raises(ValueError, match="not broadcastable"):
        T.collapse_sum_like(x, (2, 4))


def test_default_context():
    assert T.default_context() == ndengine.current_context() == T.default_device()
    try:
        T.set_default_context(cpu(2))
        assert T.default_context() == cpu(2) and np.zeros(1).device == cpu(2)
        with cpu(1):
            assert T.default_context() == cpu(1)
            T.set_default_context(cpu(3))
            assert np.zeros(1).device == cpu(3)
        assert T.default_context() == cpu(2)
    finally:
        T.set_default_context(cpu(0))
    with pytest.raises(TypeError, match="expected a device"):
        T.set_default_context("cpu")
    assert list(T.list_gpus()) == list(range(ndengine.num_gpus()))


def test_assert_exception_and_retry():
    T.assert_exception(int, ValueError, "x")
    with pytest.raises(AssertionError, match="did not raise ValueError"):
        T.assert_exception(int, ValueError, "1")
    with pytest.raises(ValueError):
        T.assert_exception(int, KeyError, "x")
    calls = []

    @T.retry(3)
    def flaky():
        calls.append(1)
        assert len(calls) >= 2
    flaky()
    assert len(calls) == 2

    @T.retry(2)
    def broken():
        raise AssertionError("always")
    with pytest.raises(AssertionError, match="always"):
        broken()
    with pytest.raises(ValueError):
        T.retry(0)


def test_environment():
    os.environ["NDE_TU_A"] = "1"
    os.environ.pop("NDE_TU_B", None)
    try:
        with T.environment({"NDE_TU_A": None, "NDE_TU_B": "2"}):
            assert "NDE_TU_A" not in os.environ and os.environ["NDE_TU_B"] == "2"
        assert os.environ["NDE_TU_A"] == "1" and "NDE_TU_B" not in os.environ
        with pytest.raises(KeyError):
            with T.environment("NDE_TU_A", "5"):
                assert os.environ["NDE_TU_A"] == "5"
                raise KeyError("body fails")
        assert os.environ["NDE_TU_A"] == "1"
    finally:
        os.environ.pop("NDE_TU_A", None)
    with pytest.raises(ValueError, match="one dict argument"):
        with T.environment("A"):
            pass
    with pytest.raises(TypeError, match="must be strings"):
        with T.environment("A", 1):
            pass


def test_discard_stderr(capfd):
    with T.discard_stderr():
        os.write(2, b"hidden\n")
    os.write(2, b"shown\n")
    err = capfd.readouterr().err
    assert "hidden" not in err and "shown" in err


def test_download_and_run_flags(tmp_path, monkeypatch):
    src = tmp_path / "src.bin"
    src.write_bytes(b"abc")
    out = T.download(src.as_uri(), fname="copy.bin", dirname=str(tmp_path / "d"))
    assert out == str(tmp_path / "d" / "copy.bin") and open(out, "rb").read() == b"abc"
    src.write_bytes(b"new")
    assert open(T.download(src.as_uri(), fname=out), "rb").read() == b"abc"   # kept
    assert open(T.download(src.as_uri(), fname=out, overwrite=True), "rb").read() == b"new"
    monkeypatch.setenv("CD_JOB", "1")
    assert T.is_cd_run()
    monkeypatch.delenv("CD_JOB")
    assert not T.is_cd_run() and isinstance(T.is_aarch64_run(), bool)
