"""More legacy ops, composed from np ops: padding, depth/space rearrangements, nearest
upsampling, group normalization, index (un)raveling, the regression output layers, and
the per-element samplers ``sample_*``."""
from __future__ import annotations

import builtins as _builtins
from typing import Any

import numpy as _onp

from .. import numpy as _np
from ..ndarray import ops_legacy as _lops
from ..ndarray.ndarray import apply_op
from ..ndarray.ops import OPS, ShapeError
from . import random as _random
from ._util import OpParamError, arr, arrs, ret
from .tensor import slice as _slice

__all__ = ["pad", "Pad", "depth_to_space", "space_to_depth", "UpSampling", "GroupNorm",
           "ravel_multi_index", "unravel_index", "crop", "LinearRegressionOutput",
           "LogisticRegressionOutput", "MAERegressionOutput", "sample_uniform",
           "sample_normal", "sample_gamma", "sample_exponential", "sample_poisson",
           "sample_negative_binomial", "sample_generalized_negative_binomial"]


def _cut(a: Any, axis: int, lo: int, hi: int) -> Any:
    key = [slice(None)] * a.ndim
    key[axis] = slice(lo, hi)
    return a[tuple(key)]


def pad(data: Any, mode: str = "constant", pad_width: Any = (), constant_value: float = 0.0,
        out: Any = None, name: Any = None) -> Any:
    """Pad a 4-D or 5-D array on its spatial axes: *pad_width* holds (before, after) for
    every axis (the first two must be 0); ``mode`` constant, edge or reflect."""
    a = arr(data, "pad")
    pw = tuple(int(p) for p in pad_width)
    if a.ndim not in (4, 5) or len(pw) != 2 * a.ndim or any(pw[:4]):
        raise OpParamError(f"pad: data must be 4-D or 5-D with pad_width of {2 * a.ndim} "
                           f"values, zero for the first two axes; got shape {a.shape}, "
                           f"pad_width {pad_width}")
    if mode not in ("constant", "edge", "reflect"):
        raise OpParamError(f"pad: mode must be constant, edge or reflect, got {mode!r}")
    r = a
    for ax in range(2, a.ndim):
        before, after = pw[2 * ax], pw[2 * ax + 1]
        n = r.shape[ax]
        if mode == "reflect" and (before >= n or after >= n):
            raise OpParamError(f"pad: reflect padding ({before}, {after}) must be smaller "
                               f"than axis {ax} ({n})")
        parts = []
        for k, at_end in ((before, False), (after, True)):
            if not k:
                parts.append(None)
                continue
            shape = list(r.shape)
            shape[ax] = k
            if mode == "constant":
                p = _np.full(tuple(shape), constant_value, dtype=r.dtype, ctx=r.device)
            elif mode == "edge":
                edge = _cut(r, ax, n - 1, n) if at_end else _cut(r, ax, 0, 1)
                p = _np.broadcast_to(edge, tuple(shape))
            else:
                p = _np.flip(_cut(r, ax, n - 1 - k, n - 1) if at_end else _cut(r, ax, 1, k + 1),
                             ax)
            parts.append(p)
        seq = [p for p in (parts[0], r, parts[1]) if p is not None]
        r = _np.concatenate(seq, axis=ax) if len(seq) > 1 else r
    return ret(r, out)


Pad = pad


