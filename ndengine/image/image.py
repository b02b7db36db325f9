"""``mxnet.image``: read, decode, resize and crop images, and MXNet's Augmenters.

Images are (H, W, C) arrays (uint8 from the decoders, RGB by default).  Resizing is
OpenCV's (interpolation codes 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos; 9
picks bicubic to enlarge, area to shrink, bilinear otherwise; 10 draws one of 0-4) —
see :mod:`._resize` for how closely it matches.  Decoding uses Pillow (optional:
``pip install pillow``) where MXNet uses OpenCV (see :mod:`._codec`).

Randomness is the host's, as in MXNet: the crops, flips and jitters draw from Python's
``random`` module and the lighting noise from NumPy's global generator, so
``random.seed`` / ``numpy.random.seed`` reproduce MXNet's draws exactly.

Legacy ``mx.nd`` arrays are accepted wherever np arrays are, and give legacy arrays
back (MXNet's Augmenters are written for them).

``ImageIter`` reads RecordIO files, image lists or in-memory lists into
``mx.io.DataBatch`` es of (N, C, H, W) images, as MXNet's does (its last-batch
rules included: see the class).
"""
from __future__ import annotations

import json
import logging
import math
import random
import warnings
from typing import Any

import numpy as _onp

from .. import numpy as _np
from ..base import MXNetError
from ..io.io import DataBatch, DataIter
from ..ndarray.ndarray import NDArray, copy_into
from ..ndarray.ops import DTypeError, ShapeError
from . import _codec, _ops

__all__ = ["imread", "imdecode", "imresize", "scale_down", "copyMakeBorder", "resize_short",
           "fixed_crop", "random_crop", "center_crop", "color_normalize", "random_size_crop",
           "imrotate", "random_rotate", "Augmenter", "SequentialAug", "ResizeAug",
           "ForceResizeAug", "RandomCropAug", "RandomSizedCropAug", "CenterCropAug",
           "RandomOrderAug", "BrightnessJitterAug", "ContrastJitterAug",
           "SaturationJitterAug", "HueJitterAug", "ColorJitterAug", "LightingAug",
           "ColorNormalizeAug", "RandomGrayAug", "HorizontalFlipAug", "CastAug",
           "CreateAugmenter", "ImageIter"]


class ImageReadError(MXNetError, FileNotFoundError):
    """imread could not open its file."""


# ----------------------------------------------------------------------------- legacy
def _is_legacy(x: Any) -> bool:
    return x.__class__ is not NDArray and hasattr(x, "as_np_ndarray") and \
        hasattr(x, "asnumpy")


def _np_of(x: Any, fname: str) -> NDArray:
    if x.__class__ is NDArray:
        return x
    if _is_legacy(x):
        return x.as_np_ndarray()
    raise DTypeError(f"{fname}: expected an image array (mx.np.ndarray or mx.nd.NDArray), "
                     f"got {type(x).__name__}")


def _like(out: NDArray, src: Any) -> Any:
    """*out* as a legacy array when *src* was one."""
    if _is_legacy(src):
        from ..legacy.ndarray import wrap

        return wrap(out)
    return out


def _to_out(result: NDArray, out: Any, fname: str) -> Any:
    if out is None:
        return result
    dst = _np_of(out, fname)
    if tuple(dst.shape) != tuple(result.shape) or dst.dtype != result.dtype:
        raise ShapeError(f"{fname}: out has shape {tuple(dst.shape)} {dst.dtype}, the result "
                         f"is {tuple(result.shape)} {result.dtype}")
    copy_into(result, dst)
    return out


# ----------------------------------------------------------------------------- decoding
def _check_flag(flag: Any, fname: str) -> int:
    if flag not in (0, 1) or isinstance(flag, float):
        raise ValueError(f"{fname}: flag must be 0 (greyscale) or 1 (colour), got {flag!r}")
    return int(flag)


def imdecode(buf: Any, flag: int = 1, to_rgb: bool = True, out: Any = None) -> Any:
    """Decode an encoded image (bytes, bytearray, a uint8 NumPy array or an array of
    bytes) into an (H, W, 3) uint8 array (RGB; BGR with ``to_rgb=False``), or
    (H, W, 1) with ``flag=0``.  The decode runs on an engine worker; an array *buf* is
    read first (it blocks, as the output's shape depends on its values)."""
    flag = _check_flag(flag, "imdecode")
    legacy = _is_legacy(buf)
    if buf.__class__ is NDArray or legacy:
        data = bytes(_np_of(buf, "imdecode").asnumpy().astype(_onp.uint8).tobytes())
    elif isinstance(buf, (bytes, bytearray, memoryview)):
        data = bytes(buf)
    elif isinstance(buf, _onp.ndarray):
        data = buf.astype(_onp.uint8, copy=False).tobytes()
    else:
        raise ValueError("buf must be of type bytes, bytearray or numpy.ndarray, if you "
                         "would like to input type str, please convert to bytes")
    img = _codec.decode_op(data, flag, to_rgb, "imdecode")
    res = _to_out(img, out, "imdecode")
    return _like(res, buf) if legacy and out is None else res


