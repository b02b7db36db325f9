"""``mxnet.init`` / ``mxnet.initializer``: how parameters get their first values.

An initializer is called as ``init(desc, arr)``: *desc* is an :class:`InitDesc` (the
parameter's name, plus attributes) and *arr* the NDArray to fill.  As in MXNet 1.x, a
parameter that has its own ``init`` is filled by that initializer's ``_init_weight``
whatever its name; otherwise the global initializer dispatches on the name's suffix:
``weight`` -> ``_init_weight``, ``bias``/``beta`` -> zeros, ``gamma`` -> ones.

Filling is asynchronous: random initializers push a sampling op on the array's device
and an in-place write (``arr[:] = sample``) of the array's var; nothing blocks.  The
random values come from ``ndengine.np.random`` (seeded by ``np.random.seed`` /
``npx.seed``), so a fixed seed gives the same parameters under any engine.
"""
from __future__ import annotations

import json
import logging
import math
import re
import warnings
from typing import Any, Callable

import numpy as _onp

from . import random, registry

__all__ = ["InitDesc", "Initializer", "register", "alias", "create", "Zero", "One",
           "Constant", "Uniform", "Normal", "Xavier", "MSRAPrelu", "Orthogonal", "Bilinear",
           "LSTMBias", "Mixed", "Load", "load"]


class InitDesc(str):
    """A parameter name carrying ``attrs`` (``{'__init__': ...}``) and ``global_init``."""

    def __new__(cls, name: str, attrs: dict | None = None, global_init: Any = None) -> "InitDesc":
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


def _np():
    from . import numpy as np

    return np


def load(fname: str) -> Any:
    """Arrays saved by ``npx.save`` / ``mx.nd.save`` (a dict or a list), as
    ``mx.nd.load`` (MXNet's ``mx.init.load``)."""
    from . import npx

    return npx.load(fname)


def _fill(arr: Any, value: Any) -> None:
    """``arr[:] = value`` (an engine write of arr's var; a 0-d array takes ``arr[...]``)."""
    if arr.ndim == 0:
        arr[...] = value
    else:
        arr[:] = value


def _bilinear_kernel(shape: tuple[int, ...]) -> _onp.ndarray:
    """MXNet's bilinear upsampling filter for a (C, 1, kh, kw) weight: each (kh, kw)
    slice is ``(1 - |x/f - c|) * (1 - |y/f - c|)``, f = ceil(kw/2), c = (2f-1-f%2)/(2f)
    (computed on the host, as MXNet; the values are written by one engine op)."""
    if len(shape) != 4:
        raise ValueError(f"Bilinear initializer needs a 4-d weight (C, 1, kh, kw), got shape "
                         f"{shape}")
    f = _onp.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    x = _onp.arange(shape[3]) / f
    y = _onp.arange(shape[2]) / f
    plane = (1 - _onp.abs(y[:, None] - c)) * (1 - _onp.abs(x[None, :] - c))
    return _onp.broadcast_to(plane.astype("float32"), shape)


