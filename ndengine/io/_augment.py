"""The pixel work of ``ImageRecordIter``: one engine op per batch that decodes the
records' images and puts each through MXNet's default augmenter, with OpenCV's
arithmetic where MXNet uses OpenCV (resize through ``mx.image``'s kernel, the
fixed-point bilinear ``warpAffine``, the 8-bit HLS conversions).

Every random choice arrives in the op's parameters (drawn by the iterator at push
time), so a batch's pixels do not depend on which worker runs the op or when.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as onp

from ..ndarray.ops import register

__all__ = ["AUGMENT"]


def _interp_for(code: int, old: tuple, new: tuple) -> int:
    """OpenCV's method for MXNet's code (9: cubic to enlarge, area to shrink, else
    bilinear)."""
    if code != 9:
        return code
    if new[0] > old[0] and new[1] > old[1]:
        return 2
    return 3 if new[0] < old[0] and new[1] < old[1] else 1


def _resized(xp: Any, img: Any, h: int, w: int, code: int) -> Any:
    from ..image._resize import resize_kernel

    return resize_kernel(xp, img, h, w, _interp_for(code, img.shape[:2], (h, w)))


def _bilinear_table() -> onp.ndarray:
    """OpenCV's fixed-point bilinear weights: (32, 32, 4) int weights summing to 2**15
    for each 1/32-pixel position (fy, fx), neighbours (0,0), (0,1), (1,0), (1,1)."""
    t = onp.arange(32) / 32.0
    w1 = onp.stack([1 - t, t], 1)
    tab = onp.rint((w1[:, None, :, None] * w1[None, :, None, :]).reshape(32, 32, 4) * 32768)
    tab = tab.astype(onp.int64)
    diff = tab.sum(-1) - 32768          # OpenCV moves a rounding excess to one weight
    fy, fx = onp.nonzero(diff)
    for y, x in zip(fy.tolist(), fx.tolist()):
        d = diff[y, x]
        k = tab[y, x].argmin() if d > 0 else tab[y, x].argmax()
        tab[y, x, k] -= d
    return tab


_TAB: list = []


def _warp_affine(xp: Any, src: Any, M: onp.ndarray, nw: int, nh: int, fill: int) -> Any:
    """``cv::warpAffine(src, M, (nw, nh), INTER_LINEAR, BORDER_CONSTANT, fill)`` for a uint8 (h, w, C) image, with OpenCV's fixed-point
    arithmetic (coordinates in 1/1024, then 1/32 pixel; weights in 1/32768)."""
    if not _TAB:
        _TAB.append(xp.asarray(_bilinear_table()))
    m = M.astype(onp.float64)
    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
    det = 1.0 / det if det != 0 else 0.0
    a11, a22, a12, a21 = m[1, 1] * det, m[0, 0] * det, -m[0, 1] * det, -m[1, 0] * det
    b1 = -a11 * m[0, 2] - a12 * m[1, 2]
    b2 = -a21 * m[0, 2] - a22 * m[1, 2]
    x, y = xp.arange(nw), xp.arange(nh)
    rnd = 16                            # half of a 1/32 step, in 1/1024
    X = (xp.rint((a12 * y + b1) * 1024).astype(xp.int64)[:, None] + rnd
         + xp.rint(a11 * x * 1024).astype(xp.int64)[None, :])
    Y = (xp.rint((a22 * y + b2) * 1024).astype(xp.int64)[:, None] + rnd
         + xp.rint(a21 * x * 1024).astype(xp.int64)[None, :])
    h, w, c = src.shape

    def pixels(yy: Any, xx: Any) -> Any:
        inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        v = src[xp.clip(yy, 0, h - 1), xp.clip(xx, 0, w - 1)].astype(xp.int64)
        return xp.where(inside[..., None], v, fill)

    X, Y = X >> 5, Y >> 5
    sx, sy = X >> 5, Y >> 5
    weights = _TAB[0][Y & 31, X & 31]
    acc = xp.zeros((nh, nw, c), xp.int64)
    for k, (dy, dx) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        acc += pixels(sy + dy, sx + dx) * weights[..., k:k + 1]
    return xp.clip((acc + (1 << 14)) >> 15, 0, 255).astype(xp.uint8)


def _affine(xp: Any, img: Any, warp: tuple, fill: int) -> Any:
    """MXNet's rotate/shear/scale/aspect warp of one image (its float32 arithmetic)."""
    shear, angle, scale, ratio, size_min, size_max = warp
    f32 = onp.float32
    h, w = img.shape[0], img.shape[1]
    a, b = f32(math.cos(angle / 180.0 * math.pi)), f32(math.sin(angle / 180.0 * math.pi))
    s, scale, ratio = f32(shear), f32(scale), f32(ratio)
    hs = f32(2) * scale / (f32(1) + ratio)
    ws = ratio * hs
    nw = f32(max(size_min, min(size_max, float(scale * f32(w)))))
    nh = f32(max(size_min, min(size_max, float(scale * f32(h)))))
    M = onp.zeros((2, 3), f32)
    M[0, 0], M[1, 0] = hs * a - s * b * ws, -b * ws
    M[0, 1], M[1, 1] = hs * b + s * a * ws, a * ws
    M[0, 2] = (nw - (M[0, 0] * f32(w) + M[0, 1] * f32(h))) / f32(2)
    M[1, 2] = (nh - (M[1, 0] * f32(w) + M[1, 1] * f32(h))) / f32(2)
    return _warp_affine(xp, img, M, int(nw), int(nh), fill)