def imread(filename: str, flag: int = 1, to_rgb: bool = True, out: Any = None) -> Any:
    """Read and decode the image file *filename* (see :func:`imdecode`)."""
    flag = _check_flag(flag, "imread")
    try:
        with open(filename, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ImageReadError(f"imread: {filename!r} couldn't open file: {e.strerror}") \
            from None
    return _to_out(_codec.decode_op(data, flag, to_rgb, f"imread({filename!r})"), out,
                   "imread")


# ----------------------------------------------------------------------------- resizing
def imresize(src: Any, w: int, h: int, interp: int = 1, out: Any = None) -> Any:
    """*src* (H, W, C) resized to width *w* and height *h* (OpenCV's ``cv::resize``,
    interpolation code *interp*, 0 to 4)."""
    x = _np_of(src, "imresize")
    if x.ndim != 3:
        raise ShapeError(f"imresize: src must be an (H, W, C) image, got shape "
                         f"{tuple(x.shape)}")
    w = _ops._positive_int(w, "w", "imresize")
    h = _ops._positive_int(h, "h", "imresize")
    res = _ops.resize_hw(x, h, w, interp, "imresize")
    return _to_out(res, out, "imresize") if out is not None else _like(res, src)


def scale_down(src_size: tuple, size: tuple) -> tuple[int, int]:
    """Shrink the crop *size* (w, h) to fit *src_size* (w, h), keeping its aspect."""
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


_BORDER_MODES = {0: "constant", 1: "symmetric", 2: "reflect", 3: "edge", 4: "wrap"}


def copyMakeBorder(src: Any, top: int, bot: int, left: int, right: int, type: int = 0,
                   value: float = 0.0, values: Any = (), out: Any = None) -> Any:
    """Pad (H, W, C) *src* by *top*, *bot* rows and *left*, *right* columns (OpenCV's
    ``copyMakeBorder``): *type* 0 constant (*value*, or one of *values* per channel),
    1 reflect (fedcba|abcd), 2 reflect-101 (edcb|abcd), 3 replicate, 4 wrap; OpenCV's
    BORDER_ISOLATED flag (16) may be added and changes nothing for a whole image."""
    x = _np_of(src, "copyMakeBorder")
    if x.ndim != 3:
        raise ShapeError(f"copyMakeBorder: src must be an (H, W, C) image, got shape "
                         f"{tuple(x.shape)}")
    pads = [int(v) for v in (top, bot, left, right)]
    if any(p < 0 for p in pads):
        raise ValueError(f"copyMakeBorder: margins must be >= 0, got {pads}")
    if isinstance(type, int) and type & 16:
        type &= ~16
    if type not in _BORDER_MODES:
        raise ValueError(f"copyMakeBorder: type must be one of {sorted(_BORDER_MODES)}, got "
                         f"{type!r}")
    width = ((pads[0], pads[1]), (pads[2], pads[3]), (0, 0))
    mode = _BORDER_MODES[type]
    if mode == "constant":
        res = _constant_border(x, width, value, values)
    else:
        res = _pad_by_index(x, width, mode)
    return _to_out(res, out, "copyMakeBorder") if out is not None else _like(res, src)


def _constant_border(x: NDArray, width: tuple, value: float, values: Any) -> NDArray:
    """OpenCV's constant border: *values* per channel (missing ones are 0, as in a
    cv::Scalar), or *value* in every channel when *values* is empty."""
    c = x.shape[2]
    if values:
        fill = [float(v) for v in values][:c]
        fill += [0.0] * (c - len(fill))
    else:
        fill = [float(value)] * c
    h, w = x.shape[0] + width[0][0] + width[0][1], x.shape[1] + width[1][0] + width[1][1]
    base = _np.array(_onp.broadcast_to(_onp.asarray(fill, dtype=_onp.float64), (h, w, c))
                     .astype(x.dtype), ctx=x.device)
    base[width[0][0]:width[0][0] + x.shape[0], width[1][0]:width[1][0] + x.shape[1]] = x
    return base


def _pad_by_index(x: NDArray, width: tuple, mode: str) -> NDArray:
    """Border modes as index maps (gathers along each axis)."""
    out = x
    for axis, (lo, hi) in enumerate(width[:2]):
        n = x.shape[axis]
        idx = _onp.pad(_onp.arange(n), (lo, hi), mode=mode)
        out = _np.take(out, _np.array(idx, dtype="int64", ctx=x.device), axis=axis)
    return out


def _get_interp_method(interp: int, sizes: tuple = ()) -> int:
    """MXNet's interpolation codes to OpenCV's: 9 is bicubic to enlarge, area to
    shrink, bilinear otherwise (sizes = (old_h, old_w, new_h, new_w)); 10 draws one of
    0-4 with Python's ``random``."""
    if interp == 9:
        if sizes:
            oh, ow, nh, nw = sizes
            if nh > oh and nw > ow:
                return 2
            if nh < oh and nw < ow:
                return 3
            return 1
        return 2
    if interp == 10:
        return random.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError(f"Unknown interp method {interp}")
    return interp


def resize_short(src: Any, size: int, interp: int = 2) -> Any:
    """Resize so that the shorter edge is *size* (the longer one in proportion)."""
    x = _np_of(src, "resize_short")
    h, w = x.shape[0], x.shape[1]
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=_get_interp_method(interp, (h, w, new_h, new_w)))


def fixed_crop(src: Any, x0: int, y0: int, w: int, h: int, size: tuple | None = None,
               interp: int = 2) -> Any:
    """The (w, h) box at (x0, y0) of *src*, resized to *size* (w, h) if given."""
    x = _np_of(src, "fixed_crop")
    out = _ops.crop(x, x0, y0, w, h)
    if size is not None and (w, h) != tuple(size):
        sizes = (h, w, size[1], size[0])
        out = _ops.resize_hw(out, size[1], size[0], _get_interp_method(interp, sizes),
                             "fixed_crop")
    return _like(out, src)


