"""``mxnet.gluon.utils``: split a batch over devices, clip gradients by their global norm,
and fetch files (download, check_sha1, replace_file).

``split_and_load(batch, [cpu(0), cpu(1)])`` slices the batch along its batch axis and
copies each slice to its device: the slices are views (no data moves), the copies are
copy ops on each destination's copy workers, so the call returns at once and the
devices start as soon as their slice has arrived.  Legacy ``mx.nd`` arrays give legacy
slices (they share the np arrays behind them).

``download`` uses the standard library (``urllib``: http, https and file URLs) where
MXNet uses ``requests``.  It writes to a temporary file beside the target and moves it
into place only when complete (and matching *sha1_hash*), so a failed or interrupted
download never leaves a partial file; offline, it fails naming the URL and the file.
"""
from __future__ import annotations

import hashlib
import math
import os
import shutil
import ssl
import urllib.error
import urllib.request
import uuid
import warnings
from typing import Any, Sequence

import numpy as _onp

from .. import numpy as np
from ..base import MXNetError
from ..device import Device
from ..ndarray.ndarray import NDArray
from .block import HookHandle

__all__ = ["split_data", "split_and_load", "clip_global_norm", "check_sha1", "download",
           "replace_file", "shape_is_known", "HookHandle"]

_TIMEOUT = 60.0          # seconds per connection attempt (requests, in MXNet, has none)


class _ArgumentError(MXNetError, ValueError, AssertionError):
    """A bad argument (MXNet asserts on these, hence AssertionError as well)."""


class _NetworkError(MXNetError, ConnectionError):
    """The URL could not be fetched (MXNet's ``requests`` raises a ConnectionError)."""


class _HTTPStatusError(MXNetError):
    """The server answered, but not with 200 (MXNet raises RuntimeError)."""


class _ChecksumError(MXNetError, UserWarning):
    """The downloaded content's SHA-1 is not the one expected (MXNet raises UserWarning)."""


# ----------------------------------------------------------------------------- legacy
def _legacy_cls() -> Any:
    from ..legacy.ndarray import NDArray as LegacyNDArray

    return LegacyNDArray


def _is_legacy(x: Any) -> bool:
    return x.__class__ is not NDArray and hasattr(x, "as_np_ndarray") and \
        x.__class__ is _legacy_cls()


def _wrap(x: NDArray) -> Any:
    from ..legacy.ndarray import wrap

    return wrap(x)


# ----------------------------------------------------------------------------- split
def _bounds(size: int, num_slice: int, even_split: bool, shape: tuple,
            axis: int) -> list[tuple[int, int]]:
    if not isinstance(num_slice, (int, _onp.integer)) or isinstance(num_slice, bool) \
            or num_slice < 1:
        raise _ArgumentError(f"split_data: num_slice must be a positive int, got {num_slice!r}")
    if even_split and size % num_slice:
        raise ValueError(
            f"data with shape {shape} cannot be evenly split into {num_slice} slices along "
            f"axis {axis}. Use a batch size that's multiple of {num_slice} or set "
            f"even_split=False to allow uneven partitioning of data.")
    # as MXNet: the first size % num_slice slices get one more row (some may be empty)
    each, extras = divmod(size, int(num_slice))
    bounds, lo = [], 0
    for i in range(int(num_slice)):
        hi = lo + each + (1 if i < extras else 0)
        bounds.append((lo, hi))
        lo = hi
    return bounds


def _norm_axis(axis: int, ndim: int, fname: str) -> int:
    if not isinstance(axis, (int, _onp.integer)) or isinstance(axis, bool) \
            or not -ndim <= axis < ndim:
        raise _ArgumentError(f"{fname}: batch_axis {axis!r} is out of range for {ndim}-d data")
    return int(axis) % ndim


def _slice(data: Any, axis: int, lo: int, hi: int) -> Any:
    if axis == 0:
        return data[lo:hi]
    return data[(slice(None),) * axis + (slice(lo, hi),)]


def split_data(data: Any, num_slice: int, batch_axis: int = 0,
               even_split: bool = True) -> list:
    """See ``mxnet.gluon.utils.split_data``: *num_slice* slices of *data* along
    *batch_axis* on data's device, a list even for one slice: copies of an np array
    (MXNet's np mode uses np.split), views of an ``mx.nd`` array's rows (MXNet slices
    those on axis 0).  With
    ``even_split=False`` the first ``size % num_slice`` slices have one row more (and
    a batch smaller than *num_slice* gives empty slices at the end), as in MXNet."""
    legacy = _is_legacy(data)
    shape = tuple(data.shape)
    if not shape:
        raise _ArgumentError("split_data: cannot split a 0-d array")
    axis = _norm_axis(batch_axis, len(shape), "split_data")
    bounds = _bounds(shape[axis], num_slice, even_split, shape, batch_axis)
    if legacy and axis == 0:        # MXNet slices mx.nd arrays on axis 0: views
        return [data[lo:hi] for lo, hi in bounds]
    if legacy:
        return [_wrap(_slice(data.as_np_ndarray(), axis, lo, hi).copy()) for lo, hi in bounds]
    if isinstance(data, NDArray):   # MXNet's np mode splits with np.split: copies
        return [_slice(data, axis, lo, hi).copy() for lo, hi in bounds]
    return [_slice(data, axis, lo, hi) for lo, hi in bounds]


