"""The image ops (MXNet's ``npx.image`` / ``nd.image`` operators): to_tensor,
normalize, resize, crop, the flips, the colour jitters, PCA lighting and rotation.

Each is one op of the op table (``ndarray.ops.register``, listed in OPS once this
module is imported: kernel on ``xp``, shape/dtype rule, gradient where it has one),
pushed to the engine like any other: the call checks shapes and dtypes and returns at
once.  The random ones draw their factors with ``ndengine.np.random`` (the
device generator, seeded by ``mx.random.seed``) as arrays that the kernel reads, so
nothing blocks and results for a seed do not depend on the schedule; the draws differ
from MXNet's own generator, so only their distribution matches MXNet's.

Images are (H, W, C) and batches (N, H, W, C); ``to_tensor`` makes (C, H, W) /
(N, C, H, W), which ``normalize`` takes.  MXNet's random colour ops and flips take
single images only; here they take batches too, with one draw per image.

Arithmetic follows MXNet's kernels: colour ops compute in float32 and convert back to
the input's dtype as ``static_cast`` does (uint8: clamped to [0, 255], then truncated),
and resizing is OpenCV's (see :mod:`._resize`).
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable

from .. import numpy as _np
from ..ndarray.ndarray import NDArray, apply_op
from ..ndarray.ops import DTypeError, ShapeError, register
from . import _resize

__all__ = ["to_tensor", "normalize", "resize", "crop", "flip_left_right", "flip_top_bottom",
           "random_flip_left_right", "random_flip_top_bottom", "random_brightness",
           "random_contrast", "random_saturation", "random_hue", "random_color_jitter",
           "adjust_lighting", "random_lighting"]

_GRAY = (0.299, 0.587, 0.114)
# AlexNet's PCA of ImageNet's RGB values (MXNet's adjust_lighting)
_EIGVAL = (55.46, 4.794, 1.148)
_EIGVEC = ((-0.5675, 0.7192, 0.4009), (-0.5808, -0.0045, -0.8140),
           (-0.5836, -0.6948, 0.4203))


def _is_legacy(x: Any) -> bool:
    return x.__class__ is not NDArray and hasattr(x, "as_np_ndarray")


def _legacy_aware(fn: Callable) -> Callable:
    """A legacy ``mx.nd`` array in gives a legacy array out (the op runs on the np
    array it shares its buffer with, so nothing is copied)."""
    @functools.wraps(fn)
    def wrapper(data: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_legacy(data):
            return fn(data, *args, **kwargs)
        from ..legacy.ndarray import wrap

        return wrap(fn(data.as_np_ndarray(), *args, **kwargs))
    return wrapper


def _check_array(x: Any, opname: str) -> NDArray:
    if not isinstance(x, NDArray):
        raise DTypeError(f"{opname}: expected an ndengine array, got {type(x).__name__}")
    return x


def _image_rank(shape: tuple, opname: str, what: str = "(H, W, C) or (N, H, W, C)") -> None:
    if len(shape) not in (3, 4):
        raise ShapeError(f"{opname}: input must have shape {what}, got {tuple(shape)}")


def _rgb_or_gray(shape: tuple, opname: str) -> None:
    _image_rank(shape, opname)
    if shape[-1] not in (1, 3):
        raise ShapeError(f"{opname}: the last axis of the image must be its 1 or 3 "
                         f"channels, got shape {tuple(shape)}")


def _saturate(xp: Any, val: Any, dtype: Any) -> Any:
    """float32 values to *dtype* as MXNet's saturate_cast: uint8 clamps to [0, 255] and
    truncates; other types convert (integers truncate)."""
    if dtype == xp.uint8:
        return xp.clip(val, 0, 255).astype(xp.uint8)
    return val.astype(dtype)


def _per_image(xp: Any, v: Any, ndim: int) -> Any:
    """Per-image values (N,) or () shaped to broadcast over (N, H, W, C) / (H, W, C)."""
    return v.reshape((-1,) + (1,) * (ndim - 1)) if ndim == 4 else v.reshape(())


# ----------------------------------------------------------------------------- to_tensor
def _to_tensor_kernel(xp: Any, x: Any) -> Any:
    axes = (2, 0, 1) if x.ndim == 3 else (0, 3, 1, 2)
    out = xp.ascontiguousarray(x.transpose(axes)).astype(xp.float32)
    out /= xp.float32(255.0)
    return out


def _to_tensor_infer(x: Any) -> tuple:
    s = tuple(x.shape)
    _image_rank(s, "to_tensor")
    if x.dtype.kind not in "biuf":
        raise DTypeError(f"to_tensor: unsupported dtype {x.dtype}")
    out = (s[2], s[0], s[1]) if len(s) == 3 else (s[0], s[3], s[1], s[2])
    return out, _np.float32


def _to_tensor_grad(g: Any, out: Any, x: Any) -> tuple:
    if x.dtype.kind != "f":
        return (None,)
    axes = (1, 2, 0) if x.ndim == 3 else (0, 2, 3, 1)
    return ((g / 255.0).transpose(axes).astype(x.dtype),)


_TO_TENSOR = register("to_tensor", _to_tensor_kernel, _to_tensor_infer, _to_tensor_grad)


@_legacy_aware
def to_tensor(data: Any) -> NDArray:
    """(H, W, C) or (N, H, W, C) image(s) in [0, 255] to float32 (C, H, W) /
    (N, C, H, W) in [0, 1] (``npx.image.to_tensor``)."""
    return apply_op(_TO_TENSOR, (_check_array(data, "to_tensor"),))


# ----------------------------------------------------------------------------- normalize
def _as_floats(v: Any, name: str, opname: str) -> tuple:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (float(v),)
    try:
        vals = tuple(float(a) for a in v)
    except TypeError:
        raise DTypeError(f"{opname}: {name} must be a number or a sequence of numbers, "
                         f"got {v!r}") from None
    if not vals:
        raise ShapeError(f"{opname}: {name} must not be empty")
    return vals


def _normalize_kernel(xp: Any, x: Any, mean: tuple, std: tuple) -> Any:
    c = x.shape[-3]
    shape = (c, 1, 1)
    m = xp.asarray(mean * c if len(mean) == 1 else mean, dtype=xp.float32).reshape(shape)
    s = xp.asarray(std * c if len(std) == 1 else std, dtype=xp.float32).reshape(shape)
    if x.dtype == xp.float64:
        return (x - m.astype(xp.float64)) / s.astype(xp.float64)
    out = (x.astype(xp.float32) - m) / s
    return out.astype(x.dtype)


def _normalize_infer(x: Any, mean: tuple, std: tuple) -> tuple:
    s = tuple(x.shape)
    _image_rank(s, "normalize", "(C, H, W) or (N, C, H, W)")
    c = s[-3]
    if c not in (1, 3):
        raise ShapeError(f"normalize: the channel axis (axis {len(s) - 3}) must have 1 or "
                         f"3 elements, got input with shape {s}")
    for name, v in (("mean", mean), ("std", std)):
        if len(v) not in (1, c):
            raise ShapeError(f"normalize: {name} must have 1 or {c} elements for an input "
                             f"of shape {s}, got {list(v)}")
    if any(v == 0 for v in std):
        raise ValueError(f"normalize: std must not contain 0, got {list(std)}")
    return s, x.dtype


def _normalize_grad(g: Any, out: Any, x: Any, mean: tuple, std: tuple) -> tuple:
    c = x.shape[-3]
    s = std * c if len(std) == 1 else std
    inv = _np.array([1.0 / v for v in s], dtype=g.dtype, ctx=g.device).reshape((c, 1, 1))
    return (g * inv,)


_NORMALIZE = register("normalize", _normalize_kernel, _normalize_infer, _normalize_grad)


@_legacy_aware
def normalize(data: Any, mean: Any = 0.0, std: Any = 1.0) -> NDArray:
    """``(data - mean) / std`` per channel of a (C, H, W) or (N, C, H, W) tensor; *mean*
    and *std* are numbers or one value per channel (``npx.image.normalize``)."""
    mean = _as_floats(mean, "mean", "normalize")
    std = _as_floats(std, "std", "normalize")
    return apply_op(_NORMALIZE, (_check_array(data, "normalize"),),
                    {"mean": mean, "std": std})


# ----------------------------------------------------------------------------- resize
_RESIZE_DTYPES = ("uint8", "float32", "float64")


def check_interp(interp: Any, opname: str) -> int:
    if isinstance(interp, bool) or not isinstance(interp, int) or \
            interp not in _resize.METHODS:
        raise ValueError(f"{opname}: interpolation must be one of "
                         f"{', '.join(f'{k} ({v})' for k, v in _resize.METHODS.items())}, "
                         f"got {interp!r}")
    return interp


def _resize_infer(x: Any, h: int, w: int, interp: int) -> tuple:
    s = tuple(x.shape)
    _image_rank(s, "resize")
    if str(x.dtype) not in _RESIZE_DTYPES:
        raise DTypeError(f"resize: images of dtype {x.dtype} are not supported (OpenCV "
                         f"resizes {', '.join(_RESIZE_DTYPES)})")
    if s[-3] == 0 or s[-2] == 0:
        raise ShapeError(f"resize: cannot resize an empty image of shape {s}")
    return s[:-3] + (h, w, s[-1]), x.dtype


_RESIZE = register("resize", _resize.resize_kernel, _resize_infer)


def _positive_int(v: Any, name: str, opname: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int,)) and not hasattr(v, "__index__"):
        raise DTypeError(f"{opname}: {name} must be an int, got {v!r}")
    v = int(v)
    if v <= 0:
        raise ShapeError(f"{opname}: {name} must be greater than 0, got {v}")
    return v


def resize_hw(x: Any, h: int, w: int, interp: int, opname: str = "resize") -> NDArray:
    """*x* resized to height *h*, width *w* with OpenCV's method *interp*."""
    h = _positive_int(h, "height", opname)
    w = _positive_int(w, "width", opname)
    check_interp(interp, opname)
    return apply_op(_RESIZE, (_check_array(x, opname),), {"h": h, "w": w, "interp": interp})


