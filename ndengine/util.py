"""``mx.util``: MXNet 1.9.1's general utilities — the np-mode switches and decorators,
environment variables, GPU queries and the ufunc keyword checks of the np functions.

The np mode is the two switches ``npx.set_np()`` / ``npx.reset_np()`` set (NumPy-shape
and NumPy-array semantics; their state lives in :mod:`ndengine.npx`, and
``util.set_np is npx.set_np``, as in MXNet).  ndengine's arrays always follow NumPy's
semantics; what the switches decide is what gluon hands out (np arrays, or ``mx.nd``
arrays outside np mode) and the format files are written in.  ``use_np`` /
``use_np_shape`` / ``use_np_array`` and the ``np_shape`` / ``np_array`` scopes turn them
on (or off) for the code they wrap and put them back afterwards.  As npx's, the switches
are the process's, not the calling thread's.

``getenv`` / ``setenv`` read and write ``os.environ`` (ndengine has no C runtime of its
own: its settings, ``NDENGINE_*`` and the ``MXNET_*`` it honours, are read from there).
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import os
from typing import Any, Callable

from . import npx as _npx
from .base import MXNetError
from .npx import is_np_array, is_np_shape, reset_np, set_np

__all__ = ["use_np", "use_np_array", "use_np_shape", "is_np_array", "is_np_shape", "set_np",
           "reset_np", "set_np_shape", "np_array", "np_shape", "getenv", "setenv",
           "get_gpu_count", "get_gpu_memory", "get_cuda_compute_capability",
           "wrap_np_unary_func", "wrap_np_binary_func", "np_ufunc_legal_option", "set_module"]


# ----------------------------------------------------------------------- the np switches
def _flags() -> tuple[bool, bool]:
    """(shape, array): the np-mode switches (their state lives in ndengine.npx)."""
    return is_np_shape(), is_np_array()


def _set_flags(shape: bool, array: bool) -> None:
    _npx._np_shape[0] = bool(shape)
    _npx._np_active[0] = bool(array)


def set_np_shape(active: bool) -> bool:
    """Turn NumPy-shape semantics on or off; returns the previous state.  Turning it off
    while NumPy-array semantics are on raises ``ValueError`` (use ``npx.reset_np()``)."""
    shape, array = _flags()
    if not active and array:
        raise ValueError("set_np_shape(False): deactivating NumPy shape semantics while NumPy "
                         "array semantics is still active is not allowed; call "
                         "`npx.reset_np()` to deactivate both")
    _set_flags(bool(active), array)
    return shape


class _NpScope(contextlib.ContextDecorator):
    """``with np_shape(active):`` / ``with np_array(active):`` (also decorators): that
    semantics is *active* inside (None: left alone) and put back on exit."""

    def __init__(self, active: bool | None, kind: str):
        self._active = None if active is None else bool(active)
        self._kind = kind
        self._prev: list[tuple[bool, bool]] = []

    def __enter__(self) -> "_NpScope":
        prev = _flags()
        self._prev.append(prev)
        if self._active is not None:
            if self._kind == "np_shape":
                set_np_shape(self._active)
            else:
                _set_flags(prev[0], self._active)
        return self

    def __exit__(self, *exc: Any) -> None:
        prev = self._prev.pop()
        if self._active is not None:
            shape, array = _flags()
            _set_flags(prev[0] if self._kind == "np_shape" else shape,
                       prev[1] if self._kind == "np_array" else array)

    def __repr__(self) -> str:
        return f"{self._kind}(active={self._active})"


def np_shape(active: bool = True) -> _NpScope:
    """A scope (``with`` block or decorator) with NumPy-shape semantics on (or off)."""
    return _NpScope(active, "np_shape")


def np_array(active: bool = True) -> _NpScope:
    """A scope (``with`` block or decorator) with NumPy-array semantics on (or off):
    gluon makes np arrays inside it (``mx.nd`` arrays outside np mode)."""
    return _NpScope(active, "np_array")


_WRAPPER_CODE: Any = None      # the code object of the wrappers _scoped makes (set below)


def _scoped(fn: Callable, shape: bool, array: bool) -> Callable:
    """*fn* run with the asked semantics on (each put back as it was afterwards).  A
    function this module wrapped already is wrapped once, for both asks."""
    if getattr(fn, "__code__", None) is _WRAPPER_CODE:
        done = fn.__ndengine_np_scope__  # type: ignore[attr-defined]
        if (done[0] or not shape) and (done[1] or not array):
            return fn
        fn, shape, array = fn.__wrapped__, shape or done[0], array or done[1]  # type: ignore[attr-defined]

    @functools.wraps(fn)
    def with_np(*args: Any, **kwargs: Any) -> Any:
        prev = _flags()
        _set_flags(shape or prev[0], array or prev[1])
        try:
            return fn(*args, **kwargs)
        finally:
            _set_flags(*prev)
    with_np.__ndengine_np_scope__ = (shape, array)  # type: ignore[attr-defined]
    return with_np


_WRAPPER_CODE = _scoped(lambda: None, False, False).__code__


def _scope_class(cls: type, shape: bool, array: bool) -> type:
    """Every method, static/class method and property of *cls* (its own and inherited
    ones, set on *cls*) run with the semantics on; staticmethods stay static and
    classmethods stay class methods."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if klass is object:
            continue
        for name, attr in list(vars(klass).items()):
            if name in seen:
                continue
            seen.add(name)
            if isinstance(attr, staticmethod):
                new: Any = staticmethod(_scoped(attr.__func__, shape, array))
            elif isinstance(attr, classmethod):
                new = classmethod(_scoped(attr.__func__, shape, array))
            elif isinstance(attr, property):
                new = property(*(None if f is None else _scoped(f, shape, array)
                                 for f in (attr.fget, attr.fset, attr.fdel)), attr.__doc__)
            elif inspect.isfunction(attr):
                new = _scoped(attr, shape, array)
            else:
                continue
            setattr(cls, name, new)
    return cls