def random_crop(src: Any, size: tuple, interp: int = 2) -> tuple[Any, tuple]:
    """A random (w, h) = *size* crop (scaled down to fit, then resized to *size*);
    returns (image, (x0, y0, w, h))."""
    x = _np_of(src, "random_crop")
    h, w = x.shape[0], x.shape[1]
    new_w, new_h = scale_down((w, h), size)
    x0 = random.randint(0, w - new_w)
    y0 = random.randint(0, h - new_h)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def center_crop(src: Any, size: tuple, interp: int = 2) -> tuple[Any, tuple]:
    """The centred (w, h) = *size* crop (scaled down to fit, then resized to *size*);
    returns (image, (x0, y0, w, h))."""
    x = _np_of(src, "center_crop")
    h, w = x.shape[0], x.shape[1]
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def color_normalize(src: Any, mean: Any, std: Any = None) -> Any:
    """``src -= mean; src /= std`` in place (as MXNet), and return *src*."""
    if mean is not None:
        src -= mean
    if std is not None:
        src /= std
    return src


def random_size_crop(src: Any, size: tuple, area: Any, ratio: tuple, interp: int = 2,
                     **kwargs: Any) -> tuple[Any, tuple]:
    """A crop of random area (a fraction in *area*, or [area, 1]) and aspect ratio (in
    *ratio*, drawn log-uniformly), resized to *size* (w, h); ten tries, then the centre
    crop.  Returns (image, (x0, y0, w, h))."""
    x = _np_of(src, "random_size_crop")
    h, w = x.shape[0], x.shape[1]
    src_area = h * w
    if "min_area" in kwargs:
        warnings.warn("`min_area` is deprecated. Please use `area` instead.",
                      DeprecationWarning, stacklevel=2)
        area = kwargs.pop("min_area")
    if kwargs:
        raise TypeError(f"random_size_crop: unexpected keyword arguments {sorted(kwargs)}")
    if isinstance(area, (int, float)):
        area = (area, 1.0)
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * src_area
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        new_ratio = math.exp(random.uniform(*log_ratio))
        new_w = int(round(math.sqrt(target_area * new_ratio)))
        new_h = int(round(math.sqrt(target_area / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


# ----------------------------------------------------------------------------- rotation
def imrotate(src: Any, rotation_degrees: Any, zoom_in: bool = False,
             zoom_out: bool = False) -> Any:
    """Rotate float32 (C, H, W) or (N, C, H, W) image(s) by *rotation_degrees* (a
    number, or one per image) about the centre, bilinearly, zero outside; *zoom_in*
    scales so that no padding shows, *zoom_out* so that the whole image does."""
    if zoom_in and zoom_out:
        raise ValueError("`zoom_in` and `zoom_out` cannot be both True")
    x = _np_of(src, "imrotate")
    if x.dtype != _onp.float32:
        raise TypeError("Only `float32` images are supported by this function")
    single = x.ndim == 3
    if single:
        if not isinstance(rotation_degrees, (int, float)):
            raise TypeError("When a single image is passed the rotation angle is "
                            "required to be a scalar.")
        x = x.reshape((1,) + tuple(x.shape))
    elif x.ndim != 4:
        raise ValueError("Only 3D and 4D are supported by this function")
    if isinstance(rotation_degrees, (int, float)):
        deg = _np.full((x.shape[0],), float(rotation_degrees), ctx=x.device)
    else:
        deg = _np_of(rotation_degrees, "imrotate").as_in_ctx(x.device).astype("float32")
        deg = deg.reshape((-1,))
    if deg.shape[0] != x.shape[0]:
        raise ValueError("The number of images must be equal to the number of rotation "
                         "angles")
    out = _ops.rotate_nchw(x, _ops.degrees_to_radians(deg), zoom_in, zoom_out)
    return _like(out[0] if single else out, src)


def random_rotate(src: Any, angle_limits: tuple, zoom_in: bool = False,
                  zoom_out: bool = False) -> Any:
    """:func:`imrotate` by angles drawn uniformly from *angle_limits* (NumPy's global
    generator: one angle, or one per image of a batch)."""
    x = _np_of(src, "random_rotate")
    if x.ndim == 3:
        deg: Any = float(_onp.random.uniform(*angle_limits))
    else:
        deg = _np.array(_onp.random.uniform(*angle_limits, size=x.shape[0]),
                        dtype="float32", ctx=x.device)
    return imrotate(src, deg, zoom_in=zoom_in, zoom_out=zoom_out)


# ----------------------------------------------------------------------------- augmenters
class Augmenter:
    """Base class of the image augmenters: ``aug(src)`` returns the augmented image;
    ``dumps()`` describes it as JSON."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        for k, v in self._kwargs.items():
            if isinstance(v, NDArray) or _is_legacy(v):
                v = v.asnumpy()
            if isinstance(v, _onp.ndarray):
                self._kwargs[k] = v.tolist()

    def dumps(self) -> Any:
        """The augmenter as a JSON string: ``[name, kwargs]``."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, src: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must override __call__")


class SequentialAug(Augmenter):
    """Apply the augmenters *ts* in order."""

    def __init__(self, ts: list) -> None:
        super().__init__()
        self.ts = ts

    def dumps(self) -> Any:
        return [self.__class__.__name__.lower(), [x.dumps() for x in self.ts]]

    def __call__(self, src: Any) -> Any:
        for aug in self.ts:
            src = aug(src)
        return src


class ResizeAug(Augmenter):
    """Resize the shorter edge to *size*."""

    def __init__(self, size: int, interp: int = 2) -> None:
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src: Any) -> Any:
        return resize_short(src, self.size, self.interp)


class ForceResizeAug(Augmenter):
    """Resize to *size* (w, h), ignoring the aspect ratio."""

    def __init__(self, size: tuple, interp: int = 2) -> None:
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src: Any) -> Any:
        x = _np_of(src, "ForceResizeAug")
        sizes = (x.shape[0], x.shape[1], self.size[1], self.size[0])
        return imresize(src, *self.size, interp=_get_interp_method(self.interp, sizes))