def target_size(h: int, w: int, size: Any, keep_ratio: bool, opname: str) -> tuple[int, int]:
    """(height, width) for ``size`` (an int, or (width, height)), as MXNet's resize."""
    if isinstance(size, (list, tuple)):
        if len(size) == 1:
            size = size[0]
        elif len(size) != 2:
            raise ShapeError(f"{opname}: size must be an int or (width, height), got "
                             f"{tuple(size)}")
        else:
            return (_positive_int(size[1], "height", opname),
                    _positive_int(size[0], "width", opname))
    size = _positive_int(size, "size", opname)
    if not keep_ratio:
        return size, size
    if h > w:
        return h * size // w, size
    return size, w * size // h


@_legacy_aware
def resize(data: Any, size: Any = (), keep_ratio: bool = False, interp: int = 1) -> NDArray:
    """Resize (H, W, C) or (N, H, W, C) image(s) to ``size`` ((width, height), or an
    int: a square, or the short edge with *keep_ratio*) with OpenCV's interpolation
    *interp* (``npx.image.resize``)."""
    data = _check_array(data, "resize")
    _image_rank(data.shape, "resize")
    h, w = target_size(data.shape[-3], data.shape[-2], size, keep_ratio, "resize")
    return resize_hw(data, h, w, interp)


