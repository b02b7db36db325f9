"""Detection ops of the op table, vectorised against ``xp``: ``roi_pooling`` (MXNet's
ROIPooling: max pooling of each region of interest into a fixed grid of bins) and
``multibox_prior`` (MXNet's MultiBoxPrior: anchor boxes centred on each pixel).

The regions are rows ``[batch_index, x1, y1, x2, y2]`` in input coordinates, scaled
by ``spatial_scale`` and rounded half away from zero, as MXNet does.  A bin covers
rows ``floor(i * bh) .. ceil((i + 1) * bh)`` of its region (``bh`` = region height /
pooled height, the region at least one pixel), clipped to the map; an empty bin, and
every bin of a region whose batch index is negative, is 0.  The maximum of a bin is
found separably (over the columns of each column-bin, then over the rows), which gives
the first maximum in row-major order, the element MXNet's gradient goes to."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .ops import DTypeError, ShapeError, register
from .ops_nn import _add_at


def _pooled(pooled_size: Any) -> tuple[int, int]:
    try:
        ph, pw = (int(v) for v in pooled_size)
    except (TypeError, ValueError):
        raise ShapeError(f"roi_pooling: pooled_size must be two ints, got {pooled_size!r}") \
            from None
    if ph < 1 or pw < 1:
        raise ShapeError(f"roi_pooling: pooled_size must be positive, got {pooled_size!r}")
    return ph, pw


def _roi_infer(data: Any, rois: Any, pooled_size: Any, spatial_scale: float):
    ph, pw = _pooled(pooled_size)
    if len(data.shape) != 4 or len(rois.shape) != 2 or rois.shape[1] != 5:
        raise ShapeError(f"roi_pooling: data must be (N, C, H, W) and rois (R, 5) rows "
                         f"[batch_index, x1, y1, x2, y2], got data {tuple(data.shape)} "
                         f"and rois {tuple(rois.shape)}")
    if data.dtype.kind != "f" or rois.dtype.kind != "f":
        raise DTypeError(f"roi_pooling: data and rois must be floating point, got "
                         f"{data.dtype} and {rois.dtype}")
    return (rois.shape[0], data.shape[1], ph, pw), data.dtype


def _round_away(xp: Any, v: Any) -> Any:
    return xp.sign(v) * xp.floor(xp.abs(v) + 0.5)


def _bins(xp: Any, start: Any, end: Any, n: int, size: int) -> tuple[Any, Any]:
    """(R, n) first and one-past-last pixel of each bin along one axis."""
    length = xp.maximum(end - start + 1, 1)
    step = length / n
    k = xp.arange(n, dtype=step.dtype)
    lo = xp.clip(xp.floor(k[None, :] * step[:, None]) + start[:, None], 0, size)
    hi = xp.clip(xp.ceil((k[None, :] + 1) * step[:, None]) + start[:, None], 0, size)
    return lo, hi


def _roi_forward(xp: Any, data: Any, rois: Any, pooled_size: Any, spatial_scale: float):
    """(out, batch index, argmax row, argmax column, valid): out (R, C, ph, pw)."""
    ph, pw = _pooled(pooled_size)
    n, c, h, w = data.shape
    box = _round_away(xp, rois[:, 1:5].astype(xp.float64) * spatial_scale)
    x1, y1, x2, y2 = box[:, 0], box[:, 1], box[:, 2], box[:, 3]
    h0, h1 = _bins(xp, y1, y2, ph, h)                                  # (R, ph)
    w0, w1 = _bins(xp, x1, x2, pw, w)                                  # (R, pw)
    bidx = rois[:, 0].astype(xp.int64)
    feats = xp.take(data, xp.clip(bidx, 0, n - 1), axis=0)             # (R, C, H, W)
    neg = xp.asarray(-xp.inf, dtype=data.dtype)
    cols = xp.arange(w)
    rows = xp.arange(h)
    mw = (cols[None, None, :] >= w0[:, :, None]) & (cols[None, None, :] < w1[:, :, None])
    # over the columns of each column-bin: (R, C, H, pw, W) -> (R, C, H, pw)
    vw = xp.where(mw[:, None, None, :, :], feats[:, :, :, None, :], neg)
    aw = xp.argmax(vw, axis=-1)
    mxw = xp.max(vw, axis=-1)
    mh = (rows[None, None, :] >= h0[:, :, None]) & (rows[None, None, :] < h1[:, :, None])
    # over the rows of each row-bin: (R, C, ph, H, pw) -> (R, C, ph, pw)
    vh = xp.where(mh[:, None, :, :, None], mxw[:, :, None, :, :], neg)
    ah = xp.argmax(vh, axis=3)
    out = xp.max(vh, axis=3)
    valid = ((h1 > h0)[:, :, None] & (w1 > w0)[:, None, :])[:, None, :, :] \
        & (bidx >= 0)[:, None, None, None]
    out = xp.where(valid, out, xp.asarray(0, dtype=data.dtype))
    acol = xp.take_along_axis(aw, ah, axis=2)     # the winning row's winning column
    return out, bidx, ah, acol, valid


def _roi_kernel(xp: Any, data: Any, rois: Any, pooled_size: Any, spatial_scale: float):
    return _roi_forward(xp, data, rois, pooled_size, spatial_scale)[0]


def _roi_backward_kernel(xp: Any, g: Any, data: Any, rois: Any, pooled_size: Any,
                         spatial_scale: float):
    _, bidx, arow, acol, valid = _roi_forward(xp, data, rois, pooled_size, spatial_scale)
    n, c = data.shape[:2]
    r, _, ph, pw = g.shape
    b = xp.broadcast_to(xp.clip(bidx, 0, n - 1)[:, None, None, None], g.shape)
    ch = xp.broadcast_to(xp.arange(c)[None, :, None, None], g.shape)
    out = xp.zeros(data.shape, dtype=g.dtype)
    _add_at(xp, out, (b.reshape(-1), ch.reshape(-1), arow.reshape(-1), acol.reshape(-1)),
            xp.where(valid, g, xp.asarray(0, dtype=g.dtype)).reshape(-1))
    return out


_ROI_BACKWARD = register("_roi_pooling_backward", _roi_backward_kernel,
                         lambda g, data, rois, pooled_size, spatial_scale:
                         (tuple(data.shape), g.dtype))


def _roi_grad(g: Any, out: Any, data: Any, rois: Any, pooled_size: Any,
              spatial_scale: float):
    from .ndarray import apply_op

    return apply_op(_ROI_BACKWARD, (g, data, rois),
                    {"pooled_size": pooled_size, "spatial_scale": spatial_scale}), None


ROI_POOLING = register("roi_pooling", _roi_kernel, _roi_infer, _roi_grad)


# ----------------------------------------------------------------------------- multibox_prior
def _prior_params(sizes: Any, ratios: Any, steps: Any, offsets: Any):
    sizes = tuple(float(s) for s in sizes)
    ratios = tuple(float(r) for r in ratios)
    if not sizes or not ratios or any(s <= 0 for s in sizes) or any(r <= 0 for r in ratios):
        raise ShapeError(f"multibox_prior: sizes and ratios must be non-empty and positive, "
                         f"got sizes={sizes}, ratios={ratios}")
    if len(tuple(steps)) != 2 or len(tuple(offsets)) != 2:
        raise ShapeError(f"multibox_prior: steps and offsets must be pairs (y, x), got "
                         f"steps={tuple(steps)}, offsets={tuple(offsets)}")
    return sizes, ratios


def _prior_infer(data: Any, sizes: Any = (1.0,), ratios: Any = (1.0,), clip: bool = False,
                 steps: Any = (-1.0, -1.0), offsets: Any = (0.5, 0.5)):
    sizes, ratios = _prior_params(sizes, ratios, steps, offsets)
    if len(data.shape) < 4:
        raise ShapeError(f"multibox_prior: data must be (N, C, H, W), got {tuple(data.shape)}")
    if data.dtype.kind != "f":
        raise DTypeError(f"multibox_prior: data must be floating point, got {data.dtype}")
    h, w = data.shape[2], data.shape[3]
    return (1, h * w * (len(sizes) + len(ratios) - 1), 4), _onp.dtype(_onp.float32)


def _prior_kernel(xp: Any, data: Any, sizes: Any = (1.0,), ratios: Any = (1.0,),
                  clip: bool = False, steps: Any = (-1.0, -1.0),
                  offsets: Any = (0.5, 0.5)):
    """Anchors centred on every pixel, row-major: for each pixel the sizes with the
    first ratio, then the other ratios with the first size, as MXNet's MultiBoxPrior
    (a box is w = size * H / W * sqrt(ratio), h = size / sqrt(ratio), corners
    normalised to [0, 1] if *clip*)."""
    sizes, ratios = _prior_params(sizes, ratios, steps, offsets)
    h, w = data.shape[2], data.shape[3]
    sy = steps[0] if steps[0] > 0 else 1.0 / h
    sx = steps[1] if steps[1] > 0 else 1.0 / w
    f = xp.float32
    cy = (xp.arange(h, dtype=f) + f(offsets[0])) * f(sy)
    cx = (xp.arange(w, dtype=f) + f(offsets[1])) * f(sx)
    pairs = [(s, ratios[0]) for s in sizes] + [(sizes[0], r) for r in ratios[1:]]
    sr = xp.asarray([[s, r ** 0.5] for s, r in pairs], dtype=f)           # (A, 2)
    half_w = sr[:, 0] * f(h) / f(w) * sr[:, 1] / 2
    half_h = sr[:, 0] / sr[:, 1] / 2
    gy = xp.broadcast_to(cy[:, None, None], (h, w, len(pairs)))
    gx = xp.broadcast_to(cx[None, :, None], (h, w, len(pairs)))
    out = xp.stack([gx - half_w, gy - half_h, gx + half_w, gy + half_h], axis=-1)
    if clip:
        out = xp.clip(out, 0, 1)
    return out.reshape(1, -1, 4).astype(f)


MULTIBOX_PRIOR = register("multibox_prior", _prior_kernel, _prior_infer)
