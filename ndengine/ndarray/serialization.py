"""MXNet's binary NDArray list format: the files ``npx.save``, ``mx.nd.save`` and
``Block.save_parameters`` write (``.params`` files).

API: ``save(fname, data)`` / ``load(fname)``, and the in-memory ``saves(data)`` /
``loads(buf)`` (``loads`` is MXNet's ``mx.nd.load_frombuffer``).  *data* is one array,
a list/tuple of arrays, or a dict str -> array; ``load`` gives a list, or a dict when
the file holds names.

The layout (little-endian throughout; read from MXNet 1.9.1's ``NDArray::Save`` /
``NDArray::Load`` in src/ndarray/ndarray.cc and checked against files it writes)::

    file    := u64 0x112 (list magic)  u64 0 (reserved)
               u64 n  array * n
               u64 m  (u64 len, utf-8 bytes) * m          m is 0 or n
    array   := u32 magic  i32 stype  [sparse: shape(storage)]
               shape                      (a "none" array ends here)
               i32 dev_type  i32 dev_id   (1 cpu, 2 gpu, 3 cpu_pinned, 5 cpu_shared)
               i32 type_flag              (0 f32, 1 f64, 2 f16, 3 u8, 4 i32, 5 i8,
                                           6 i64, 7 bool, 8 i16, 9 u16, 10 u32,
                                           11 u64, 12 bf16)
               [sparse: (i32 aux_type_flag, shape) per aux array]
               data (C order)  [sparse: the aux arrays' data]
    shape   := i32 ndim  i64 * ndim

Array magics: ``0xF993FACA`` (V3, NumPy shape semantics: 0-d arrays and zero-size
dimensions are real shapes; ndim -1 is a none array), ``0xF993FAC9`` (V2, legacy
semantics: ndim 0 is a none array), ``0xF993FAC8`` (V1: no storage type) and older
files with no magic at all, whose first u32 is the ndim and whose dims are u32.
stype: 0 dense, 1 row_sparse (one aux array: the row indices), 2 csr (indptr,
indices).

MXNet writes every array of a file with V3 in NumPy mode (``npx.save``) and V2 in
legacy mode (``mx.nd.save``), and refuses to load a V2 array in NumPy mode or a V3
array in legacy mode.  Here ``save(..., np_shape=True)`` (the default) writes V3;
``np_shape=False`` writes V2, except for arrays legacy shapes cannot express (0-d, or
a zero-size dimension), which get V3.  ``load`` reads every version in any mode, and
gives sparse arrays as dense ones (``mx.nd.load`` gives them as ``mx.nd.sparse`` arrays,
and ``mx.nd.save`` writes those as MXNet does); bfloat16 arrays
come back as float32 (NumPy has no bfloat16), none arrays as ``None``.

Saving is a sync point (the values are read first; an array whose op failed raises
its error before the file is touched) and atomic: the bytes go to a temporary file
beside the target, which is renamed over it only when complete, so a full disk or a
Ctrl-C never leaves a half-written file under the final name.  Loaded arrays are on
cpu(0) and ready at once (no op is pending on them).  A bad file (missing, a
directory, truncated, wrong magic, unknown dtype or storage type, absurd sizes)
raises an error naming the file and what is wrong, never a crash or a hang: sizes are
checked against the bytes left before anything is allocated.  A sparse array's dense
shape is not backed by bytes of the file: it is densified only up to 1 GiB or 1024
times the bytes the file stores for it, and its indices are checked first.
``load_parameters`` reads a file with a ``_Reader`` given its path: dense arrays are
then located, not read (:class:`LazyArray`), so that shapes are checked against the
parameters before any value is read.
"""
from __future__ import annotations

import io
import os
import struct
from typing import Any, BinaryIO

import numpy as _onp

from ..base import MXNetError, atomic_write, file_path

__all__ = ["save", "load", "saves", "loads", "load_frombuffer", "NDArrayFileError",
           "LIST_MAGIC", "V1_MAGIC", "V2_MAGIC", "V3_MAGIC", "DTYPE_FLAGS"]

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9
V3_MAGIC = 0xF993FACA

_DTYPES = ["float32", "float64", "float16", "uint8", "int32", "int8", "int64", "bool",
           "int16", "uint16", "uint32", "uint64"]
