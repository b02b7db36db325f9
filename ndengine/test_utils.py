"""``mxnet.test_utils``: the testing helpers client code and tutorials use.

What is here (MXNet 1.9.1's names and defaults): comparisons (``assert_almost_equal``
with MXNet's per-dtype tolerances, ``almost_equal``, ``same``, ``assert_allclose``,
``assert_almost_equal_with_err``, ``assert_almost_equal_ignore_nan``, ``same_array``,
``compare_ndarray_tuple``, ``checkShapes``, ``collapse_sum_like``, ``np_reduce``), the
tolerance tables (``default_rtols`` ... ``get_tols``), random data (``random_arrays``,
``random_uniform_arrays``, ``random_sample``, ``rand_ndarray``, ``rand_shape_2d/3d/nd``,
``rand_coord_2d``), the default device (``default_context``, ``set_default_context``;
``default_device`` is MXNet 2's name for the first), ``assert_exception``, ``retry``,
``environment``, ``discard_stderr``, ``list_gpus``, ``download``, ``is_cd_run``,
``is_aarch64_run``.

Left out: the symbol and executor helpers (``check_numeric_gradient``,
``check_symbolic_forward/backward``, ``check_consistency``, ``check_speed``,
``simple_forward``: ndengine has no symbols; gradients are checked against finite
differences with autograd instead), ``rand_sparse_ndarray`` and the CSR helpers
(``rand_ndarray`` makes sparse arrays: ``stype='csr'`` / ``'row_sparse'``), the dataset fetchers
(``get_mnist`` ...), ``DummyIter`` and the statistical generator checks.

Arrays of any kind (np-mode, legacy ``mx.nd``, NumPy, Python numbers) are compared as
NumPy arrays; reading them is a sync point.
"""
from __future__ import annotations

import numbers
import os
import platform
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as _np

from .device import Device, current_device, num_gpus

__all__ = ["default_context", "default_device", "set_default_context", "default_dtype",
           "default_rtols", "default_atols", "default_numeric_eps", "effective_dtype",
           "get_tolerance", "get_tols", "get_atol", "get_rtol", "get_etol", "random_arrays",
           "random_uniform_arrays", "random_sample", "rand_ndarray", "rand_shape_2d",
           "rand_shape_3d", "rand_shape_nd", "rand_coord_2d", "np_reduce", "same",
           "checkShapes", "almost_equal", "locationError", "assert_almost_equal",
           "assert_allclose", "assert_almost_equal_with_err",
           "assert_almost_equal_ignore_nan", "assert_exception", "retry", "list_gpus",
           "download", "same_array", "discard_stderr", "compare_ndarray_tuple",
           "environment", "collapse_sum_like", "is_cd_run", "is_aarch64_run"]


# ----------------------------------------------------------------------------- devices
def default_context() -> Device:
    """The default device of this thread (``mx.current_context()``)."""
    return current_device()


default_device = default_context


def set_default_context(ctx: Device) -> None:
    """Make *ctx* this thread's default device (until the enclosing ``with device:``
    block, if any, ends — as in MXNet, whose ``with`` restores the device it found)."""
    if not isinstance(ctx, Device):
        raise TypeError(f"set_default_context: expected a device (mx.cpu(), mx.gpu()), got "
                        f"{type(ctx).__name__} {ctx!r}")
    local = Device._local
    stack = getattr(local, "stack", None)
    if stack:
        stack[-1] = ctx
    else:
        local.stack = [ctx]


def list_gpus() -> range:
    """``range(number of GPUs)``."""
    return range(num_gpus())


# ----------------------------------------------------------------------------- tolerances
_INT_DTYPES = (_np.bool_, _np.int8, _np.uint8, _np.int32, _np.uint32, _np.int64, _np.uint64)


def default_dtype() -> type:
    """float32, the dtype of the random test data."""
    return _np.float32


def default_rtols() -> dict:
    """MXNet's default relative tolerance per dtype."""
    d = {_np.dtype(_np.float16): 1e-2, _np.dtype(_np.float32): 1e-4,
         _np.dtype(_np.float64): 1e-5}
    d.update({_np.dtype(t): 0 for t in _INT_DTYPES})
    return d


def default_atols() -> dict:
    """MXNet's default absolute tolerance per dtype."""
    d = {_np.dtype(_np.float16): 1e-1, _np.dtype(_np.float32): 1e-3,
         _np.dtype(_np.float64): 1e-20}
    d.update({_np.dtype(t): 0 for t in _INT_DTYPES})
    return d