def split_and_load(data: Any, ctx_list: Sequence[Device], batch_axis: int = 0,
                   even_split: bool = True) -> list:
    """See ``mxnet.gluon.utils.split_and_load``: split *data* along *batch_axis* into
    ``len(ctx_list)`` slices and put slice *i* on ``ctx_list[i]`` (asynchronous copies).
    *data* may be an NDArray, a legacy ``mx.nd`` array (legacy slices come back) or
    anything ``np.array`` accepts (NumPy arrays are sliced on the host and each slice
    created on its device directly)."""
    if isinstance(ctx_list, Device):
        ctx_list = [ctx_list]
    ctx_list = list(ctx_list)
    if not ctx_list or not all(isinstance(c, Device) for c in ctx_list):
        raise _ArgumentError(f"split_and_load: ctx_list must be a non-empty list of devices, "
                             f"got {ctx_list!r}")
    if _is_legacy(data):
        return [_wrap(s) for s in split_and_load(data.as_np_ndarray(), ctx_list, batch_axis,
                                                 even_split)]
    if isinstance(data, _onp.ndarray):      # slice on the host, create on each device
        if len(ctx_list) == 1:
            return [np.array(data, device=ctx_list[0])]
        parts = split_data(data, len(ctx_list), batch_axis, even_split)
        return [np.array(p, device=c) for p, c in zip(parts, ctx_list)]
    if not isinstance(data, NDArray):
        data = np.array(data, device=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_ctx(ctx_list[0])]
    parts = split_data(data, len(ctx_list), batch_axis, even_split)
    return [p.as_in_ctx(c) for p, c in zip(parts, ctx_list)]


# ----------------------------------------------------------------------------- clipping
def clip_global_norm(arrays: Sequence[Any], max_norm: float, check_isfinite: bool = True) -> Any:
    """See ``mxnet.gluon.utils.clip_global_norm``: scale *arrays* in place by
    ``min(1, max_norm / (norm + 1e-8))``, *norm* being their global 2-norm, and return
    *norm* (taken before scaling): a NumPy float with ``check_isfinite`` (which blocks, and
    warns when it is nan or inf), else an array (0-d; shape (1,) for legacy arrays, as
    MXNet 1.x) and nothing blocks.  The arrays may live on different devices."""
    arrays = list(arrays)
    if not arrays:
        raise _ArgumentError("clip_global_norm: arrays must not be empty")
    legacy = any(_is_legacy(a) for a in arrays)
    arrays = [a.as_np_ndarray() if _is_legacy(a) else a for a in arrays]
    if not all(isinstance(a, NDArray) for a in arrays):
        kinds = sorted({type(a).__name__ for a in arrays if not isinstance(a, NDArray)})
        raise TypeError(f"clip_global_norm: arrays must be ndengine arrays, got {kinds}")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, _onp.number)):
        raise TypeError(f"clip_global_norm: max_norm must be a number, got {max_norm!r}")
    home = arrays[0].device
    squares = []
    for a in arrays:
        flat = a.reshape((-1,))
        if flat.dtype.kind != "f":
            flat = flat.astype(_onp.float32)
        squares.append(np.dot(flat, flat).as_in_ctx(home))
    total = squares[0]
    for s in squares[1:]:
        total = total + s
    total_norm = np.sqrt(total)
    value = None
    if check_isfinite:
        value = total_norm.asnumpy().reshape(-1)[0]     # a NumPy scalar, as asscalar()
        if not math.isfinite(value):
            warnings.warn(UserWarning("nan or inf is detected. Clipping results will be "
                                      "undefined."), stacklevel=2)
    scale = np.minimum(max_norm / (total_norm + 1e-8), 1.0)
    for a in arrays:
        a *= scale.as_in_ctx(a.device).astype(a.dtype)
    if check_isfinite:
        return value
    return _wrap(total_norm.reshape((1,))) if legacy else total_norm


# ----------------------------------------------------------------------------- files
def check_sha1(filename: str, sha1_hash: str) -> bool:
    """Whether the SHA-1 of *filename*'s content is *sha1_hash* (hex digits)."""
    sha1 = hashlib.sha1()
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha1.update(chunk)
    return sha1.hexdigest() == sha1_hash


def replace_file(src: str, dst: str) -> None:
    """Move *src* to *dst* atomically, replacing *dst* (``os.replace``).  On failure
    *src* is removed and OSError raised, as in MXNet."""
    try:
        os.replace(src, dst)
    except OSError as e:
        try:
            os.remove(src)
        except OSError:
            pass
        raise OSError(f"Moving downloaded temp file - {src}, to {dst} failed ({e}). "
                      f"Please retry the download.") from e