class Initializer:
    """Base class of initializers (``mxnet.init.Initializer``)."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._verbose = False
        self._print_func: Callable[[Any], str] | None = None

    def set_verbosity(self, verbose: bool = False, print_func: Any = None) -> "Initializer":
        """Log each initialized array (printing a statistic is a sync point)."""
        self._verbose = verbose
        if print_func is None:
            def print_func(x: Any) -> str:
                return str(float((x * x).sum().item() ** 0.5 / math.sqrt(max(x.size, 1))))
        self._print_func = print_func
        return self

    def _verbose_print(self, desc: Any, init: Any, arr: Any) -> None:
        if self._verbose and self._print_func:
            import logging

            logging.info("Initialized %s as %s: %s", desc, init, self._print_func(arr))

    def dumps(self) -> str:
        """The initializer as JSON: ``'["normal", {"sigma": 0.5}]'``."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, desc: Any, arr: Any) -> None:
        """Fill *arr* for the parameter *desc* (an InitDesc): by ``desc.attrs['__init__']``
        when set, else by the name's suffix (weight, bias, gamma, beta, min, max)."""
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get("__init__", "")
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        for suffix, method in (("weight", self._init_weight), ("bias", self._init_bias),
                               ("gamma", self._init_gamma), ("beta", self._init_beta),
                               ("min", self._init_zero), ("max", self._init_one)):
            if desc.endswith(suffix):
                method(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name: Any, arr: Any) -> None:
        """MXNet's deprecated ``init(str, arr)``: dispatch on the name alone."""
        warnings.warn("Calling initializer with init(str, NDArray) has been deprecated."
                      "please use init(mx.init.InitDesc(...), NDArray) instead.",
                      DeprecationWarning, stacklevel=3)
        if not isinstance(name, str):
            raise TypeError("name must be string")
        if not hasattr(arr, "shape") or not hasattr(arr, "dtype"):
            raise TypeError("arr must be NDArray")
        if name.startswith("upsampling"):
            self._init_bilinear(name, arr)
        elif name.startswith("stn_loc") and name.endswith("weight"):
            self._init_zero(name, arr)
        elif name.startswith("stn_loc") and name.endswith("bias"):
            self._init_loc_bias(name, arr)
        else:
            for suffix, method in (("bias", self._init_bias), ("gamma", self._init_gamma),
                                   ("beta", self._init_beta), ("weight", self._init_weight),
                                   ("moving_mean", self._init_zero),
                                   ("moving_var", self._init_one),
                                   ("moving_inv_var", self._init_zero),
                                   ("moving_avg", self._init_zero), ("min", self._init_zero),
                                   ("max", self._init_one)):
                if name.endswith(suffix):
                    method(name, arr)
                    return
            self._init_default(name, arr)

    def _init_bilinear(self, _: Any, arr: Any) -> None:
        _fill(arr, _np().array(_bilinear_kernel(tuple(arr.shape)), dtype=arr.dtype,
                               device=arr.device))

    def _init_loc_bias(self, _: Any, arr: Any) -> None:
        if arr.shape[0] != 6:
            raise AssertionError(f"stn_loc bias must have 6 elements, got shape {arr.shape}")
        _fill(arr, _np().array([1.0, 0, 0, 0, 1.0, 0], dtype=arr.dtype, device=arr.device))

    def _init_zero(self, _: Any, arr: Any) -> None:
        _fill(arr, 0.0)

    def _init_one(self, _: Any, arr: Any) -> None:
        _fill(arr, 1.0)

    def _init_bias(self, _: Any, arr: Any) -> None:
        _fill(arr, 0.0)

    def _init_gamma(self, _: Any, arr: Any) -> None:
        _fill(arr, 1.0)

    def _init_beta(self, _: Any, arr: Any) -> None:
        _fill(arr, 0.0)

    def _init_weight(self, name: Any, arr: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must override _init_weight")

    def _init_default(self, name: Any, _: Any) -> None:
        raise ValueError(
            f"Unknown initialization pattern for {name}. Default initialization is now "
            f"limited to \"weight\", \"bias\", \"gamma\" (1.0), and \"beta\" (0.0). "
            f"Give the Parameter its own init= (e.g. mx.init.Zero())")

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({args})"


_register = registry.get_register_func(Initializer, "initializer")
alias = registry.get_alias_func(Initializer, "initializer")
create = registry.get_create_func(Initializer, "initializer")


def register(klass: type) -> type:
    """Register an Initializer subclass under its lower-case class name
    (``mx.init.register``; ``mx.init.create(name)`` then builds it)."""
    return _register(klass)


@register
@alias("zeros")
class Zero(Initializer):
    """Fill with 0."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: Any, arr: Any) -> None:
        _fill(arr, 0.0)


@register
@alias("ones")
class One(Initializer):
    """Fill with 1."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: Any, arr: Any) -> None:
        _fill(arr, 1.0)


@register
class Constant(Initializer):
    """Fill with *value* (a scalar, or an array broadcastable to the parameter)."""

    def __init__(self, value: Any) -> None:
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _: Any, arr: Any) -> None:
        v = self.value
        if not isinstance(v, (int, float, bool, _onp.generic)):
            v = _np().array(v, dtype=arr.dtype, device=arr.device)
        _fill(arr, v)

    def dumps(self) -> str:
        v = self.value
        if not _onp.isscalar(v):
            v = _onp.asarray(v).tolist()
        return json.dumps(["constant", {"value": v}])