#: NumPy dtype -> MXNet's (mshadow's) type flag
DTYPE_FLAGS: dict[Any, int] = {_onp.dtype(n): i for i, n in enumerate(_DTYPES)}
_FLAG_DTYPES = {i: _onp.dtype(n).newbyteorder("<") for i, n in enumerate(_DTYPES)}
_BFLOAT16 = 12
_DEV_TYPES = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
_DEV_FLAGS = {v: k for k, v in _DEV_TYPES.items()}
_STYPES = {0: "default", 1: "row_sparse", 2: "csr"}
_NUM_AUX = {0: 0, 1: 1, 2: 2}
_MAX_NDIM = 64          # NumPy's limit; a larger ndim means a corrupt file
_MAX_ELEMENTS = 1 << 59  # more (zero dimensions counted as 1) and NumPy cannot shape it
# a sparse array's dense shape is not backed by the file's bytes: densifying it may make
# up to this many bytes, or this many times what the file stores for it
_MAX_DENSE_BYTES = 1 << 30
_MAX_DENSE_RATIO = 1024


class NDArrayFileError(MXNetError, ValueError):
    """A file (or buffer) is not a valid MXNet NDArray file; the message names it and
    says what is wrong."""


class NDArrayFileNotFoundError(MXNetError, FileNotFoundError):
    """The file to load does not exist."""


class NDArrayIsADirectoryError(MXNetError, IsADirectoryError):
    """The path to load or save is a directory."""


# ----------------------------------------------------------------------------- saving
def _is_array(v: Any) -> bool:
    return hasattr(v, "asnumpy") and hasattr(v, "shape") and hasattr(v, "dtype")


def _items(data: Any, opname: str) -> tuple[list[Any], list[str] | None]:
    """(arrays, names or None) of what ``save`` was given."""
    if _is_array(data):
        return [data], None
    if isinstance(data, dict):
        names = []
        for k, v in data.items():
            if not isinstance(k, str):
                raise TypeError(f"{opname}: dict keys must be str, got {type(k).__name__} "
                                f"{k!r}")
            if not _is_array(v):
                raise TypeError(f"{opname}: only accepts dict str->ndarray or list of "
                                f"ndarrays; the value of {k!r} is a {type(v).__name__}")
            names.append(k)
        return list(data.values()), names
    if isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            if not _is_array(v):
                raise TypeError(f"{opname}: only accepts dict str->ndarray or list of "
                                f"ndarrays; item {i} is a {type(v).__name__}")
        return list(data), None
    raise ValueError(f"{opname}: data needs to either be an ndarray, a dict of (str, "
                     f"ndarray) pairs or a list of ndarrays, got {type(data).__name__}")


def _dev_flag(arr: Any) -> tuple[int, int]:
    dev = getattr(arr, "device", None)
    kind = getattr(dev, "device_type", "cpu")
    return _DEV_FLAGS.get(kind, 1), int(getattr(dev, "device_id", 0) or 0)


def _check_dtypes(arrays: list[Any], names: list[str] | None, opname: str) -> None:
    for i, a in enumerate(arrays):
        dt = _onp.dtype(a.dtype)
        if dt not in DTYPE_FLAGS:
            which = repr(names[i]) if names else f"item {i}"
            raise TypeError(f"{opname}: {which} has dtype {dt}, which MXNet's file format "
                            f"cannot hold (it holds {', '.join(_DTYPES)})")


def _header(a: _onp.ndarray, dev: tuple[int, int], np_shape: bool) -> bytes:
    shape = a.shape
    v3 = np_shape or len(shape) == 0 or 0 in shape
    parts = [struct.pack("<Ii", V3_MAGIC if v3 else V2_MAGIC, 0),
             struct.pack(f"<i{len(shape)}q", len(shape), *shape),
             struct.pack("<iii", dev[0], dev[1], DTYPE_FLAGS[a.dtype.newbyteorder("=")])]
    return b"".join(parts)


def _host(arr: Any) -> _onp.ndarray:
    """The values of *arr* as a little-endian C-contiguous NumPy array."""
    a = _onp.asarray(arr.asnumpy())
    if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and
                                    _onp.little_endian is False):
        a = a.astype(a.dtype.newbyteorder("<"))
    return a if a.flags.c_contiguous else a.copy(order="C")   # keeps 0-d arrays 0-d