# ----------------------------------------------------------------------------- crop
def _crop_kernel(xp: Any, x: Any, x0: int, y0: int, w: int, h: int) -> Any:
    return x[..., y0:y0 + h, x0:x0 + w, :].copy()


def _crop_infer(x: Any, x0: int, y0: int, w: int, h: int) -> tuple:
    s = tuple(x.shape)
    _image_rank(s, "crop")
    if x0 < 0 or y0 < 0 or w <= 0 or h <= 0:
        raise ValueError(f"crop: x {x0}, y {y0} must be >= 0 and width {w}, height {h} > 0")
    if x0 + w > s[-2] or y0 + h > s[-3]:
        raise ValueError(f"crop: the box x {x0} + width {w}, y {y0} + height {h} does not fit "
                         f"in an image of width {s[-2]} and height {s[-3]} (shape {s})")
    return s[:-3] + (h, w, s[-1]), x.dtype


def _crop_grad(g: Any, out: Any, x: Any, x0: int, y0: int, w: int, h: int) -> tuple:
    return (apply_op(_UNCROP, (g,), {"shape": tuple(x.shape), "x0": x0, "y0": y0}),)


def _uncrop_kernel(xp: Any, g: Any, shape: tuple, x0: int, y0: int) -> Any:
    out = xp.zeros(shape, dtype=g.dtype)
    out[..., y0:y0 + g.shape[-3], x0:x0 + g.shape[-2], :] = g
    return out


