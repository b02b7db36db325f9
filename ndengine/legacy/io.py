"""``mx.nd.save`` / ``mx.nd.load`` / ``load_frombuffer``: MXNet's binary NDArray file
format (ndengine.ndarray.serialization), with legacy shapes (MXNet's V2 array records,
as ``mx.nd.save`` writes them) and legacy arrays loaded back."""
from __future__ import annotations

from typing import Any

from ..ndarray import serialization as _ser
from .ndarray import unwrap, wrap_all

__all__ = ["save", "load", "load_frombuffer"]


def _unwrap_data(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: unwrap(v) for k, v in data.items()}
    return unwrap(data)


def save(fname: Any, data: Any) -> None:
    """Write one NDArray, a list of them, or a dict str -> NDArray to *fname* (a sync
    point: the values are read first)."""
    _ser.save(fname, _unwrap_data(data), np_shape=False)


def _wrap(r: Any) -> Any:
    if isinstance(r, dict):
        return {k: wrap_all(v) for k, v in r.items()}
    return wrap_all(r)


def load(fname: Any) -> Any:
    """The arrays of an NDArray file (written here or by MXNet): a list, or a dict when
    the file has names."""
    return _wrap(_ser.load(fname))


def load_frombuffer(buf: Any) -> Any:
    """As :func:`load`, from the file's bytes."""
    return _wrap(_ser.loads(buf))
