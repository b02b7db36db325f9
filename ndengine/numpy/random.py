"""Random sampling (see NumPy's "Random sampling"), float32 by default.

Each device has one generator, held behind an engine var that every random op on that
device writes.  Random ops on a device therefore run in push order, so for a given seed
the results are identical under any schedule, any worker count and either engine.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as _onp

from .. import engine as _engine
from ..device import Device
from ..engine.var import Var
from ..ndarray import ndarray as _nd
from ..ndarray.ndarray import DeviceMismatchError, NDArray
from ..ndarray.ops import OPS, ShapeError, _shape_arg
from ._util import as_nd, default_dtype, device_of

__all__ = ["seed", "normal", "uniform", "randint", "choice", "shuffle", "permutation", "rand",
           "randn", "exponential", "gamma", "beta", "binomial", "bernoulli", "multinomial",
           "random", "random_sample", "poisson", "laplace", "logistic", "gumbel", "lognormal",
           "chisquare", "pareto", "power", "rayleigh", "weibull", "multivariate_normal"]


class _DeviceRNG:
    __slots__ = ("gen", "var")

    def __init__(self, seed_value: Any) -> None:
        self.gen = _onp.random.Generator(_onp.random.PCG64(seed_value))
        self.var = Var("rng")


_rngs: dict[Device, _DeviceRNG] = {}
_rng_lock = threading.Lock()
_seed_value: Any = None


def _rng(dev: Device) -> _DeviceRNG:
    r = _rngs.get(dev)
    if r is None:
        with _rng_lock:
            r = _rngs.get(dev)
            if r is None:
                base = _seed_value
                s = None if base is None else [int(base), dev.device_typeid, dev.device_id]
                r = _rngs[dev] = _DeviceRNG(s)
    return r


def seed(seed: int | None = None, ctx: Any = "all", device: Any = None) -> None:
    """Seed the generator of every device (``ctx='all'``) or of one device.

    Ordered like any op: random ops pushed before it use the old state."""
    global _seed_value
    if seed is not None and (not isinstance(seed, (int, _onp.integer)) or seed < 0):
        raise ValueError(f"seed: must be a non-negative int, got {seed!r}")
    target = device if device is not None else ctx
    devs: list[Device]
    if target == "all" or target is None:
        _seed_value = seed
        devs = list(_rngs)
    else:
        devs = [device_of(target)]
    for dev in devs:
        r = _rng(dev)
        s = None if seed is None else [int(seed), dev.device_typeid, dev.device_id]

        def reseed(r: _DeviceRNG = r, s: Any = s) -> None:
            r.gen = _onp.random.Generator(_onp.random.PCG64(s))
        _engine.push(reseed, (), (r.var,), dev, 0, "random.seed")


def _size(size: Any) -> tuple[int, ...]:
    if size is None:
        return ()
    return _shape_arg(size, "random")


def _run_sample(r: _DeviceRNG, out: NDArray, sampler: Callable[..., Any], args: tuple) -> None:
    vals = [a._data if a.__class__ is NDArray else a for a in args]
    x = sampler(r.gen, *vals)
    x = _onp.asarray(x)
    if x.dtype != out._dtype:
        x = x.astype(out._dtype)
    if x.shape != out._shape:
        x = _onp.broadcast_to(x, out._shape).copy()
    if out._device.is_gpu:
        from ..device.transfer import transfer

        x = transfer(x, Device("cpu", 0), out._device)
    out._data = x


def _sample(name: str, sampler: Callable[..., Any], shape: tuple[int, ...], dtype: Any,
            dev: Device, args: tuple = ()) -> NDArray:
    arrays = [a for a in args if a.__class__ is NDArray]
    for a in arrays:
        if a.device is not dev:
            raise DeviceMismatchError(f"random.{name}: parameter array {a.shape} is on "
                                      f"{a.device}, sampling on {dev}")
    r = _rng(dev)
    out = _nd._new(shape, _onp.dtype(dtype), dev)
    job = _nd._partial(_run_sample, r, out, sampler, args)
    if _nd._storage.LIMITED:
        job = _nd.charged(job, (out,), dev, out.nbytes, f"random.{name}")
    _engine.push(job, [a._var for a in arrays], (r.var, out._var), dev, 0, f"random.{name}")
    return out


def _param_shape(size: Any, *params: Any) -> tuple[int, ...]:
    if size is not None:
        return _size(size)
    shapes = [p.shape for p in params if isinstance(p, NDArray)]
    return tuple(_onp.broadcast_shapes(*shapes)) if shapes else ()


def _params(dev: Device, *ps: Any) -> tuple:
    return tuple(p if not isinstance(p, (list, tuple, _onp.ndarray)) else as_nd(p, dev)
                 for p in ps)


def _float_out(dt: Any) -> bool:
    return _onp.dtype(dt) in (_onp.float32, _onp.float64)


def _plain(p: Any) -> bool:
    """A Python or NumPy real scalar (not an array parameter)."""
    return isinstance(p, (int, float, _onp.integer, _onp.floating)) and not isinstance(p, bool)


def normal(loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = None,
           ctx: Any = None, device: Any = None, out: Any = None) -> NDArray:
    """See numpy.random.normal (float32 by default)."""
    dev = device_of(ctx, device)
    loc, scale = _params(dev, loc, scale)
    shape = _param_shape(size, loc, scale)
    dt = default_dtype(dtype)
    if not isinstance(scale, NDArray) and scale < 0:
        raise ValueError(f"random.normal: scale must be non-negative, got {scale}")
    if _float_out(dt) and _plain(loc) and _plain(scale):
        # draw in the output's own dtype (float32 directly: 1.3x faster than drawing
        # float64 and casting), then scale and shift in place
        fdt = _onp.dtype(dt)

        def draw(g: Any, m: Any, s: Any) -> Any:
            x = g.standard_normal(size=shape, dtype=fdt)
            if s != 1:
                x *= fdt.type(s)
            if m != 0:
                x += fdt.type(m)
            return x
        return _sample("normal", draw, shape, dt, dev, (loc, scale))
    return _sample("normal", lambda g, m, s: g.normal(m, s, size=shape), shape, dt, dev,
                   (loc, scale))


def uniform(low: Any = 0.0, high: Any = 1.0, size: Any = None, dtype: Any = None,
            ctx: Any = None, device: Any = None, out: Any = None) -> NDArray:
    """See numpy.random.uniform (float32 by default)."""
    dev = device_of(ctx, device)
    low, high = _params(dev, low, high)
    shape = _param_shape(size, low, high)
    dt = default_dtype(dtype)
    if _float_out(dt) and _plain(low) and _plain(high):
        fdt = _onp.dtype(dt)          # as for normal: drawn in the output dtype

        def draw(g: Any, lo: Any, hi: Any) -> Any:
            x = g.random(size=shape, dtype=fdt)
            if hi - lo != 1:
                x *= fdt.type(hi - lo)
            if lo != 0:
                x += fdt.type(lo)
            return x
        return _sample("uniform", draw, shape, dt, dev, (low, high))
    return _sample("uniform", lambda g, lo, hi: g.uniform(lo, hi, size=shape), shape,
                   dt, dev, (low, high))


def randint(low: int, high: int | None = None, size: Any = None, dtype: Any = None,
            ctx: Any = None, device: Any = None, out: Any = None) -> NDArray:
    """See numpy.random.randint (int64 by default)."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"random.randint: low >= high ({low} >= {high})")
    dev = device_of(ctx, device)
    shape = _size(size)
    dt = _onp.dtype(dtype) if dtype is not None else _onp.dtype(_onp.int64)
    return _sample("randint", lambda g: g.integers(low, high, size=shape), shape, dt, dev)


