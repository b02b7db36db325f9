"""Detection ops of the op table, vectorised against ``xp``: ``roi_pooling`` (MXNet's
ROIPooling: max pooling of each region of interest into a fixed grid of bins) and
``multibox_prior`` (MXNet's MultiBoxPrior: anchor boxes centred on each pixel),
``multibox_target`` (MultiBoxTarget: each anchor's class and box-offset training target)
and ``multibox_detection`` (MultiBoxDetection: decoded, sorted, non-maximum-suppressed
detections).

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


# ----------------------------------------------------------------------------- multibox_target
# Both multibox ops follow MXNet 1.9.1's CPU kernels step by step in the input's float
# type (float32 arithmetic where MXNet's is float32, exp and log rounded from float64 as
# a correctly rounded libm does), vectorised over the batch and the anchors.  The only
# Python loops are bounded greedy ones: the bipartite matching (one step per ground
# truth, at most the label's row count) and the non-maximum suppression (one step per
# kept detection, at most the anchor count), each step a whole-batch array op.
def _f32_exp(xp: Any, v: Any) -> Any:
    return xp.exp(v.astype(xp.float64)).astype(v.dtype)


def _f32_log(xp: Any, v: Any) -> Any:
    return xp.log(v.astype(xp.float64)).astype(v.dtype)


def _variances(opname: str, variances: Any) -> tuple[float, float, float, float]:
    v = tuple(float(x) for x in variances)
    if len(v) != 4:
        raise ShapeError(f"{opname}: variances must be 4 floats, got {variances!r}")
    return v  # type: ignore[return-value]


def _target_infer(anchor: Any, label: Any, cls_pred: Any, overlap_threshold: float = 0.5,
                  ignore_label: float = -1.0, negative_mining_ratio: float = -1.0,
                  negative_mining_thresh: float = 0.5, minimum_negative_samples: int = 0,
                  variances: Any = (0.1, 0.1, 0.2, 0.2)):
    _variances("multibox_target", variances)
    a, lab, p = tuple(anchor.shape), tuple(label.shape), tuple(cls_pred.shape)
    if len(a) != 3 or a[0] != 1 or a[1] < 1 or a[2] != 4:
        raise ShapeError(f"multibox_target: anchor must be (1, num_anchors, 4) shared by "
                         f"the batch, got {a}")
    if len(lab) != 3 or lab[1] < 1 or lab[2] < 5:
        raise ShapeError(f"multibox_target: label must be (batch, num_labels, >= 5) rows "
                         f"[class, xmin, ymin, xmax, ymax, ...], got {lab}")
    if len(p) != 3 or p[2] != a[1] or p[0] != lab[0]:
        raise ShapeError(f"multibox_target: cls_pred must be (batch, num_classes, "
                         f"num_anchors) = ({lab[0]}, C, {a[1]}), got {p}")
    for n, x in (("anchor", anchor), ("label", label), ("cls_pred", cls_pred)):
        if x.dtype.kind != "f":
            raise DTypeError(f"multibox_target: {n} must be floating point, got {x.dtype}")
    b, n = lab[0], a[1]
    dt = anchor.dtype
    return [((b, n * 4), dt), ((b, n * 4), dt), ((b, n), dt)]


def _box_iou(xp: Any, a: Any, g: Any, nonpositive: bool = False) -> Any:
    """IoU of corner boxes *a* (..., 4) and *g* (..., 4) broadcast, in their float type
    as MXNet's multibox kernels compute it: 0 where the union is 0 (MultiBoxTarget) or,
    with *nonpositive*, not positive (MultiBoxDetection)."""
    zero = xp.asarray(0, dtype=a.dtype)
    iw = xp.maximum(zero, xp.minimum(a[..., 2], g[..., 2]) - xp.maximum(a[..., 0], g[..., 0]))
    ih = xp.maximum(zero, xp.minimum(a[..., 3], g[..., 3]) - xp.maximum(a[..., 1], g[..., 1]))
    inter = iw * ih
    union = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]) \
        + (g[..., 2] - g[..., 0]) * (g[..., 3] - g[..., 1]) - inter
    bad = union <= 0 if nonpositive else union == 0
    with _onp.errstate(divide="ignore", invalid="ignore"):
        q = inter / xp.where(bad, xp.asarray(1, dtype=a.dtype), union)
    return xp.where(bad, zero, q)


def _target_kernel(xp: Any, anchor: Any, label: Any, cls_pred: Any,
                   overlap_threshold: float = 0.5, ignore_label: float = -1.0,
                   negative_mining_ratio: float = -1.0, negative_mining_thresh: float = 0.5,
                   minimum_negative_samples: int = 0,
                   variances: Any = (0.1, 0.1, 0.2, 0.2)):
    """(loc_target (B, A*4), loc_mask (B, A*4), cls_target (B, A)), as MXNet's
    MultiBoxTarget: the ground truths are the label rows before the first whose class is
    -1; each in turn takes the free anchor of highest IoU with a free ground truth
    (bipartite, first maximum in anchor-then-label order, IoU > 1e-6); then each other
    anchor whose best IoU exceeds *overlap_threshold* is positive for its best ground
    truth.  Negatives are all the other anchors, or with *negative_mining_ratio* > 0 the
    ``int(positives * ratio)`` anchors of best IoU below *negative_mining_thresh* with the
    lowest background softmax probability (stable order); the rest get *ignore_label*,
    as every anchor of an image without ground truth does.  *minimum_negative_samples*
    is accepted and unused, as in MXNet's CPU kernel."""
    v = _variances("multibox_target", variances)
    dt = anchor.dtype
    f = dt.type
    b, nl = label.shape[0], label.shape[1]
    na = anchor.shape[1]
    anc = anchor.reshape(na, 4)
    gt = label[:, :, 1:5]
    iou = _box_iou(xp, anc[None, :, None, :], gt[:, None, :, :])            # (B, A, L)
    valid = xp.cumprod((label[:, :, 0] != f(-1)).astype(xp.int8), axis=1).astype(bool)
    has_gt = valid[:, 0]
    rows = xp.arange(b)
    pos = xp.zeros((b, na), dtype=bool)
    match = xp.zeros((b, na), dtype=xp.int64)
    gt_done = ~valid
    neg_inf = xp.asarray(-xp.inf, dtype=dt)
    for _ in range(nl):                       # bipartite: one ground truth per step
        free = (~pos)[:, :, None] & (~gt_done)[:, None, :]
        flat = xp.where(free, iou, neg_inf).reshape(b, -1)
        idx = xp.argmax(flat, axis=1)
        ok = flat[rows, idx] > f(1e-6)
        if not bool(ok.any()):
            break
        j, k = idx // nl, idx % nl
        pos[rows[ok], j[ok]] = True
        match[rows[ok], j[ok]] = k[ok]
        gt_done[rows[ok], k[ok]] = True
        gt_done[~ok] = True                   # no good match left: that image is done
    best_iou = xp.where(valid[:, None, :], iou, neg_inf)
    best_gt = xp.argmax(best_iou, axis=2)
    max_iou = xp.max(best_iou, axis=2)                                      # (B, A)
    if overlap_threshold > 0:
        more = ~pos & (max_iou > f(overlap_threshold)) & has_gt[:, None]
        match = xp.where(more, best_gt, match)
        pos = pos | more
    if negative_mining_ratio > 0:
        if not negative_mining_thresh > 0:
            raise ShapeError(f"multibox_target: negative_mining_thresh must be > 0 with "
                             f"negative mining, got {negative_mining_thresh}")
        npos = pos.sum(axis=1)
        nneg = (npos.astype(_onp.float32) * _onp.float32(negative_mining_ratio)) \
            .astype(xp.int64)
        nneg = xp.minimum(nneg, na - npos)
        cand = ~pos & (max_iou < f(negative_mining_thresh))
        mx = xp.max(cls_pred, axis=1)                                       # (B, A)
        total = xp.zeros((b, na), dtype=dt)
        for c in range(cls_pred.shape[1]):    # MXNet's order of summation
            total = total + _f32_exp(xp, cls_pred[:, c, :] - mx)
        prob = _f32_exp(xp, cls_pred[:, 0, :] - mx) / total
        short = has_gt & (nneg > 0) & (cand.sum(axis=1) < nneg)
        if bool(short.any()):
            i = int(xp.argmax(short))
            raise ShapeError(f"multibox_target: image {i} has {int(cand[i].sum())} "
                             f"negative candidates (best IoU < negative_mining_thresh) for "
                             f"{int(nneg[i])} negatives to mine")
        key = xp.where(cand, prob, xp.asarray(xp.inf, dtype=dt))
        order = xp.argsort(key, axis=1, kind="stable")
        rank = xp.empty_like(order)
        xp.put_along_axis(rank, order, xp.broadcast_to(xp.arange(na), (b, na)), axis=1)
        neg = cand & (rank < nneg[:, None])
    else:
        neg = ~pos
    pos = pos & has_gt[:, None]
    neg = neg & has_gt[:, None] & ~pos
    cls_of = xp.take_along_axis(label[:, :, 0], match, axis=1)              # (B, A)
    cls_target = xp.where(pos, cls_of + f(1), xp.where(neg, f(0), f(ignore_label)))
    g = xp.take_along_axis(gt, match[:, :, None], axis=1)                   # (B, A, 4)
    a = anc[None]
    aw, ah = a[..., 2] - a[..., 0], a[..., 3] - a[..., 1]
    ax, ay = (a[..., 0] + a[..., 2]) * f(0.5), (a[..., 1] + a[..., 3]) * f(0.5)
    gw, gh = g[..., 2] - g[..., 0], g[..., 3] - g[..., 1]
    gx, gy = (g[..., 0] + g[..., 2]) * f(0.5), (g[..., 1] + g[..., 3]) * f(0.5)
    with _onp.errstate(divide="ignore", invalid="ignore"):
        loc = xp.stack([(gx - ax) / aw / f(v[0]), (gy - ay) / ah / f(v[1]),
                        _f32_log(xp, gw / aw) / f(v[2]), _f32_log(xp, gh / ah) / f(v[3])],
                       axis=-1)
    loc = xp.where(pos[:, :, None], loc, f(0)).astype(dt)
    mask = xp.broadcast_to(pos[:, :, None], (b, na, 4)).astype(dt)
    return loc.reshape(b, -1), mask.reshape(b, -1), cls_target.astype(dt)