class RandomCropAug(Augmenter):
    """A random crop of *size* (w, h)."""

    def __init__(self, size: tuple, interp: int = 2) -> None:
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src: Any) -> Any:
        return random_crop(src, self.size, self.interp)[0]


class RandomSizedCropAug(Augmenter):
    """A crop of random area and aspect ratio, resized to *size* (w, h)."""

    def __init__(self, size: tuple, area: Any, ratio: tuple, interp: int = 2,
                 **kwargs: Any) -> None:
        super().__init__(size=size, area=area, ratio=ratio, interp=interp)
        self.size = size
        if "min_area" in kwargs:
            warnings.warn("`min_area` is deprecated. Please use `area` instead.",
                          DeprecationWarning, stacklevel=2)
            self.area = kwargs.pop("min_area")
        else:
            self.area = area
        if kwargs:
            raise TypeError(f"RandomSizedCropAug: unexpected keyword arguments "
                            f"{sorted(kwargs)}")
        self.ratio = ratio
        self.interp = interp

    def __call__(self, src: Any) -> Any:
        return random_size_crop(src, self.size, self.area, self.ratio, self.interp)[0]


class CenterCropAug(Augmenter):
    """The centre crop of *size* (w, h)."""

    def __init__(self, size: tuple, interp: int = 2) -> None:
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src: Any) -> Any:
        return center_crop(src, self.size, self.interp)[0]


class RandomOrderAug(Augmenter):
    """Apply the augmenters *ts* in a random order (Python's ``random.shuffle``)."""

    def __init__(self, ts: list) -> None:
        super().__init__()
        self.ts = ts

    def dumps(self) -> Any:
        return [self.__class__.__name__.lower(), [x.dumps() for x in self.ts]]

    def __call__(self, src: Any) -> Any:
        random.shuffle(self.ts)
        for t in self.ts:
            src = t(src)
        return src


def _gray_coef(x: NDArray) -> NDArray:
    return _np.array([[[0.299, 0.587, 0.114]]], dtype=x.dtype, ctx=x.device)


def _float_image(src: Any, fname: str) -> NDArray:
    x = _np_of(src, fname)
    if x.dtype.kind != "f":
        raise DTypeError(f"{fname}: the image must be float (put CastAug first), got "
                         f"{x.dtype}")
    return x


class BrightnessJitterAug(Augmenter):
    """Scale by ``1 + U(-brightness, brightness)`` (in place, as MXNet)."""

    def __init__(self, brightness: float) -> None:
        super().__init__(brightness=brightness)
        self.brightness = brightness

    def __call__(self, src: Any) -> Any:
        alpha = 1.0 + random.uniform(-self.brightness, self.brightness)
        src *= alpha
        return src


class ContrastJitterAug(Augmenter):
    """Blend with the mean grey level: ``a * x + (1 - a) * mean``,
    a = 1 + U(-contrast, contrast) (in place)."""

    def __init__(self, contrast: float) -> None:
        super().__init__(contrast=contrast)
        self.contrast = contrast

    def __call__(self, src: Any) -> Any:
        x = _float_image(src, "ContrastJitterAug")
        alpha = 1.0 + random.uniform(-self.contrast, self.contrast)
        gray = x * _gray_coef(x)
        gray = (3.0 * (1.0 - alpha) / gray.size) * _np.sum(gray)
        src *= alpha
        src += _like(gray, src)
        return src


class SaturationJitterAug(Augmenter):
    """Blend each pixel with its grey level, a = 1 + U(-saturation, saturation)
    (in place)."""

    def __init__(self, saturation: float) -> None:
        super().__init__(saturation=saturation)
        self.saturation = saturation

    def __call__(self, src: Any) -> Any:
        x = _float_image(src, "SaturationJitterAug")
        alpha = 1.0 + random.uniform(-self.saturation, self.saturation)
        gray = _np.sum(x * _gray_coef(x), axis=2, keepdims=True)
        gray *= (1.0 - alpha)
        src *= alpha
        src += _like(gray, src)
        return src


_TYIQ = _onp.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.321],
                    [0.211, -0.523, 0.311]])
_ITYIQ = _onp.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.107, 1.705]])