_CROP = register("crop", _crop_kernel, _crop_infer, _crop_grad, kind="copy")
_UNCROP = register("crop_backward", _uncrop_kernel,
                   lambda g, shape, x0, y0: (tuple(shape), g.dtype), kind="copy")


@_legacy_aware
def crop(data: Any, x: int, y: int, width: int, height: int) -> NDArray:
    """The box of *width* x *height* at column *x*, row *y* of (H, W, C) or
    (N, H, W, C) image(s), copied (``npx.image.crop``)."""
    return apply_op(_CROP, (_check_array(data, "crop"),),
                    {"x0": int(x), "y0": int(y), "w": int(width), "h": int(height)})


# ----------------------------------------------------------------------------- flips
def _flip_kernel(xp: Any, x: Any, axis: int) -> Any:
    return xp.ascontiguousarray(xp.flip(x, axis=axis))


def _flip_infer(x: Any, axis: int) -> tuple:
    _image_rank(tuple(x.shape), "flip")
    return tuple(x.shape), x.dtype


def _flip_grad(g: Any, out: Any, x: Any, axis: int) -> tuple:
    return (apply_op(_FLIP, (g,), {"axis": axis}),)


_FLIP = register("image_flip", _flip_kernel, _flip_infer, _flip_grad, kind="copy")


@_legacy_aware
def flip_left_right(data: Any) -> NDArray:
    """Mirror (H, W, C) or (N, H, W, C) image(s) left to right."""
    return apply_op(_FLIP, (_check_array(data, "flip_left_right"),), {"axis": -2})


@_legacy_aware
def flip_top_bottom(data: Any) -> NDArray:
    """Mirror (H, W, C) or (N, H, W, C) image(s) top to bottom."""
    return apply_op(_FLIP, (_check_array(data, "flip_top_bottom"),), {"axis": -3})


def _random_flip_kernel(xp: Any, x: Any, u: Any, axis: int) -> Any:
    flip = _per_image(xp, u < 0.5, x.ndim)
    return xp.where(flip, xp.flip(x, axis=axis), x)


def _random_flip_infer(x: Any, u: Any, axis: int) -> tuple:
    _image_rank(tuple(x.shape), "random_flip")
    return tuple(x.shape), x.dtype


_RANDOM_FLIP = register("image_random_flip", _random_flip_kernel, _random_flip_infer)


def _draws(x: NDArray, low: float = 0.0, high: float = 1.0) -> NDArray:
    """One uniform draw per image of *x* (on x's device, from its generator)."""
    n = x.shape[0] if x.ndim == 4 else 1
    return _np.random.uniform(low, high, size=(n,), ctx=x.device)


@_legacy_aware
def random_flip_left_right(data: Any) -> NDArray:
    """Mirror each image left to right with probability 0.5."""
    data = _check_array(data, "random_flip_left_right")
    _image_rank(data.shape, "random_flip_left_right")
    return apply_op(_RANDOM_FLIP, (data, _draws(data)), {"axis": -2})


@_legacy_aware
def random_flip_top_bottom(data: Any) -> NDArray:
    """Mirror each image top to bottom with probability 0.5."""
    data = _check_array(data, "random_flip_top_bottom")
    _image_rank(data.shape, "random_flip_top_bottom")
    return apply_op(_RANDOM_FLIP, (data, _draws(data)), {"axis": -3})


# ----------------------------------------------------------------------------- colour
def _brightness(xp: Any, x: Any, alpha: Any) -> Any:
    return x.astype(xp.float32) * alpha


