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
import math
from typing import Any, Callable

import numpy as _onp

__all__ = ["InitDesc", "Initializer", "register", "alias", "create", "Zero", "One",
           "Constant", "Uniform", "Normal", "Xavier", "MSRAPrelu", "Orthogonal", "Mixed",
           "Load"]

_REGISTRY: dict[str, type] = {}


class InitDesc(str):
    """A parameter name carrying ``attrs`` (``{'__init__': ...}``) and ``global_init``."""

    def __new__(cls, name: str, attrs: dict | None = None, global_init: Any = None) -> "InitDesc":
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


def register(klass: type) -> type:
    """Register an Initializer subclass under its lower-case class name (``mx.init.register``)."""
    if not (isinstance(klass, type) and issubclass(klass, Initializer)):
        raise TypeError(f"init.register: expected an Initializer subclass, got {klass!r}")
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def alias(*names: str) -> Callable[[type], type]:
    """Register extra names for an initializer class."""
    def reg(klass: type) -> type:
        for n in names:
            _REGISTRY[n.lower()] = klass
        return klass
    return reg


def create(init: Any, **kwargs: Any) -> "Initializer":
    """An Initializer from an instance, a registered name (``'zeros'``, ``'xavier'``), or
    a JSON dump (``'["normal", {"sigma": 0.5}]'``)."""
    if isinstance(init, Initializer):
        if kwargs:
            raise ValueError("init.create: an Initializer instance takes no extra arguments")
        return init
    if isinstance(init, dict):
        return create(**init)
    if not isinstance(init, str):
        raise TypeError(f"init.create: expected an Initializer or a name, got {init!r}")
    if init.startswith("["):
        name, kw = json.loads(init)
        return create(name, **kw)
    klass = _REGISTRY.get(init.lower())
    if klass is None:
        raise ValueError(f"init.create: unknown initializer {init!r}; registered: "
                         f"{sorted(_REGISTRY)}")
    return klass(**kwargs)


def _np():
    from . import numpy as np

    return np


def _fill(arr: Any, value: Any) -> None:
    """``arr[:] = value`` (an engine write of arr's var; a 0-d array takes ``arr[...]``)."""
    if arr.ndim == 0:
        arr[...] = value
    else:
        arr[:] = value


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
        if not isinstance(desc, InitDesc):
            desc = InitDesc(str(desc))
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get("__init__", "")
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        for suffix, method in (("weight", self._init_weight), ("bias", self._init_bias),
                               ("gamma", self._init_gamma), ("beta", self._init_beta),
                               ("running_mean", self._init_zero),
                               ("moving_mean", self._init_zero),
                               ("running_var", self._init_one), ("moving_var", self._init_one),
                               ("min", self._init_zero), ("max", self._init_one)):
            if desc.endswith(suffix):
                method(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

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
            f"Unknown initialization pattern for {name!r}: the default initializer only "
            f"knows names ending in 'weight', 'bias', 'gamma' (1.0) and 'beta' (0.0); "
            f"give the Parameter its own init= (e.g. mx.init.Zero())")

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({args})"


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
        else:
            tmp = rnd.normal(0.0, 1.0, size=(nout, nin), dtype="float64", device=arr.device)
        u, _, v = _onp.linalg.svd(tmp.asnumpy(), full_matrices=False)  # host SVD: blocks
        q = u if u.shape == (nout, nin) else v
        _fill(arr, _np().array((self.scale * q).reshape(arr.shape), dtype=arr.dtype,
                               device=arr.device))


class Mixed:
    """Pick the initializer by the first regex of *patterns* matching the name."""

    def __init__(self, patterns: list[str], initializers: list[Any]) -> None:
        import re

        if len(patterns) != len(initializers):
            raise ValueError("Mixed: patterns and initializers must have the same length")
        self.map = [(re.compile(p), create(i)) for p, i in zip(patterns, initializers)]

    def __call__(self, name: Any, arr: Any) -> None:
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise ValueError(f"Mixed: parameter {name!r} matches none of the patterns; add "
                         f"'.*' as the last pattern for a default")


class Load:
    """Initialize from a dict of arrays (name -> array), else from *default_init*."""

    def __init__(self, param: dict, default_init: Any = None, verbose: bool = False) -> None:
        self.param = {k[4:] if k.startswith(("arg:", "aux:")) else k: v for k, v in param.items()}
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name: Any, arr: Any) -> None:
        if name in self.param:
            src = self.param[name]
            if tuple(src.shape) != tuple(arr.shape):
                raise ValueError(f"Load: parameter {name!r} has shape {tuple(arr.shape)}, the "
                                 f"loaded array {tuple(src.shape)}")
            _fill(arr, _np().array(src, dtype=arr.dtype, device=arr.device))
        elif self.default_init is not None:
            self.default_init(name, arr)
        else:
            raise ValueError(f"Load: {name!r} is not in the loaded arrays and there is no "
                             f"default_init")
