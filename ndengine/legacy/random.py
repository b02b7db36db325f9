"""``mx.nd.random``: sampling in the legacy namespace, on np.random's generators (the
same per-device generator var, so ``mx.random.seed`` seeds both).

MXNet 1.x conventions: ``shape=`` (not ``size=``), float32 by default, one sample of
shape (1,) when no shape is given; a distribution parameter given as an NDArray draws
``shape`` samples per element (result shape ``param.shape + shape``)."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .. import numpy as _np
from ..ndarray.ndarray import NDArray as _NP
from ..ndarray.ops import ShapeError
from ._util import arr, dt, ret
from .ndarray import NDArray

__all__ = ["uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson",
           "negative_binomial", "generalized_negative_binomial", "multinomial", "shuffle",
           "seed"]


def _shape(shape: Any) -> tuple[int, ...]:
    if shape is None:
        return ()
    if isinstance(shape, (int, _onp.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _is_arr(p: Any) -> bool:
    return p.__class__ is NDArray or p.__class__ is _NP


def _draw(np_fn: Any, fname: str, params: tuple, shape: Any, dtype: Any, ctx: Any,
          out: Any) -> NDArray:
    """Sample with np_fn(*params, size=..., dtype=..., ctx=...)."""
    s = _shape(shape)
    arrays = [p for p in params if _is_arr(p)]
    if arrays:
        if not all(_is_arr(p) for p in params):
            raise TypeError(f"random.{fname}: the parameters must be all NDArrays or all "
                            f"scalars")
        ps = [arr(p, f"random.{fname}") for p in params]
        base = ps[0].shape
        for p in ps[1:]:
            if p.shape != base:
                raise ShapeError(f"random.{fname}: parameter shapes {[q.shape for q in ps]} "
                                 f"differ")
        tail = (1,) * len(s)
        ps = [p.reshape(base + tail) for p in ps]
        size = base + s
        r = np_fn(*ps, size=size, dtype=dt(dtype), ctx=ps[0].device)
    else:
        size = s or (1,)
        if out is not None and not s:
            size = tuple(out.shape)
        r = np_fn(*params, size=size, dtype=dt(dtype), ctx=ctx)
    return ret(r, out)


def uniform(low: Any = 0.0, high: Any = 1.0, shape: Any = None, dtype: Any = None,
            ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Samples from U[low, high)."""
    return _draw(_np.random.uniform, "uniform", (low, high), shape, dtype, ctx, out)


