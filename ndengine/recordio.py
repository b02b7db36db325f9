"""``mxnet.recordio``: MXNet's RecordIO files (``.rec``, with ``.idx`` indexes), read and
written in pure Python, byte for byte as MXNet (dmlc-core) does.

The format: each record is ``magic (0xced7230a) | lrec | data | zero padding to 4
bytes``, little-endian uint32s, ``lrec = cflag << 29 | length``.  A record whose data
holds the magic number at a 4-byte boundary is split there into parts (cflag 1 first,
2 middle, 3 last; 0 for a whole record) and the magic left out; reading puts it back.
An ``.idx`` file has one ``key<TAB>offset`` line per record.

Image records (:func:`pack` / :func:`unpack`) start with an ``IRHeader``
(``struct 'IfQQ'``: flag, label, id, id2); with ``flag > 0`` the label is that many
float32 values after the header.  ``pack_img`` / ``unpack_img`` encode and decode
with Pillow (MXNet uses OpenCV: images are BGR NumPy arrays, as there).
"""
from __future__ import annotations

import io
import numbers
import struct
from collections import namedtuple
from typing import Any

import numpy as _onp

from .base import MXNetError

__all__ = ["MXRecordIO", "MXIndexedRecordIO", "IRHeader", "pack", "unpack", "pack_img",
           "unpack_img", "RecordIOError"]

_MAGIC = 0xced7230a
_MAGIC_BYTES = struct.pack("<I", _MAGIC)
_LEN_MASK = (1 << 29) - 1


class RecordIOError(MXNetError, ValueError):
    """A RecordIO file is not valid."""


def _encode_record(buf: bytes) -> bytes:
    """The bytes of one record as dmlc's RecordIOWriter writes them."""
    n = len(buf)
    out = []
    start = 0
    words = _onp.frombuffer(buf[: n - n % 4], dtype="<u4")
    for pos in (_onp.flatnonzero(words == _MAGIC) * 4).tolist():
        out.append(_MAGIC_BYTES + struct.pack("<I", ((1 if start == 0 else 2) << 29)
                                              | (pos - start)) + buf[start:pos])
        start = pos + 4
    out.append(_MAGIC_BYTES + struct.pack("<I", ((3 if start else 0) << 29) | (n - start))
               + buf[start:] + bytes(-n % 4))
    return b"".join(out)


class MXRecordIO:
    """Sequential reads (``flag='r'``) or writes (``'w'``) of the records of *uri*."""

    def __init__(self, uri: str, flag: str) -> None:
        self.uri = uri
        self.flag = flag
        self.is_open = False
        self._f: Any = None
        self.open()

    def open(self) -> None:
        """Open the file (a write truncates it)."""
        if self.flag == "w":
            self._f = open(self.uri, "wb")
            self.writable = True
        elif self.flag == "r":
            try:
                self._f = open(self.uri, "rb")
            except OSError as e:
                raise RecordIOError(f"MXRecordIO: cannot open {self.uri!r}: {e.strerror}") \
                    from None
            self.writable = False
        else:
            raise ValueError(f"Invalid flag {self.flag}")
        self.is_open = True

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:            # noqa: BLE001  (interpreter shutdown)
            pass

    def __getstate__(self) -> dict:
        is_open = self.is_open
        self.close()
        d = dict(self.__dict__)
        d["is_open"] = is_open
        d["_f"] = None
        return d

    def __setstate__(self, d: dict) -> None:
        self.__dict__ = d
        is_open = d["is_open"]
        self.is_open = False
        if is_open:
            self.open()

    def close(self) -> None:
        """Close the file."""
        if not self.is_open:
            return
        self._f.close()
        self.is_open = False

    def reset(self) -> None:
        """Back to the first record (a writer truncates the file)."""
        self.close()
        self.open()

    def write(self, buf: bytes) -> None:
        """Append *buf* as one record."""
        if not self.writable:
            raise RecordIOError(f"MXRecordIO: {self.uri!r} is open for reading")
        self._f.write(_encode_record(bytes(buf)))

    def read(self) -> bytes | None:
        """The next record, or None at the end of the file."""
        if self.writable:
            raise RecordIOError(f"MXRecordIO: {self.uri!r} is open for writing")
        parts = []
        while True:
            head = self._f.read(8)
            if not head:
                if parts:
                    raise RecordIOError(f"MXRecordIO: {self.uri!r} ends inside a record")
                return None
            if len(head) != 8:
                raise RecordIOError(f"Invalid RecordIO File {self.uri!r}: truncated header")
            magic, lrec = struct.unpack("<II", head)
            if magic != _MAGIC:
                raise RecordIOError(f"Invalid RecordIO File {self.uri!r}: bad magic number "
                                    f"{magic:#x} at byte {self._f.tell() - 8}")
            cflag, n = lrec >> 29, lrec & _LEN_MASK
            data = self._f.read(n + (-n % 4))
            if len(data) < n:
                raise RecordIOError(f"Invalid RecordIO File {self.uri!r}: truncated record")
            parts.append(data[:n])
            if cflag in (0, 3):
                return _MAGIC_BYTES.join(parts)

    def _seek(self, pos: int) -> None:
        self._f.seek(pos)

    def _tell(self) -> int:
        self._f.flush()
        return self._f.tell()