@register
class Uniform(Initializer):
    """Uniform on [-scale, scale] (MXNet's default, scale 0.07)."""

    def __init__(self, scale: float = 0.07) -> None:
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _: Any, arr: Any) -> None:
        _fill(arr, _np().random.uniform(-self.scale, self.scale, size=arr.shape,
                                        dtype=arr.dtype, device=arr.device))


@register
class Normal(Initializer):
    """Normal with mean 0 and standard deviation *sigma* (default 0.01)."""

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _: Any, arr: Any) -> None:
        _fill(arr, _np().random.normal(0.0, self.sigma, size=arr.shape, dtype=arr.dtype,
                                       device=arr.device))


def _fans(name: Any, shape: tuple[int, ...], who: str) -> tuple[float, float]:
    if len(shape) < 2:
        raise ValueError(f"{who} initializer cannot be applied to vector {name} (shape "
                         f"{shape}): it needs at least 2 dimensions")
    hw = float(_onp.prod(shape[2:])) if len(shape) > 2 else 1.0
    return shape[1] * hw, shape[0] * hw


@register
class Xavier(Initializer):
    """Xavier/Glorot: scale = sqrt(magnitude / factor), factor from fan_in/fan_out
    (``'avg'``, ``'in'``, ``'out'``); uniform on [-scale, scale] or normal(0, scale)."""

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg",
                 magnitude: float = 3) -> None:
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        if rnd_type not in ("uniform", "gaussian"):
            raise ValueError(f"Xavier: rnd_type must be 'uniform' or 'gaussian', got {rnd_type!r}")
        if factor_type not in ("avg", "in", "out"):
            raise ValueError(f"Xavier: factor_type must be 'avg', 'in' or 'out', got "
                             f"{factor_type!r}")
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def scale_for(self, name: Any, shape: tuple[int, ...]) -> float:
        fan_in, fan_out = _fans(name, shape, type(self).__name__)
        factor = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}[self.factor_type]
        return math.sqrt(self.magnitude / factor)

    def _init_weight(self, name: Any, arr: Any) -> None:
        scale = self.scale_for(name, arr.shape)
        rnd = _np().random
        if self.rnd_type == "uniform":
            v = rnd.uniform(-scale, scale, size=arr.shape, dtype=arr.dtype, device=arr.device)
        else:
            v = rnd.normal(0.0, scale, size=arr.shape, dtype=arr.dtype, device=arr.device)
        _fill(arr, v)


@register
class MSRAPrelu(Xavier):
    """He/MSRA initialization: Xavier(gaussian, factor_type, 2 / (1 + slope**2))."""

    def __init__(self, factor_type: str = "avg", slope: float = 0.25) -> None:
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope ** 2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@register
class Orthogonal(Initializer):
    """A (scaled) orthogonal matrix from the SVD of a random one (sampled on the host
    with ndengine's generator, so it is seeded like every other initializer)."""

    def __init__(self, scale: float = 1.414, rand_type: str = "uniform") -> None:
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, name: Any, arr: Any) -> None:
        nout = arr.shape[0]
        nin = int(_onp.prod(arr.shape[1:]))
        rnd = _np().random
        if self.rand_type == "uniform":
            tmp = rnd.uniform(-1.0, 1.0, size=(nout, nin), dtype="float64", device=arr.device)
        elif self.rand_type == "normal":
            tmp = rnd.normal(0.0, 1.0, size=(nout, nin), dtype="float64", device=arr.device)
        else:
            raise ValueError(f"Orthogonal: rand_type must be 'uniform' or 'normal', got "
                             f"{self.rand_type!r}")
        u, _, v = _onp.linalg.svd(tmp.asnumpy(), full_matrices=False)  # host SVD: blocks
        q = u if u.shape == (nout, nin) else v
        _fill(arr, _np().array((self.scale * q).reshape(arr.shape), dtype=arr.dtype,
                               device=arr.device))


