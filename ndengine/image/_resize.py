"""OpenCV's ``cv::resize`` rebuilt on ``xp``: the kernel behind ``mx.image.imresize``,
``resize_short``, the crops and ``npx.image.resize`` (MXNet calls OpenCV 3.4 for all
of them).  Interpolation codes are OpenCV's: 0 nearest, 1 bilinear, 2 bicubic, 3 area,
4 Lanczos (8x8).

How each method maps a destination pixel ``d`` to source pixels (per axis, then
separably: the width pass first, then the height pass, as OpenCV does):

* nearest: ``floor(d * src/dst)`` (no half-pixel shift: OpenCV's INTER_NEAREST).
* bilinear, bicubic, Lanczos: the pixel-centre rule ``f = (d + 0.5) * src/dst - 0.5``,
  taps ``floor(f) - k + 1 ...`` with Keys' cubic (A = -0.75) or the Lanczos-4 window;
  taps past the border repeat the edge pixel.  Bilinear clamps the tap itself along
  the width at the borders (weight 1 on the edge pixel), as OpenCV does.
* area, shrinking along both axes: the mean over the source cells each destination
  cell covers (whole-number factors: a plain box mean); area while enlarging: bilinear
  with OpenCV's area weights.  A bilinear shrink by exactly 2 along both axes is the
  2x2 box mean (OpenCV switches to area there).

uint8 images follow OpenCV's fixed-point arithmetic: weights rounded to 11 bits, an
integer width pass, then the height pass with its rounding (bilinear: OpenCV's SIMD
formula; bicubic: float32 on the 8-wide vector part of a row, fixed point on the
tail).  Checked against MXNet 1.9.1 (OpenCV 3.4.2) on 320 image/size/method
combinations: uint8 results are identical, float32 ones agree to 2e-5 relative
(Lanczos) or float rounding.  Everything is vectorised: a loop runs only over the taps of the filter
(at most 8, or the cells of an area shrink), never over pixels or images.
"""
from __future__ import annotations

import math
from typing import Any

NEAREST, LINEAR, CUBIC, AREA, LANCZOS4 = 0, 1, 2, 3, 4
METHODS = {NEAREST: "nearest", LINEAR: "bilinear", CUBIC: "bicubic", AREA: "area",
           LANCZOS4: "lanczos4"}
_BITS = 11
_ONE = 1 << _BITS
_S45 = 0.70710678118654752440084436210485
# Lanczos-4: the numerator of tap i is cs[i] . (sin y0, cos y0), y0 = -(x + 3) pi / 4
_LANCZOS_CS = ((1.0, 0.0), (-_S45, -_S45), (0.0, 1.0), (_S45, -_S45), (-1.0, 0.0),
               (_S45, _S45), (0.0, -1.0), (-_S45, _S45))
_FLT_EPSILON = 1.1920928955078125e-07


# ----------------------------------------------------------------------------- tables
def _centre_pos(xp: Any, n_in: int, n_out: int) -> tuple[Any, Any]:
    """(first tap, fraction) by the pixel-centre rule, in float32 as OpenCV."""
    scale = 1.0 / (n_out / n_in)
    f = ((xp.arange(n_out, dtype=xp.float64) + 0.5) * scale - 0.5).astype(xp.float32)
    s = xp.floor(f)
    return s.astype(xp.int64), (f - s).astype(xp.float32)


def _area_up_pos(xp: Any, n_in: int, n_out: int) -> tuple[Any, Any]:
    """(tap, fraction) of OpenCV's area interpolation when enlarging."""
    inv = n_out / n_in
    scale = 1.0 / inv
    d = xp.arange(n_out, dtype=xp.float64)
    s = xp.floor(d * scale)
    f = ((d + 1) - (s + 1) * inv).astype(xp.float32)
    f = xp.where(f <= 0, xp.float32(0), f - xp.floor(f)).astype(xp.float32)
    return s.astype(xp.int64), f