def _write(f: BinaryIO, arrays: list[Any], names: list[str] | None, np_shape: bool) -> None:
    f.write(struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays)))
    for arr in arrays:
        dev = _dev_flag(arr)
        sparse = getattr(arr, "_file_parts", None)
        if sparse is not None:
            _write_sparse(f, *sparse(), dev, np_shape)
            continue
        a = _host(arr)
        f.write(_header(a, dev, np_shape))
        if a.size:
            f.write(memoryview(a.reshape(-1)).cast("B"))
        del a
    keys = [n.encode("utf-8") for n in names] if names else []
    f.write(struct.pack("<Q", len(keys)))
    for k in keys:
        f.write(struct.pack("<Q", len(k)))
        f.write(k)


def _write_sparse(f: BinaryIO, stype: str, shape: tuple, values: _onp.ndarray,
                  aux: list[_onp.ndarray], dev: tuple[int, int], np_shape: bool) -> None:
    """A sparse array's record: storage type, the values' (storage) shape, the dense
    shape, device, dtype, each aux array's dtype and shape, then values and aux data
    (``_file_parts()`` of ndengine.legacy.sparse: csr aux = indptr, indices; row_sparse
    aux = row indices)."""
    v3 = np_shape or len(shape) == 0 or 0 in shape
    code = {v: k for k, v in _STYPES.items()}[stype]
    parts = [struct.pack("<Ii", V3_MAGIC if v3 else V2_MAGIC, code),
             struct.pack(f"<i{values.ndim}q", values.ndim, *values.shape),
             struct.pack(f"<i{len(shape)}q", len(shape), *shape),
             struct.pack("<iii", dev[0], dev[1], DTYPE_FLAGS[values.dtype.newbyteorder("=")])]
    for a in aux:
        parts.append(struct.pack(f"<ii{a.ndim}q", DTYPE_FLAGS[a.dtype.newbyteorder("=")],
                                 a.ndim, *a.shape))
    f.write(b"".join(parts))
    for a in [values] + list(aux):
        a = _onp.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        if a.size:
            f.write(memoryview(a.reshape(-1)).cast("B"))


def _prepare(data: Any, opname: str) -> tuple[list[Any], list[str] | None]:
    arrays, names = _items(data, opname)
    _check_dtypes(arrays, names, opname)
    for a in arrays:        # the sync point: a failed op raises before any byte is written
        wait = getattr(a, "wait_to_read", None)
        if wait is not None:
            wait()
    return arrays, names


def save(fname: Any, data: Any, np_shape: bool = True) -> None:
    """Write *data* (an array, a list/tuple of arrays, or a dict str -> array) to
    *fname* in MXNet's NDArray file format (see the module notes).  A sync point;
    atomic (temporary file, then rename).  *np_shape*: write NumPy-shape (V3) arrays,
    as ``npx.save`` does; False writes legacy (V2) arrays where the shape allows, as
    ``mx.nd.save`` does."""
    opname = "save"
    path = _path(fname, opname)
    arrays, names = _prepare(data, opname)
    if os.path.isdir(path):
        raise NDArrayIsADirectoryError(f"{opname}: {path!r} is a directory")
    with atomic_write(path, opname) as f:
        _write(f, arrays, names, np_shape)


def saves(data: Any, np_shape: bool = True) -> bytes:
    """The bytes :func:`save` would write (a sync point)."""
    arrays, names = _prepare(data, "saves")
    buf = io.BytesIO()
    _write(buf, arrays, names, np_shape)
    return buf.getvalue()


# ----------------------------------------------------------------------------- loading
class _Reader:
    """Reads the parts of one file, checking every size against the bytes left."""

    def __init__(self, f: BinaryIO, size: int, where: str, lazy_path: str | None = None) -> None:
        self.f = f
        self.size = size
        self.pos = 0
        self.where = where
        # with a path: dense arrays are not read, only checked and located (LazyArray)
        self.lazy_path = lazy_path
        self.stat = os.fstat(f.fileno()) if lazy_path is not None else None
        self.keep_sparse = False    # sparse arrays as SparseRecord, not densified

    def skip(self, n: int) -> None:
        self.f.seek(n, io.SEEK_CUR)
        self.pos += n

    def fail(self, what: str) -> NDArrayFileError:
        return NDArrayFileError(f"{self.where}: {what}")

    def left(self) -> int:
        return self.size - self.pos

    def read(self, n: int, what: str) -> bytes:
        if n > self.left():
            raise self.fail(f"truncated: {what} needs {n} bytes at offset {self.pos}, "
                            f"only {self.left()} left")
        b = self.f.read(n)
        if len(b) != n:
            raise self.fail(f"truncated: {what} needs {n} bytes at offset {self.pos}, "
                            f"read {len(b)}")
        self.pos += n
        return b

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt), what))

    def into(self, out: _onp.ndarray, what: str) -> None:
        n = out.nbytes
        if n > self.left():
            raise self.fail(f"truncated: {what} needs {n} bytes at offset {self.pos}, "
                            f"only {self.left()} left")
        if n:
            got = self.f.readinto(memoryview(out.reshape(-1)).cast("B"))
            if got != n:
                raise self.fail(f"truncated: {what} needs {n} bytes at offset {self.pos}, "
                                f"read {got}")
        self.pos += n