def rand(*size: int, **kwargs: Any) -> NDArray:
    return uniform(0.0, 1.0, size=size or None, **kwargs)


def randn(*size: int, **kwargs: Any) -> NDArray:
    return normal(0.0, 1.0, size=size or None, **kwargs)


def random(size: Any = None, ctx: Any = None, device: Any = None) -> NDArray:
    return uniform(0.0, 1.0, size=size, ctx=ctx, device=device)


random_sample = random


def _simple(name: str, fn: Callable[..., Any], nparams: int) -> Callable[..., NDArray]:
    def f(*params: Any, size: Any = None, dtype: Any = None, ctx: Any = None,
          device: Any = None, **kw: Any) -> NDArray:
        if len(params) > nparams:
            size = params[nparams]
            params = params[:nparams]
        dev = device_of(ctx, device)
        ps = _params(dev, *params)
        shape = _param_shape(size, *ps)
        return _sample(name, lambda g, *v: fn(g, *v, size=shape), shape, default_dtype(dtype),
                       dev, ps)
    f.__name__ = name
    f.__doc__ = f"See numpy.random.{name} (float32 by default)."
    return f


exponential = _simple("exponential", lambda g, scale=1.0, size=None: g.exponential(scale, size), 1)
gamma = _simple("gamma", lambda g, shape=1.0, scale=1.0, size=None: g.gamma(shape, scale, size), 2)
beta = _simple("beta", lambda g, a, b, size=None: g.beta(a, b, size), 2)
poisson = _simple("poisson", lambda g, lam=1.0, size=None: g.poisson(lam, size), 1)
laplace = _simple("laplace", lambda g, loc=0.0, scale=1.0, size=None: g.laplace(loc, scale, size), 2)
logistic = _simple("logistic", lambda g, loc=0.0, scale=1.0, size=None: g.logistic(loc, scale, size), 2)
gumbel = _simple("gumbel", lambda g, loc=0.0, scale=1.0, size=None: g.gumbel(loc, scale, size), 2)
lognormal = _simple("lognormal", lambda g, mean=0.0, sigma=1.0, size=None: g.lognormal(mean, sigma, size), 2)


