"""Spatial transformer ops of mx.nd: ``GridGenerator`` (affine or warp sampling grids),
``BilinearSampler`` (bilinear sampling of (N, C, H, W) data at normalized grid points,
zero outside), and ``SpatialTransformer`` (the two together), composed from np ops so
autograd differentiates them with respect to the data and the grid."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .. import numpy as _np
from ..ndarray.ops import ShapeError
from ._util import OpParamError, arr, ret

__all__ = ["GridGenerator", "BilinearSampler", "SpatialTransformer"]


def _base_grid(h: int, w: int, dtype: Any, device: Any) -> Any:
    """(3, h*w): the normalized target coordinates x, y in [-1, 1], and ones."""
    xs = _onp.linspace(-1, 1, w) if w > 1 else _onp.zeros(1)
    ys = _onp.linspace(-1, 1, h) if h > 1 else _onp.zeros(1)
    gx, gy = _onp.meshgrid(xs, ys)
    g = _onp.stack([gx.ravel(), gy.ravel(), _onp.ones(h * w)])
    return _np.array(g, dtype=dtype, ctx=device)


def GridGenerator(data: Any, transform_type: str = "affine", target_shape: Any = (0, 0),
                  out: Any = None, name: Any = None) -> Any:
    """The sampling grid (N, 2, H, W) of normalized source coordinates: from affine
    parameters (N, 6) over *target_shape*, or from a pixel flow (N, 2, H, W) (``warp``)."""
    a = arr(data, "GridGenerator")
    if transform_type == "affine":
        h, w = (int(v) for v in target_shape)
        if a.ndim != 2 or a.shape[1] != 6 or h <= 0 or w <= 0:
            raise ShapeError(f"GridGenerator: affine data must be (N, 6) with a target_shape "
                             f"(H, W), got {a.shape} and {target_shape}")
        theta = a.reshape((a.shape[0], 2, 3))
        g = _np.matmul(theta, _base_grid(h, w, a.dtype, a.device))
        return ret(g.reshape((a.shape[0], 2, h, w)), out)
    if transform_type != "warp":
        raise OpParamError(f"GridGenerator: transform_type must be 'affine' or 'warp', got "
                           f"{transform_type!r}")
    if a.ndim != 4 or a.shape[1] != 2:
        raise ShapeError(f"GridGenerator: warp data must be a flow (N, 2, H, W), got {a.shape}")
    n, _, h, w = a.shape
    xs = _np.arange(w, dtype=a.dtype, ctx=a.device).reshape((1, 1, w))
    ys = _np.arange(h, dtype=a.dtype, ctx=a.device).reshape((1, h, 1))
    gx = (a[:, 0] + xs) * (2.0 / max(w - 1, 1)) - 1
    gy = (a[:, 1] + ys) * (2.0 / max(h - 1, 1)) - 1
    return ret(_np.stack([gx, gy], axis=1), out)


def _sample(x: Any, grid: Any) -> Any:
    n, c, h, w = x.shape
    ho, wo = grid.shape[2], grid.shape[3]
    gx = (grid[:, 0] + 1) * ((w - 1) / 2.0)
    gy = (grid[:, 1] + 1) * ((h - 1) / 2.0)
    x0 = _np.floor(gx)
    y0 = _np.floor(gy)
    flat = x.reshape((n, c, h * w))
    out = None
    for dy in (0, 1):
        for dx in (0, 1):
            xi = x0 + dx
            yi = y0 + dy
            wgt = (1 - abs(gx - xi)) * (1 - abs(gy - yi))
            valid = (xi >= 0) * (xi <= w - 1) * (yi >= 0) * (yi <= h - 1)
            idx = (_np.clip(yi, 0, h - 1) * w + _np.clip(xi, 0, w - 1)).astype(_onp.int64)
            idx = _np.broadcast_to(idx.reshape((n, 1, ho * wo)), (n, c, ho * wo))
            vals = _np.take_along_axis(flat, idx, axis=2).reshape((n, c, ho, wo))
            term = vals * (wgt * valid).reshape((n, 1, ho, wo))
            out = term if out is None else out + term
    return out


def BilinearSampler(data: Any, grid: Any, cudnn_off: Any = None, out: Any = None,
                    name: Any = None) -> Any:
    """(N, C, H, W) data sampled bilinearly at the normalized points of *grid*
    (N, 2, Ho, Wo) (x first; -1 and 1 are the border pixels' centres; zero outside)."""
    x = arr(data, "BilinearSampler")
    g = arr(grid, "BilinearSampler", "grid")
    if x.ndim != 4 or g.ndim != 4 or g.shape[1] != 2 or g.shape[0] != x.shape[0]:
        raise ShapeError(f"BilinearSampler: data must be (N, C, H, W) and grid (N, 2, Ho, Wo), "
                         f"got {x.shape} and {g.shape}")
    return ret(_sample(x, g), out)


def SpatialTransformer(data: Any, loc: Any, target_shape: Any = (0, 0),
                       transform_type: Any = None, sampler_type: Any = None,
                       cudnn_off: Any = None, out: Any = None, name: Any = None) -> Any:
    """BilinearSampler(data, GridGenerator(loc, 'affine', target_shape)); transform_type
    ('affine') and sampler_type ('bilinear') are required, as in MXNet."""
    if transform_type is None or sampler_type is None:
        raise OpParamError("SpatialTransformer: the parameters transform_type ('affine') and "
                           "sampler_type ('bilinear') are required")
    if transform_type != "affine" or sampler_type != "bilinear":
        raise OpParamError("SpatialTransformer: only transform_type='affine' and "
                           "sampler_type='bilinear' exist (as in MXNet)")
    g = GridGenerator(loc, "affine", target_shape)
    return BilinearSampler(data, g, out=out)


def ROIPooling(data: Any, rois: Any, pooled_size: Any, spatial_scale: float,
               out: Any = None, name: Any = None) -> Any:
    """Max pooling of each region of interest (rows [batch_index, x1, y1, x2, y2] of
    *rois*, scaled by *spatial_scale* and rounded) into pooled_size bins: (R, C, ph, pw);
    an empty bin gives 0 (the op table's ``roi_pooling``, as ``npx.roi_pooling``)."""
    from ..ndarray.ndarray import apply_op
    from ..ndarray.ops import OPS

    x = arr(data, "ROIPooling")
    r = arr(rois, "ROIPooling", "rois")
    ps = (pooled_size, pooled_size) if isinstance(pooled_size, int) else tuple(pooled_size)
    return ret(apply_op(OPS["roi_pooling"], (x, r),
                        {"pooled_size": ps, "spatial_scale": float(spatial_scale)}), out)


__all__ += ["ROIPooling"]