def _contrast(xp: Any, x: Any, alpha: Any) -> Any:
    xf = x.astype(xp.float32)
    hw_axes = (-3, -2, -1)
    if x.shape[-1] == 3:
        coef = xp.asarray(_GRAY, dtype=xp.float32)
        total = (xf * coef).sum(axis=hw_axes, keepdims=True)
    else:
        total = xf.sum(axis=hw_axes, keepdims=True)
    mean = total / xp.float32(x.shape[-3] * x.shape[-2])
    return xf * alpha + (xp.float32(1) - alpha) * mean


def _saturation(xp: Any, x: Any, alpha: Any) -> Any:
    xf = x.astype(xp.float32)
    if x.shape[-1] == 1:
        return xf
    coef = xp.asarray(_GRAY, dtype=xp.float32)
    gray = (xf * coef).sum(axis=-1, keepdims=True)
    return gray * (xp.float32(1) - alpha) + xf * alpha


_HLS_SECTORS = ((1, 3, 0), (1, 0, 2), (3, 0, 1), (0, 2, 1), (0, 1, 3), (2, 1, 0))


def _hue(xp: Any, x: Any, alpha: Any) -> Any:
    """Rotate the hue by ``alpha * 360`` degrees through HLS (MXNet's AdjustHue)."""
    xf = x.astype(xp.float32)
    if x.shape[-1] == 1:
        return xf
    one = xp.float32(1)
    r, g, b = (xf[..., i] / xp.float32(255) for i in range(3))
    vmax = xp.maximum(xp.maximum(r, g), b)
    vmin = xp.minimum(xp.minimum(r, g), b)
    diff = vmax - vmin
    light = (vmax + vmin) * xp.float32(0.5)
    chroma = diff > _resize._FLT_EPSILON
    safe = xp.where(chroma, diff, one)
    sat = xp.where(light < 0.5, diff / xp.where(chroma, vmax + vmin, one),
                   diff / xp.where(chroma, xp.float32(2) - vmax - vmin, one))
    sat = xp.where(chroma, sat, xp.float32(0))
    d = xp.float32(60) / safe
    h = xp.where(vmax == r, (g - b) * d,
                 xp.where(vmax == g, (b - r) * d + xp.float32(120), (r - g) * d + xp.float32(240)))
    h = xp.where(h < 0, h + xp.float32(360), h)
    h = xp.where(chroma, h, xp.float32(0))
    alpha = alpha.reshape(alpha.shape[:-1]) if alpha.ndim else alpha
    h = h + alpha * xp.float32(360)
    p2 = xp.where(light <= 0.5, light * (one + sat), light + sat - light * sat)
    p1 = xp.float32(2) * light - p2
    h = xp.mod(h * xp.float32(1.0 / 60.0), xp.float32(6))
    h = xp.where(h >= 6, h - 6, h)
    sector = xp.clip(h.astype(xp.int64), 0, 5)
    h = h - sector.astype(xp.float32)
    tab = xp.stack([p2, p1, p1 + (p2 - p1) * (one - h), p1 + (p2 - p1) * h], axis=-1)
    sectors = xp.asarray(_HLS_SECTORS)[sector]           # (..., 3): b, g, r positions
    pick = xp.take_along_axis(tab, sectors, axis=-1)
    grey = sat == 0
    bb = xp.where(grey, light, pick[..., 0])
    gg = xp.where(grey, light, pick[..., 1])
    rr = xp.where(grey, light, pick[..., 2])
    return xp.stack([rr, gg, bb], axis=-1) * xp.float32(255)


_ADJUST = {"brightness": _brightness, "contrast": _contrast, "saturation": _saturation,
           "hue": _hue}


def _adjust_kernel(xp: Any, x: Any, alpha: Any, kind: str) -> Any:
    a = _per_image(xp, alpha.astype(xp.float32), x.ndim)
    return _saturate(xp, _ADJUST[kind](xp, x, a), x.dtype)