def _read_shape(r: _Reader, what: str, dims32: bool = False,
                ndim: int | None = None) -> tuple[int, ...] | None:
    """A shape; None for an unknown one (ndim -1 or a dim -1: a none array)."""
    if ndim is None:
        (ndim,) = r.unpack("<i", f"{what}: ndim")
    if ndim == -1:
        return None
    if not 0 <= ndim <= _MAX_NDIM:
        raise r.fail(f"{what}: ndim {ndim} is not a valid number of dimensions")
    fmt = f"<{ndim}{'I' if dims32 else 'q'}"
    dims = r.unpack(fmt, f"{what}: shape")
    if any(d < 0 for d in dims):
        if all(d >= -1 for d in dims):
            return None
        raise r.fail(f"{what}: negative dimension in shape {dims}")
    count = 1
    for d in dims:
        count *= max(int(d), 1)
    if count > _MAX_ELEMENTS:       # NumPy could not make it (even with a zero dimension)
        raise r.fail(f"{what}: shape {tuple(dims)} is too large for an array")
    return tuple(int(d) for d in dims)


def _dtype(r: _Reader, flag: int, what: str) -> Any:
    if flag == _BFLOAT16:
        return "bfloat16"
    dt = _FLAG_DTYPES.get(flag)
    if dt is None:
        raise r.fail(f"{what}: unknown dtype flag {flag} (known: "
                     + ", ".join(f"{i} {n}" for i, n in enumerate(_DTYPES)) + ", 12 bfloat16)")
    return dt


class LazyArray:
    """A dense array of a file, known by its header (``shape``, ``dtype``) and located;
    ``read()`` reads it (as an NDArray on cpu(0)).  What ``load_parameters`` uses, so
    the shapes are checked against the parameters before any value is read."""

    def __init__(self, r: _Reader, shape: tuple[int, ...], dt: Any, what: str) -> None:
        self._path, self._stat, self._where = r.lazy_path, r.stat, r.where
        self._offset, self._dt, self._what = r.pos, dt, what
        self.shape = shape
        self.dtype = _onp.dtype(_onp.float32) if dt == "bfloat16" else dt.newbyteorder("=")

    def read(self) -> Any:
        from .ndarray import from_buffer

        with open(self._path, "rb") as f:
            st = os.fstat(f.fileno())
            if (st.st_ino, st.st_size, st.st_mtime_ns) != (
                    self._stat.st_ino, self._stat.st_size, self._stat.st_mtime_ns):
                raise NDArrayFileError(f"{self._where}: the file changed while it was "
                                       f"being loaded")
            f.seek(self._offset)
            r = _Reader(f, st.st_size, self._where)
            r.pos = self._offset
            return from_buffer(_read_data(r, self.shape, self._dt, self._what))


def _read_data(r: _Reader, shape: tuple[int, ...], dt: Any, what: str,
               lazy: bool = False) -> Any:
    count = 1
    for d in shape:
        count *= d
    item = 2 if dt == "bfloat16" else dt.itemsize
    if count * item > r.left():
        raise r.fail(f"truncated: {what} of shape {shape} needs {count * item} bytes at "
                     f"offset {r.pos}, only {r.left()} left")
    if lazy and r.lazy_path is not None:
        out = LazyArray(r, shape, dt, what)
        r.skip(count * item)
        return out
    if dt == "bfloat16":
        raw = _onp.empty(count, _onp.dtype("<u2"))
        r.into(raw, what)
        out = (raw.astype(_onp.uint32) << 16).view(_onp.float32)
    else:
        out = _onp.empty(count, dt)
        r.into(out, what)
        if out.dtype.byteorder not in ("=", "|"):
            out = out.astype(out.dtype.newbyteorder("="))
    return out.reshape(shape)


def _read_context(r: _Reader, what: str) -> None:
    dev_type, dev_id = r.unpack("<ii", f"{what}: context")
    if dev_type not in _DEV_TYPES or dev_id < 0:
        raise r.fail(f"{what}: invalid context (device type {dev_type}, id {dev_id})")


