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
* ``_sparse_embedding``: ``npx.embedding(..., sparse_grad=True)``: the dense lookup,
  whose weight gradient is a :class:`RowSparseGrad` (below), not a dense table.
* ``_rsp_segment_sum``: the summed rows of a row-sparse gradient (one ``bincount``).
* :func:`lazy_update`: an optimizer's fused update (ndengine.ndarray.optim_ops) on only
  the rows a row-sparse gradient stores (MXNet's ``lazy_update``).

Row-sparse gradients
--------------------
A :class:`RowSparseGrad` is what autograd carries for the weight of a sparse-gradient
embedding: the output gradients and the index arrays of each use of the weight, not yet
reduced.  Autograd sums two of them by concatenation; anything that needs a dense
gradient gets ``dense()`` (the dense embedding backward, no blocking).  Only writing it
into a row-sparse gradient buffer calls :meth:`RowSparseGrad.rows`, which reads the
indices on the host (the set of rows is the shape of the result: as every structure
here, it is computed by the caller; the index arrays are usually a data batch already
there) and pushes one engine op summing the rows of each unique index.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .ops import ShapeError
from .ops_legacy import register
from .ops_nn import _add_at

__all__ = ["CSR_TODENSE", "RSP_TODENSE", "CSR_DOT", "CSR_T_DOT", "CSR_SUM", "SPARSE_UNION",
           "SPARSE_EMBEDDING", "RSP_SEGMENT_SUM", "RowSparseGrad", "lazy_update",
           "LAZY_UPDATES"]


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


# ----------------------------------------------------------------------------- row-sparse gradients
def _seg_infer(gs: Any, inv: Any, k: int) -> Any:
    return (int(k), gs[0].shape[-1]), gs[0].dtype


def _rsp_segment_sum(xp: Any, gs: Any, inv: Any, k: int) -> Any:
    """Rows of the gradients *gs* (each (..., d), taken together as (n, d)) summed by
    their group number *inv* (n,) into (k, d): one ``bincount`` over the flat (group,
    column) cells, summed in float64 and rounded once (the dense embedding backward's
    kernel, on the k touched rows only)."""
    d = gs[0].shape[-1]
    parts = [g.reshape(-1, d) for g in gs]
    g2 = parts[0] if len(parts) == 1 else xp.concatenate(parts, axis=0)
    dtype = gs[0].dtype
    if g2.shape[0] == 0 or k == 0:
        return xp.zeros((int(k), d), dtype=dtype)
    if dtype.kind != "f":
        out = xp.zeros((int(k), d), dtype=dtype)
        _add_at(xp, out, inv, g2)
        return out
    flat = (inv[:, None] * d + xp.arange(d)).reshape(-1)
    out = xp.bincount(flat, weights=g2.reshape(-1), minlength=int(k) * d)
    return out.astype(dtype, copy=False).reshape(int(k), d)


RSP_SEGMENT_SUM = register("_rsp_segment_sum", _rsp_segment_sum, _seg_infer)


class RowSparseGrad:
    """A not-yet-reduced row-sparse gradient of a (rows, d) table: the uses
    ``(g, data)`` of it, g the output gradient (..., d) and data the index array of one
    lookup.  What autograd passes around for a sparse-gradient embedding's weight."""

    __slots__ = ("uses", "_shape", "_dtype", "_device")

    def __init__(self, uses: list, shape: tuple, dtype: Any, device: Any) -> None:
        self.uses = uses
        self._shape = tuple(shape)
        self._dtype = dtype
        self._device = device

    @property
    def shape(self) -> tuple:
        return self._shape

    def __repr__(self) -> str:
        return f"<RowSparseGrad {self._shape} from {len(self.uses)} lookups>"

    def plus(self, other: Any) -> Any:
        """self + other: another RowSparseGrad (the uses of both), or a dense array
        (a dense sum)."""
        if isinstance(other, RowSparseGrad):
            return RowSparseGrad(self.uses + other.uses, self._shape, self._dtype,
                                 self._device)
        return self.dense() + other

    def dense(self) -> Any:
        """The dense (rows, d) gradient (engine ops, nothing read)."""
        from .ndarray import apply_op
        from .ops_nn import _EMB_BACKWARD

        total = None
        for g, data in self.uses:
            part = apply_op(_EMB_BACKWARD, (g, data), {"rows": self._shape[0]})
            total = part if total is None else total + part
        return total

    def rows(self) -> tuple:
        """``(indices, values)``: the sorted unique rows touched (int64, clipped as the
        lookup clips them) and the summed gradient of each, (k, d).  Reads the index
        arrays (a sync point on them only); the sum is one pushed op."""
        from .ndarray import apply_op, from_buffer

        n = self._shape[0]
        host = [_onp.clip(data.asnumpy().astype(_onp.int64, copy=False).reshape(-1), 0, n - 1)
                for _, data in self.uses]
        flat = _onp.concatenate(host) if host else _onp.zeros(0, _onp.int64)
        keys, inv = _onp.unique(flat, return_inverse=True)
        dev = self._device
        inv_nd = from_buffer(_onp.ascontiguousarray(inv.reshape(-1), dtype=_onp.int64), dev)
        vals = apply_op(RSP_SEGMENT_SUM, ([g for g, _ in self.uses], inv_nd),
                        {"k": len(keys)})
        return from_buffer(_onp.ascontiguousarray(keys, dtype=_onp.int64), dev), vals


def _sparse_emb_grad(g: Any, out: Any, data: Any, weight: Any) -> Any:
    return None, RowSparseGrad([(g, data)], weight.shape, weight.dtype, weight.device)


def _make_sparse_embedding() -> Any:
    from .ops_nn import _emb_infer, _emb_kernel
    from .ops import register as _register_np

    return _register_np("_sparse_embedding", _emb_kernel, _emb_infer, _sparse_emb_grad)


SPARSE_EMBEDDING = _make_sparse_embedding()


# ----------------------------------------------------------------------------- lazy updates
# the fused updates (ndengine.ndarray.optim_ops) that have MXNet's lazy row-sparse form:
# the update runs on the rows the gradient stores, the other rows of the weight and of
# every state are left as they are (no weight decay, no momentum decay there)
LAZY_UPDATES = ("sgd_update", "sgd_mom_update", "adam_update", "adagrad_update",
                "group_adagrad_update")


def _run_lazy(op: Any, xp: Any, weight: Any, gdata: Any, gidx: Any, states: tuple,
              params: dict) -> None:
    from .optim_ops import _own

    if op.f32:
        cast = weight._dtype.type
        params = {k: cast(_onp.float32(v)) if type(v) is float else v for k, v in params.items()}
    rows = gidx._data
    w = weight._data
    bufs = [_own(s) for s in states]
    srows = [b[rows] for b in bufs]           # gathered copies, updated in place
    new_rows = op.kernel(xp, w[rows], gdata._data, *srows, **params)
    new = w.copy()                            # never in place: views of w keep their values
    new[rows] = new_rows.astype(weight._dtype, copy=False)
    for b, r in zip(bufs, srows):
        b[rows] = r
    weight._data = new
    weight._shared = False


def lazy_update(name: str, weight: Any, data: Any, indices: Any, states: tuple = (),
                **params: Any) -> Any:
    """Push the fused update *name* (one of LAZY_UPDATES) on rows *indices* (unique,
    int64) of *weight* and of its *states*, with *data* (k, ...) those rows' gradient.
    Reads data and indices, writes weight and the states; returns weight."""
    from functools import partial

    from .. import engine as _engine
    from .optim_ops import UPDATE_OPS, _check

    if name not in LAZY_UPDATES:
        raise ValueError(f"lazy_update: {name!r} has no row-sparse form (only "
                         f"{', '.join(LAZY_UPDATES)})")
    op = UPDATE_OPS[name]
    states = tuple(states)
    if len(states) != len(op.states):
        raise TypeError(f"{name}: expected states {op.states}, got {len(states)} arrays")
    _check(op, weight, weight, states)
    if tuple(data.shape[1:]) != tuple(weight.shape[1:]) or indices.ndim != 1 or \
            indices.shape[0] != data.shape[0]:
        raise ShapeError(f"{name} (row_sparse): gradient rows {tuple(data.shape)} with "
                         f"{tuple(indices.shape)} indices do not fit weight "
                         f"{tuple(weight.shape)} (on {weight.device})")
    if data.device is not weight.device or indices.device is not weight.device:
        raise ValueError(f"{name} (row_sparse): the gradient is on {data.device}, the "
                         f"weight on {weight.device}; updates need every array on one device")
    dev = weight._device
    xp = dev.xp if dev.is_gpu else _onp
    writes = (weight._var,) + tuple(s._var for s in states)
    reads = tuple(v for v in (data._var, indices._var) if v not in writes)
    _engine.push(partial(_run_lazy, op, xp, weight, data, indices, states, params),
                 reads, writes, dev, 0, name + "_lazy")
    return weight