def _adjust_infer(x: Any, alpha: Any, kind: str) -> tuple:
    _rgb_or_gray(tuple(x.shape), f"random_{kind}")
    if x.dtype.kind not in "iuf":
        raise DTypeError(f"random_{kind}: unsupported dtype {x.dtype}")
    return tuple(x.shape), x.dtype


_ADJUST_OP = register("image_adjust", _adjust_kernel, _adjust_infer)


def _factor_range(lo: Any, hi: Any, opname: str) -> tuple[float, float]:
    lo, hi = float(lo), float(hi)
    if lo < 0 or hi < 0:
        raise ShapeError(f"{opname}: min_factor {lo} and max_factor {hi} must be >= 0")
    return lo, hi


def _random_adjust(data: Any, lo: Any, hi: Any, kind: str) -> NDArray:
    opname = f"random_{kind}"
    data = _check_array(data, opname)
    _rgb_or_gray(data.shape, opname)
    lo, hi = _factor_range(lo, hi, opname)
    return apply_op(_ADJUST_OP, (data, _draws(data, lo, hi)), {"kind": kind})


@_legacy_aware
def random_brightness(data: Any, min_factor: float, max_factor: float) -> NDArray:
    """Scale each image by a factor drawn from [min_factor, max_factor]."""
    return _random_adjust(data, min_factor, max_factor, "brightness")


@_legacy_aware
def random_contrast(data: Any, min_factor: float, max_factor: float) -> NDArray:
    """Blend each image with its mean grey level: ``x * a + (1 - a) * mean``, a drawn
    from [min_factor, max_factor]."""
    return _random_adjust(data, min_factor, max_factor, "contrast")


@_legacy_aware
def random_saturation(data: Any, min_factor: float, max_factor: float) -> NDArray:
    """Blend each pixel with its grey level (0.299 R + 0.587 G + 0.114 B):
    ``x * a + (1 - a) * grey``, a drawn from [min_factor, max_factor]."""
    return _random_adjust(data, min_factor, max_factor, "saturation")


@_legacy_aware
def random_hue(data: Any, min_factor: float, max_factor: float) -> NDArray:
    """Rotate each image's hue by ``a * 360`` degrees, a drawn from
    [min_factor, max_factor]."""
    return _random_adjust(data, min_factor, max_factor, "hue")


_JITTER_ORDER = ("brightness", "contrast", "saturation", "hue")


def _jitter_kernel(xp: Any, x: Any, keys: Any, alphas: Any, active: tuple) -> Any:
    """The four adjustments in a random order per image (MXNet's random_color_jitter):
    step by step, each image gets the adjustment its order names at that step."""
    order = xp.argsort(keys, axis=1)                      # (N, 4)
    out = x
    for step in range(4):
        for k, kind in enumerate(_JITTER_ORDER):
            if not active[k]:
                continue
            chosen = order[:, step] == k                  # (N,)
            a = _per_image(xp, alphas[:, k], x.ndim)
            adjusted = _saturate(xp, _ADJUST[kind](xp, out, a), x.dtype)
            out = xp.where(_per_image(xp, chosen, x.ndim), adjusted, out)
    return out if out is not x else x.copy()


def _jitter_infer(x: Any, keys: Any, alphas: Any, active: tuple) -> tuple:
    _rgb_or_gray(tuple(x.shape), "random_color_jitter")
    return tuple(x.shape), x.dtype


_JITTER = register("image_color_jitter", _jitter_kernel, _jitter_infer)


@_legacy_aware
def random_color_jitter(data: Any, brightness: float = 0, contrast: float = 0,
                        saturation: float = 0, hue: float = 0) -> NDArray:
    """Brightness, contrast, saturation (factors ``1 + U(-v, v)``) and hue (a turn of
    ``U(-hue, hue)``) jitters, those whose amount is > 0, in a random order per image."""
    data = _check_array(data, "random_color_jitter")
    _rgb_or_gray(data.shape, "random_color_jitter")
    amounts = tuple(float(v) for v in (brightness, contrast, saturation, hue))
    if any(v < 0 for v in amounts):
        raise ValueError(f"random_color_jitter: brightness, contrast, saturation and hue "
                         f"must be >= 0, got {amounts}")
    n = data.shape[0] if data.ndim == 4 else 1
    keys = _np.random.uniform(size=(n, 4), ctx=data.device)
    u = _np.random.uniform(-1.0, 1.0, size=(n, 4), ctx=data.device)
    offsets = _np.array([1.0, 1.0, 1.0, 0.0], ctx=data.device)
    alphas = u * _np.array(amounts, ctx=data.device) + offsets
    return apply_op(_JITTER, (data, keys, alphas), {"active": tuple(v > 0 for v in amounts)})