def _cubic_weights(xp: Any, x: Any) -> Any:
    a = xp.float32(-0.75)
    one = xp.float32(1)
    x1 = x + one
    c0 = ((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a
    c1 = ((a + 2) * x - (a + 3)) * x * x + one
    y = one - x
    c2 = ((a + 2) * y - (a + 3)) * y * y + one
    c3 = one - c0 - c1 - c2
    return xp.stack([c0, c1, c2, c3], axis=1).astype(xp.float32)


def _lanczos_weights(xp: Any, x: Any) -> Any:
    xd = x.astype(xp.float64)
    y0 = -(xd + 3) * math.pi * 0.25
    s0, c0 = xp.sin(y0), xp.cos(y0)
    cols = []
    for i, (cs, cc) in enumerate(_LANCZOS_CS):
        y = -(xd + 3 - i) * math.pi * 0.25
        yy = xp.where(y == 0, 1.0, y * y)        # x == 0: replaced below
        cols.append(((cs * s0 + cc * c0) / yy).astype(xp.float32))
    w = xp.stack(cols, axis=1)
    tiny = x < _FLT_EPSILON
    total = xp.where(tiny, xp.float32(1), w.sum(axis=1, dtype=xp.float32))
    w = (w * (xp.float32(1) / total)[:, None]).astype(xp.float32)
    unit = xp.zeros((1, 8), dtype=xp.float32)
    unit[0, 3] = 1
    return xp.where(tiny[:, None], unit, w)


def _taps(xp: Any, n_in: int, n_out: int, method: str, width_axis: bool) -> tuple[Any, Any]:
    """(indices (n_out, K), float32 weights (n_out, K)) of one axis."""
    if method == "nearest":
        scale = 1.0 / (n_out / n_in)
        s = xp.floor(xp.arange(n_out, dtype=xp.float64) * scale).astype(xp.int64)
        return xp.minimum(s, n_in - 1)[:, None], xp.ones((n_out, 1), dtype=xp.float32)
    if method == "area_down":
        return _area_down_taps(xp, n_in, n_out)
    if method in ("linear", "area_up"):
        s, f = (_centre_pos if method == "linear" else _area_up_pos)(xp, n_in, n_out)
        if width_axis:          # OpenCV moves the tap itself at the width's borders
            edge = (s < 0) | (s >= n_in - 1)
            f = xp.where(edge, xp.float32(0), f).astype(xp.float32)
            s = xp.clip(s, 0, n_in - 1)
        w = xp.stack([xp.float32(1) - f, f], axis=1).astype(xp.float32)
        offsets = xp.arange(2)
    elif method == "cubic":
        s, f = _centre_pos(xp, n_in, n_out)
        w, offsets = _cubic_weights(xp, f), xp.arange(-1, 3)
    else:
        s, f = _centre_pos(xp, n_in, n_out)
        w, offsets = _lanczos_weights(xp, f), xp.arange(-3, 5)
    idx = xp.clip(s[:, None] + offsets[None, :], 0, n_in - 1)
    return idx, w


def _area_down_taps(xp: Any, n_in: int, n_out: int) -> tuple[Any, Any]:
    """The source cells each destination cell covers, weighted by the covered length
    (OpenCV drops slivers under 1e-3 of a pixel at either end)."""
    scale = n_in / n_out
    k = int(math.ceil(scale)) + 1
    lo = xp.arange(n_out, dtype=xp.float64) * scale
    hi = lo + scale
    cell = xp.minimum(scale, n_in - lo)
    first = xp.floor(lo).astype(xp.int64)
    idx = first[:, None] + xp.arange(k)[None, :]
    left = xp.maximum(idx, lo[:, None])
    right = xp.minimum(idx + 1, hi[:, None])
    cover = xp.clip(right - left, 0, None)
    whole = cover >= 1 - 1e-12
    cover = xp.where(~whole & (cover <= 1e-3), 0.0, cover)
    cover = xp.where(idx < n_in, cover, 0.0)
    w = (cover / cell[:, None]).astype(xp.float32)
    return xp.clip(idx, 0, n_in - 1), w


# ----------------------------------------------------------------------------- passes
def _gather_sum(xp: Any, src: Any, axis: int, idx: Any, w: Any, acc_dtype: Any) -> Any:
    """sum_k src[.., idx[:, k], ..] * w[:, k] along *axis* (weights broadcast)."""
    shape = [1] * src.ndim
    shape[axis] = idx.shape[0]
    out = None
    for k in range(idx.shape[1]):
        term = xp.take(src, idx[:, k], axis=axis).astype(acc_dtype, copy=False) * \
            w[:, k].astype(acc_dtype).reshape(shape)
        out = term if out is None else out + term
    return out


def _fixed_linear_rows(xp: Any, buf: Any, axis: int, idx: Any, w: Any) -> Any:
    """OpenCV's uint8 height pass of bilinear, its SIMD formula
    ``((S0>>4)*b0 >> 16) + ((S1>>4)*b1 >> 16) + 2 >> 2`` (the build MXNet ships uses it
    for every value of a row, the tail included)."""
    b = xp.rint(w * _ONE).astype(xp.int64)
    shape = [1] * buf.ndim
    shape[axis] = idx.shape[0]
    s0 = xp.take(buf, idx[:, 0], axis=axis)
    s1 = xp.take(buf, idx[:, 1], axis=axis)
    b0, b1 = b[:, 0].reshape(shape), b[:, 1].reshape(shape)
    return ((((s0 >> 4) * b0) >> 16) + (((s1 >> 4) * b1) >> 16) + 2) >> 2


def _fixed_cubic_rows(xp: Any, buf: Any, axis: int, idx: Any, w: Any) -> Any:
    """OpenCV's uint8 height pass of bicubic: float32 on the 8-wide vector part of each
    row (rounded to nearest even), the fixed-point formula on the tail."""
    b = xp.rint(w * _ONE).astype(xp.int64)
    shape = [1] * buf.ndim
    shape[axis] = idx.shape[0]
    terms = [xp.take(buf, idx[:, k], axis=axis) for k in range(4)]
    bs = [b[:, k].reshape(shape) for k in range(4)]
    scalar = (sum(t * c for t, c in zip(terms, bs)) + (1 << 21)) >> 22
    fs = xp.float32(1.0 / (_ONE * _ONE))
    fb = [(c.astype(xp.float32) * fs).astype(xp.float32) for c in bs]
    ft = [t.astype(xp.float32) for t in terms]
    acc = ft[0] * fb[0] + ft[1] * fb[1]
    acc = acc + ft[2] * fb[2]
    acc = acc + ft[3] * fb[3]
    vec = xp.rint(acc).astype(xp.int64)
    width = buf.shape[-2] * buf.shape[-1]
    return _by_row_position(xp, vec, scalar, (width // 8) * 8 if width >= 8 else 0)


def _by_row_position(xp: Any, vec: Any, scalar: Any, x_end: int) -> Any:
    """*vec* where the flattened (width * channels) position in a row is < x_end."""
    w, c = vec.shape[-2], vec.shape[-1]
    pos = xp.arange(w * c).reshape(w, c)
    return xp.where(pos < x_end, vec, scalar)


def _resize_fixed(xp: Any, src: Any, hx: tuple, hy: tuple, method: str) -> Any:
    """uint8 bilinear/bicubic/Lanczos in OpenCV's fixed point."""
    ix, wx = hx
    iy, wy = hy
    ax = xp.rint(wx * _ONE).astype(xp.int64)
    buf = _gather_sum(xp, src, src.ndim - 2, ix, ax, xp.int64)
    axis = src.ndim - 3
    if method in ("linear", "area_up"):
        out = _fixed_linear_rows(xp, buf, axis, iy, wy)
    elif method == "cubic":
        out = _fixed_cubic_rows(xp, buf, axis, iy, wy)
    else:
        by = xp.rint(wy * _ONE).astype(xp.int64)
        out = (_gather_sum(xp, buf, axis, iy, by, xp.int64) + (1 << 21)) >> 22
    return xp.clip(out, 0, 255).astype(xp.uint8)


def _area_fast(xp: Any, src: Any, fy: int, fx: int) -> Any:
    """Whole-number shrink by (fy, fx): the box mean."""
    *lead, h, w, c = src.shape
    boxes = src.reshape(tuple(lead) + (h // fy, fy, w // fx, fx, c))
    nd = len(lead)
    if src.dtype == xp.uint8:
        total = boxes.sum(axis=(nd + 1, nd + 3), dtype=xp.int64)
        area = fy * fx
        if area == 4:          # OpenCV's SIMD 2x2 path: (sum + 2) >> 2
            return ((total + 2) >> 2).astype(xp.uint8)
        mean = total.astype(xp.float32) * xp.float32(1.0 / area)
        return xp.clip(xp.rint(mean), 0, 255).astype(xp.uint8)
    total = boxes.sum(axis=(nd + 1, nd + 3), dtype=src.dtype)
    return (total * src.dtype.type(1.0 / (fy * fx))).astype(src.dtype)


def resize_kernel(xp: Any, src: Any, h: int, w: int, interp: int) -> Any:
    """*src* (H, W, C) or (N, H, W, C), resized to (h, w) like ``cv::resize``."""
    h_in, w_in = src.shape[-3], src.shape[-2]
    if (h_in, w_in) == (h, w):
        return src.copy()
    scale_y, scale_x = h_in / h, w_in / w
    whole_x, whole_y = float(int(scale_x)) == scale_x, float(int(scale_y)) == scale_y
    if interp == LINEAR and whole_x and whole_y and int(scale_x) == 2 and int(scale_y) == 2:
        interp = AREA
    if interp == AREA and scale_x >= 1 and scale_y >= 1:
        if whole_x and whole_y:
            return _area_fast(xp, src, int(scale_y), int(scale_x))
        mx_ = my_ = "area_down"
    else:
        mx_ = my_ = {NEAREST: "nearest", LINEAR: "linear", CUBIC: "cubic", AREA: "area_up",
                     LANCZOS4: "lanczos"}[interp]
    tx = _taps(xp, w_in, w, mx_, True)
    ty = _taps(xp, h_in, h, my_, False)
    if mx_ == "nearest":
        return xp.take(xp.take(src, tx[0][:, 0], axis=src.ndim - 2), ty[0][:, 0],
                       axis=src.ndim - 3)
    if src.dtype == xp.uint8 and mx_ != "area_down":
        return _resize_fixed(xp, src, tx, ty, mx_)
    acc = xp.float32 if src.dtype == xp.uint8 else src.dtype
    buf = _gather_sum(xp, src, src.ndim - 2, tx[0], tx[1], acc)
    out = _gather_sum(xp, buf, src.ndim - 3, ty[0], ty[1], acc)
    if src.dtype == xp.uint8:
        return xp.clip(xp.rint(out), 0, 255).astype(xp.uint8)
    return out.astype(src.dtype, copy=False)