# OpenCV's HLS <-> RGB conversions of 8-bit images (H in [0, 180), L and S in [0, 255]),
# in its float32 arithmetic; which of (p2, p1, falling, rising) is b, g, r per sector
_HLS_SECTORS = onp.array([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])


def _rgb_to_hls(xp: Any, img: Any) -> Any:
    f32 = xp.float32
    x = img.astype(f32) * f32(1 / 255.0)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    vmax = xp.maximum(xp.maximum(r, g), b)
    vmin = xp.minimum(xp.minimum(r, g), b)
    diff = vmax - vmin
    light = (vmax + vmin) * f32(0.5)
    grey = diff <= onp.finfo(onp.float32).eps
    safe = xp.where(grey, f32(1), diff)
    sat = xp.where(light < f32(0.5), diff / xp.where(grey, f32(1), vmax + vmin),
                   diff / xp.where(grey, f32(1), f32(2) - (vmax + vmin)))
    d60 = f32(60) / safe
    hue = xp.where(vmax == r, (g - b) * d60,
                   xp.where(vmax == g, (b - r) * d60 + f32(120), (r - g) * d60 + f32(240)))
    hue = xp.where(hue < 0, hue + f32(360), hue)
    hue, sat = xp.where(grey, f32(0), hue), xp.where(grey, f32(0), sat)
    out = xp.stack([hue * f32(0.5), light * f32(255), sat * f32(255)], -1)
    return xp.clip(xp.rint(out), 0, 255).astype(xp.int64)


def _hls_to_rgb(xp: Any, hls: Any) -> Any:
    f32 = xp.float32
    hue = hls[..., 0].astype(f32) * f32(2)
    light = hls[..., 1].astype(f32) * f32(1 / 255.0)
    sat = hls[..., 2].astype(f32) * f32(1 / 255.0)
    p2 = xp.where(light <= f32(0.5), light * (f32(1) + sat), light + sat - light * sat)
    p1 = f32(2) * light - p2
    hue = hue * f32(1 / 60.0)
    hue = xp.where(hue < 0, hue + f32(6), xp.where(hue >= 6, hue - f32(6), hue))
    sector = xp.floor(hue).astype(xp.int64)
    hue = hue - sector.astype(f32)
    tab = xp.stack([p2, p1, p1 + (p2 - p1) * (f32(1) - hue), p1 + (p2 - p1) * hue], -1)
    bgr = xp.take_along_axis(tab, xp.asarray(_HLS_SECTORS)[xp.clip(sector, 0, 5)], -1)
    rgb = xp.where((sat == 0)[..., None], light[..., None], bgr[..., ::-1])
    return xp.clip(xp.rint(rgb * f32(255)), 0, 255).astype(xp.uint8)


def _shift_hls(xp: Any, img: Any, hsl: tuple) -> Any:
    """MXNet's random_h/s/l: the shifts added in HLS space, each channel clipped to its
    range (H to 180, L and S to 255)."""
    dh, ds, dl = hsl
    hls = _rgb_to_hls(xp, img)
    hls = xp.stack([xp.clip(hls[..., 0] + dh, 0, 180), xp.clip(hls[..., 1] + dl, 0, 255),
                    xp.clip(hls[..., 2] + ds, 0, 255)], -1)
    return _hls_to_rgb(xp, hls)


# gluon's (AlexNet's) ImageNet RGB principal components, for pca_noise
_PCA_EIGVAL = onp.array([55.46, 4.794, 1.148])
_PCA_EIGVEC = onp.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                         [-0.5836, -0.6948, 0.4203]])


def _jitter_colour(xp: Any, img: Any, jitter: tuple) -> Any:
    """Brightness (scale), contrast (blend with the mean grey), saturation (blend with
    each pixel's grey) by the drawn factors, then the PCA lighting noise; rounded back
    to uint8.  The grey weights are MXNet's as it applies them (0.299 on blue, 0.114 on
    red: OpenCV's BGR order meeting RGB weights)."""
    bright, contrast, sat, pca = jitter
    x = img.astype(xp.float64)
    if bright != 1.0:
        x = xp.clip(xp.rint(x * bright), 0, 255)
    coef = xp.asarray([0.114, 0.587, 0.299])
    if contrast != 1.0:
        grey = (x * coef).sum(-1).mean()
        x = xp.clip(xp.rint(x * contrast + grey * (1 - contrast)), 0, 255)
    if sat != 1.0:
        grey = (x * coef).sum(-1, keepdims=True)
        x = xp.clip(xp.rint(x * sat + grey * (1 - sat)), 0, 255)
    if pca is not None:
        shift = xp.asarray(_PCA_EIGVEC @ (onp.asarray(pca) * _PCA_EIGVAL))
        x = xp.clip(xp.rint(x + shift), 0, 255)
    return x.astype(xp.uint8)