def _read_legacy(r: _Reader, magic: int, what: str) -> _onp.ndarray | None:
    """V1 arrays and the older ones with no magic (whose first u32 is the ndim)."""
    if magic == V1_MAGIC:
        shape = _read_shape(r, what)
    elif magic <= _MAX_NDIM:
        shape = _read_shape(r, what, dims32=True, ndim=magic)
    else:
        raise r.fail(f"{what}: unknown array magic 0x{magic:08X} (expected 0x{V3_MAGIC:08X} "
                     f"or 0x{V2_MAGIC:08X}): not an MXNet NDArray file, or a corrupt one")
    if shape is None or len(shape) == 0:
        return None
    _read_context(r, what)
    (flag,) = r.unpack("<i", f"{what}: dtype flag")
    return _read_data(r, shape, _dtype(r, flag, what), f"{what} data", lazy=True)


def _read_array(r: _Reader, index: int) -> _onp.ndarray | None:
    what = f"array {index}"
    (magic,) = r.unpack("<I", f"{what}: magic")
    if magic not in (V2_MAGIC, V3_MAGIC):
        return _read_legacy(r, magic, what)
    (stype,) = r.unpack("<i", f"{what}: storage type")
    if stype not in _STYPES:
        raise r.fail(f"{what}: unknown storage type {stype} (0 default, 1 row_sparse, "
                     f"2 csr)")
    nad = _NUM_AUX[stype]
    sshape = _read_shape(r, f"{what} storage shape") if nad else None
    shape = _read_shape(r, what)
    if shape is None or (magic == V2_MAGIC and len(shape) == 0):
        return None
    _read_context(r, what)
    (flag,) = r.unpack("<i", f"{what}: dtype flag")
    dt = _dtype(r, flag, what)
    if not nad:
        return _read_data(r, shape, dt, f"{what} data", lazy=True)
    aux = []
    for i in range(nad):
        (aflag,) = r.unpack("<i", f"{what}: aux {i} dtype flag")
        ashape = _read_shape(r, f"{what} aux {i}")
        if ashape is None:
            raise r.fail(f"{what}: aux {i} has an unknown shape")
        aux.append((ashape, _dtype(r, aflag, f"{what} aux {i}")))
    if sshape is None:
        raise r.fail(f"{what}: sparse array with an unknown storage shape")
    # the values' shape follows from the aux arrays (row indices; csr's column indices):
    # MXNet 1.9.1 may write a stale storage shape, e.g. (0, 2) for a float64 row_sparse
    # array made by tostype whose 2 stored rows follow in full (tests/fixtures/sparse)
    if len(shape) == 0 or any(len(a[0]) != 1 for a in aux):
        raise r.fail(f"{what}: a {_STYPES[stype]} array of shape {shape} with aux shapes "
                     f"{[a[0] for a in aux]} (each aux array is 1-D)")
    count = aux[0][0][0] if stype == 1 else aux[1][0][0]
    sshape = (count,) + (tuple(shape[1:]) if stype == 1 else ())
    values = _read_data(r, sshape, dt, f"{what} values")
    aux_data = [_read_data(r, s, d, f"{what} aux {i} data") for i, (s, d) in enumerate(aux)]
    if r.keep_sparse:
        return SparseRecord(_STYPES[stype], shape, values, aux_data, f"{r.where}: {what}")
    return _densify(r, _STYPES[stype], shape, values, aux_data, what)


class SparseRecord:
    """A sparse array as a file holds it (``load(..., keep_sparse=True)``): storage type,
    dense shape, the values and the aux arrays (NumPy), and where it was read (for
    errors); ndengine.legacy.io makes mx.nd.sparse arrays of them."""

    __slots__ = ("stype", "shape", "values", "aux", "where")

    def __init__(self, stype: str, shape: tuple, values: _onp.ndarray, aux: list,
                 where: str) -> None:
        self.stype, self.shape, self.values, self.aux, self.where = \
            stype, shape, values, aux, where


