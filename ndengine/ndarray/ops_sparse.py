"""Kernels of the legacy ``mx.nd.sparse`` arrays (CSR and row-sparse), in the op table.

A sparse array (ndengine.legacy.sparse) is a handle over dense component arrays: CSR's
``data`` (nnz,), ``indices`` (nnz,) int64 column numbers and ``indptr`` (rows + 1,) int64
row offsets; row-sparse's ``data`` (k, *row shape) and ``indices`` (k,) int64 row
numbers.  The ops here compute on those components, so they run on the engine like any
other op (asynchronously, on the components' device, against ``xp``: NumPy here, CuPy
on a GPU); ops whose output *structure* depends on index values (an addition's union of
rows, a transposed product's set of rows) have that structure computed by the caller
from the index arrays first, and receive it as position arrays.

* ``_csr_todense``, ``_rsp_todense``: the dense array (MXNet's storage fallback).
* ``_csr_dot``: ``dot(csr, dense)`` -> dense, one gather and one segment sum; its
  gradient for the dense operand is ``_csr_t_dot`` (``csr.T @ g``).
* ``_csr_t_dot``: ``csr.T @ dense`` scattered into *nout* rows at positions *pos* of
  each stored element's column: with pos = indices and nout = columns it is the dense
  product; with the positions in the sorted set of columns it is a row-sparse result's
  data.
* ``_csr_sum``: sum along axis 0 or 1 without densifying.
* ``_sparse_union``: the data of ``a + sign * b`` for two sparse operands whose stored
  elements sit at positions *pa* / *pb* of the union of their structures.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .ops import ShapeError
from .ops_legacy import register
from .ops_nn import _add_at

__all__ = ["CSR_TODENSE", "RSP_TODENSE", "CSR_DOT", "CSR_T_DOT", "CSR_SUM", "SPARSE_UNION"]


def _rows(xp: Any, indptr: Any) -> Any:
    """The row number of every stored element of a CSR matrix."""
    n = indptr.shape[0] - 1
    return xp.repeat(xp.arange(n, dtype=xp.int64), xp.diff(indptr).astype(xp.int64))


def _segment_sum(xp: Any, vals: Any, indptr: Any, n: int) -> Any:
    """Per-row sums of *vals* (nnz, ...) for rows delimited by *indptr*."""
    out = xp.zeros((n,) + tuple(vals.shape[1:]), dtype=vals.dtype)
    if vals.shape[0] == 0:
        return out
    reduceat = getattr(xp.add, "reduceat", None)
    if reduceat is None:                     # CuPy: a scatter-add by row number
        _add_at(xp, out, _rows(xp, indptr), vals)
        return out
    starts = indptr[:-1]
    nonempty = indptr[1:] > starts
    # a zero row past the end: every start (trailing empty rows start at nnz) is a valid
    # index, and each segment ends where the next starts
    padded = xp.concatenate([vals, xp.zeros((1,) + tuple(vals.shape[1:]), vals.dtype)])
    s = reduceat(padded, starts, axis=0)
    out[nonempty] = s[nonempty]
    return out


def _todense_infer(data: Any, indices: Any, indptr: Any, shape: tuple) -> Any:
    return tuple(shape), data.dtype


def _csr_todense(xp: Any, data: Any, indices: Any, indptr: Any, shape: tuple) -> Any:
    out = xp.zeros(tuple(shape), dtype=data.dtype)
    out[_rows(xp, indptr), indices] = data
    return out


CSR_TODENSE = register("_csr_todense", _csr_todense, _todense_infer)


def _rsp_todense(xp: Any, data: Any, indices: Any, shape: tuple) -> Any:
    out = xp.zeros(tuple(shape), dtype=data.dtype)
    out[indices] = data
    return out


RSP_TODENSE = register("_rsp_todense", _rsp_todense,
                       lambda data, indices, shape: (tuple(shape), data.dtype))


def _check_rhs(name: str, data: Any, rhs: Any, inner: int) -> None:
    if len(rhs.shape) != 2 or rhs.shape[0] != inner:
        raise ShapeError(f"{name}: the dense operand must be 2-D with {inner} rows, got "
                         f"shape {tuple(rhs.shape)}")
    if rhs.dtype != data.dtype:
        raise ShapeError(f"{name}: the sparse operand is {data.dtype}, the dense one "
                         f"{rhs.dtype}: cast one first")


def _dot_infer(data: Any, indices: Any, indptr: Any, rhs: Any, ncols: int) -> Any:
    _check_rhs("dot(csr, dense)", data, rhs, ncols)
    return (indptr.shape[0] - 1, rhs.shape[1]), data.dtype


def _csr_dot(xp: Any, data: Any, indices: Any, indptr: Any, rhs: Any, ncols: int) -> Any:
    return _segment_sum(xp, data[:, None] * rhs[indices], indptr, indptr.shape[0] - 1)


def _csr_dot_grad(g: Any, out: Any, data: Any, indices: Any, indptr: Any, rhs: Any,
                  ncols: int) -> Any:
    from .ndarray import apply_op

    return None, None, None, apply_op(CSR_T_DOT, (data, indices, indptr, g, indices),
                                      {"nout": ncols})


CSR_DOT = register("_csr_dot", _csr_dot, _dot_infer, _csr_dot_grad)


def _t_dot_infer(data: Any, indices: Any, indptr: Any, rhs: Any, pos: Any, nout: int) -> Any:
    _check_rhs("dot(csr.T, dense)", data, rhs, indptr.shape[0] - 1)
    return (int(nout), rhs.shape[1]), data.dtype


def _csr_t_dot(xp: Any, data: Any, indices: Any, indptr: Any, rhs: Any, pos: Any,
               nout: int) -> Any:
    out = xp.zeros((int(nout), rhs.shape[1]), dtype=data.dtype)
    if data.shape[0]:
        _add_at(xp, out, pos, data[:, None] * rhs[_rows(xp, indptr)])
    return out


CSR_T_DOT = register("_csr_t_dot", _csr_t_dot, _t_dot_infer)


def _sum_infer(data: Any, indices: Any, indptr: Any, shape: tuple, axis: int) -> Any:
    return (tuple(shape)[1 - axis],), data.dtype


def _csr_sum(xp: Any, data: Any, indices: Any, indptr: Any, shape: tuple, axis: int) -> Any:
    if axis == 1:
        return _segment_sum(xp, data, indptr, shape[0])
    out = xp.zeros((shape[1],), dtype=data.dtype)
    _add_at(xp, out, indices, data)
    return out


CSR_SUM = register("_csr_sum", _csr_sum, _sum_infer)


def _union_infer(da: Any, pa: Any, db: Any, pb: Any, n: int, sign: float) -> Any:
    return (int(n),) + tuple(da.shape[1:]), da.dtype


def _sparse_union(xp: Any, da: Any, pa: Any, db: Any, pb: Any, n: int, sign: float) -> Any:
    out = xp.zeros((int(n),) + tuple(da.shape[1:]), dtype=da.dtype)
    out[pa] = da
    if sign > 0:
        out[pb] += db
    else:
        out[pb] -= db
    return out


SPARSE_UNION = register("_sparse_union", _sparse_union, _union_infer)


def union_positions(ka: _onp.ndarray, kb: _onp.ndarray) -> tuple:
    """(sorted union of keys, positions of *ka*'s and *kb*'s keys in it): host-side
    structure for ``_sparse_union`` (keys are row numbers, or row * columns + column)."""
    keys = _onp.union1d(ka, kb)
    return keys, _onp.searchsorted(keys, ka), _onp.searchsorted(keys, kb)