def normal(loc: Any = 0.0, scale: Any = 1.0, shape: Any = None, dtype: Any = None,
           ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Samples from N(loc, scale^2)."""
    return _draw(_np.random.normal, "normal", (loc, scale), shape, dtype, ctx, out)


def randn(*shape: int, loc: float = 0.0, scale: float = 1.0, dtype: Any = None,
          ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Normal samples of shape *shape* (given as separate ints)."""
    return normal(loc, scale, shape=shape or None, dtype=dtype, ctx=ctx, out=out)


def randint(low: int, high: int, shape: Any = None, dtype: Any = "int32", ctx: Any = None,
            out: Any = None, **kwargs: Any) -> NDArray:
    """Integers uniform in [low, high) (int32 by default)."""
    d = dt(dtype)
    if d.kind not in "iu":
        raise TypeError(f"random.randint: dtype must be an integer type, got {d}")
    s = _shape(shape) or (1,)
    return ret(_np.random.randint(int(low), int(high), size=s, dtype=d, ctx=ctx), out)


def exponential(scale: Any = 1.0, shape: Any = None, dtype: Any = None, ctx: Any = None,
                out: Any = None, **kwargs: Any) -> NDArray:
    """Samples of the exponential distribution with mean *scale* (MXNet's ``lam`` is
    1/scale)."""
    if "lam" in kwargs:
        scale = 1.0 / kwargs.pop("lam")
    return _draw(_np.random.exponential, "exponential", (scale,), shape, dtype, ctx, out)


def gamma(alpha: Any = 1.0, beta: Any = 1.0, shape: Any = None, dtype: Any = None,
          ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Gamma samples with shape *alpha* and scale *beta*."""
    return _draw(_np.random.gamma, "gamma", (alpha, beta), shape, dtype, ctx, out)


def poisson(lam: Any = 1.0, shape: Any = None, dtype: Any = None, ctx: Any = None,
            out: Any = None, **kwargs: Any) -> NDArray:
    """Poisson samples with rate *lam* (as floats, float32 by default)."""
    return _draw(_np.random.poisson, "poisson", (lam,), shape, dtype, ctx, out)


def negative_binomial(k: Any = 1, p: Any = 1, shape: Any = None, dtype: Any = None,
                      ctx: Any = None, out: Any = None, **kwargs: Any) -> NDArray:
    """Failures before *k* successes of probability *p*: a Poisson of a gamma-distributed
    rate (k, (1-p)/p)."""
    lam = gamma(k, (1 - p) / p, shape=shape, dtype="float64" if dtype is None else dtype,
                ctx=ctx)
    return _poisson_of(lam, dtype, out)


def generalized_negative_binomial(mu: Any = 1, alpha: Any = 1, shape: Any = None,
                                  dtype: Any = None, ctx: Any = None, out: Any = None,
                                  **kwargs: Any) -> NDArray:
    """Poisson samples of a gamma(1/alpha, alpha*mu)-distributed rate (mean mu)."""
    lam = gamma(1.0 / alpha, alpha * mu, shape=shape, dtype="float64" if dtype is None
                else dtype, ctx=ctx)
    return _poisson_of(lam, dtype, out)


def _poisson_of(lam: NDArray, dtype: Any, out: Any) -> NDArray:
    a = lam._arr
    r = _np.random.poisson(a, size=a.shape, dtype=dt(dtype), ctx=a.device)
    return ret(r, out)


def multinomial(data: Any, shape: Any = None, get_prob: bool = False, out: Any = None,
                dtype: Any = "int32", **kwargs: Any) -> Any:
    """Category indices drawn from the distributions in *data*'s last axis (result
    shape ``data.shape[:-1] + shape``); with ``get_prob`` also the log-probability of
    each draw."""
    p = arr(data, "random.multinomial")
    if p.ndim < 1:
        raise ShapeError("random.multinomial: data must have at least one dimension")
    s = _shape(shape)
    k = p.shape[-1]
    batch = p.shape[:-1]
    u = _np.random.uniform(0.0, 1.0, size=batch + (s or (1,)), dtype=p.dtype, ctx=p.device)
    cdf = _np.cumsum(p, axis=-1)
    cdf = cdf / cdf[..., k - 1:k]
    cdf = cdf.reshape(batch + (1,) * len(s or (1,)) + (k,))
    idx = (u.reshape(u.shape + (1,)) >= cdf).astype(_onp.int64).sum(axis=-1)
    idx = _np.minimum(idx, k - 1)
    if not s:
        idx = idx.reshape(batch) if batch else idx.reshape((1,))
    res = idx.astype(dt(dtype))
    if not get_prob:
        return ret(res, out)
    flat_p = p.reshape((-1, k))
    flat_i = idx.reshape((flat_p.shape[0], -1))
    lp = _np.log(_pick_rows(flat_p, flat_i))
    return ret([res, lp.reshape(idx.shape)], out)


def _pick_rows(p: _NP, i: _NP) -> _NP:
    rows = _np.arange(p.shape[0], dtype=_onp.int64, ctx=p.device).reshape((-1, 1))
    return p[rows, i]


def shuffle(data: Any, out: Any = None, **kwargs: Any) -> NDArray:
    """A copy of *data* with its rows (first axis) in random order."""
    a = arr(data, "random.shuffle")
    return ret(_np.random.permutation(a), out)


def seed(seed_state: int, ctx: Any = "all") -> None:
    """Seed the generators (of every device, or of *ctx*)."""
    _np.random.seed(seed_state, ctx)