def _lighting_kernel(xp: Any, x: Any, alpha: Any) -> Any:
    if x.shape[-1] == 1:
        return x.copy()
    vec = xp.asarray(_EIGVEC, dtype=xp.float32)
    val = xp.asarray(_EIGVAL, dtype=xp.float32)
    a = alpha.astype(xp.float32).reshape(-1, 3)
    rgb = (a * val) @ vec.T                                # (N, 3)
    rgb = rgb.reshape((-1, 1, 1, 3)) if x.ndim == 4 else rgb.reshape(3)
    return _saturate(xp, x.astype(xp.float32) + rgb, x.dtype)


def _lighting_infer(x: Any, alpha: Any) -> tuple:
    _rgb_or_gray(tuple(x.shape), "adjust_lighting")
    return tuple(x.shape), x.dtype


_LIGHTING = register("image_lighting", _lighting_kernel, _lighting_infer)


@_legacy_aware
def adjust_lighting(data: Any, alpha: Any) -> NDArray:
    """Add AlexNet's PCA lighting noise ``eigvec @ (alpha * eigval)`` to each pixel;
    *alpha* is 3 numbers."""
    data = _check_array(data, "adjust_lighting")
    vals = _as_floats(alpha, "alpha", "adjust_lighting")
    if len(vals) != 3:
        raise ValueError(f"adjust_lighting: alpha must have 3 elements, got {list(vals)}")
    return apply_op(_LIGHTING, (data, _np.array(vals, ctx=data.device)))


@_legacy_aware
def random_lighting(data: Any, alpha_std: float = 0.05) -> NDArray:
    """:func:`adjust_lighting` with alpha drawn from N(0, alpha_std) for each image."""
    data = _check_array(data, "random_lighting")
    _rgb_or_gray(data.shape, "random_lighting")
    alpha_std = float(alpha_std)
    if alpha_std < 0:
        raise ValueError(f"random_lighting: alpha_std must be >= 0, got {alpha_std}")
    n = data.shape[0] if data.ndim == 4 else 1
    alpha = _np.random.normal(0.0, alpha_std, size=(n, 3), ctx=data.device)
    return apply_op(_LIGHTING, (data, alpha))


# ----------------------------------------------------------------------------- rotation
def _rotation_grid(xp: Any, h: int, w: int, rad: Any, zoom_in: bool, zoom_out: bool) -> tuple:
    """Sampling positions (N, h, w) in source pixels for rotations by *rad* (N,)
    about the image centre (MXNet's imrotate grid), optionally zoomed."""
    f32 = xp.float32
    hs, ws = f32((h - 1) / 2), f32((w - 1) / 2)
    hm = (xp.arange(h, dtype=f32) - hs).reshape(1, h, 1)
    wm = (xp.arange(w, dtype=f32) - ws).reshape(1, 1, w)
    a = rad.astype(f32).reshape(-1, 1, 1)
    c, s = xp.cos(a), xp.sin(a)
    gx = (wm * c - hm * s) / (ws if ws else f32(1))
    gy = (wm * s + hm * c) / (hs if hs else f32(1))
    if zoom_in or zoom_out:
        hf, wf = f32(h), f32(w)
        rho = xp.sqrt(hf * hf + wf * wf)
        ang = xp.arctan(hf / wf)
        aa = xp.abs(a)
        x1, y1 = xp.abs(rho * xp.cos(ang + aa)), xp.abs(rho * xp.sin(ang + aa))
        x2, y2 = xp.abs(rho * xp.cos(ang - aa)), xp.abs(rho * xp.sin(ang - aa))
        mx_, my_ = xp.maximum(x1, x2), xp.maximum(y1, y2)
        scale = xp.maximum(mx_ / wf, my_ / hf) if zoom_out else \
            xp.minimum(wf / mx_, hf / my_)
        gx, gy = gx * scale, gy * scale
    # grid in [-1, 1] to source pixel positions (BilinearSampler's convention)
    return (gx + 1) * f32((w - 1) / 2), (gy + 1) * f32((h - 1) / 2)


