"""``mx.util``: MXNet 1.9.1's general utilities — the np-mode switches and decorators,
environment variables, GPU queries and the ufunc keyword checks of the np functions.

The np mode is the one ``npx.set_np()`` / ``npx.reset_np()`` switch (its state lives in
:mod:`ndengine.npx`; ``util.set_np is npx.set_np``, as in MXNet).  ndengine's arrays
always follow NumPy's array and shape semantics, so ``is_np_array()`` and
``is_np_shape()`` are always true; what the switch decides is the format files are
written in (``Block.save_parameters`` writes NumPy-shape arrays, as ``npx.save``, in np
mode; legacy arrays otherwise).  ``use_np`` / ``use_np_shape`` / ``use_np_array`` and
the ``np_shape`` / ``np_array`` scopes turn the switch on (or off) for the code they
wrap and put it back afterwards.

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


# ----------------------------------------------------------------------- the np switch
def _switch(active: bool) -> bool:
    """Turn the np switch on or off; returns its previous state."""
    prev = _npx._np_semantics()
    (set_np if active else reset_np)()
    return prev


# True while the switch is on because set_np_shape(True) turned it on (MXNet's shape
# semantics without its array semantics, which set_np_shape(False) may turn off again)
_shape_only = [False]


def set_np_shape(active: bool) -> bool:
    """Turn NumPy-shape semantics on or off; returns the previous state of the np switch.
    Turning it off while np mode (``npx.set_np()``) is on raises ``ValueError``, as in
    MXNet (use ``npx.reset_np()``); after ``set_np_shape(True)`` alone it is allowed.
    ndengine's shapes are always NumPy's (``()`` is a scalar, ``(0, 2)`` holds no
    elements); the switch decides the format of saved files."""
    active = bool(active)
    on = _npx._np_semantics()
    if not active and on and not _shape_only[0]:
        raise ValueError("set_np_shape(False): deactivating NumPy shape semantics while NumPy "
                         "array semantics is still active is not allowed; call "
                         "`npx.reset_np()` to deactivate both")
    if active and not on:
        _shape_only[0] = True
    elif not active:
        _shape_only[0] = False
    return _switch(active)


class _NpScope(contextlib.ContextDecorator):
    """``with np_shape(active):`` / ``with np_array(active):`` (also a decorator): the np
    switch is *active* inside and put back as it was on exit."""

    def __init__(self, active: bool | None, kind: str):
        self._active = None if active is None else bool(active)
        self._kind = kind
        self._prev: list[bool] = []

    def __enter__(self) -> "_NpScope":
        if self._active is not None:
            self._prev.append(_switch(self._active))
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._active is not None:
            _switch(self._prev.pop())

    def __repr__(self) -> str:
        return f"{self._kind}(active={self._active})"


def np_shape(active: bool = True) -> _NpScope:
    """A scope (``with`` block or decorator) with NumPy-shape semantics on (or off)."""
    return _NpScope(active, "np_shape")


def np_array(active: bool = True) -> _NpScope:
    """A scope (``with`` block or decorator) with NumPy-array semantics on (or off)."""
    return _NpScope(active, "np_array")


_WRAPPED = "__ndengine_np_scope__"


def _scoped(fn: Callable) -> Callable:
    """*fn* run with the np switch on (restored afterwards)."""
    if getattr(fn, _WRAPPED, False):
        return fn

    @functools.wraps(fn)
    def with_np(*args: Any, **kwargs: Any) -> Any:
        prev = _switch(True)
        try:
            return fn(*args, **kwargs)
        finally:
            if not prev:
                _switch(False)
    setattr(with_np, _WRAPPED, True)
    return with_np


def _scope_class(cls: type) -> type:
    """Every method, static/class method and property of *cls* (its own and inherited
    ones, set on *cls*) run with the np switch on; staticmethods stay static and
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
                new: Any = staticmethod(_scoped(attr.__func__))
            elif isinstance(attr, classmethod):
                new = classmethod(_scoped(attr.__func__))
            elif isinstance(attr, property):
                new = property(*(None if f is None else _scoped(f)
                                 for f in (attr.fget, attr.fset, attr.fdel)), attr.__doc__)
            elif inspect.isfunction(attr):
                new = _scoped(attr)
            else:
                continue
            setattr(cls, name, new)
    return cls


def _use(func: Any, who: str) -> Any:
    if inspect.isclass(func):
        return _scope_class(func)
    if callable(func):
        return _scoped(func)
    raise TypeError(f"{who} can only decorate classes and callable objects, while received a "
                    f"{type(func)}")


def use_np_shape(func: Any) -> Any:
    """Decorate a function (run with NumPy-shape semantics on) or a class (all its
    methods, static functions and properties, inherited ones too)."""
    return _use(func, "use_np_shape")


def use_np_array(func: Any) -> Any:
    """Decorate a function or class to run with NumPy-array semantics on (see
    :func:`use_np_shape`)."""
    return _use(func, "use_np_array")


def use_np(func: Any) -> Any:
    """Decorate a function or class to run in np mode (NumPy shape and array semantics):
    ``@use_np class Net(gluon.HybridBlock): ...``."""
    return _use(func, "use_np")


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
