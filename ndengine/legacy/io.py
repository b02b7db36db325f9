"""``mx.nd.save`` / ``mx.nd.load`` / ``load_frombuffer``: MXNet's binary NDArray file
format (ndengine.ndarray.serialization), with legacy shapes (MXNet's V2 array records,
as ``mx.nd.save`` writes them) and legacy arrays loaded back."""
from __future__ import annotations

from typing import Any

from ..ndarray import serialization as _ser
from .ndarray import SPARSE, unwrap, wrap_all

__all__ = ["save", "load", "load_frombuffer"]


def _unwrap(x: Any) -> Any:
    """The np array of a legacy array; sparse arrays stay (the file keeps their type)."""
    if x.__class__ in SPARSE:
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    return unwrap(x)


def _unwrap_data(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _unwrap(v) for k, v in data.items()}
    return _unwrap(data)


def save(fname: Any, data: Any) -> None:
    """Write one NDArray, a list of them, or a dict str -> NDArray to *fname* (a sync
    point: the values are read first)."""
    _ser.save(fname, _unwrap_data(data), np_shape=False)


def _sparse(rec: Any) -> Any:
    from . import sparse

    try:
        if rec.stype == "csr":
            indptr, indices = rec.aux
            return sparse.csr_matrix((rec.values, indices, indptr), shape=rec.shape,
                                     dtype=rec.values.dtype)
        return sparse.row_sparse_array((rec.values, rec.aux[0]), shape=rec.shape,
                                       dtype=rec.values.dtype)
    except (sparse.SparseFormatError, ValueError) as e:
        raise _ser.NDArrayFileError(f"{rec.where}: {e}") from None


def _one(v: Any) -> Any:
    if isinstance(v, _ser.SparseRecord):
        return _sparse(v)
    if isinstance(v, list):
        return [_one(x) for x in v]
    return wrap_all(v)


def _wrap(r: Any) -> Any:
    if isinstance(r, dict):
        return {k: _one(v) for k, v in r.items()}
    return _one(r)


def load(fname: Any) -> Any:
    """The arrays of an NDArray file (written here or by MXNet): a list, or a dict when
    the file has names."""
    return _wrap(_ser.load(fname, keep_sparse=True))


def load_frombuffer(buf: Any) -> Any:
    """As :func:`load`, from the file's bytes."""
    return _wrap(_ser.loads(buf, keep_sparse=True))
