"""``mx.nd.sparse``: CSR and row-sparse arrays, MXNet 1.x's two sparse storage types.

Design
------
A sparse array is a legacy NDArray (``isinstance(c, mx.nd.NDArray)`` holds, as in
MXNet) whose values live in dense component arrays on one device: a ``CSRNDArray`` has
``data`` (nnz,), ``indices`` (nnz,) int64 column numbers and ``indptr`` (rows + 1,)
int64 row offsets; a ``RowSparseNDArray`` has ``data`` (k, *row shape) and ``indices``
(k,) int64 row numbers.  The components are ordinary engine arrays, so sparse ops are
engine ops over them (ndengine.ndarray.ops_sparse) and return at once.

What keeps the storage type, as in MXNet 1.9.1:

* ``dot(csr, dense)`` -> dense; ``dot(csr, dense, transpose_a=True)`` -> row-sparse;
  ``dot(dense, csr)`` -> CSR; ``dot(csr, row_sparse)`` -> dense.  Under
  ``autograd.record()`` the dense operand of ``dot(csr, dense)`` gets its gradient
  (``csr.T @ head``, dense).
* ``a + b`` / ``a - b`` of two CSR or two row-sparse arrays (the union of their
  structures), ``a * b`` (the intersection), ``sparse * dense`` (the sparse one's
  structure), ``sparse * scalar``, ``sparse / scalar``, ``-sparse``.
* the zero-preserving elementwise functions (``sqrt``, ``square``, ``abs``, ``sign``,
  ``relu``, ``tanh``, ``sin``, ``log1p``, ``expm1``, rounding, ``clip`` with 0 inside the
  range, ...), ``zeros_like``; ``retain`` (row-sparse), row slices of CSR (``c[1:3]``,
  ``c[2]``, ``slice``).
* ``sum`` / ``mean`` of CSR along axis 0 or 1 (a dense result, no dense copy made).

Every other op sees a sparse operand as its dense value and returns a dense array, as
MXNet's "storage fallback" does (without its log message).

Differences from MXNet (docs/mxnet-differences.md): making a sparse array from dense
values (``tostype``, ``cast_storage``, ``csr_matrix(dense)``) waits for those values,
since the number of stored elements is part of the components' shapes; an addition of
two CSR arrays keeps explicit zeros where a value cancels (MXNet drops them; the values
are the same); ``csr_matrix((data, (row, col)))`` needs no SciPy; component arrays that
are not a valid CSR / row-sparse structure are an error when the array is made (MXNet
1.9.1 may crash the process on them).
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as _onp

from .. import numpy as _np
from ..base import MXNetError
from ..device import current_device
from ..ndarray import ops_sparse as _ops
from ..ndarray.ndarray import NDArray as _NP
from ..ndarray.ndarray import apply_op
from ..ndarray.ops import ShapeError
from . import ndarray as _nd
from .ndarray import NDArray, wrap

__all__ = ["BaseSparseNDArray", "CSRNDArray", "RowSparseNDArray", "csr_matrix",
           "row_sparse_array", "zeros", "empty", "array", "dot", "retain", "cast_storage",
           "add", "subtract", "multiply", "divide", "elemwise_add", "elemwise_sub",
           "elemwise_mul", "sum", "mean", "zeros_like", "NotSupportedForSparseNDArray",
           "adagrad_update"]

_I64 = _onp.dtype(_onp.int64)
_new = object.__new__


class NotSupportedForSparseNDArray(MXNetError):
    """A dense-only method called on a sparse array."""


class SparseFormatError(MXNetError, ValueError):
    """Component arrays that are not a valid CSR / row-sparse structure."""


def _dev(ctx: Any) -> Any:
    return current_device() if ctx is None else ctx


def _put(host: _onp.ndarray, dev: Any) -> _NP:
    return _np.array(host, dtype=host.dtype, ctx=dev)


def _host(x: Any) -> _onp.ndarray:
    if isinstance(x, NDArray) or x.__class__ is _NP:
        return x.asnumpy()
    return _onp.asarray(x)


def _np_of(x: Any) -> _NP:
    """The np-mode array of a legacy operand (a sparse one's dense value)."""
    return x._arr if isinstance(x, NDArray) else x


def _fmt_shape(shape: tuple) -> str:
    return "x".join(str(s) for s in shape)


class BaseSparseNDArray(NDArray):
    """What CSR and row-sparse arrays share.  ``_arr`` (what every dense op reads) is
    the dense value, made by one engine op on first use and kept: sparse arrays are
    never written in place here."""

    __slots__ = ("_parts", "_sshape", "_dense")
    _STYPE = ""

    # -- what never blocks ---------------------------------------------------------
    @property
    def _arr(self) -> _NP:
        d = self._dense
        if d is None:
            d = self._dense = self._todense()
        return d

    @property
    def shape(self) -> tuple[int, ...]:
        return self._sshape

    @property
    def dtype(self) -> Any:
        return self._parts[0]._dtype.type

    @property
    def size(self) -> int:
        return int(_onp.prod(self._sshape))

    @property
    def ndim(self) -> int:
        return len(self._sshape)

    @property
    def context(self) -> Any:
        return self._parts[0]._device

    ctx = context
    device = context

    @property
    def stype(self) -> str:
        return self._STYPE

    @property
    def data(self) -> NDArray:
        """The stored values (a dense NDArray sharing the sparse array's buffer)."""
        return wrap(self._parts[0])

    @property
    def indices(self) -> NDArray:
        return wrap(self._parts[1])

    def __repr__(self) -> str:
        return f"\n<{type(self).__name__} {_fmt_shape(self._sshape)} @{self.context}>"

    __str__ = __repr__

    def __len__(self) -> int:
        return self._sshape[0]

    def __iter__(self):
        raise NotSupportedForSparseNDArray(f"iterating over a {type(self).__name__} is not "
                                           "supported (use tostype('default'))")

    def reshape(self, *args: Any, **kwargs: Any) -> Any:
        raise NotSupportedForSparseNDArray(
            f"reshape is not supported for {type(self).__name__} (shape {self._sshape}); "
            "use tostype('default') first")

    # -- conversions ---------------------------------------------------------------
    def asnumpy(self) -> _onp.ndarray:
        return self._arr.asnumpy()

    def wait_to_read(self) -> None:
        for p in self._parts:
            p.wait_to_read()

    def tostype(self, stype: str) -> Any:
        if stype == "default":
            return wrap(self._arr.copy())
        if stype == self._STYPE:
            return self.copy()
        raise ValueError(f"cast_storage from {self._STYPE} to {stype} is not supported")

    def copy(self) -> Any:
        return self._like(tuple(p.copy() for p in self._parts))

    def astype(self, dtype: Any, copy: bool = True) -> Any:
        d = _onp.dtype(dtype)
        if d == self._parts[0]._dtype and not copy:
            return self
        return self._like((self._parts[0].astype(d),) + tuple(p.copy() for p in
                                                              self._parts[1:]))

    def as_in_context(self, context: Any) -> Any:
        if context is self.context:
            return self
        return self.copyto(context)

    def copyto(self, other: Any) -> Any:
        if isinstance(other, BaseSparseNDArray):
            if other._STYPE != self._STYPE or other._sshape != self._sshape:
                raise ValueError(f"copyto: a {self._STYPE} array of shape {self._sshape} "
                                 f"cannot be copied into a {other._STYPE} array of shape "
                                 f"{other._sshape}")
            other._parts = tuple(p.copyto(other.context) for p in self._parts)
            other._dense = None
            return other
        if isinstance(other, NDArray):
            return wrap(self._arr).copyto(other)
        return self._like(tuple(p.copyto(other) for p in self._parts))

    def _file_parts(self) -> tuple:
        """(stype, shape, values, aux arrays) as MXNet's NDArray file holds them (a sync
        point: ndengine.ndarray.serialization writes them)."""
        vals = self._parts[0].asnumpy()
        aux = [p.asnumpy() for p in self._parts[1:]]
        if self._STYPE == "csr":
            aux = [aux[1], aux[0]]                 # the file's order: indptr, indices
        return self._STYPE, self._sshape, vals, aux

    def asscipy(self) -> Any:
        try:
            import scipy.sparse as sp  # type: ignore[import-not-found]
        except ImportError:
            raise ImportError("asscipy needs SciPy: pip install scipy") from None
        return self._scipy(sp)

    # -- arithmetic with MXNet's storage rules ------------------------------------
    def __add__(self, o: Any) -> Any:
        return add(self, o)

    def __radd__(self, o: Any) -> Any:
        return add(o, self)

    def __sub__(self, o: Any) -> Any:
        return subtract(self, o)

    def __rsub__(self, o: Any) -> Any:
        return subtract(o, self)

    def __mul__(self, o: Any) -> Any:
        return multiply(self, o)

    def __rmul__(self, o: Any) -> Any:
        return multiply(o, self)

    def __truediv__(self, o: Any) -> Any:
        return divide(self, o)

    def __neg__(self) -> Any:
        return self._map_data(lambda d: -d)

    def __setitem__(self, key: Any, value: Any) -> None:
        raise NotSupportedForSparseNDArray(
            f"assigning into a {type(self).__name__} is not supported here (make a new "
            "array, or use tostype('default'))")

    def sum(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
        return sum(self, axis=axis, keepdims=keepdims, **kwargs)

    def mean(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
        return mean(self, axis=axis, keepdims=keepdims, **kwargs)

    # -- helpers -------------------------------------------------------------------
    def _like(self, parts: tuple) -> Any:
        return _make(type(self), parts, self._sshape)

    def _map_data(self, fn: Any) -> Any:
        """The same structure with ``fn(data)`` (an np-mode function) as its values."""
        return self._like((fn(self._parts[0]),) + self._parts[1:])


def _make(cls: type, parts: tuple, shape: tuple) -> Any:
    o = _new(cls)
    o._gw = None
    o._parts = parts
    o._sshape = tuple(int(s) for s in shape)
    o._dense = None
    return o


class CSRNDArray(BaseSparseNDArray):
    """A 2-D array in compressed sparse row format (``mx.nd.sparse.CSRNDArray``)."""

    __slots__ = ()
    _STYPE = "csr"

    @property
    def indptr(self) -> NDArray:
        return wrap(self._parts[2])

    def _todense(self) -> _NP:
        return apply_op(_ops.CSR_TODENSE, self._parts, {"shape": self._sshape})

    def _scipy(self, sp: Any) -> Any:
        d, i, p = (x.asnumpy() for x in self._parts)
        return sp.csr_matrix((d, i, p), shape=self._sshape)

    def _keys(self) -> _onp.ndarray:
        """row * columns + column of every stored element (blocks on the structure)."""
        indptr = self._parts[2].asnumpy()
        rows = _onp.repeat(_onp.arange(self._sshape[0], dtype=_I64), _onp.diff(indptr))
        return rows * self._sshape[1] + self._parts[1].asnumpy()

    def __getitem__(self, key: Any) -> Any:
        n = self._sshape[0]
        if isinstance(key, (int, _onp.integer)) and not isinstance(key, bool):
            k = int(key) + n if key < 0 else int(key)
            if not 0 <= k < n:
                raise IndexError(f"index {key} is out of bounds for a CSRNDArray with "
                                 f"{n} rows")
            return slice_rows(self, k, k + 1)
        if isinstance(key, builtins.slice):
            start, stop, step = key.indices(n)
            if step != 1:
                raise ValueError(f"CSRNDArray only supports row slices with step 1, got "
                                 f"{key}")
            return slice_rows(self, start, builtins.max(start, stop))
        raise ValueError(f"CSRNDArray only supports an int or a slice of rows for "
                         f"__getitem__, got {key!r}")

    def check_format(self, full_check: bool = True) -> None:
        _check_csr(*(p.asnumpy() for p in self._parts), self._sshape, "check_format")


class RowSparseNDArray(BaseSparseNDArray):
    """An array whose rows are mostly zero: the stored rows' values and their row
    numbers (``mx.nd.sparse.RowSparseNDArray``)."""

    __slots__ = ()
    _STYPE = "row_sparse"

    def _todense(self) -> _NP:
        return apply_op(_ops.RSP_TODENSE, self._parts, {"shape": self._sshape})

    def _scipy(self, sp: Any) -> Any:
        if len(self._sshape) != 2:
            raise ValueError(f"asscipy: only 2-D arrays, got shape {self._sshape}")
        return sp.csr_matrix(self.asnumpy())

    def _keys(self) -> _onp.ndarray:
        return self._parts[1].asnumpy()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, builtins.slice) and key == builtins.slice(None):
            return self
        raise ValueError("RowSparseNDArray only supports [:] for __getitem__")

    def retain(self, indices: Any) -> Any:
        return retain(self, indices)

    def _assign_rows(self, dense: _NP, row_ids: Any) -> None:
        """Hold rows *row_ids* (unique, sorted) of the dense np array *dense* (the
        kvstore's ``row_sparse_pull``; the gather is an engine op)."""
        ids = _onp.unique(_host(row_ids).astype(_I64).reshape(-1))
        if len(ids) and (ids[0] < 0 or ids[-1] >= self._sshape[0]):
            raise IndexError(f"row_sparse_pull: row ids must lie in [0, {self._sshape[0]}), "
                             f"got {ids.tolist()[:20]}")
        dev = self.context
        src = dense if dense._device is dev else dense.copyto(dev)
        self._parts = (src[_put(ids, dev)].astype(self._parts[0]._dtype), _put(ids, dev))
        self._dense = None

    def check_format(self, full_check: bool = True) -> None:
        _check_rsp(self._parts[0].asnumpy(), self._parts[1].asnumpy(), self._sshape,
                   "check_format")

    # -- as a gradient buffer (``attach_grad(stype='row_sparse')``) -----------------
    # Autograd writes a gradient by giving the buffer new components (the same handle
    # holds the new rows, as MXNet's gradient array does); the components it had stay
    # as they were for whoever holds them.
    def _set_rows(self, indices: Any, values: Any) -> None:
        """Hold rows *indices* (np int64, unique, sorted) with *values* (np); None,
        None: no row (a zero gradient)."""
        if indices is None:
            dev = self.context
            d = self._parts[0]._dtype
            self._parts = (_put(_onp.zeros((0,) + self._sshape[1:], d), dev),
                           _put(_onp.zeros(0, _I64), dev))
        else:
            self._parts = (values, indices)
        self._dense = None

    def _set_dense(self, dense: _NP) -> None:
        """Hold the nonzero rows of the dense np array *dense* (reads its values, as
        MXNet's cast to row_sparse does)."""
        r = _rsp_from_dense(dense.asnumpy(), self._parts[0]._dtype, self.context)
        self._parts = r._parts
        self._dense = None


_nd.SPARSE.update({CSRNDArray, RowSparseNDArray})


# ----------------------------------------------------------------------------- checks
def _check_csr(data: _onp.ndarray, indices: _onp.ndarray, indptr: _onp.ndarray,
               shape: tuple, fname: str) -> None:
    where = f"{fname}: invalid CSR structure for shape {tuple(shape)}"
    if len(shape) != 2:
        raise SparseFormatError(f"{fname}: a CSR array is 2-D, got shape {tuple(shape)}")
    if data.ndim != 1 or indices.ndim != 1 or indptr.ndim != 1:
        raise SparseFormatError(f"{where}: data, indices and indptr must be 1-D, got shapes "
                                f"{data.shape}, {indices.shape}, {indptr.shape}")
    if indptr.shape[0] != shape[0] + 1:
        raise SparseFormatError(f"{where}: indptr has {indptr.shape[0]} entries, a matrix "
                                f"of {shape[0]} rows needs {shape[0] + 1}")
    if len(data) != len(indices):
        raise SparseFormatError(f"{where}: {len(data)} values but {len(indices)} indices")
    if indptr[0] != 0 or indptr[-1] != len(data) or (_onp.diff(indptr) < 0).any():
        raise SparseFormatError(f"{where}: indptr must rise from 0 to the number of values "
                                f"({len(data)}), got {indptr.tolist()[:20]}")
    if len(indices) and (indices.min() < 0 or indices.max() >= shape[1]):
        raise SparseFormatError(f"{where}: column indices must lie in [0, {shape[1]}), got "
                                f"{int(indices.min())}..{int(indices.max())}")


def _check_rsp(data: _onp.ndarray, indices: _onp.ndarray, shape: tuple, fname: str) -> None:
    where = f"{fname}: invalid row_sparse structure for shape {tuple(shape)}"
    if indices.ndim != 1 or data.shape[:1] != indices.shape or \
            tuple(data.shape[1:]) != tuple(shape[1:]):
        raise SparseFormatError(f"{where}: data must be (len(indices), *{tuple(shape[1:])}), "
                                f"got data {data.shape} and indices {indices.shape}")
    if len(indices) and (indices.min() < 0 or indices.max() >= shape[0]):
        raise SparseFormatError(f"{where}: row indices must lie in [0, {shape[0]}), got "
                                f"{int(indices.min())}..{int(indices.max())}")
    if len(_onp.unique(indices)) != len(indices):
        raise SparseFormatError(f"{where}: row indices repeat: {indices.tolist()[:20]}")


# ----------------------------------------------------------------------------- creation
def _dtype(dtype: Any, default: Any) -> _onp.dtype:
    return _onp.dtype(default if dtype is None else dtype)


def _csr_from_dense(x: _onp.ndarray, dtype: Any, dev: Any) -> CSRNDArray:
    if x.ndim != 2:
        raise ValueError(f"To convert to a CSR, the NDArray should be 2 Dimensional. "
                         f"Current shape is {x.shape}")
    rows, cols = _onp.nonzero(x)
    indptr = _onp.zeros(x.shape[0] + 1, dtype=_I64)
    _onp.cumsum(_onp.bincount(rows, minlength=x.shape[0]), out=indptr[1:])
    d = _dtype(dtype, x.dtype)
    return _make(CSRNDArray, (_put(x[rows, cols].astype(d), dev),
                              _put(cols.astype(_I64), dev), _put(indptr, dev)), x.shape)


def _rsp_from_dense(x: _onp.ndarray, dtype: Any, dev: Any) -> RowSparseNDArray:
    if x.ndim == 0:
        raise ValueError("a row_sparse array needs at least one dimension")
    rows = _onp.nonzero(x.reshape(x.shape[0], int(_onp.prod(x.shape[1:]))).any(axis=1))[0]
    rows = rows.astype(_I64)
    d = _dtype(dtype, x.dtype)
    return _make(RowSparseNDArray, (_put(x[rows].astype(d), dev), _put(rows, dev)), x.shape)


def _is_shape(arg: Any) -> bool:
    return isinstance(arg, tuple) and builtins.all(
        isinstance(s, (int, _onp.integer)) and not isinstance(s, bool) for s in arg)


def _dense_source(arg: Any, fname: str) -> _onp.ndarray:
    if isinstance(arg, NDArray) or arg.__class__ is _NP or isinstance(arg, _onp.ndarray):
        return _host(arg)
    if isinstance(arg, (list, tuple)):
        return _onp.asarray(arg, dtype=_onp.float32)
    raise TypeError(f"{fname}: unexpected argument of type {type(arg).__name__}")


def csr_matrix(arg1: Any, shape: Any = None, ctx: Any = None, dtype: Any = None) -> CSRNDArray:
    """A CSRNDArray from ``(data, indices, indptr)``, ``(data, (row, col))``, a shape
    (all zeros), a dense array (NDArray / NumPy; waits for its values), a CSRNDArray or a
    SciPy sparse matrix."""
    dev = _dev(ctx)
    if isinstance(arg1, CSRNDArray):
        out = arg1.as_in_context(dev).copy() if ctx is not None else arg1.copy()
        return out.astype(dtype) if dtype is not None else out
    if hasattr(arg1, "tocsr") and hasattr(arg1, "nnz"):          # a SciPy matrix
        m = arg1.tocsr()
        m.sort_indices()
        return csr_matrix((m.data, m.indices, m.indptr), shape=m.shape, ctx=ctx,
                          dtype=m.dtype if dtype is None else dtype)
    if _is_shape(arg1) and len(arg1) == 2:
        return zeros("csr", arg1, ctx=ctx, dtype=dtype)
    if isinstance(arg1, tuple) and len(arg1) == 3:
        data, indices, indptr = (_host(a) for a in arg1)
        d = _dtype(dtype, data.dtype if data.dtype.kind == "f" else _onp.float32)
        if isinstance(arg1[0], (list, tuple)):
            d = _dtype(dtype, _onp.float32)
        indices = indices.astype(_I64)
        indptr = indptr.astype(_I64)
        if shape is None:
            ncols = int(indices.max()) + 1 if len(indices) else 0
            shape = (len(indptr) - 1, ncols)
        shape = tuple(int(s) for s in shape)
        _check_csr(data, indices, indptr, shape, "csr_matrix")
        return _make(CSRNDArray, (_put(data.astype(d), dev), _put(indices, dev),
                                  _put(indptr, dev)), shape)
    if isinstance(arg1, tuple) and len(arg1) == 2 and isinstance(arg1[1], tuple):
        data = _host(arg1[0])
        row, col = (_host(a).astype(_I64) for a in arg1[1])
        if shape is None:
            shape = (int(row.max()) + 1 if len(row) else 0,
                     int(col.max()) + 1 if len(col) else 0)
        shape = tuple(int(s) for s in shape)
        if not (len(data) == len(row) == len(col)):
            raise SparseFormatError(f"csr_matrix: (data, (row, col)) need one length, got "
                                    f"{len(data)}, {len(row)}, {len(col)}")
        if len(row) and (row.min() < 0 or row.max() >= shape[0] or col.min() < 0
                         or col.max() >= shape[1]):
            raise SparseFormatError(f"csr_matrix: (row, col) coordinates out of the shape "
                                    f"{shape}")
        keys, inv = _onp.unique(row * shape[1] + col, return_inverse=True)
        vals = _onp.zeros(len(keys), dtype=_dtype(dtype, _onp.float32))
        _onp.add.at(vals, inv.reshape(-1), data)                  # duplicates are summed
        r, c = _onp.divmod(keys, shape[1])
        indptr = _onp.zeros(shape[0] + 1, dtype=_I64)
        _onp.cumsum(_onp.bincount(r, minlength=shape[0]), out=indptr[1:])
        return _make(CSRNDArray, (_put(vals, dev), _put(c.astype(_I64), dev),
                                  _put(indptr, dev)), shape)
    x = _dense_source(arg1, "csr_matrix")
    if shape is not None and tuple(shape) != x.shape:
        raise ShapeError(f"csr_matrix: shape {tuple(shape)} given for values of shape "
                         f"{x.shape}")
    return _csr_from_dense(x, dtype, dev)


def row_sparse_array(arg1: Any, shape: Any = None, ctx: Any = None,
                     dtype: Any = None) -> RowSparseNDArray:
    """A RowSparseNDArray from ``(data, indices)``, a shape (all zeros), a dense array
    (NDArray / NumPy; waits for its values) or a RowSparseNDArray."""
    dev = _dev(ctx)
    if isinstance(arg1, RowSparseNDArray):
        out = arg1.as_in_context(dev).copy() if ctx is not None else arg1.copy()
        return out.astype(dtype) if dtype is not None else out
    if _is_shape(arg1):
        return zeros("row_sparse", arg1, ctx=ctx, dtype=dtype)
    if isinstance(arg1, tuple) and len(arg1) == 2:
        data, indices = (_host(a) for a in arg1)
        d = _dtype(dtype, data.dtype if isinstance(arg1[0], (NDArray, _NP, _onp.ndarray))
                   and data.dtype.kind == "f" else _onp.float32)
        indices = indices.astype(_I64).reshape(-1)
        if shape is None:
            shape = (int(indices.max()) + 1 if len(indices) else 0,) + tuple(data.shape[1:])
        shape = tuple(int(s) for s in shape)
        if data.ndim == 1 and len(shape) == 1:
            pass
        _check_rsp(data, indices, shape, "row_sparse_array")
        return _make(RowSparseNDArray, (_put(data.astype(d), dev), _put(indices, dev)), shape)
    x = _dense_source(arg1, "row_sparse_array")
    return _rsp_from_dense(x, dtype, dev)


def zeros(stype: str, shape: Any, ctx: Any = None, dtype: Any = None, **kwargs: Any) -> Any:
    """An all-zero array of storage type *stype* ('csr', 'row_sparse' or 'default')."""
    dev = _dev(ctx)
    shape = (int(shape),) if isinstance(shape, (int, _onp.integer)) else tuple(shape)
    d = _dtype(dtype, _onp.float32)
    if stype == "csr":
        if len(shape) != 2:
            raise ValueError(f"zeros: a CSR array is 2-D, got shape {shape}")
        return _make(CSRNDArray, (_put(_onp.zeros(0, d), dev), _put(_onp.zeros(0, _I64), dev),
                                  _put(_onp.zeros(shape[0] + 1, _I64), dev)), shape)
    if stype == "row_sparse":
        return _make(RowSparseNDArray, (_put(_onp.zeros((0,) + shape[1:], d), dev),
                                        _put(_onp.zeros(0, _I64), dev)), shape)
    if stype in (None, "default"):
        return wrap(_np.zeros(shape, dtype=d, ctx=dev))
    raise ValueError(f"zeros: unknown storage type {stype!r} (csr, row_sparse or default)")


empty = zeros


def array(source_array: Any, ctx: Any = None, dtype: Any = None) -> Any:
    """A sparse copy of a sparse array or a SciPy sparse matrix."""
    if isinstance(source_array, CSRNDArray) or hasattr(source_array, "tocsr"):
        return csr_matrix(source_array, ctx=ctx, dtype=dtype)
    if isinstance(source_array, RowSparseNDArray):
        return row_sparse_array(source_array, ctx=ctx, dtype=dtype)
    raise ValueError(f"Please use mx.nd.array to create an NDArray with source_array of "
                     f"type {type(source_array)}")


def cast_storage(data: Any, stype: str, out: Any = None, name: Any = None) -> Any:
    """*data* in storage type *stype* (dense to sparse waits for the values)."""
    if isinstance(data, BaseSparseNDArray):
        return data.tostype(stype)
    if stype == "default":
        return wrap(_np_of(data).copy())
    if stype == "csr":
        return _csr_from_dense(_host(data), None, data.context)
    if stype == "row_sparse":
        return _rsp_from_dense(_host(data), None, data.context)
    raise ValueError(f"cast_storage: unknown storage type {stype!r}")


# ----------------------------------------------------------------------------- structure ops
def slice_rows(c: CSRNDArray, start: int, stop: int) -> CSRNDArray:
    """Rows start:stop of a CSR array (blocks on its indptr)."""
    data, indices, indptr = c._parts
    p = indptr.asnumpy()
    lo, hi = int(p[start]), int(p[stop])
    return _make(CSRNDArray, (data[lo:hi].copy(), indices[lo:hi].copy(),
                              _put((p[start:stop + 1] - lo).astype(_I64), c.context)),
                 (stop - start, c._sshape[1]))


def retain(data: Any, indices: Any) -> RowSparseNDArray:
    """The rows *indices* of a row-sparse array (rows it does not store are zeros),
    as MXNet's ``sparse.retain``: the result stores exactly those rows, in that order."""
    if not isinstance(data, RowSparseNDArray):
        raise TypeError(f"retain: data must be a RowSparseNDArray, got {type(data).__name__}")
    want = _host(indices).astype(_I64).reshape(-1)
    have = data._parts[1].asnumpy()
    if len(want) and (want.min() < 0 or want.max() >= data._sshape[0]):
        raise IndexError(f"retain: row indices must lie in [0, {data._sshape[0]}), got "
                         f"{want.tolist()[:20]}")
    dev = data.context
    if len(have) == 0:
        vals = _np.zeros((len(want),) + data._sshape[1:], dtype=data._parts[0].dtype, ctx=dev)
        return _make(RowSparseNDArray, (vals, _put(want, dev)), data._sshape)
    order = _onp.argsort(have, kind="stable")
    pos = _onp.minimum(_onp.searchsorted(have[order], want), len(have) - 1)
    found = have[order][pos] == want
    vals = data._parts[0][_put(order[pos].astype(_I64), dev)]
    mask = _put(found.reshape((-1,) + (1,) * (len(data._sshape) - 1)), dev)
    vals = _np.where(mask, vals, _onp.zeros((), data._parts[0].dtype))
    return _make(RowSparseNDArray, (vals, _put(want, dev)), data._sshape)


def _sparse_structure_op(a: BaseSparseNDArray, b: BaseSparseNDArray, sign: float) -> Any:
    """a + b (sign 1) or a - b (sign -1) of two sparse arrays of one type and shape."""
    ka, kb = a._keys(), b._keys()
    keys, pa, pb = _ops.union_positions(ka, kb)
    dev = a.context
    vals = apply_op(_ops.SPARSE_UNION, (a._parts[0], _put(pa, dev), b._parts[0],
                                        _put(pb, dev)), {"n": len(keys), "sign": sign})
    return _from_keys(type(a), keys, vals, a._sshape, dev)


def _from_keys(cls: type, keys: _onp.ndarray, vals: _NP, shape: tuple, dev: Any) -> Any:
    if cls is RowSparseNDArray:
        return _make(cls, (vals, _put(keys.astype(_I64), dev)), shape)
    rows, cols = _onp.divmod(keys.astype(_I64), shape[1])
    indptr = _onp.zeros(shape[0] + 1, dtype=_I64)
    _onp.cumsum(_onp.bincount(rows, minlength=shape[0]), out=indptr[1:])
    return _make(cls, (vals, _put(cols, dev), _put(indptr, dev)), shape)


def _intersect(a: BaseSparseNDArray, b: BaseSparseNDArray) -> Any:
    ka, kb = a._keys(), b._keys()
    keys, ia, ib = _onp.intersect1d(ka, kb, assume_unique=True, return_indices=True)
    dev = a.context
    vals = a._parts[0][_put(ia.astype(_I64), dev)] * b._parts[0][_put(ib.astype(_I64), dev)]
    return _from_keys(type(a), keys, vals, a._sshape, dev)


def _same(a: Any, b: Any) -> bool:
    return (isinstance(a, BaseSparseNDArray) and isinstance(b, BaseSparseNDArray)
            and a._STYPE == b._STYPE and a._sshape == b._sshape)


def _check_pair(a: Any, b: Any, fname: str) -> None:
    if a._sshape != b._sshape:
        raise ShapeError(f"{fname}: shapes {a._sshape} and {b._sshape} differ ({a._STYPE}, "
                         f"on {a.context})")
    if a._parts[0]._dtype != b._parts[0]._dtype:
        raise ShapeError(f"{fname}: dtypes {a._parts[0].dtype} and {b._parts[0].dtype} "
                         f"differ ({a._STYPE}, on {a.context}): cast one first")


def _scalar(x: Any) -> bool:
    return isinstance(x, (int, float, _onp.number)) and not isinstance(x, bool)


def _dense(x: Any) -> Any:
    """A sparse operand as its dense legacy value (MXNet's storage fallback)."""
    return wrap(x._arr) if isinstance(x, BaseSparseNDArray) else x


def _elementwise(a: Any, b: Any, sign: float, fname: str) -> Any:
    if _same(a, b):
        _check_pair(a, b, fname)
        return _sparse_structure_op(a, b, sign)
    # sparse +- 0 and 0 + sparse keep the storage type, as MXNet's scalar ops do
    if isinstance(a, BaseSparseNDArray) and _scalar(b) and b == 0:
        return a.copy()
    if isinstance(b, BaseSparseNDArray) and _scalar(a) and a == 0 and sign > 0:
        return b.copy()
    from . import tensor as _t

    return (_t.add if sign > 0 else _t.subtract)(_dense(a), _dense(b))


def add(lhs: Any, rhs: Any) -> Any:
    """Sum: sparse + sparse of one type stays sparse (the union of the stored
    elements); anything else is dense."""
    return _elementwise(lhs, rhs, 1.0, "add")


def subtract(lhs: Any, rhs: Any) -> Any:
    return _elementwise(lhs, rhs, -1.0, "subtract")


def multiply(lhs: Any, rhs: Any) -> Any:
    """Product: sparse * sparse of one type (the intersection), sparse * dense and
    sparse * scalar keep the sparse operand's type; dense * sparse is dense, as in MXNet."""
    if _same(lhs, rhs):
        _check_pair(lhs, rhs, "multiply")
        return _intersect(lhs, rhs)
    if isinstance(lhs, BaseSparseNDArray):
        if _scalar(rhs):
            return lhs._map_data(lambda d: d * _onp.asarray(rhs, d.dtype).item())
        if isinstance(rhs, NDArray) and not isinstance(rhs, BaseSparseNDArray) and \
                tuple(rhs.shape) == lhs._sshape:
            return _times_dense(lhs, _np_of(rhs))
    if isinstance(rhs, BaseSparseNDArray) and _scalar(lhs):
        return rhs._map_data(lambda d: d * _onp.asarray(lhs, d.dtype).item())
    from . import tensor as _t

    return _t.multiply(_dense(lhs), _dense(rhs))


def _times_dense(s: BaseSparseNDArray, d: _NP) -> Any:
    if s._parts[0]._dtype != d._dtype:
        raise ShapeError(f"multiply: dtypes {s._parts[0].dtype} ({s._STYPE}) and {d.dtype} "
                         f"differ (on {s.context}): cast one first")
    if isinstance(s, RowSparseNDArray):
        return s._map_data(lambda v: v * d[s._parts[1]])
    rows = _onp.repeat(_onp.arange(s._sshape[0], dtype=_I64),
                       _onp.diff(s._parts[2].asnumpy()))
    dev = s.context
    return s._map_data(lambda v: v * d[_put(rows, dev), s._parts[1]])


def divide(lhs: Any, rhs: Any) -> Any:
    """Quotient: sparse / scalar stays sparse; the rest is dense."""
    if isinstance(lhs, BaseSparseNDArray) and _scalar(rhs):
        return lhs._map_data(lambda d: d / _onp.asarray(rhs, d.dtype).item())
    from . import tensor as _t

    return _t.divide(_dense(lhs), _dense(rhs))


elemwise_add, elemwise_sub, elemwise_mul = add, subtract, multiply


def _reduce(x: Any, axis: Any, keepdims: bool, fname: str, mean: bool) -> Any:
    from . import tensor as _t

    fn = _t.mean if mean else _t.sum
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    if not isinstance(x, CSRNDArray) or not isinstance(axis, (int, _onp.integer)) \
            or isinstance(axis, bool) or axis not in (0, 1, -1, -2):
        return fn(_dense(x), axis=axis, keepdims=keepdims)
    ax = int(axis) % 2
    r = apply_op(_ops.CSR_SUM, x._parts, {"shape": x._sshape, "axis": ax})
    if mean:
        r = r / x._sshape[ax]
    if keepdims:
        r = r.reshape((1, -1) if ax == 0 else (-1, 1))
    return wrap(r)


def sum(data: Any, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
    """Sum; of a CSR array along axis 0 or 1 without making it dense."""
    return _reduce(data, axis, keepdims, "sum", False)


def mean(data: Any, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
    return _reduce(data, axis, keepdims, "mean", True)


def zeros_like(data: Any, **kwargs: Any) -> Any:
    if isinstance(data, BaseSparseNDArray):
        return zeros(data._STYPE, data._sshape, ctx=data.context, dtype=data._parts[0].dtype)
    from . import creation as _c

    return _c.zeros_like(data, **kwargs)


# ----------------------------------------------------------------------------- dot
def dot(lhs: Any, rhs: Any, transpose_a: bool = False, transpose_b: bool = False,
        forward_stype: Any = None) -> Any:
    """The matrix product with MXNet's storage rules (see the module docstring)."""
    from . import tensor as _t

    if isinstance(lhs, CSRNDArray) and not isinstance(rhs, CSRNDArray):
        b = _np_of(_dense(rhs))
        if transpose_b:
            b = b.T
        if b.ndim != 2 or b._dtype != lhs._parts[0]._dtype:
            raise ShapeError(f"dot: csr {lhs._sshape} {lhs._parts[0].dtype} and dense "
                             f"{tuple(b.shape)} {b.dtype} (on {lhs.context}): the dense "
                             f"operand must be 2-D of the same dtype")
        if not transpose_a:
            if b.shape[0] != lhs._sshape[1]:
                raise ShapeError(f"dot: shapes {lhs._sshape} (csr) and {tuple(b.shape)} "
                                 f"do not match")
            return wrap(apply_op(_ops.CSR_DOT, lhs._parts + (b,),
                                 {"ncols": lhs._sshape[1]}))
        if b.shape[0] != lhs._sshape[0]:
            raise ShapeError(f"dot: shapes {lhs._sshape} (csr, transposed) and "
                             f"{tuple(b.shape)} do not match")
        cols = lhs._parts[1].asnumpy()
        keys = _onp.unique(cols)
        pos = _put(_onp.searchsorted(keys, cols).astype(_I64), lhs.context)
        vals = apply_op(_ops.CSR_T_DOT, lhs._parts + (b, pos), {"nout": len(keys)})
        return _make(RowSparseNDArray, (vals, _put(keys.astype(_I64), lhs.context)),
                     (lhs._sshape[1], b.shape[1]))
    if isinstance(rhs, CSRNDArray) and not isinstance(lhs, BaseSparseNDArray) \
            and not transpose_a and not transpose_b:
        a = _np_of(lhs)
        if a.ndim != 2 or a.shape[1] != rhs._sshape[0]:
            raise ShapeError(f"dot: shapes {tuple(a.shape)} and {rhs._sshape} (csr) do not "
                             f"match")
        # (a @ c).T = c.T @ a.T: columns of c that store nothing give zero columns, so the
        # result stores every row at the columns c uses (a structure from indices only)
        dense_t = apply_op(_ops.CSR_T_DOT, rhs._parts + (a.T, rhs._parts[1]),
                           {"nout": rhs._sshape[1]})
        cols = _onp.unique(rhs._parts[1].asnumpy())
        m = a.shape[0]
        vals = dense_t[_put(cols, rhs.context)].T.reshape(-1)
        keys = (_onp.arange(m, dtype=_I64)[:, None] * rhs._sshape[1] + cols[None, :])
        return _from_keys(CSRNDArray, keys.reshape(-1), vals, (m, rhs._sshape[1]),
                          rhs.context)
    return _t.dot(_dense(lhs), _dense(rhs), transpose_a=transpose_a, transpose_b=transpose_b)


# ----------------------------------------------------------------------------- elementwise
# zero-preserving functions: on a sparse array they map its stored values
ZERO_PRESERVING = ("abs", "sign", "round", "rint", "ceil", "floor", "trunc", "fix", "square",
                   "sqrt", "sin", "tan", "arcsin", "arctan", "sinh", "tanh", "arcsinh",
                   "arctanh", "expm1", "log1p", "degrees", "radians", "relu", "negative",
                   "cbrt")


def zero_preserving(name: str, dense_fn: Any) -> Any:
    """``mx.nd.<name>`` that maps a sparse array's stored values (same storage type)."""
    def fn(data: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(data, BaseSparseNDArray):
            out = kwargs.pop("out", None)
            r = data._map_data(lambda d: dense_fn(wrap(d), *args, **kwargs)._arr)
            if out is not None:
                return r.copyto(out)
            return r
        return dense_fn(data, *args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = dense_fn.__doc__
    return fn


def clip_fn(dense_fn: Any) -> Any:
    def clip(data: Any, a_min: Any, a_max: Any, out: Any = None, name: Any = None) -> Any:
        if isinstance(data, BaseSparseNDArray) and a_min <= 0 <= a_max and out is None:
            return data._map_data(lambda d: dense_fn(wrap(d), a_min, a_max)._arr)
        return dense_fn(_dense(data), a_min, a_max, out=out)
    clip.__doc__ = dense_fn.__doc__
    return clip


def legacy_slice(dense_fn: Any) -> Any:
    def slice(data: Any, begin: Any, end: Any, step: Any = None, **kwargs: Any) -> Any:
        if isinstance(data, CSRNDArray) and step in (None, (), (None,), (1,)) \
                and len(begin) == 1 and len(end) == 1:
            lo, hi, _ = builtins.slice(begin[0], end[0]).indices(data._sshape[0])
            return slice_rows(data, lo, builtins.max(lo, hi))
        return dense_fn(_dense(data), begin, end, step, **kwargs)
    slice.__doc__ = dense_fn.__doc__
    return slice


# ----------------------------------------------------------------------------- updates
def adagrad_update(weight: Any, grad: Any, history: Any, lr: float, epsilon: float = 1e-7,
                   wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                   out: Any = None, name: Any = None) -> Any:
    """MXNet's sparse AdaGrad step: with a row-sparse *grad*, only its rows of the weight
    and *history* change (``history += g**2; w -= lr * g / sqrt(history + epsilon)``);
    as in MXNet 1.9.1 a dense weight takes no weight decay here (``wd != 0`` is an
    error).  In place: *out* must be the weight (as MXNet's, which expects
    kWriteInplace)."""
    from ._util import arr

    w = arr(weight, "adagrad_update", "weight")
    h = arr(history, "adagrad_update", "history")
    if not isinstance(grad, RowSparseNDArray):
        raise MXNetError(f"sparse.adagrad_update: grad must be a RowSparseNDArray (got "
                         f"{type(grad).__name__} of shape {tuple(grad.shape)} on "
                         f"{grad.context}), as MXNet's _sparse_adagrad_update")
    if wd != 0:
        raise MXNetError(f"sparse.adagrad_update: weight decay (wd={wd}) is not supported "
                         f"for a dense weight {tuple(w.shape)} (on {w.device}) and a "
                         f"row_sparse gradient, as in MXNet 1.9.1")
    if out is None or arr(out, "adagrad_update", "out") is not w:
        raise MXNetError("sparse.adagrad_update: the update is in place (pass out=weight): "
                         "MXNet's sparse adagrad_update expects kWriteInplace")
    _ops.lazy_update("adagrad_update", w, grad._parts[0], grad._parts[1], (h,),
                     lr=lr, epsilon=epsilon, wd=0.0, rescale_grad=rescale_grad,
                     clip_gradient=clip_gradient)
    return out