class HueJitterAug(Augmenter):
    """Turn the hue by ``U(-hue, hue) * 180`` degrees in YIQ space (a linear map)."""

    def __init__(self, hue: float) -> None:
        super().__init__(hue=hue)
        self.hue = hue
        self.tyiq = _TYIQ.copy()
        self.ityiq = _ITYIQ.copy()

    def __call__(self, src: Any) -> Any:
        x = _float_image(src, "HueJitterAug")
        alpha = random.uniform(-self.hue, self.hue)
        u, w = math.cos(alpha * math.pi), math.sin(alpha * math.pi)
        bt = _onp.array([[1.0, 0.0, 0.0], [0.0, u, -w], [0.0, w, u]])
        t = _onp.dot(_onp.dot(self.ityiq, bt), self.tyiq).T
        return _like(_np.dot(x, _np.array(t, dtype=x.dtype, ctx=x.device)), src)


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitters (those > 0) in a random order."""

    def __init__(self, brightness: float, contrast: float, saturation: float) -> None:
        ts: list = []
        if brightness > 0:
            ts.append(BrightnessJitterAug(brightness))
        if contrast > 0:
            ts.append(ContrastJitterAug(contrast))
        if saturation > 0:
            ts.append(SaturationJitterAug(saturation))
        super().__init__(ts)


class LightingAug(Augmenter):
    """Add PCA noise ``eigvec @ (N(0, alphastd) * eigval)`` (NumPy's global generator;
    in place)."""

    def __init__(self, alphastd: float, eigval: Any, eigvec: Any) -> None:
        super().__init__(alphastd=alphastd, eigval=eigval, eigvec=eigvec)
        self.alphastd = alphastd
        self.eigval = eigval
        self.eigvec = eigvec

    def __call__(self, src: Any) -> Any:
        x = _float_image(src, "LightingAug")
        alpha = _onp.random.normal(0, self.alphastd, size=(3,))
        rgb = _onp.dot(_onp.asarray(self.eigvec) * alpha, _onp.asarray(self.eigval))
        src += _like(_np.array(rgb, dtype=x.dtype, ctx=x.device), src)
        return src


class ColorNormalizeAug(Augmenter):
    """``(src - mean) / std`` (in place)."""

    def __init__(self, mean: Any, std: Any) -> None:
        super().__init__(mean=mean, std=std)
        # other values become float32 arrays, as MXNet's nd.array makes them
        self.mean = mean if mean is None or isinstance(mean, NDArray) or _is_legacy(mean) \
            else _np.array(mean, dtype="float32")
        self.std = std if std is None or isinstance(std, NDArray) or _is_legacy(std) \
            else _np.array(std, dtype="float32")

    def __call__(self, src: Any) -> Any:
        legacy = _is_legacy(src)
        mean = _like(_np_of(self.mean, "ColorNormalizeAug"), src) \
            if legacy and self.mean is not None else self.mean
        std = _like(_np_of(self.std, "ColorNormalizeAug"), src) \
            if legacy and self.std is not None else self.std
        return color_normalize(src, mean, std)


class RandomGrayAug(Augmenter):
    """With probability *p*, replace each channel by the pixel's grey level
    (0.21 R + 0.72 G + 0.07 B; the channel count is kept)."""

    def __init__(self, p: float) -> None:
        super().__init__(p=p)
        self.p = p
        self.mat = _np.array([[0.21, 0.21, 0.21], [0.72, 0.72, 0.72], [0.07, 0.07, 0.07]])

    def __call__(self, src: Any) -> Any:
        if random.random() < self.p:
            x = _float_image(src, "RandomGrayAug")
            src = _like(_np.dot(x, self.mat.astype(x.dtype).as_in_ctx(x.device)), src)
        return src


class HorizontalFlipAug(Augmenter):
    """Mirror left to right with probability *p*."""

    def __init__(self, p: float) -> None:
        super().__init__(p=p)
        self.p = p

    def __call__(self, src: Any) -> Any:
        if random.random() < self.p:
            src = _like(_ops.flip_left_right(_np_of(src, "HorizontalFlipAug")), src)
        return src


class CastAug(Augmenter):
    """Cast to *typ* (float32)."""

    def __init__(self, typ: str = "float32") -> None:
        super().__init__(type=typ)
        self.typ = typ

    def __call__(self, src: Any) -> Any:
        return src.astype(self.typ)


_PCA_EIGVAL = _onp.array([55.46, 4.794, 1.148])
_PCA_EIGVEC = _onp.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                          [-0.5836, -0.6948, 0.4203]])


def _check_stat(v: Any, name: str) -> None:
    shape = getattr(v, "shape", None)
    if not isinstance(v, _onp.ndarray) and not isinstance(v, NDArray) and not _is_legacy(v):
        raise TypeError(f"CreateAugmenter: {name} must be True, None or an array of 1 or 3 "
                        f"values, got {type(v).__name__}")
    if not shape or shape[0] not in (1, 3):
        raise ValueError(f"CreateAugmenter: {name} must have 1 or 3 values, got shape "
                         f"{shape}")


def CreateAugmenter(data_shape: tuple, resize: int = 0, rand_crop: bool = False,
                    rand_resize: bool = False, rand_mirror: bool = False, mean: Any = None,
                    std: Any = None, brightness: float = 0, contrast: float = 0,
                    saturation: float = 0, hue: float = 0, pca_noise: float = 0,
                    rand_gray: float = 0, inter_method: int = 2) -> list:
    """MXNet's standard augmenter list for images of *data_shape* (C, H, W): resize,
    crop (random, random-sized or centre), mirror, cast, colour jitters, PCA noise,
    grey, normalization (``mean=True`` / ``std=True``: ImageNet's)."""
    auglist: list = []
    if resize > 0:
        auglist.append(ResizeAug(resize, inter_method))
    crop_size = (data_shape[2], data_shape[1])
    if rand_resize:
        if not rand_crop:
            raise ValueError("CreateAugmenter: rand_resize requires rand_crop")
        auglist.append(RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0),
                                          inter_method))
    elif rand_crop:
        auglist.append(RandomCropAug(crop_size, inter_method))
    else:
        auglist.append(CenterCropAug(crop_size, inter_method))
    if rand_mirror:
        auglist.append(HorizontalFlipAug(0.5))
    auglist.append(CastAug())
    if brightness or contrast or saturation:
        auglist.append(ColorJitterAug(brightness, contrast, saturation))
    if hue:
        auglist.append(HueJitterAug(hue))
    if pca_noise > 0:
        auglist.append(LightingAug(pca_noise, _PCA_EIGVAL, _PCA_EIGVEC))
    if rand_gray > 0:
        auglist.append(RandomGrayAug(rand_gray))
    if mean is True:
        mean = _np.array([123.68, 116.28, 103.53])
    elif mean is not None:
        _check_stat(mean, "mean")
    if std is True:
        std = _np.array([58.395, 57.12, 57.375])
    elif std is not None:
        _check_stat(std, "std")
    if mean is not None or std is not None:
        auglist.append(ColorNormalizeAug(mean, std))
    return auglist