def _densify(r: _Reader, stype: str, shape: tuple[int, ...], values: _onp.ndarray,
             aux: list[_onp.ndarray], what: str) -> _onp.ndarray:
    count = 1
    for d in shape:
        count *= d
    nbytes = count * values.dtype.itemsize
    stored = values.nbytes + sum(a.nbytes for a in aux)
    if nbytes > max(_MAX_DENSE_BYTES, _MAX_DENSE_RATIO * stored):
        raise r.fail(f"{what}: a {stype} array of shape {shape} holds {stored} bytes; "
                     f"ndengine loads sparse arrays as dense ones, and {nbytes} bytes is "
                     f"more than it makes from so few (a corrupt shape?)")
    dense = _onp.zeros(shape, values.dtype)
    try:
        if stype == "row_sparse":
            idx = aux[0].astype(_onp.int64).reshape(-1)
            if len(idx):
                dense[idx] = values.reshape((len(idx),) + shape[1:])
        else:
            indptr = aux[0].astype(_onp.int64).reshape(-1)
            cols = aux[1].astype(_onp.int64).reshape(-1)
            if len(shape) != 2 or len(indptr) != shape[0] + 1:
                raise ValueError(f"indptr of length {len(indptr)} for shape {shape}")
            if indptr[0] != 0 or indptr[-1] != len(cols) or (_onp.diff(indptr) < 0).any():
                raise ValueError(f"indptr {indptr[:8].tolist()}... is not a row index of "
                                 f"{len(cols)} values")
            rows = _onp.repeat(_onp.arange(shape[0]), _onp.diff(indptr))
            dense[rows, cols] = values.reshape(-1)
    except (ValueError, IndexError) as e:
        raise r.fail(f"{what}: inconsistent {stype} array of shape {shape}: {e}") from None
    return dense


def _read_file(r: _Reader) -> tuple[list[Any], list[str]]:
    if r.size < 16:
        raise r.fail(f"not an MXNet NDArray file: {r.size} bytes, shorter than its header")
    magic, _reserved = r.unpack("<QQ", "header")
    if magic != LIST_MAGIC:
        raise r.fail(f"not an MXNet NDArray file: header 0x{magic:X}, expected "
                     f"0x{LIST_MAGIC:X}")
    (n,) = r.unpack("<Q", "array count")
    if n > r.left() // 8:           # every array takes at least 8 bytes
        raise r.fail(f"truncated or corrupt: array count {n} cannot fit in the {r.left()} "
                     f"bytes left")
    arrays = [_read_array(r, i) for i in range(n)]
    (m,) = r.unpack("<Q", "name count")
    if m not in (0, n):
        raise r.fail(f"{m} names for {n} arrays")
    names = []
    for i in range(m):
        (ln,) = r.unpack("<Q", f"name {i}: length")
        raw = r.read(ln, f"name {i}")
        try:
            names.append(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise r.fail(f"name {i} is not valid UTF-8: {e}") from None
    return arrays, names


def _wrap(arrays: list[Any], names: list[str]) -> Any:
    from .ndarray import from_buffer

    nds = [a if a is None or isinstance(a, (LazyArray, SparseRecord)) else from_buffer(a)
           for a in arrays]
    if names:
        return dict(zip(names, nds))
    return nds


def _path(fname: Any, opname: str) -> str:
    return file_path(fname, opname)


def load(fname: Any, keep_sparse: bool = False) -> Any:
    """Read a file in MXNet's NDArray format: a list of arrays, or a dict str -> array
    when the file holds names.  The arrays are on cpu(0), ready at once.  Sparse arrays
    come back dense, or as :class:`SparseRecord` with *keep_sparse* (for mx.nd.load)."""
    path = _path(fname, "load")
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise NDArrayFileNotFoundError(f"load: no such file {path!r}") from None
    except IsADirectoryError:
        raise NDArrayIsADirectoryError(f"load: {path!r} is a directory, not an NDArray "
                                       f"file") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        if os.path.isdir(path):
            raise NDArrayIsADirectoryError(f"load: {path!r} is a directory")
        r = _Reader(f, size, f"load: {path!r}")
        r.keep_sparse = keep_sparse
        arrays, names = _read_file(r)
    return _wrap(arrays, names)


def loads(buf: Any, keep_sparse: bool = False) -> Any:
    """Like :func:`load`, from the bytes of a file (``mx.nd.load_frombuffer``)."""
    if isinstance(buf, str):
        buf = buf.encode("latin-1")
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise TypeError(f"load_frombuffer: buf required to be bytes, got "
                        f"{type(buf).__name__}")
    data = bytes(buf)
    r = _Reader(io.BytesIO(data), len(data), "load_frombuffer")
    r.keep_sparse = keep_sparse
    arrays, names = _read_file(r)
    return _wrap(arrays, names)


load_frombuffer = loads