def _target(url: str, path: str | None) -> str:
    if path is None:
        fname = url.split("/")[-1]
        if not fname:
            raise _ArgumentError(f"download: can't construct a file name from the URL "
                                 f"{url!r}. Please set the `path` option manually.")
        return fname
    path = os.path.expanduser(path)
    if os.path.isdir(path):
        return os.path.join(path, url.split("/")[-1])
    return path


def _fetch(url: str, fname: str, tmp: str, verify_ssl: bool) -> None:
    """Write the content of *url* to *tmp* (which is removed again on any failure)."""
    ctx = None
    if url.lower().startswith("https:") and not verify_ssl:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    try:
        with open(tmp, "wb") as f:        # a local error (permissions...) is raised as is
            try:
                with urllib.request.urlopen(url, timeout=_TIMEOUT, context=ctx) as r:
                    status = getattr(r, "status", None)
                    if status is not None and status != 200:
                        raise _HTTPStatusError(f"Failed downloading url {url}: HTTP status "
                                               f"{status}; {fname} was not written")
                    shutil.copyfileobj(r, f, 1 << 16)
                    want = r.headers.get("Content-Length") if r.headers else None
                    if want is not None and want.isdigit() and f.tell() != int(want):
                        raise _NetworkError(f"download: the connection to {url} closed after "
                                            f"{f.tell()} of {want} bytes; {fname} was not "
                                            f"written")
            except urllib.error.HTTPError as e:
                raise _HTTPStatusError(f"Failed downloading url {url}: HTTP {e.code} "
                                       f"{e.reason}; {fname} was not written") from e
            except (urllib.error.URLError, OSError, ValueError) as e:
                reason = getattr(e, "reason", e)
                raise _NetworkError(f"download: cannot fetch {url} into {fname} ({reason}); "
                                    f"no file was written. Without a network, put the file "
                                    f"there yourself") from e
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def download(url: str, path: str | None = None, overwrite: bool = False,
             sha1_hash: str | None = None, retries: int = 5, verify_ssl: bool = True) -> str:
    """See ``mxnet.gluon.utils.download``: fetch *url* to *path* (a file, a directory
    to put ``url``'s last component in, or by default that name in the current
    directory) and return the file's path.

    An existing file is kept (no network) unless *overwrite*, or *sha1_hash* is given
    and the file's SHA-1 differs.  Up to ``max(retries, 1)`` attempts are made, as in
    MXNet; the last failure is raised naming the URL and the file.  The content goes
    to a temporary file beside the target first and is moved into place only when it
    is complete and matches *sha1_hash*: no partial or mismatching file is left."""
    if not isinstance(url, str) or not url:
        raise _ArgumentError(f"download: url must be a non-empty string, got {url!r}")
    fname = _target(url, path)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise _ArgumentError(f"download: number of retries should be at least 0, got "
                             f"{retries!r}")
    if not verify_ssl:
        warnings.warn("Unverified HTTPS request is being made (verify_ssl=False). "
                      "Adding certificate verification is strongly advised.", stacklevel=2)
    if not overwrite and os.path.exists(fname) and \
            (not sha1_hash or check_sha1(fname, sha1_hash)):
        return fname
    dirname = os.path.dirname(os.path.abspath(fname))
    os.makedirs(dirname, exist_ok=True)
    attempts = max(retries, 1)
    for left in range(attempts - 1, -1, -1):
        tmp = f"{fname}.{uuid.uuid4()}"
        try:
            print(f"Downloading {fname} from {url}...")
            _fetch(url, fname, tmp, verify_ssl)
            if sha1_hash and not check_sha1(tmp, sha1_hash):
                got = _sha1_of(tmp)
                os.remove(tmp)
                raise _ChecksumError(f"File {fname} downloaded from {url} has SHA-1 {got}, "
                                     f"expected {sha1_hash}; it was not kept. The repo may "
                                     f"be outdated or the download incomplete.")
            if not overwrite and os.path.exists(fname) and \
                    (not sha1_hash or check_sha1(fname, sha1_hash)):
                os.remove(tmp)           # another process put a good file there meanwhile
                warnings.warn(f"File {fname} exists in file system so the downloaded file "
                              f"is deleted", stacklevel=2)
            else:
                replace_file(tmp, fname)
            return fname
        except Exception as e:
            if left <= 0:
                raise
            print(f"download failed due to {e!r}, retrying, {left} attempt"
                  f"{'s' if left > 1 else ''} left")
    raise AssertionError("unreachable")       # pragma: no cover


def _sha1_of(filename: str) -> str:
    sha1 = hashlib.sha1()
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha1.update(chunk)
    return sha1.hexdigest()


# ----------------------------------------------------------------------------- shapes
def shape_is_known(shape: Any) -> bool:
    """Whether every dimension of *shape* is known.  ndengine always has NumPy shape
    semantics: -1 is an unknown dimension, () a known (scalar) shape, None unknown."""
    if shape is None:
        return False
    for d in shape:
        if d == -1:
            return False
        if d < -1:
            raise _ArgumentError(f"shape_is_known: shape dimension size cannot be less than "
                                 f"-1, got {d} in {tuple(shape)}")
    return True


from ..base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals(), hide=('Device', 'MXNetError', 'NDArray', 'np'))