def default_numeric_eps() -> dict:
    """Finite-difference steps per dtype (powers of two)."""
    return {_np.dtype(_np.float16): 1.0 / 2 ** 6, _np.dtype(_np.float32): 1.0 / 2 ** 9,
            _np.dtype(_np.float64): 1.0 / 2 ** 14}


def effective_dtype(dat: Any) -> _np.dtype:
    """The dtype whose tolerance applies to *dat* (its own: ndengine's CuPy backend does
    not compute float32 products in TF32, which is why MXNet may answer float16)."""
    return _np.dtype(dat.dtype)


def get_tolerance(dat: Any, tol: Any, default_tol: dict) -> Any:
    """*tol* if it is a number, else its (or *default_tol*'s) entry for dat's dtype
    (0 for a dtype neither knows: ints and bools compare exactly)."""
    if isinstance(tol, numbers.Number):
        return tol
    dtype = effective_dtype(dat)
    tol = {} if tol is None else tol
    if dtype in tol:
        return tol[dtype]
    return default_tol.get(dtype, 0)


def get_tols(x: Any, y: Any, rtol: Any, atol: Any) -> tuple:
    """(rtol, atol) for comparing x and y: the larger default of their two dtypes."""
    if isinstance(x, numbers.Number):
        x = _np.array(x)
    if isinstance(y, numbers.Number):
        y = _np.array(y)
    rtol = max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols()))
    atol = max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols()))
    return rtol, atol


def get_atol(atol: Any = None, dtype: Any = _np.dtype(_np.float64)) -> Any:
    return default_atols()[_np.dtype(dtype)] if atol is None else atol


def get_rtol(rtol: Any = None, dtype: Any = _np.dtype(_np.float64)) -> Any:
    return default_rtols()[_np.dtype(dtype)] if rtol is None else rtol


def get_etol(etol: Any = None) -> Any:
    return 0 if etol is None else etol