# ----------------------------------------------------------------------------- iterators
class ImageIterError(MXNetError, ValueError):
    """An ImageIter / ImageDetIter parameter, file or record it cannot use."""


class ImageIterArgumentError(ImageIterError, AssertionError):
    """A parameter MXNet asserts on (an AssertionError there, so here too)."""


class ImageIterFileError(ImageIterError, FileNotFoundError):
    """An image list or image file that does not exist."""


class ImageIterDecodeError(MXNetError, RuntimeError):
    """A record or file whose image cannot be decoded (MXNet: RuntimeError)."""


_LABEL_DTYPES = ("int32", "float32", "int64", "float64")
_LAST_BATCH_HANDLES = ("pad", "discard", "roll_over")


def _np_mode() -> bool:
    from ..npx import is_np_array

    return is_np_array()


def _mode_array(host: Any, dtype: Any = None) -> Any:
    """*host* (NumPy) as an ``mx.np`` array in np mode, an ``mx.nd`` one otherwise."""
    arr = _np.array(_onp.asarray(host, dtype=dtype))
    if _np_mode():
        return arr
    from ..legacy.ndarray import wrap

    return wrap(arr)


def _read_lst(path: str, dtype: str, who: str) -> tuple[dict, dict, list]:
    """(key -> (label array, path), key -> host label, keys) of an image list file
    (``index<TAB>label...<TAB>path`` lines, as im2rec.py writes)."""
    try:
        f = open(path)
    except OSError as e:
        raise ImageIterFileError(f"{who}: cannot open the image list {path!r}: "
                                 f"{e.strerror}") from None
    imglist, host, keys = {}, {}, []
    with f:
        for lineno, line in enumerate(iter(f.readline, ""), 1):
            fields = line.strip().split("\t")
            if len(fields) < 2 or not line.strip():
                raise ImageIterError(f"{who}: {path}, line {lineno}: expected "
                                     f"'index<TAB>label(s)<TAB>path', got {line.strip()!r}")
            try:
                key = int(fields[0])
                # float first: a label '1.5' read with dtype int32 is 1 (MXNet: TypeError)
                lab = _onp.array([float(v) for v in fields[1:-1]]).astype(dtype)
            except ValueError as e:
                raise ImageIterError(f"{who}: {path}, line {lineno}: the index and "
                                     f"labels must be numbers: {e}") from None
            host[key] = lab
            imglist[key] = (_mode_array(lab), fields[-1])
            keys.append(key)
    return imglist, host, keys


def _read_imglist(items: list, dtype: str, who: str) -> tuple[dict, dict, list]:
    """The same from an in-memory ``[[label(s)..., path], ...]`` (keys '1', '2'...)."""
    imglist, host, keys = {}, {}, []
    for k, img in enumerate(items, 1):
        if not isinstance(img, (list, tuple)) or len(img) < 2 or \
                not isinstance(img[-1], str):
            raise ImageIterError(f"{who}: imglist[{k - 1}] must be [label(s)..., path], "
                                 f"got {img!r}")
        key = str(k)
        raw = img[:-1] if len(img) > 2 else img[0]
        try:
            lab = _onp.array(raw, dtype=_onp.float64).reshape(-1).astype(dtype)
        except (TypeError, ValueError) as e:
            raise ImageIterError(f"{who}: imglist[{k - 1}]: the label must be a number "
                                 f"or a list of numbers, got {raw!r}: {e}") from None
        host[key] = lab
        imglist[key] = (_mode_array(lab), img[-1])
        keys.append(key)
    return imglist, host, keys