def binomial(n: int, p: float, size: Any = None, dtype: Any = None, ctx: Any = None,
             device: Any = None) -> NDArray:
    dev = device_of(ctx, device)
    shape = _size(size)
    return _sample("binomial", lambda g: g.binomial(n, p, size=shape), shape,
                   default_dtype(dtype), dev)


def bernoulli(prob: float = 0.5, size: Any = None, dtype: Any = None, ctx: Any = None,
              device: Any = None) -> NDArray:
    dev = device_of(ctx, device)
    shape = _size(size)
    return _sample("bernoulli", lambda g: g.random(size=shape) < prob, shape,
                   default_dtype(dtype), dev)


def multinomial(n: int, pvals: Any, size: Any = None, ctx: Any = None,
                device: Any = None) -> NDArray:
    """See numpy.random.multinomial (int64).  An NDArray *pvals* is read by the op."""
    dev = pvals.device if isinstance(pvals, NDArray) else device_of(ctx, device)
    pv = as_nd(pvals, dev)
    if pv.ndim != 1:
        raise ShapeError(f"random.multinomial: pvals must be 1-D, got shape {pv.shape}")
    shape = _size(size) + pv.shape

    def sampler(g: Any, p: Any) -> Any:
        p = _onp.asarray(p, dtype=_onp.float64)
        return g.multinomial(n, p / p.sum(), size=_size(size) or None)
    return _sample("multinomial", sampler, shape, _onp.int64, dev, (pv,))


def choice(a: Any, size: Any = None, replace: bool = True, p: Any = None, ctx: Any = None,
           device: Any = None) -> NDArray:
    """See numpy.random.choice (int64 for an int *a*).  Never blocks: an NDArray *a* or
    *p* is read by the sampling op."""
    dev = device_of(ctx, device)
    if isinstance(a, NDArray):
        dev = a.device
    shape = _size(size)
    count = int(_onp.prod(shape, dtype=_onp.int64))
    pp = None if p is None else as_nd(p, dev)
    if isinstance(a, (int, _onp.integer)):
        if a <= 0:
            raise ValueError(f"random.choice: a must be a positive integer, got {a}")
        n, dt, args = int(a), _onp.dtype(_onp.int64), ()
    else:
        arr = as_nd(a, dev)
        if arr.ndim != 1:
            raise ShapeError(f"random.choice: a must be 1-dimensional, got shape {arr.shape} "
                             f"(on {dev})")
        n, dt, args = arr.shape[0], arr.dtype, (arr,)
        if n == 0 and count:
            raise ValueError("random.choice: a cannot be empty unless no samples are taken")
    if pp is not None and pp.shape != (n,):
        raise ShapeError(f"random.choice: p has shape {pp.shape}, a has {n} elements "
                         f"(on {dev})")
    if not replace and count > n:
        raise ValueError(f"random.choice: cannot take a larger sample ({count}) than the "
                         f"population ({n}) when replace=False")

    def sampler(g: Any, *vals: Any) -> Any:
        pv = vals[-1] if pp is not None else None
        if pv is not None:
            pv = _onp.asarray(pv, dtype=_onp.float64)
            pv = pv / pv.sum()
        src = vals[0] if args else n
        return g.choice(src, size=shape, replace=replace, p=pv)
    return _sample("choice", sampler, shape, dt, dev, args + ((pp,) if pp is not None else ()))