def _corners(xp: Any, px: Any, py: Any, h: int, w: int) -> list:
    """The four neighbours of each sampling position: (flat index, weight, inside)."""
    x0, y0 = xp.floor(px), xp.floor(py)
    wx1, wy1 = px - x0, py - y0
    out = []
    for dy, wy in ((0, 1 - wy1), (1, wy1)):
        for dx, wx in ((0, 1 - wx1), (1, wx1)):
            xi, yi = (x0 + dx).astype(xp.int64), (y0 + dy).astype(xp.int64)
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            flat = xp.clip(yi, 0, h - 1) * w + xp.clip(xi, 0, w - 1)
            out.append((flat, (wx * wy).astype(px.dtype), inside))
    return out


def _rotate_kernel(xp: Any, src: Any, rad: Any, zoom_in: bool, zoom_out: bool) -> Any:
    n, c, h, w = src.shape
    px, py = _rotation_grid(xp, h, w, rad, zoom_in, zoom_out)
    px = xp.broadcast_to(px, (n, h, w))
    py = xp.broadcast_to(py, (n, h, w))
    flat_src = src.reshape(n, c, h * w)
    out = xp.zeros((n, c, h, w), dtype=src.dtype)
    for flat, wt, inside in _corners(xp, px, py, h, w):
        vals = xp.take_along_axis(flat_src, flat.reshape(n, 1, h * w), axis=2)
        out += vals.reshape(n, c, h, w) * xp.where(inside, wt, 0)[:, None]
    return out


def _rotate_infer(src: Any, rad: Any, zoom_in: bool, zoom_out: bool) -> tuple:
    return tuple(src.shape), src.dtype


def _rotate_grad(g: Any, out: Any, src: Any, rad: Any, zoom_in: bool, zoom_out: bool) -> tuple:
    return (apply_op(_ROTATE_BACK, (g, rad), {"zoom_in": zoom_in, "zoom_out": zoom_out}),
            None)


def _rotate_back_kernel(xp: Any, g: Any, rad: Any, zoom_in: bool, zoom_out: bool) -> Any:
    """The transpose of the sampling: each output gradient goes back to the four
    source pixels it was read from, with the same weights."""
    n, c, h, w = g.shape
    px, py = _rotation_grid(xp, h, w, rad, zoom_in, zoom_out)
    px = xp.broadcast_to(px, (n, h, w))
    py = xp.broadcast_to(py, (n, h, w))
    base = (xp.arange(n * c) * (h * w)).reshape(n, c, 1)
    gflat = g.reshape(n, c, h * w)
    acc = xp.zeros(n * c * h * w, dtype=g.dtype)
    for flat, wt, inside in _corners(xp, px, py, h, w):
        wts = xp.where(inside, wt, 0).reshape(n, 1, h * w)
        idx = (base + flat.reshape(n, 1, h * w)).reshape(-1)
        acc += xp.bincount(idx, weights=(gflat * wts).reshape(-1),
                           minlength=acc.size).astype(g.dtype)
    return acc.reshape(n, c, h, w)


_ROTATE = register("image_rotate", _rotate_kernel, _rotate_infer, _rotate_grad)
_ROTATE_BACK = register("image_rotate_backward", _rotate_back_kernel, _rotate_infer)


def rotate_nchw(src: NDArray, radians: NDArray, zoom_in: bool, zoom_out: bool) -> NDArray:
    """Rotate (N, C, H, W) float images by *radians* (N,), zero outside the source."""
    return apply_op(_ROTATE, (src, radians), {"zoom_in": bool(zoom_in),
                                              "zoom_out": bool(zoom_out)})


def degrees_to_radians(deg: Any) -> Any:
    return deg * (math.pi / 180)