class ImageIter(DataIter):
    """MXNet's image iterator: batches of (batch_size, C, H, W) images and their labels
    from a RecordIO file (*path_imgrec*, with *path_imgidx* for shuffling and
    partitions), an image list file (*path_imglist*, paths under *path_root*) or an
    in-memory *imglist* (``[[label(s)..., path], ...]``).  Each image is decoded (RGB),
    put through *aug_list* (default: ``CreateAugmenter(data_shape, **kwargs)``) and
    transposed to CHW.  *last_batch_handle*: 'pad' (the last batch is filled from the
    start, ``pad`` says how many), 'discard' (dropped), 'roll_over' (kept for the next
    epoch).  Labels come from the records' headers, or from the image list when one is
    given with an indexed record file.  Batches are ``mx.io.DataBatch`` es of ``mx.nd``
    arrays (``mx.np`` in np mode); data and labels are float32 whatever *dtype* (which
    types the image list's labels), as MXNet's.  Shuffles draw from Python's
    ``random``.  As MXNet's, the first batch of an epoch that begins with images
    rolled over from the last one reports ``pad`` = the places the new epoch filled,
    and *num_parts* drops the last ``len % num_parts`` images."""

    def __init__(self, batch_size: int, data_shape: tuple, label_width: int = 1,
                 path_imgrec: str | None = None, path_imglist: str | None = None,
                 path_root: str | None = None, path_imgidx: str | None = None,
                 shuffle: bool = False, part_index: int = 0, num_parts: int = 1,
                 aug_list: list | None = None, imglist: list | None = None,
                 data_name: str = "data", label_name: str = "softmax_label",
                 dtype: str = "float32", last_batch_handle: str = "pad",
                 **kwargs: Any) -> None:
        from .. import recordio

        super().__init__(batch_size if isinstance(batch_size, int) else 0)
        who = type(self).__name__
        self._who = who
        if not (path_imgrec or path_imglist or isinstance(imglist, list)):
            raise ImageIterArgumentError(f"{who}: give path_imgrec, path_imglist or an "
                                         f"imglist (a list)")
        if dtype not in _LABEL_DTYPES:
            raise ImageIterArgumentError(f"{who}: {dtype} label not supported (dtype must "
                                         f"be one of {', '.join(_LABEL_DTYPES)})")
        if last_batch_handle not in _LAST_BATCH_HANDLES:
            raise ImageIterArgumentError(f"{who}: last_batch_handle must be one of "
                                         f"{_LAST_BATCH_HANDLES}, got {last_batch_handle!r}")
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or \
                batch_size < 1:
            raise ImageIterArgumentError(f"{who}: batch_size must be a positive int, got "
                                         f"{batch_size!r}")
        self.path_imgrec = path_imgrec
        self.imgidx: list | None = None
        if path_imgrec:
            if path_imgidx:
                if not _exists(path_imgidx):
                    raise ImageIterFileError(f"{who}: the record index {path_imgidx!r} "
                                             f"does not exist")
                self.imgrec = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, "r")
                self.imgidx = list(self.imgrec.keys)
            else:
                self.imgrec = recordio.MXRecordIO(path_imgrec, "r")
        else:
            self.imgrec = None

        self._host_labels: dict | None = None
        imgkeys: list = []
        if path_imglist:
            self.imglist, self._host_labels, imgkeys = _read_lst(path_imglist, dtype, who)
        elif isinstance(imglist, list):
            self.imglist, self._host_labels, imgkeys = _read_imglist(imglist, dtype, who)
        else:
            self.imglist = None
        self.path_root = path_root
        self._list_name = path_imglist or "imglist"

        data_shape = tuple(data_shape)
        self.check_data_shape(data_shape)
        self.provide_data = [(data_name, (batch_size,) + data_shape)]
        label_width = int(label_width)
        if label_width < 1:
            raise ImageIterArgumentError(f"{who}: label_width must be >= 1, got "
                                         f"{label_width}")
        if label_width > 1:
            self.provide_label = [(label_name, (batch_size, label_width))]
        else:
            self.provide_label = [(label_name, (batch_size,))]
        self.batch_size = batch_size
        self.data_shape = data_shape
        self.label_width = label_width
        self.shuffle = shuffle
        if self.imgrec is None:
            self.seq: list | None = imgkeys
        elif shuffle or num_parts > 1 or path_imgidx:
            if self.imgidx is None:
                raise ImageIterArgumentError(f"{who}: shuffle and num_parts > 1 need the "
                                             f"record index (path_imgidx) of "
                                             f"{path_imgrec!r}")
            self.seq = self.imgidx
        else:
            self.seq = None
        if num_parts > 1:
            if not 0 <= part_index < num_parts:
                raise ImageIterArgumentError(f"{who}: part_index must be in [0, "
                                             f"{num_parts}), got {part_index}")
            n = len(self.seq) // num_parts
            self.seq = self.seq[part_index * n:(part_index + 1) * n]
        self.auglist = CreateAugmenter(data_shape, **kwargs) if aug_list is None \
            else aug_list
        self.cur = 0
        self._allow_read = True
        self.last_batch_handle = last_batch_handle
        self.num_image = len(self.seq) if self.seq is not None else None
        self._sequential = 0        # records read in file order (for error messages)
        self._where = ""
        self._cache: tuple | None = None
        self.reset()

    def reset(self) -> None:
        """Back to the first image (a new shuffle with *shuffle*); with 'roll_over',
        the images left over from the last epoch stay for the next batch."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.last_batch_handle != "roll_over" or self._cache is None:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
            self._sequential = 0
            self._allow_read = True

    def hard_reset(self) -> None:
        """Back to the first image, dropping any rolled-over images."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.imgrec is not None:
            self.imgrec.reset()
        self.cur = 0
        self._sequential = 0
        self._allow_read = True
        self._cache = None

    # --- reading
    def _source(self) -> str:
        return self.path_imgrec or self._list_name

    def next_sample(self) -> tuple:
        """(label, encoded image bytes) of the next image; StopIteration at the end."""
        if self._allow_read is False:
            raise StopIteration
        if self.seq is not None:
            if self.cur >= self.num_image:
                if self.last_batch_handle != "discard":
                    self.cur = 0
                raise StopIteration
            idx = self.seq[self.cur]
            self.cur += 1
            if self.imgrec is not None:
                self._where = f"{self.path_imgrec!r}, record key {idx!r}"
                s = self.imgrec.read_idx(idx)
                if s is None:
                    raise ImageIterError(f"{self._who}: {self._where}: the record index "
                                         f"points past the end of the file")
                header, img = _unpack(s, self._where)
                if self.imglist is None:
                    return header.label, img
                if idx not in self._host_labels:
                    raise ImageIterError(f"{self._who}: {self._where}: no line with index "
                                         f"{idx!r} in the image list {self._list_name!r}")
                return self._host_labels[idx], img
            label = self._host_labels[idx]
            fname = self.imglist[idx][1]
            self._where = f"{self._list_name!r}, image {fname!r} (key {idx!r})"
            return label, self.read_image(fname)
        s = self.imgrec.read()
        if s is None:
            if self.last_batch_handle != "discard":
                self.imgrec.reset()
                self._sequential = 0
            raise StopIteration
        self._where = f"{self.path_imgrec!r}, record {self._sequential} (in file order)"
        self._sequential += 1
        header, img = _unpack(s, self._where)
        return header.label, img

    def read_image(self, fname: str) -> bytes:
        """The bytes of the image file *fname* (under *path_root*)."""
        import os

        path = os.path.join(self.path_root, fname) if self.path_root is not None else fname
        try:
            with open(path, "rb") as fin:
                return fin.read()
        except OSError as e:
            raise ImageIterFileError(f"{self._who}: cannot read the image {path!r} (listed "
                                     f"in {self._list_name!r}): {e.strerror}") from None

    def imdecode(self, s: bytes) -> Any:
        """Decode the bytes *s* (RGB; an ``mx.nd`` array, ``mx.np`` in np mode)."""
        try:
            if isinstance(s, (bytes, bytearray, memoryview)):
                # the worker's decode error (a truncated file) names the image too
                img = _codec.decode_op(bytes(s), 1, True, f"{self._who}: {self._where}")
            else:
                img = imdecode(s)
        except Exception as e:       # noqa: BLE001  (any decode failure names the image)
            raise ImageIterDecodeError(f"{self._who}: broken image at {self._where}: "
                                       f"{e}") from None
        if _np_mode():
            return img
        from ..legacy.ndarray import wrap

        return wrap(img)

    # --- the checks and steps MXNet's subclasses override
    def check_data_shape(self, data_shape: tuple) -> None:
        """data_shape must be (3, H, W)."""
        if not len(data_shape) == 3:
            raise ValueError("data_shape should have length 3, with dimensions CxHxW")
        if not data_shape[0] == 3:
            raise ValueError("This iterator expects inputs to have 3 channels.")

    def check_valid_image(self, data: Any) -> None:
        """RuntimeError (the image is skipped) if *data* is not an image."""
        first = data[0] if isinstance(data, (list, tuple)) else None
        shape = first.shape if first is not None else tuple(data.shape)[1:]
        if len(shape) == 0:
            raise RuntimeError("Data shape is wrong")

    def augmentation_transform(self, data: Any) -> Any:
        """*data* through every augmenter of ``self.auglist``."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum: Any) -> Any:
        """The (H, W, C) image as (C, H, W)."""
        return _like(_np_of(datum, type(self).__name__).transpose(2, 0, 1), datum)

    # --- batches
    def _label_row(self, label: Any) -> Any:
        """The host label of one image, as a row of the batch's label."""
        lab = _onp.asarray(label, dtype=_onp.float32).reshape(-1)
        if lab.size != self.label_width and lab.size != 1:
            raise ImageIterError(f"{self._who}: {self._where}: the label has {lab.size} "
                                 f"values, label_width is {self.label_width}")
        if self.label_width == 1:
            return lab[0]
        return _onp.broadcast_to(lab, (self.label_width,))

    def _sample(self) -> tuple | None:
        """(CHW image, label row) of the next image, None to skip it."""
        label, s = self.next_sample()
        data = self.imdecode(s)
        try:
            self.check_valid_image(data)
        except RuntimeError as e:
            logging.debug("Invalid image, skipping:  %s", e)
            return None
        data = self.augmentation_transform(data)
        return self._check_chw(self.postprocess_data(data)), self._label_row(label)

    def _check_chw(self, chw: Any) -> Any:
        if tuple(chw.shape) != self.data_shape:
            c, h, w = self.data_shape
            raise ImageIterError(
                f"{self._who}: {self._where}: the augmented image is {tuple(chw.shape)} "
                f"(C, H, W), data_shape is {self.data_shape}: the augmenters must make "
                f"({h}, {w}, {c}) images (add a resize or crop augmenter, e.g. "
                f"ForceResizeAug(({w}, {h})))")
        return chw

    def _batchify(self, items: list, labels: list) -> int:
        """Append images and labels until the batch is full or the data ends."""
        try:
            while len(items) < self.batch_size:
                got = self._sample()
                if got is None:
                    continue
                items.append(got[0])
                labels.append(got[1])
        except StopIteration:
            if not items:
                raise
        return len(items)

    def _empty_label(self) -> Any:
        return _onp.zeros(self.provide_label[0][1][1:], dtype=_onp.float32)

    def _make_batch(self, items: list, labels: list, pad: int) -> Any:
        n = self.batch_size
        zero = None
        xs = []
        for x in items:
            xs.append(_np.array(x) if isinstance(x, _onp.ndarray) else _np_of(x, self._who))
        while len(xs) < n:           # 'pad' with fewer images than a batch: zeros
            if zero is None:
                zero = _np.zeros(self.data_shape, dtype="float32")
            xs.append(zero)
            labels.append(self._empty_label())
        data = _np.stack(xs, axis=0)
        if data.dtype != _onp.float32:
            data = data.astype("float32")
        label = _np.array(_onp.stack([_onp.asarray(v, _onp.float32) for v in labels]))
        if not _np_mode():
            from ..legacy.ndarray import wrap

            data, label = wrap(data), wrap(label)
        return DataBatch([data], [label], pad=pad)

    def next(self) -> Any:
        """The next batch (StopIteration at the end of the epoch)."""
        if self._cache is not None:
            items, labels = self._cache
            i = len(items)
        else:
            items, labels = [], []
            i = self._batchify(items, labels)
        pad = self.batch_size - i
        if pad:
            if self.last_batch_handle == "discard":
                raise StopIteration
            if self.last_batch_handle == "roll_over" and self._cache is None:
                self._cache = (items, labels)
                raise StopIteration
            try:
                self._batchify(items, labels)
            except StopIteration:
                pass
            if self.last_batch_handle == "pad":
                self._allow_read = False
            else:
                self._cache = None
        return self._make_batch(items, labels, pad)


def _exists(path: str) -> bool:
    import os

    return os.path.isfile(path)


def _unpack(s: bytes, where: str) -> tuple:
    from .. import recordio

    try:
        return recordio.unpack(s)
    except recordio.RecordIOError as e:
        raise ImageIterError(f"ImageIter: {where}: not an image record: {e}") from None