@register
class Bilinear(Initializer):
    """Bilinear upsampling filters for a (C, 1, kh, kw) deconvolution weight (MXNet's
    formula; deterministic)."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: Any, arr: Any) -> None:
        self._init_bilinear(_, arr)


@register
class LSTMBias(Initializer):
    """Zeros, except the forget gate's quarter of an LSTM bias (gates i, f, c, o), which
    gets *forget_bias*."""

    def __init__(self, forget_bias: float = 1.0) -> None:
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name: Any, arr: Any) -> None:
        n = int(arr.shape[0] / 4)
        bias = _onp.zeros(arr.shape, dtype="float64")
        bias[n:2 * n] = self.forget_bias
        _fill(arr, _np().array(bias, dtype=arr.dtype, device=arr.device))


class Mixed:
    """Pick the initializer by the first regex of *patterns* matching the name."""

    def __init__(self, patterns: list[str], initializers: list[Any]) -> None:
        if len(patterns) != len(initializers):
            raise AssertionError(f"Mixed: {len(patterns)} patterns and {len(initializers)} "
                                 f"initializers; they must match")
        self.map = [(re.compile(p), create(i)) for p, i in zip(patterns, initializers)]

    def __call__(self, name: Any, arr: Any) -> None:
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise ValueError(f"Parameter name {name} did not match any pattern. Consider add a "
                         f"\".*\" pattern at the and with default Initializer.")


class Load:
    """Initialize from saved arrays (a dict name -> array, or a file of ``npx.save``;
    ``arg:``/``aux:`` prefixes are dropped), else from *default_init*."""

    def __init__(self, param: Any, default_init: Any = None, verbose: bool = False) -> None:
        if isinstance(param, str):
            param = load(param)
        if not isinstance(param, dict):
            raise AssertionError(f"Load: expected a dict of arrays, got {type(param).__name__}")
        self.param = {k[4:] if k.startswith(("arg:", "aux:")) else k: v for k, v in param.items()}
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name: Any, arr: Any) -> None:
        if name in self.param:
            src = self.param[name]
            if tuple(src.shape) != tuple(arr.shape):
                raise AssertionError(f"Parameter {name} cannot be initialized from loading. "
                                     f"Shape mismatch, target {tuple(arr.shape)} vs loaded "
                                     f"{tuple(src.shape)}")
            if not hasattr(src, "asnumpy") or getattr(src, "device", None) is not arr.device:
                src = _np().array(src, dtype=arr.dtype, device=arr.device)
            _fill(arr, src)
            if self.verbose:
                logging.info("Initialized %s by loading", name)
        else:
            if self.default_init is None:
                raise AssertionError(f"Cannot Initialize {name}. Not found in loaded param and "
                                     f"no default Initializer is provided.")
            self.default_init(name, arr)
            if self.verbose:
                logging.info("Initialized %s by default", name)


from .base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals())


def __getattr__(name: str) -> Any:
    # FusedRNN lives with the legacy RNN cells it initializes (imported on first use)
    if name == "FusedRNN":
        from .rnn.initializer import FusedRNN

        return FusedRNN
    raise AttributeError(f"module 'ndengine.init' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"FusedRNN"})


from .base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals())