def depth_to_space(data: Any, block_size: int, out: Any = None, name: Any = None) -> Any:
    """(N, C, H, W) -> (N, C / b^2, H b, W b): channel blocks become pixel blocks."""
    a = arr(data, "depth_to_space")
    b = int(block_size)
    if a.ndim != 4 or b < 1 or a.shape[1] % (b * b):
        raise ShapeError(f"depth_to_space: data must be (N, C, H, W) with C divisible by "
                         f"block_size^2 = {b * b}, got {a.shape}")
    n, c, h, w = a.shape
    r = a.reshape((n, b, b, c // (b * b), h, w)).transpose((0, 3, 4, 1, 5, 2))
    return ret(r.reshape((n, c // (b * b), h * b, w * b)), out)


def space_to_depth(data: Any, block_size: int, out: Any = None, name: Any = None) -> Any:
    """(N, C, H, W) -> (N, C b^2, H / b, W / b): pixel blocks become channels."""
    a = arr(data, "space_to_depth")
    b = int(block_size)
    if a.ndim != 4 or b < 1 or a.shape[2] % b or a.shape[3] % b:
        raise ShapeError(f"space_to_depth: data must be (N, C, H, W) with H and W divisible "
                         f"by block_size {b}, got {a.shape}")
    n, c, h, w = a.shape
    r = a.reshape((n, c, h // b, b, w // b, b)).transpose((0, 3, 5, 1, 2, 4))
    return ret(r.reshape((n, c * b * b, h // b, w // b)), out)


def UpSampling(*data: Any, scale: int = 1, sample_type: str = "nearest", num_args: int = 1,
               num_filter: int = 0, multi_input_mode: str = "concat", workspace: int = 512,
               out: Any = None, name: Any = None) -> Any:
    """Nearest-neighbour upsampling of (N, C, H, W) by *scale* (several inputs are
    upsampled and concatenated on the channel axis)."""
    if sample_type != "nearest":
        raise OpParamError(f"UpSampling: sample_type {sample_type!r} is not supported "
                           f"(nearest only; bilinear is a learned deconvolution)")
    xs = arrs(data[0] if len(data) == 1 and isinstance(data[0], (list, tuple)) else data,
              "UpSampling")
    s = int(scale)
    ups = []
    for x in xs:
        if x.ndim != 4:
            raise ShapeError(f"UpSampling: inputs must be (N, C, H, W), got {x.shape}")
        f = s * xs[0].shape[2] // x.shape[2]
        ups.append(_np.repeat(_np.repeat(x, f, axis=2), f, axis=3))
    if len(ups) == 1:
        return ret(ups[0], out)
    if multi_input_mode == "sum":
        r = ups[0]
        for u in ups[1:]:
            r = r + u
        return ret(r, out)
    return ret(_np.concatenate(ups, axis=1), out)


def GroupNorm(data: Any, gamma: Any, beta: Any, num_groups: int = 1, eps: float = 1e-5,
              output_mean_var: bool = False, out: Any = None, name: Any = None) -> Any:
    """Normalize each group of channels (axis 1) over the group and the spatial axes:
    ``npx.group_norm`` (gamma, beta per group, as MXNet 1.9.1, or per channel)."""
    from .. import npx as _npx
    from ..base import MXNetError

    x = arr(data, "GroupNorm")
    g = arr(gamma, "GroupNorm", "gamma")
    b = arr(beta, "GroupNorm", "beta")
    try:
        r = _npx.group_norm(x, g, b, num_groups=num_groups, eps=eps,
                            output_mean_var=output_mean_var)
    except MXNetError as e:
        msg = str(e)
        if not msg.startswith("group_norm:"):
            raise
        raise type(e)("GroupNorm:" + msg[len("group_norm:"):]) from None
    return ret(r, out)


def ravel_multi_index(data: Any, shape: Any, out: Any = None, name: Any = None) -> Any:
    """Flat indices into *shape* of the index tuples in *data*'s columns (data is
    (len(shape), ...))."""
    a = arr(data, "ravel_multi_index")
    shape = tuple(int(s) for s in shape)
    if a.ndim < 1 or a.shape[0] != len(shape):
        raise ShapeError(f"ravel_multi_index: data must have {len(shape)} rows, got {a.shape}")
    strides = _onp.cumprod((1,) + shape[:0:-1])[::-1]
    r = a[0] * int(strides[0])
    for i in range(1, len(shape)):
        r = r + a[i] * int(strides[i])
    return ret(r, out)


def unravel_index(data: Any, shape: Any, out: Any = None, name: Any = None) -> Any:
    """The index tuples (as rows) of flat indices *data* into *shape*."""
    a = arr(data, "unravel_index")
    shape = tuple(int(s) for s in shape)
    strides = _onp.cumprod((1,) + shape[:0:-1])[::-1]
    rows = [_np.mod(_np.floor_divide(a, int(st)), sz) for st, sz in zip(strides, shape)]
    return ret(_np.stack(rows, axis=0), out)


def crop(data: Any, begin: Any, end: Any, step: Any = (), out: Any = None,
         name: Any = None) -> Any:
    """Same as :func:`slice`."""
    return _slice(data, begin, end, step, out=out)


def _regression(name: str, doc: str) -> Any:
    def f(data: Any, label: Any, grad_scale: float = 1.0, out: Any = None,
          name: Any = None) -> Any:
        a = arr(data, f.__name__)
        lab = arr(label, f.__name__, "label")
        return ret(apply_op(_lops.LEGACY_OPS[f.__name__], (a, lab),
                            {"grad_scale": float(grad_scale)}), out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc + (" Its gradient ignores the head gradient (a loss layer), scaled by "
                       "grad_scale / (outputs per sample).")
    return f


LinearRegressionOutput = _regression(
    "LinearRegressionOutput", "The prediction itself; gradient out - label.")
LogisticRegressionOutput = _regression(
    "LogisticRegressionOutput", "sigmoid(data); gradient out - label.")
MAERegressionOutput = _regression(
    "MAERegressionOutput", "The prediction itself; gradient sign(out - label).")


def _sampler(name: str, fn: Any, nparams: int, doc: str) -> Any:
    def f(*params: Any, shape: Any = None, dtype: Any = None, out: Any = None,
          **kwargs: Any) -> Any:
        if len(params) != nparams:
            raise TypeError(f"{name}: takes {nparams} NDArray parameters, got {len(params)}")
        arrs(list(params), name, "parameter")      # NDArrays only, as in MXNet
        return fn(*params, shape=shape, dtype=dtype, out=out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc + " Per element of the parameter arrays: shape param.shape + shape."
    return f


sample_uniform = _sampler("sample_uniform", _random.uniform, 2, "Uniform samples in [low, high).")
sample_normal = _sampler("sample_normal", _random.normal, 2, "Normal samples (mu, sigma).")
sample_gamma = _sampler("sample_gamma", _random.gamma, 2, "Gamma samples (alpha, beta).")
sample_exponential = _sampler("sample_exponential",
                              lambda lam, **k: _random.exponential(1 / lam, **k), 1,
                              "Exponential samples of rate lam.")
sample_poisson = _sampler("sample_poisson", _random.poisson, 1, "Poisson samples of rate lam.")
sample_negative_binomial = _sampler("sample_negative_binomial", _random.negative_binomial, 2,
                                    "Negative binomial samples (k, p).")
sample_generalized_negative_binomial = _sampler(
    "sample_generalized_negative_binomial", _random.generalized_negative_binomial, 2,
    "Generalized negative binomial samples (mu, alpha).")


# ----------------------------------------------------------------------------- misc
def histogram(data: Any, bins: Any = 10, range: Any = None, out: Any = None,
              name: Any = None) -> Any:
    """[counts (int64), bin edges]: *bins* equal bins over *range* (the data's min and
    max by default) or the edges in an NDArray *bins*."""
    a = arr(data, "histogram")
    b = arr(bins, "histogram", "bins") if hasattr(bins, "shape") else int(bins)
    counts, edges = _np.histogram(a, bins=b, range=range)
    return ret([counts, edges.astype(a.dtype)], out)


def all_finite(data: Any, init_output: bool = True, out: Any = None, name: Any = None) -> Any:
    """[1.] when every element is finite, else [0.] (float32)."""
    a = arr(data, "all_finite")
    return ret(_np.isfinite(a).all().reshape((1,)).astype(_onp.float32), out)


def multi_all_finite(*data: Any, num_arrays: int = 1, init_output: bool = True,
                     out: Any = None, name: Any = None) -> Any:
    """[1.] when every element of every array is finite, else [0.]."""
    xs = arrs(list(data), "multi_all_finite")
    r = _np.isfinite(xs[0]).all()
    for x in xs[1:]:
        r = _np.logical_and(r, _np.isfinite(x).all())
    return ret(r.reshape((1,)).astype(_onp.float32), out)


def multi_sum_sq(*data: Any, num_arrays: int = 1, out: Any = None, name: Any = None) -> Any:
    """The sum of squares of each array (float32, one per array)."""
    xs = arrs(list(data), "multi_sum_sq")
    return ret(_np.stack([(x.astype(_onp.float32) ** 2).sum() for x in xs]), out)


def reset_arrays(*data: Any, num_arrays: int = 1, out: Any = None, name: Any = None) -> Any:
    """Set every element of each array to 0 (in place); returns []."""
    for x in arrs(list(data), "reset_arrays"):
        x[...] = 0
    return []


def LRN(data: Any, alpha: float = 1e-4, beta: float = 0.75, knorm: float = 2.0,
        nsize: int = 5, out: Any = None, name: Any = None) -> Any:
    """Local response normalization across channels: x / (knorm + alpha / nsize *
    sum of x^2 over the nsize channels around)^beta."""
    x = arr(data, "LRN")
    n = int(nsize)
    if x.ndim != 4:
        raise ShapeError(f"LRN: data must be 4-D (N, C, H, W), got {x.shape}")
    if n < 1 or n % 2 == 0:
        raise OpParamError(f"LRN: nsize must be odd and positive, got {nsize}")
    sq = x * x
    half = n // 2
    c = x.shape[1]
    zeros = _np.zeros((x.shape[0], half) + x.shape[2:], dtype=x.dtype, ctx=x.device)
    padded = _np.concatenate([zeros, sq, zeros], axis=1)
    s = padded[:, 0:c]
    for i in _builtins.range(1, n):
        s = s + padded[:, i:i + c]
    return ret(x / (knorm + s * (alpha / n)) ** beta, out)


def choose_element_0index(lhs: Any, rhs: Any, out: Any = None, name: Any = None) -> Any:
    """``lhs[i, rhs[i]]`` for each row i."""
    from .tensor import pick

    return pick(lhs, rhs, axis=1, out=out)


def fill_element_0index(lhs: Any, mhs: Any, rhs: Any, out: Any = None,
                        name: Any = None) -> Any:
    """A copy of *lhs* with ``result[i, rhs[i]] = mhs[i]``."""
    a = arr(lhs, "fill_element_0index", "lhs")
    v = arr(mhs, "fill_element_0index", "mhs")
    i = arr(rhs, "fill_element_0index", "rhs").astype(_onp.int64)
    from .. import npx as _npx

    hot = _npx.one_hot(i, a.shape[1], dtype=a.dtype)
    return ret(a * (1 - hot) + hot * v.reshape((-1, 1)), out)


def _gammaln(x: Any) -> Any:
    from .. import npx as _npx

    return _npx.gammaln(x)


def _pdf(name: str, logpdf: Any, nparams: int, doc: str, vector: bool = False) -> Any:
    def f(sample: Any, *params: Any, is_log: bool = False, out: Any = None,
          name: Any = None) -> Any:
        if len(params) != nparams:
            raise TypeError(f"{f.__name__}: takes sample and {nparams} parameter arrays")
        s = arr(sample, f.__name__, "sample")
        ps = [arr(p, f.__name__, "parameter") for p in params]
        lead = ps[0].shape[:-1] if vector else ps[0].shape      # the batch axes
        extra = s.ndim - ps[0].ndim
        if extra < 0 or s.shape[:len(lead)] != lead or \
                (vector and s.shape[-1:] != ps[0].shape[-1:]):
            raise ShapeError(f"{f.__name__}: sample {s.shape} must start with the parameters' "
                             f"shape {ps[0].shape}")
        if vector:
            ps = [p.reshape(lead + (1,) * extra + p.shape[-1:]) for p in ps]
        else:
            ps = [p.reshape(p.shape + (1,) * extra) for p in ps]
        lp = logpdf(s, *ps)
        return ret(lp if is_log else _np.exp(lp), out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc + (" of each sample (the sample's leading axes are the parameters'); "
                       "the log with ``is_log``.")
    return f


def _lp_normal(x: Any, mu: Any, sigma: Any) -> Any:
    z = (x - mu) / sigma
    return -0.5 * z * z - _np.log(sigma) - 0.5 * _onp.log(2 * _onp.pi)


def _lp_uniform(x: Any, lo: Any, hi: Any) -> Any:
    inside = _np.logical_and(x >= lo, x <= hi)
    return _np.where(inside, -_np.log(hi - lo), -_onp.inf)


def _lp_exponential(x: Any, lam: Any) -> Any:
    return _np.log(lam) - lam * x


def _lp_gamma(x: Any, alpha: Any, beta: Any) -> Any:
    return alpha * _np.log(beta) + (alpha - 1) * _np.log(x) - beta * x - _gammaln(alpha)


def _lp_poisson(x: Any, lam: Any) -> Any:
    return x * _np.log(lam) - lam - _gammaln(x + 1)


def _lp_nb(x: Any, k: Any, p: Any) -> Any:
    return (_gammaln(x + k) - _gammaln(x + 1) - _gammaln(k) + k * _np.log(p)
            + x * _np.log(1 - p))


def _lp_gnb(x: Any, mu: Any, alpha: Any) -> Any:
    k = 1 / alpha
    return _lp_nb(x, k, 1 / (1 + alpha * mu))


def _lp_dirichlet(x: Any, alpha: Any) -> Any:
    return (((alpha - 1) * _np.log(x)).sum(axis=-1) + _gammaln(alpha.sum(axis=-1))
            - _gammaln(alpha).sum(axis=-1))


random_pdf_normal = _pdf("random_pdf_normal", _lp_normal, 2, "The normal density (mu, sigma)")
random_pdf_uniform = _pdf("random_pdf_uniform", _lp_uniform, 2,
                          "The uniform density on [low, high]")
random_pdf_exponential = _pdf("random_pdf_exponential", _lp_exponential, 1,
                              "The exponential density of rate lam")
random_pdf_gamma = _pdf("random_pdf_gamma", _lp_gamma, 2,
                        "The gamma density (shape alpha, rate beta)")
random_pdf_poisson = _pdf("random_pdf_poisson", _lp_poisson, 1, "The Poisson probability")
random_pdf_negative_binomial = _pdf("random_pdf_negative_binomial", _lp_nb, 2,
                                    "The negative binomial probability (k, p)")
random_pdf_generalized_negative_binomial = _pdf(
    "random_pdf_generalized_negative_binomial", _lp_gnb, 2,
    "The generalized negative binomial probability (mu, alpha)")
random_pdf_dirichlet = _pdf("random_pdf_dirichlet", _lp_dirichlet, 1,
                            "The Dirichlet density (alpha over the last axis)", vector=True)

__all__ += ["histogram", "all_finite", "multi_all_finite", "multi_sum_sq", "reset_arrays",
            "LRN", "choose_element_0index", "fill_element_0index", "random_pdf_normal",
            "random_pdf_uniform", "random_pdf_exponential", "random_pdf_gamma",
            "random_pdf_poisson", "random_pdf_negative_binomial",
            "random_pdf_generalized_negative_binomial", "random_pdf_dirichlet"]


# ----------------------------------------------------------------------------- more ops
def _pair(v: Any, n: int, default: int) -> tuple:
    if v is None or (isinstance(v, (tuple, list)) and not v):
        return (default,) * n
    if isinstance(v, int):
        return (v,) * n
    return tuple(int(x) for x in v)


def im2col(data: Any, kernel: Any, stride: Any = (), dilate: Any = (), pad: Any = (),
           out: Any = None, name: Any = None) -> Any:
    """The sliding blocks of (N, C, ...) as columns: (N, C * prod(kernel), L)."""
    from ..ndarray.ops_conv import conv_out_size

    a = arr(data, "im2col")
    k = tuple(int(v) for v in kernel)
    nd = len(k)
    if a.ndim != nd + 2:
        raise ShapeError(f"im2col: data {a.shape} must have {nd + 2} axes for kernel {k}")
    st, dl, pd = _pair(stride, nd, 1), _pair(dilate, nd, 1), _pair(pad, nd, 0)
    n, c = a.shape[:2]
    osz = tuple(conv_out_size(*v) for v in zip(a.shape[2:], k, st, dl, pd))
    # a convolution with an identity weight: one output channel per (channel, offset)
    kt = int(_onp.prod(k))
    eye = _np.array(_onp.eye(kt, dtype=_onp.float64).reshape((kt, 1) + k), dtype=a.dtype,
                    ctx=a.device)
    w = _np.tile(eye, (c, 1) + (1,) * nd)
    r = apply_op(OPS["convolution"], (a, w, None),
                 {"kernel": k, "stride": st, "dilate": dl, "pad": pd, "num_group": c})[0]
    return ret(r.reshape((n, c * kt, int(_onp.prod(osz)))), out)


def col2im(data: Any, output_size: Any, kernel: Any, stride: Any = (), dilate: Any = (),
           pad: Any = (), out: Any = None, name: Any = None) -> Any:
    """The inverse arrangement of :func:`im2col`: columns (N, C * prod(kernel), L)
    summed back into (N, C, *output_size)."""
    from ..ndarray.ops_conv import conv_out_size, deconv_out_size

    a = arr(data, "col2im")
    k = tuple(int(v) for v in kernel)
    nd = len(k)
    size = tuple(int(v) for v in output_size)
    st, dl, pd = _pair(stride, nd, 1), _pair(dilate, nd, 1), _pair(pad, nd, 0)
    kt = int(_onp.prod(k))
    n = a.shape[0]
    if a.ndim != 3 or a.shape[1] % kt:
        raise ShapeError(f"col2im: data {a.shape} must be (N, C * {kt}, L)")
    c = a.shape[1] // kt
    osz = tuple(conv_out_size(*v) for v in zip(size, k, st, dl, pd))
    if int(_onp.prod(osz)) != a.shape[2]:
        raise ShapeError(f"col2im: {a.shape[2]} columns do not fit output_size {size} with "
                         f"kernel {k}, stride {st}, dilate {dl}, pad {pd}")
    eye = _np.array(_onp.eye(kt, dtype=_onp.float64).reshape((kt, 1) + k), dtype=a.dtype,
                    ctx=a.device)
    w = _np.tile(eye, (c, 1) + (1,) * nd)
    g = a.reshape((n, c * kt) + osz)
    # the transposed convolution with that weight, adj filling up to output_size
    adj = tuple(size[i] - deconv_out_size(osz[i], k[i], st[i], dl[i], pd[i], 0)
                for i in range(nd))
    r = apply_op(OPS["deconvolution"], (g, w, None), {"kernel": k, "stride": st, "dilate": dl,
                                                      "pad": pd, "adj": adj, "num_group": c})
    return ret(r, out)


def Crop(*data: Any, offset: Any = (0, 0), h_w: Any = (0, 0), center_crop: bool = False,
         num_args: int = 1, out: Any = None, name: Any = None) -> Any:
    """Crop (N, C, H, W) to h_w (or to the second input's H, W) at *offset* (or centred)."""
    xs = arrs(list(data), "Crop")
    a = xs[0]
    if a.ndim != 4:
        raise ShapeError(f"Crop: data must be (N, C, H, W), got {a.shape}")
    h, w = (xs[1].shape[2], xs[1].shape[3]) if len(xs) > 1 else tuple(int(v) for v in h_w)
    if h > a.shape[2] or w > a.shape[3] or h <= 0 or w <= 0:
        raise ShapeError(f"Crop: target size ({h}, {w}) must fit the data {a.shape}")
    if center_crop:
        y0, x0 = (a.shape[2] - h) // 2, (a.shape[3] - w) // 2
    else:
        y0, x0 = (int(v) for v in offset)
    if y0 + h > a.shape[2] or x0 + w > a.shape[3]:
        raise ShapeError(f"Crop: offset ({y0}, {x0}) + size ({h}, {w}) exceeds {a.shape}")
    return ret(a[:, :, y0:y0 + h, x0:x0 + w], out)


def ctc_loss(data: Any, label: Any, data_lengths: Any = None, label_lengths: Any = None,
             use_data_lengths: bool = False, use_label_lengths: bool = False,
             blank_label: str = "first", out: Any = None, name: Any = None) -> Any:
    """The CTC loss of (T, N, C) activations against padded labels (N, L), per sample."""
    from ..ndarray import ops_loss

    def opt(x: Any, what: str) -> Any:
        return None if x is None else arr(x, "ctc_loss", what)
    return ret(ops_loss.ctc_loss(arr(data, "ctc_loss"), arr(label, "ctc_loss", "label"),
                                 opt(data_lengths, "data_lengths"),
                                 opt(label_lengths, "label_lengths"),
                                 use_data_lengths=use_data_lengths,
                                 use_label_lengths=use_label_lengths,
                                 blank_label=blank_label), out)


CTCLoss = ctc_loss


def amp_cast(data: Any, dtype: Any, out: Any = None, name: Any = None) -> Any:
    """*data* cast to *dtype* (the mixed-precision cast)."""
    a = arr(data, "amp_cast")
    return ret(a.astype(_onp.dtype(dtype)), out)


def amp_multicast(*data: Any, num_outputs: int = 1, cast_narrow: bool = False,
                  out: Any = None, name: Any = None) -> Any:
    """The arrays cast to their widest float dtype (narrowest with ``cast_narrow``)."""
    xs = arrs(list(data), "amp_multicast")
    if len(xs) != int(num_outputs):
        raise OpParamError(f"amp_multicast: num_outputs={num_outputs} but {len(xs)} arrays")
    floats = [x.dtype for x in xs if x.dtype.kind == "f"]
    if not floats:
        return ret([x.copy() for x in xs], out)
    pick = min if cast_narrow else max
    target = pick(floats, key=lambda d: d.itemsize)
    return ret([x.astype(target) if x.dtype.kind == "f" else x.copy() for x in xs], out)


def cast_storage(data: Any, stype: str, out: Any = None, name: Any = None) -> Any:
    """A copy in storage type *stype* ('default', 'csr', 'row_sparse'; see
    ndengine.legacy.sparse)."""
    from .sparse import cast_storage as _cast

    arr(data, "cast_storage")
    return ret(_cast(data, stype), out) if out is not None else _cast(data, stype)


__all__ += ["im2col", "col2im", "Crop", "ctc_loss", "CTCLoss", "amp_cast", "amp_multicast",
            "cast_storage"]


def SVMOutput(data: Any, label: Any, margin: float = 1.0, regularization_coefficient: float = 1.0,
              use_linear: bool = False, out: Any = None, name: Any = None) -> Any:
    """The scores themselves; the gradient (ignoring the head gradient) is the squared
    hinge loss's (the linear one's with ``use_linear``) against the labels."""
    a = arr(data, "SVMOutput")
    lab = arr(label, "SVMOutput", "label")
    return ret(apply_op(_lops.LEGACY_OPS["SVMOutput"], (a, lab),
                        {"margin": float(margin),
                         "regularization_coefficient": float(regularization_coefficient),
                         "use_linear": bool(use_linear)}), out)


__all__ += ["SVMOutput"]