def _resized_crop_box(h: int, w: int, tries: tuple) -> tuple | None:
    """(y0, x0, height, width) of the first try (area fraction, aspect ratio, u_y, u_x)
    that fits in an h x w image, or None (then the ordinary crop is made)."""
    for frac, ratio, uy, ux in tries:
        area = frac * h * w
        cw, ch = int(round(math.sqrt(area * ratio))), int(round(math.sqrt(area / ratio)))
        if 0 < cw <= w and 0 < ch <= h:
            return int(uy * (h - ch + 1)), int(ux * (w - cw + 1)), ch, cw
    return None


def _augment_one(xp: Any, img: Any, shape: tuple, plan: tuple, what: str) -> Any:
    """One decoded (h, w, C) uint8 image through MXNet's default augmenter."""
    resize, interp, warp, pad, fill, size, rrc, where, jitter, hsl, mirror = plan
    _, H, W = shape
    h, w = img.shape[0], img.shape[1]
    if resize > 0:
        h, w = (resize * h // w, resize) if h > w else (resize, resize * w // h)
        img = _resized(xp, img, h, w, interp)
    if warp is not None:
        img = _affine(xp, img, warp, fill)
        h, w = img.shape[0], img.shape[1]
    if pad > 0:
        img = xp.pad(img, ((pad, pad), (pad, pad), (0, 0)), constant_values=fill)
        h, w = h + 2 * pad, w + 2 * pad
    box = _resized_crop_box(h, w, rrc) if rrc is not None else None
    if box is not None:           # a random area and aspect ratio, resized to the shape
        y0, x0, crop_h, crop_w = box
        img = _resized(xp, img[y0:y0 + crop_h, x0:x0 + crop_w], H, W, interp)
        where, crop_h, crop_w = (0.0, 0.0), H, W
        h, w = H, W
    elif size:                    # a square of *size*, resized to the data shape
        if h < size or w < size:
            raise ValueError(f"{what}: input image size ({h}x{w}) smaller than "
                             f"max_crop_size")
        crop_h = crop_w = size
    else:
        if h < H or w < W:        # enlarged, both sides by one factor, to cover the shape
            f = max(H / h, W / w)
            h, w = max(int(h * f), H), max(int(w * f), W)
            img = _resized(xp, img, h, w, interp)
        crop_h, crop_w = H, W
    if where is not None:
        y0, x0 = int(where[0] * (h - crop_h + 1)), int(where[1] * (w - crop_w + 1))
    else:
        y0, x0 = (h - crop_h) // 2, (w - crop_w) // 2
    img = img[y0:y0 + crop_h, x0:x0 + crop_w]
    if (crop_h, crop_w) != (H, W):
        img = _resized(xp, img, H, W, interp)
    if jitter is not None:
        img = _jitter_colour(xp, img, jitter)
    if hsl is not None:
        img = _shift_hls(xp, img, hsl)
    return img[:, ::-1] if mirror else img


def _augment_kernel(xp: Any, *norm: Any, records: tuple, shape: tuple, plans: tuple,
                    what: str, light: tuple = ()) -> Any:
    """Decode and augment a batch of encoded images into (N, C, H, W): uint8, or with
    *norm* = (mean, factor) arrays float32 ``(pixel - mean) * factor`` (with *light*,
    per image ``((pixel - mean) * contrast + illumination) * factor``)."""
    from ..image._codec import _decode

    c, H, W = shape
    out = xp.empty((len(records), H, W, c), xp.uint8)
    for i, (data, plan) in enumerate(zip(records, plans)):   # one by one: sizes differ
        out[i] = _augment_one(xp, _decode(xp, data, 1 if c == 3 else 0, True, what), shape,
                              plan, what)
    pixels = out.transpose(0, 3, 1, 2)
    if not norm:
        return xp.ascontiguousarray(pixels)
    mean, factor = norm
    centred = pixels.astype(xp.float32) - mean
    if light:
        contrast, illumination = (xp.asarray(v, xp.float32).reshape(-1, 1, 1, 1)
                                  for v in zip(*light))
        centred = centred * contrast + illumination
    return centred * factor


def _augment_infer(*norm: Any, records: tuple, shape: tuple, **_: Any) -> tuple:
    return (len(records),) + tuple(shape), ("float32" if norm else "uint8")


AUGMENT = register("image_record_batch", _augment_kernel, _augment_infer, kind="copy")