def _run_shuffle(r: _DeviceRNG, x: NDArray) -> None:
    buf = x._data
    if x._shared or buf.base is not None or not buf.flags.writeable:
        buf = buf.copy()
        x._data = buf
        x._shared = False
    r.gen.shuffle(buf)


def shuffle(x: NDArray) -> None:
    """See numpy.random.shuffle: shuffles *x* in place along its first axis (a write of
    x's var and of the device generator)."""
    if not isinstance(x, NDArray):
        raise TypeError(f"random.shuffle: expected an ndengine array, got {type(x).__name__}")
    r = _rng(x.device)
    _engine.push(_nd._partial(_run_shuffle, r, x), (x._var,), (r.var, x._var), x.device, 0,
                 "random.shuffle")


def permutation(x: Any, ctx: Any = None, device: Any = None) -> NDArray:
    """See numpy.random.permutation."""
    if isinstance(x, (int, _onp.integer)):
        dev = device_of(ctx, device)
        n = int(x)
        return _sample("permutation", lambda g: g.permutation(n), (n,), _onp.int64, dev)
    arr = as_nd(x)
    y = arr.copy()
    shuffle(y)
    return y


def _positive(name: str, what: str, f: Callable[..., NDArray], strict: bool = True) -> Any:
    """*f* with its first parameter checked at the call when it is a plain number."""
    def g(*params: Any, **kw: Any) -> NDArray:
        if params and _plain(params[0]) and (params[0] <= 0 if strict else params[0] < 0):
            raise ValueError(f"random.{name}: {what} must be "
                             f"{'positive' if strict else 'non-negative'}, got {params[0]}")
        return f(*params, **kw)
    g.__name__ = name
    g.__doc__ = f.__doc__
    return g


chisquare = _positive("chisquare", "df", _simple(
    "chisquare", lambda g, df, size=None: g.chisquare(df, size), 1))
pareto = _positive("pareto", "a", _simple("pareto", lambda g, a, size=None: g.pareto(a, size), 1))
power = _positive("power", "a", _simple("power", lambda g, a, size=None: g.power(a, size), 1))
rayleigh = _positive("rayleigh", "scale", _simple(
    "rayleigh", lambda g, scale=1.0, size=None: g.rayleigh(scale, size), 1), strict=False)
weibull = _positive("weibull", "a", _simple(
    "weibull", lambda g, a, size=None: g.weibull(a, size), 1), strict=False)


def multivariate_normal(mean: Any, cov: Any, size: Any = None, check_valid: Any = None,
                        tol: Any = None, dtype: Any = None, ctx: Any = None,
                        device: Any = None) -> NDArray:
    """See numpy.random.multivariate_normal (float32 by default): shape
    ``size + (N,)``.  NDArray parameters are read by the sampling op."""
    dev = mean.device if isinstance(mean, NDArray) else device_of(ctx, device)
    m = as_nd(mean, dev)
    c = as_nd(cov, dev)
    if m.ndim != 1:
        raise ShapeError(f"random.multivariate_normal: mean must be 1 dimensional, got shape "
                         f"{m.shape}")
    n = m.shape[0]
    if c.shape != (n, n):
        raise ShapeError(f"random.multivariate_normal: mean and cov must have same length: "
                         f"mean {m.shape}, cov {c.shape}")
    shape = _size(size) + (n,)
    kw = {}
    if check_valid is not None:
        kw["check_valid"] = check_valid
    if tol is not None:
        kw["tol"] = tol

    def sampler(g: Any, mv: Any, cv: Any) -> Any:
        return g.multivariate_normal(_onp.asarray(mv, dtype=_onp.float64),
                                     _onp.asarray(cv, dtype=_onp.float64),
                                     size=_size(size) or None, **kw)
    return _sample("multivariate_normal", sampler, shape, default_dtype(dtype), dev, (m, c))


_unused = OPS


from ..base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals(), hide=('Device', 'DeviceMismatchError', 'NDArray', 'OPS', 'ShapeError', 'Var', 'as_nd', 'default_dtype', 'device_of'))