class MXIndexedRecordIO(MXRecordIO):
    """Random access to the records of *uri* through the index file *idx_path*
    (``key<TAB>offset`` lines); keys are converted with *key_type*."""

    def __init__(self, idx_path: str, uri: str, flag: str, key_type: type = int) -> None:
        self.idx_path = idx_path
        self.idx: dict = {}
        self.keys: list = []
        self.key_type = key_type
        self.fidx: Any = None
        super().__init__(uri, flag)

    def open(self) -> None:
        super().open()
        self.idx = {}
        self.keys = []
        self.fidx = open(self.idx_path, self.flag)
        if not self.writable:
            for line in iter(self.fidx.readline, ""):
                fields = line.strip().split("\t")
                key = self.key_type(fields[0])
                self.idx[key] = int(fields[1])
                self.keys.append(key)

    def close(self) -> None:
        if not self.is_open:
            return
        super().close()
        self.fidx.close()

    def __getstate__(self) -> dict:
        d = super().__getstate__()
        d["fidx"] = None
        return d

    def seek(self, idx: Any) -> None:
        """Move the reader to the record of key *idx*."""
        if self.writable:
            raise RecordIOError(f"MXIndexedRecordIO: {self.uri!r} is open for writing")
        if idx not in self.idx:
            raise KeyError(f"MXIndexedRecordIO: no record with key {idx!r} in "
                           f"{self.idx_path!r}")
        self._seek(self.idx[idx])

    def tell(self) -> int:
        """The writer's position (the offset of the next record)."""
        if not self.writable:
            raise RecordIOError(f"MXIndexedRecordIO: {self.uri!r} is open for reading")
        return self._tell()

    def read_idx(self, idx: Any) -> bytes | None:
        """The record of key *idx*."""
        self.seek(idx)
        return self.read()

    def write_idx(self, idx: Any, buf: bytes) -> None:
        """Append *buf* as the record of key *idx*."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self.fidx.write(f"{key}\t{pos}\n")
        self.idx[key] = pos
        self.keys.append(key)


IRHeader = namedtuple("HEADER", ["flag", "label", "id", "id2"])
_IR_FORMAT = "IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header: Any, s: bytes) -> bytes:
    """An image record: *header* (an IRHeader; its label a number, or an array stored
    after the header with ``flag`` = its size) followed by *s*."""
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = _onp.asarray(header.label, dtype=_onp.float32)
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + s
    return struct.pack(_IR_FORMAT, *header) + s


def unpack(s: bytes) -> tuple[Any, bytes]:
    """(IRHeader, payload) of an image record."""
    if len(s) < _IR_SIZE:
        raise RecordIOError(f"unpack: a record of {len(s)} bytes is shorter than the "
                            f"{_IR_SIZE}-byte IRHeader")
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        header = header._replace(label=_onp.frombuffer(s, _onp.float32, header.flag))
        s = s[header.flag * 4:]
    return header, s


def unpack_img(s: bytes, iscolor: int = -1) -> tuple[Any, Any]:
    """(IRHeader, image) of an image record; the image is a NumPy array in OpenCV's
    layout (BGR; *iscolor* 1 colour, 0 greyscale (H, W), -1 as stored)."""
    from .image import _codec        # (its _open says so clearly when Pillow is missing)

    header, data = unpack(s)
    img = _codec._open(data, "unpack_img")
    if iscolor == -1:
        if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
            rgba = _onp.asarray(img.convert("RGBA"))
            return header, _onp.ascontiguousarray(rgba[:, :, [2, 1, 0, 3]])
        flag = 0 if img.mode in ("1", "L", "I", "I;16", "I;16B", "I;16L") else 1
    else:
        flag = 1 if iscolor else 0
    arr = _codec._decode(_onp, data, flag, False, "unpack_img")
    return header, arr if flag else arr[:, :, 0]


def pack_img(header: Any, img: Any, quality: int = 95, img_fmt: str = ".jpg") -> bytes:
    """An image record of the BGR (or greyscale) NumPy image *img*, encoded as JPEG
    (*quality* 1-100) or PNG (*quality*: compression 1-9, larger values meaning 9)."""
    from .image._codec import _pil

    Image = _pil()
    fmt = img_fmt.upper()
    if fmt in (".JPG", ".JPEG"):
        kind, opts = "JPEG", {"quality": int(quality)}
    elif fmt == ".PNG":
        kind, opts = "PNG", {"compress_level": min(max(int(quality), 0), 9)}
    else:
        raise ValueError(f"pack_img: img_fmt must be .jpg, .jpeg or .png, got {img_fmt!r}")
    arr = _onp.asarray(img)
    if arr.dtype != _onp.uint8:
        raise TypeError(f"pack_img: the image must be uint8, got {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        order = [2, 1, 0] if arr.shape[2] == 3 else [2, 1, 0, 3]
        arr = _onp.ascontiguousarray(arr[:, :, order])
    elif arr.ndim != 2:
        raise ValueError(f"pack_img: img must be (H, W), (H, W, 1), (H, W, 3) or "
                         f"(H, W, 4), got shape {arr.shape}")
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, kind, **opts)
    return pack(header, buf.getvalue())