MULTIBOX_TARGET = register("multibox_target", _target_kernel, _target_infer, nout=3)


# ----------------------------------------------------------------------------- multibox_detection
def _detect_infer(cls_prob: Any, loc_pred: Any, anchor: Any, clip: bool = True,
                  threshold: float = 0.01, background_id: int = 0, nms_threshold: float = 0.5,
                  force_suppress: bool = False, variances: Any = (0.1, 0.1, 0.2, 0.2),
                  nms_topk: int = -1):
    _variances("multibox_detection", variances)
    c, lp, a = tuple(cls_prob.shape), tuple(loc_pred.shape), tuple(anchor.shape)
    if len(c) != 3 or len(lp) != 2 or len(a) != 3 or a[2] != 4 or a[1] < 1:
        raise ShapeError(f"multibox_detection: cls_prob must be (batch, num_classes, "
                         f"num_anchors), loc_pred (batch, num_anchors*4), anchor (1, "
                         f"num_anchors, 4); got {c}, {lp}, {a}")
    if c[2] != a[1] or lp[1] != c[2] * 4 or lp[0] != c[0]:
        raise ShapeError(f"multibox_detection: the number of anchors differs: cls_prob "
                         f"{c}, loc_pred {lp}, anchor {a}")
    for n, x in (("cls_prob", cls_prob), ("loc_pred", loc_pred), ("anchor", anchor)):
        if x.dtype.kind != "f":
            raise DTypeError(f"multibox_detection: {n} must be floating point, got "
                             f"{x.dtype}")
    return (c[0], a[1], 6), cls_prob.dtype