def _use(func: Any, who: str, shape: bool, array: bool) -> Any:
    if inspect.isclass(func):
        return _scope_class(func, shape, array)
    if callable(func):
        return _scoped(func, shape, array)
    raise TypeError(f"{who} can only decorate classes and callable objects, while received a "
                    f"{type(func)}")


def use_np_shape(func: Any) -> Any:
    """Decorate a function (run with NumPy-shape semantics on) or a class (all its
    methods, static functions and properties, inherited ones too)."""
    return _use(func, "use_np_shape", True, False)


def use_np_array(func: Any) -> Any:
    """Decorate a function or class to run with NumPy-array semantics on (see
    :func:`use_np_shape`)."""
    return _use(func, "use_np_array", False, True)


def use_np(func: Any) -> Any:
    """Decorate a function or class to run in np mode (NumPy shape and array semantics):
    ``@use_np class Net(gluon.HybridBlock): ...``."""
    return _use(func, "use_np_array", True, True)


def set_module(module: str | None) -> Callable:
    """Decorator setting ``__module__`` of a function or class (None: unchanged)."""
    def decorator(func: Any) -> Any:
        if module is not None:
            func.__module__ = module
        return func
    return decorator


# ----------------------------------------------------------------------- environment
def getenv(name: str) -> str | None:
    """The value of environment variable *name*, or None if it is not set."""
    return os.environ.get(name)


def setenv(name: str, value: str | None) -> None:
    """Set environment variable *name* to *value* (None unsets it)."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = str(value)


# ----------------------------------------------------------------------- GPUs
class CudaUnavailableError(MXNetError, OSError):
    """A CUDA query was made where CuPy sees no GPU (MXNet raises OSError there)."""


def get_gpu_count() -> int:
    """The number of GPUs (CUDA devices CuPy sees; 0 without CuPy)."""
    from .device import num_gpus

    return num_gpus()


def get_gpu_memory(gpu_dev_id: int) -> tuple[int, int]:
    """(free, total) bytes of memory of GPU *gpu_dev_id*.  Without a GPU this raises
    ``MXNetError``, as MXNet's CPU-only build does."""
    if get_gpu_count() == 0:
        raise MXNetError(f"get_gpu_memory({gpu_dev_id}): this call needs a GPU (CuPy and a "
                         f"CUDA device); none is available")
    return _npx.gpu_memory_info(int(gpu_dev_id))


def get_cuda_compute_capability(ctx: Any) -> int:
    """The CUDA compute capability of GPU *ctx* as an int (70 for ``sm_70``)."""
    if getattr(ctx, "device_type", None) != "gpu":
        raise ValueError(f"Expecting a gpu context to get cuda compute capability, while "
                         f"received ctx {ctx}")
    if get_gpu_count() == 0:
        raise CudaUnavailableError(f"get_cuda_compute_capability({ctx}): no CUDA device "
                                   f"(CuPy is not installed or sees no GPU)")
    ctx.check_available()
    import cupy  # type: ignore[import-not-found]

    return int(cupy.cuda.Device(ctx.device_id).compute_capability)


# ----------------------------------------------------------------------- ufunc keywords
_UFUNC_DEFAULTS = {"where": True, "casting": "same_kind", "order": "K", "dtype": None,
                   "subok": True}
_CASTINGS = {"no", "equiv", "safe", "same_kind", "unsafe"}
_DTYPES = {"int8", "uint8", "int32", "int64", "float16", "float32", "float64"}


def np_ufunc_legal_option(key: str, value: Any) -> bool:
    """Whether *key* is a ufunc keyword and *value* a value NumPy accepts for it."""
    if key == "where":
        return True
    if key == "casting":
        return value in _CASTINGS
    if key == "order":
        return isinstance(value, str)
    if key == "dtype":
        import numpy as onp

        try:
            return onp.dtype(value).name in _DTYPES if value is not None else False
        except TypeError:
            return False
    if key == "subok":
        return isinstance(value, bool)
    return False


def _check_ufunc_kwargs(name: str, kwargs: dict, binary: bool) -> None:
    for key, value in kwargs.items():
        if key not in _UFUNC_DEFAULTS:
            raise TypeError(f"{key} is an invalid keyword to function '{name}'")
        try:
            if bool(value == _UFUNC_DEFAULTS[key]):
                continue
        except (TypeError, ValueError):   # an array compared with the default
            pass
        if np_ufunc_legal_option(key, value):
            where = "" if binary else f" for operator {name}"
            raise NotImplementedError(f"{key}={value} is not implemented yet{where}")
        raise TypeError(f"{key} {value} not understood" if binary
                        else f"{key}={value} not understood for operator {name}")


def wrap_np_unary_func(func: Callable) -> Callable:
    """Wrap a unary np function ``f(x, out=None)`` so that NumPy's other ufunc keywords
    are accepted at their defaults and refused clearly otherwise."""
    @functools.wraps(func)
    def unary(x: Any, out: Any = None, **kwargs: Any) -> Any:
        if kwargs:
            _check_ufunc_kwargs(func.__name__, kwargs, binary=False)
        return func(x, out=out)
    return unary


def wrap_np_binary_func(func: Callable) -> Callable:
    """Wrap a binary np function ``f(x1, x2, out=None)`` as :func:`wrap_np_unary_func`."""
    @functools.wraps(func)
    def binary(x1: Any, x2: Any, out: Any = None, **kwargs: Any) -> Any:
        if kwargs:
            _check_ufunc_kwargs(func.__name__, kwargs, binary=True)
        return func(x1, x2, out=out)
    return binary