# ----------------------------------------------------------------------------- data
def random_arrays(*shapes: Any) -> Any:
    """Standard normal float32 NumPy arrays of *shapes* (one array for one shape)."""
    arrays = [_np.array(_np.random.randn(), dtype=default_dtype()) if len(s) == 0
              else _np.random.randn(*s).astype(default_dtype()) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def random_uniform_arrays(*shapes: Any, low: float = 0.0, high: float = 1.0,
                          dtype: Any = None) -> list:
    """Uniform NumPy arrays of *shapes* (a list, even for one)."""
    dtype = default_dtype() if dtype is None else dtype
    return [_np.random.uniform(low, high, size=s).astype(dtype) for s in shapes]


def random_sample(population: list, k: int) -> list:
    """*k* elements of *population* in random order."""
    if not 0 <= k <= len(population):
        raise ValueError(f"random_sample: k must be in [0, {len(population)}], got {k}")
    copy = list(population)
    _np.random.shuffle(copy)
    return copy[:k]


def rand_ndarray(shape: Any, stype: str = "default", density: Any = None, dtype: Any = None,
                 modifier_func: Any = None, shuffle_csr_indices: bool = False,
                 distribution: Any = None, ctx: Any = None) -> Any:
    """A legacy ``mx.nd`` array of standard normal values (float32 unless *dtype*), on
    *ctx* (default: the default device).  ``stype='csr'`` or ``'row_sparse'``: a sparse
    array whose elements (CSR) or rows (row-sparse) are stored with probability
    *density* (default: a random one), as MXNet's."""
    from .legacy.creation import array

    ctx = ctx if ctx is not None else default_context()
    shape = tuple(shape) if not isinstance(shape, int) else (shape,)
    if stype == "default":
        return array(random_arrays(shape), dtype=dtype, ctx=ctx)
    if stype not in ("csr", "row_sparse"):
        raise ValueError(f"rand_ndarray: unknown stype {stype!r} (default, csr, row_sparse)")
    from .legacy import sparse

    density = _np.random.rand() if density is None else float(density)
    values = _np.asarray(random_arrays(shape), dtype=dtype or _np.float32)
    keep_shape = shape if stype == "csr" else shape[:1] + (1,) * (len(shape) - 1)
    values = values * (_np.random.rand(*keep_shape) < density)
    make = sparse.csr_matrix if stype == "csr" else sparse.row_sparse_array
    return make(values, ctx=ctx, dtype=values.dtype)


def rand_shape_2d(dim0: int = 10, dim1: int = 10, allow_zero_size: bool = False) -> tuple:
    low = 0 if allow_zero_size else 1
    return _np.random.randint(low, dim0 + 1), _np.random.randint(low, dim1 + 1)


def rand_shape_3d(dim0: int = 10, dim1: int = 10, dim2: int = 10,
                  allow_zero_size: bool = False) -> tuple:
    low = 0 if allow_zero_size else 1
    return (_np.random.randint(low, dim0 + 1), _np.random.randint(low, dim1 + 1),
            _np.random.randint(low, dim2 + 1))


def rand_shape_nd(num_dim: int, dim: int = 10, allow_zero_size: bool = False) -> tuple:
    low = 0 if allow_zero_size else 1
    return tuple(_np.random.randint(low, dim + 1, size=num_dim))


def rand_coord_2d(x_low: int, x_high: int, y_low: int, y_high: int) -> tuple:
    return (_np.random.randint(x_low, x_high, dtype=_np.int64),
            _np.random.randint(y_low, y_high, dtype=_np.int64))


def np_reduce(dat: Any, axis: Any, keepdims: bool, numpy_reduce_func: Callable) -> Any:
    """Reduce *dat* over *axis* (an int, a list, or None for all) with a NumPy
    reduction, one axis at a time."""
    if isinstance(axis, int):
        axis = [axis]
    else:
        axis = list(axis) if axis is not None else list(range(len(dat.shape)))
    ret = dat
    for i in reversed(sorted(axis)):
        ret = numpy_reduce_func(ret, axis=i)
    if keepdims:
        shape = list(dat.shape)
        for i in axis:
            shape[i] = 1
        ret = ret.reshape(tuple(shape))
    return ret


def collapse_sum_like(a: Any, shape: Any) -> Any:
    """Sum NumPy array *a* over the axes that *shape* (broadcastable to a) lacks."""
    shape = tuple(shape)
    if len(a.shape) < len(shape):
        raise ValueError(f"collapse_sum_like: shape {shape} has more axes than {a.shape}")
    if int(_np.prod(shape)) == 0 or a.size == 0:
        return _np.zeros(shape, dtype=a.dtype)
    lead = len(a.shape) - len(shape)
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s != a.shape[i + lead]:
            if s != 1:
                raise ValueError(f"collapse_sum_like: shape {shape} is not broadcastable to "
                                 f"{a.shape}")
            axes.append(i + lead)
    return _np.sum(a, axis=tuple(axes)).reshape(shape)


# ----------------------------------------------------------------------------- compare
def _host(x: Any) -> Any:
    """A NumPy view of x's values (arrays of any kind; others pass unchanged)."""
    if isinstance(x, _np.ndarray) or isinstance(x, numbers.Number) or x is None:
        return x
    asnumpy = getattr(x, "asnumpy", None)
    if asnumpy is not None:
        return asnumpy()
    return _np.asarray(x)


def same(a: Any, b: Any) -> bool:
    """Whether a and b have the same shape and values."""
    return bool(_np.array_equal(_host(a), _host(b)))


def checkShapes(a: Any, b: Any) -> None:
    """Raise AssertionError unless a and b have the same shape."""
    if a.shape != b.shape:
        raise AssertionError(f"a.shape = {a.shape} and b.shape = {b.shape} are not equal")


def almost_equal(a: Any, b: Any, rtol: Any = None, atol: Any = None, equal_nan: bool = False,
                 use_broadcast: bool = True) -> bool:
    """``numpy.allclose(a, b)`` with float64's default tolerances (rtol 1e-5, atol
    1e-20) when not given."""
    a, b = _host(a), _host(b)
    if not use_broadcast:
        checkShapes(_np.asarray(a), _np.asarray(b))
    return bool(_np.allclose(a, b, rtol=get_rtol(rtol), atol=get_atol(atol),
                             equal_nan=equal_nan))


def locationError(a: Any, b: Any, index: Any, names: Any, maxError: bool = False) -> str:
    """'Location of [maximum ]error: index, a=..., b=...'."""
    maximum = "maximum " if maxError else ""
    return (f"Location of {maximum}error: {index}, {names[0]}={float(a[index]):.8f}, "
            f"{names[1]}={float(b[index]):.8f}")


def _find_max_violation(a: Any, b: Any, rtol: float, atol: float) -> tuple:
    with _np.errstate(invalid="ignore"):
        absdiff = _np.where(_np.equal(a, b), 0, _np.abs(a - b))
        violation = absdiff / (atol + rtol * _np.abs(b) + 1e-20)
    violation = _np.where(_np.isnan(violation), _np.inf, violation)
    loc = int(_np.argmax(violation))
    return tuple(int(i) for i in _np.unravel_index(loc, violation.shape)), \
        float(_np.max(violation))


def _fail(a: Any, b: Any, rtol: float, atol: float, names: Any, equal_nan: bool,
          mismatches: tuple) -> None:
    """Raise AssertionError describing where a and b differ most (as MXNet's, with
    the count of mismatching elements instead of its printed list)."""
    a, b = _np.broadcast_arrays(_np.asarray(a, dtype=_np.float64), _np.asarray(b, dtype=_np.float64))
    close = _np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    bad = int(a.size - _np.count_nonzero(close))
    if a.ndim:
        index, rel = _find_max_violation(a, b, rtol, atol)
        where = locationError(a, b, index, names, maxError=True)
        msg = (f"Error {rel:f} exceeds tolerance rtol={rtol:e}, atol={atol:e} (mismatch "
               f"{100.0 * bad / max(a.size, 1):f}%, {bad} of {a.size} elements).\n{where}")
    else:
        rel = float(abs(a - b) / (atol + rtol * abs(b) + 1e-20)) if not _np.isnan(a - b) \
            else float("inf")
        msg = (f"Error {rel:f} exceeds tolerance rtol={rtol:e}, atol={atol:e}.\n"
               f"{names[0]}={float(a):.8f}, {names[1]}={float(b):.8f}")
    with _np.printoptions(threshold=4, suppress=True):
        body = f"\n {names[0]}: {_np.array2string(a)}\n {names[1]}: {_np.array2string(b)}"
    raise AssertionError(f"\n{msg}{body}")


def assert_almost_equal(a: Any, b: Any, rtol: Any = None, atol: Any = None,
                        names: Any = ("a", "b"), equal_nan: bool = False,
                        use_broadcast: bool = True, mismatches: tuple = (10, 10)) -> None:
    """Raise AssertionError unless a and b are close: ``|a - b| <= atol + rtol * |b|``,
    broadcasting (unless ``use_broadcast=False``).  Unset tolerances come from
    :func:`default_rtols` / :func:`default_atols` for the dtypes of a and b (the larger
    of the two): float16 1e-2 / 1e-1, float32 1e-4 / 1e-3, float64 1e-5 / 1e-20, exact
    for ints and bools.  Boolean arrays must be equal."""
    if not use_broadcast:
        checkShapes(a, b)
    rtol, atol = get_tols(_dtyped(a), _dtyped(b), rtol, atol)
    a, b = _host(a), _host(b)
    if getattr(a, "dtype", None) == _np.bool_ and getattr(b, "dtype", None) == _np.bool_:
        _np.testing.assert_equal(a, b)
        return
    try:
        ok = almost_equal(a, b, rtol, atol, equal_nan=equal_nan)
    except ValueError as e:            # shapes that do not broadcast
        raise AssertionError(f"assert_almost_equal: {names[0]} of shape "
                             f"{_np.shape(a)} and {names[1]} of shape {_np.shape(b)} cannot "
                             f"be compared ({e})") from None
    if not ok:
        _fail(a, b, rtol, atol, names, equal_nan, mismatches)


def _dtyped(x: Any) -> Any:
    """Something with the dtype of x (a NumPy array for lists)."""
    if isinstance(x, numbers.Number) or hasattr(x, "dtype"):
        return x
    return _np.asarray(x)


def assert_allclose(a: Any, b: Any, rtol: float = 1e-07, atol: float = 0,
                    equal_nan: bool = True) -> None:
    """:func:`assert_almost_equal` with NumPy's ``assert_allclose`` defaults."""
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal_with_err(a: Any, b: Any, rtol: Any = None, atol: Any = None,
                                 etol: Any = None, names: Any = ("a", "b"),
                                 equal_nan: bool = False, mismatches: tuple = (10, 10)) -> None:
    """Like :func:`assert_almost_equal`, but passes while the fraction of elements that
    are not close is at most *etol*."""
    etol = get_etol(etol)
    if etol <= 0:
        assert_almost_equal(a, b, rtol=rtol, atol=atol, names=names, equal_nan=equal_nan)
        return
    rtol, atol = get_tols(_dtyped(a), _dtyped(b), rtol, atol)
    a, b = _host(a), _host(b)
    equals = _np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    err = 1 - _np.count_nonzero(equals) / equals.size
    if err > etol:
        _fail(a, b, rtol, atol, names, equal_nan, mismatches)


def assert_almost_equal_ignore_nan(a: Any, b: Any, rtol: Any = None, atol: Any = None,
                                   names: Any = ("a", "b")) -> None:
    """:func:`assert_almost_equal` where either array is NaN counting as equal."""
    a = _np.array(_host(a), copy=True)
    b = _np.array(_host(b), copy=True)
    mask = _np.logical_or(_np.isnan(a), _np.isnan(b))
    a[mask] = 0
    b[mask] = 0
    assert_almost_equal(a, b, rtol, atol, names)


def same_array(array1: Any, array2: Any) -> bool:
    """Whether two arrays share their memory (adds 1 to array1 and looks at array2)."""
    array1[:] += 1
    if not same(array1.asnumpy(), array2.asnumpy()):
        array1[:] -= 1
        return False
    array1[:] -= 1
    return same(array1.asnumpy(), array2.asnumpy())


def compare_ndarray_tuple(t1: Any, t2: Any, rtol: Any = None, atol: Any = None) -> None:
    """assert_almost_equal over (nested) tuples of arrays; None skips."""
    if t1 is None or t2 is None:
        return
    if isinstance(t1, tuple):
        for s1, s2 in zip(t1, t2):
            compare_ndarray_tuple(s1, s2, rtol, atol)
    else:
        assert_almost_equal(t1, t2, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------- running
def assert_exception(f: Callable, exception_type: Any, *args: Any, **kwargs: Any) -> None:
    """Call ``f(*args, **kwargs)``: it must raise *exception_type* (AssertionError if it
    returns; any other exception propagates)."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"assert_exception: {getattr(f, '__name__', f)!s} did not raise "
                         f"{getattr(exception_type, '__name__', exception_type)}")


def retry(n: int) -> Callable:
    """Decorator: run a stochastic test up to *n* times, failing only if every run
    raises AssertionError."""
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"retry: n must be a positive int, got {n!r}")

    def decorate(f: Callable) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> None:
            for i in range(n):
                try:
                    f(*args, **kwargs)
                    return
                except AssertionError:
                    if i == n - 1:
                        raise
                    _waitall()
        wrapper.__name__ = getattr(f, "__name__", "wrapper")
        wrapper.__doc__ = getattr(f, "__doc__", None)
        return wrapper
    return decorate


def _waitall() -> None:
    from . import engine

    engine.wait_all()


@contextmanager
def environment(*args: Any) -> Iterator[None]:
    """``with environment('NAME', 'value'):`` or ``with environment({'A': '1', 'B':
    None}):`` sets (None: unsets) environment variables for the body, waits for pending
    work, and restores them afterwards."""
    if len(args) == 1 and isinstance(args[0], dict):
        env = dict(args[0])
    elif len(args) == 2:
        env = {args[0]: args[1]}
    else:
        raise ValueError("environment: expecting one dict argument, or two arguments: an "
                         "environment variable's name and its value")
    for k, v in env.items():
        if not isinstance(k, str) or not (v is None or isinstance(v, str)):
            raise TypeError(f"environment: names and values must be strings (None unsets), "
                            f"got {k!r}: {v!r}")
    snapshot = {k: os.environ.get(k) for k in env}

    def apply(d: dict) -> None:
        for k, v in d.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    apply(env)
    try:
        yield
    finally:
        try:
            _waitall()
        finally:
            apply(snapshot)


@contextmanager
def discard_stderr() -> Iterator[None]:
    """Discard what is written to the process's stderr (file descriptor 2) in the
    body."""
    sys.stderr.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    try:
        os.dup2(null, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def download(url: str, fname: str | None = None, dirname: str | None = None,
             overwrite: bool = False, retries: int = 5) -> str:
    """MXNet's test download: fetch *url* to *fname* (default: the URL's last part) in
    *dirname*, unless the file exists (or *overwrite*).  Returns the file name.  See
    ``gluon.utils.download`` (which does the fetching, with no partial files)."""
    from .gluon.utils import download as _download

    if fname is None:
        fname = url.split("/")[-1]
    if dirname is not None:
        fname = os.path.join(dirname, fname)
    return _download(url, path=fname, overwrite=overwrite, retries=retries)


def is_cd_run() -> bool:
    """Whether this runs as part of a Continuous Delivery job (``CD_JOB=1``)."""
    return os.environ.get("CD_JOB", 0) == "1"


def is_aarch64_run() -> bool:
    return platform.machine() == "aarch64"