def _detect_kernel(xp: Any, cls_prob: Any, loc_pred: Any, anchor: Any, clip: bool = True,
                   threshold: float = 0.01, background_id: int = 0,
                   nms_threshold: float = 0.5, force_suppress: bool = False,
                   variances: Any = (0.1, 0.1, 0.2, 0.2), nms_topk: int = -1):
    """(B, A, 6) rows [class, score, xmin, ymin, xmax, ymax], as MXNet's
    MultiBoxDetection: each anchor's best non-background class (class 0 is the
    background; *background_id* is accepted and unused, as in MXNet's CPU kernel) if its
    probability reaches *threshold*, its box decoded from *loc_pred*; the detections in
    anchor order, then (if 0 < nms_threshold <= 1) sorted by score (stable), the first
    *nms_topk* kept (the rest marked -1), and greedy NMS marks -1 the class of each box
    whose IoU with a higher-scored kept box (of the same class, or any with
    *force_suppress*) is >= *nms_threshold*; the unused rows are -1."""
    v = _variances("multibox_detection", variances)
    dt = cls_prob.dtype
    f = dt.type
    b, nc, na = cls_prob.shape
    rows = xp.arange(b)
    if nc > 1:
        fg = cls_prob[:, 1:, :]
        mx = xp.max(fg, axis=1)
        seen = mx > f(-1)
        cid = xp.where(seen, xp.argmax(fg, axis=1) + 1, 0)
        score = xp.where(seen, mx, f(-1)).astype(dt)
    else:
        cid = xp.zeros((b, na), dtype=xp.int64)
        score = xp.full((b, na), -1, dtype=dt)
    cid = xp.where((cid > 0) & (score < f(threshold)), 0, cid)
    anc = anchor.reshape(1, na, 4).astype(dt, copy=False)
    p = loc_pred.reshape(b, na, 4)
    aw, ah = anc[..., 2] - anc[..., 0], anc[..., 3] - anc[..., 1]
    ax, ay = (anc[..., 0] + anc[..., 2]) / f(2), (anc[..., 1] + anc[..., 3]) / f(2)
    ox = p[..., 0] * f(v[0]) * aw + ax
    oy = p[..., 1] * f(v[1]) * ah + ay
    ow = _f32_exp(xp, p[..., 2] * f(v[2])) * aw / f(2)
    oh = _f32_exp(xp, p[..., 3] * f(v[3])) * ah / f(2)
    box = xp.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=-1)
    if clip:
        box = xp.maximum(f(0), xp.minimum(f(1), box))
    det = xp.concatenate([(cid - 1).astype(dt)[..., None], score[..., None],
                          box.astype(dt)], axis=-1)                         # (B, A, 6)
    valid = cid > 0
    count = valid.sum(axis=1)
    order = xp.argsort(~valid, axis=1, kind="stable")        # the detections, anchor order
    det = xp.take_along_axis(det, order[:, :, None], axis=1)
    pos = xp.arange(na)[None, :]
    det = xp.where((pos < count[:, None])[:, :, None], det, f(-1))
    if not 0 < nms_threshold <= 1:
        return det
    key = xp.where(pos < count[:, None], -det[:, :, 1], xp.asarray(xp.inf, dtype=dt))
    srt = xp.take_along_axis(det, xp.argsort(key, axis=1, kind="stable")[:, :, None], axis=1)
    nkeep = xp.minimum(count, nms_topk) if nms_topk > 0 else count
    kept = pos < nkeep[:, None]
    det[:, :, 0] = xp.where(pos < count[:, None], f(-1), det[:, :, 0])
    out = xp.where(kept[:, :, None], srt, det)
    cls, bx = out[:, :, 0], out[:, :, 2:6]
    alive = kept.copy()
    cur = xp.full((b,), -1, dtype=xp.int64)
    for _ in range(na):                       # greedy NMS: one kept box per step
        cand = alive & (pos > cur[:, None])
        has = cand.any(axis=1)
        if not bool(has.any()):
            break
        i = xp.argmax(cand, axis=1)
        ov = _box_iou(xp, bx[rows, i][:, None, :], bx, nonpositive=True)
        same = xp.ones_like(cand) if force_suppress else cls == cls[rows, i][:, None]
        alive &= ~(cand & (pos > i[:, None]) & same & (ov >= f(nms_threshold))
                   & has[:, None])
        cur = xp.where(has, i, na)
    out[:, :, 0] = xp.where(kept & ~alive, f(-1), cls)
    return out


MULTIBOX_DETECTION = register("multibox_detection", _detect_kernel, _detect_infer)
