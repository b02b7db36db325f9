"""Image decoding with Pillow (an optional dependency; MXNet uses OpenCV).

``decode_op(data, flag, to_rgb)`` reads the header at call time (to know the output's
shape, as any op must) and pushes the decode itself to an engine worker, so decoding
many files (ImageFolderDataset in a DataLoader) runs on the workers, not the caller.

What OpenCV's ``imdecode`` does and this copies: ``flag=1`` gives 3 channels (alpha
dropped, palettes and greyscale expanded), ``flag=0`` 1 channel (JPEGs decoded to
their luma directly, as libjpeg does for OpenCV; other images converted with the
0.299/0.587/0.114 weights); 16-bit images are scaled to 8 bits; EXIF orientation is
applied.  PNG, BMP, GIF... decode to the same pixels as OpenCV; JPEG decoders can
differ by a few levels (IDCT and chroma upsampling are the decoder's choice).
"""
from __future__ import annotations

import io
from typing import Any

from ..base import MXNetError, optional_import
from ..device import cpu
from ..ndarray.ndarray import NDArray, apply_op
from ..ndarray.ops import register

_ORIENTATION = 0x0112
_SWAPS_AXES = (5, 6, 7, 8)


def _pil() -> Any:
    return optional_import("PIL.Image", "mxnet.image (decoding images; ndengine uses "
                                        "Pillow where MXNet uses OpenCV)")


class ImageDecodeError(MXNetError, ValueError):
    """The bytes are not an image Pillow can read."""


def _open(data: bytes, what: str) -> Any:
    Image = _pil()
    try:
        img = Image.open(io.BytesIO(data))
    except Exception as e:           # noqa: BLE001  (Pillow raises several kinds)
        raise ImageDecodeError(f"{what}: decoding failed, not an image Pillow can read "
                               f"({len(data)} bytes): {e}") from None
    return img


def _orientation(img: Any) -> int:
    try:
        return int(img.getexif().get(_ORIENTATION, 1))
    except Exception:                # noqa: BLE001  (a broken EXIF block is ignored)
        return 1


def header_shape(data: bytes, flag: int, what: str) -> tuple[int, int, int]:
    img = _open(data, what)
    w, h = img.size
    if _orientation(img) in _SWAPS_AXES:
        w, h = h, w
    return h, w, 3 if flag else 1


def _decode(xp: Any, data: bytes, flag: int, to_rgb: bool, what: str) -> Any:
    Image = _pil()
    ImageOps = optional_import("PIL.ImageOps", "mxnet.image")

    img = _open(data, what)
    try:
        if flag == 0 and img.format == "JPEG":
            img.draft("L", img.size)
        img.load()
        img = ImageOps.exif_transpose(img)
        if img.mode in ("I;16", "I;16B", "I;16L", "I"):
            arr = xp.asarray(img).astype(xp.uint32) >> 8
            img = Image.fromarray(arr.astype(xp.uint8), mode="L")
        if img.mode == "RGBA" and flag:
            img = img.convert("RGB")
        img = img.convert("RGB" if flag else "L")
    except Exception as e:           # noqa: BLE001
        raise ImageDecodeError(f"{what}: decoding failed: {e}") from None
    arr = xp.asarray(img, dtype=xp.uint8)
    if flag:
        return arr if to_rgb else xp.ascontiguousarray(arr[:, :, ::-1])
    return arr.reshape(arr.shape + (1,))


def _decode_kernel(xp: Any, data: bytes, flag: int, to_rgb: bool, what: str,
                   shape: tuple) -> Any:
    out = _decode(xp, data, flag, to_rgb, what)
    if tuple(out.shape) != tuple(shape):
        raise ImageDecodeError(f"{what}: the decoded image has shape {tuple(out.shape)}, "
                               f"its header said {tuple(shape)}")
    return out


_DECODE = register("imdecode", _decode_kernel,
                   lambda data, flag, to_rgb, what, shape: (tuple(shape), "uint8"), kind="copy")


def decode_op(data: bytes, flag: int, to_rgb: bool, what: str) -> NDArray:
    """An (H, W, 3) or (H, W, 1) uint8 array, decoded on an engine worker."""
    shape = header_shape(data, flag, what)
    return apply_op(_DECODE, (), {"data": data, "flag": flag, "to_rgb": bool(to_rgb),
                                  "what": what, "shape": shape}, cpu(0))
