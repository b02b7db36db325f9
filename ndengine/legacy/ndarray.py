"""The legacy ``mx.nd.NDArray``: a thin handle over an np-mode NDArray.

Design
------
A legacy array holds one np-mode array (``_arr``) and nothing else: the same buffer, the
same engine var, the same device, the same autograd node.  So ``as_np_ndarray()`` and
np's ``as_nd_ndarray()`` are free (no copy: a write through one shows in the other, as
in MXNet), every legacy op is the np op on ``_arr`` under MXNet 1.x's shape and dtype
rules, and np-mode code never sees a legacy array (its hot paths test
``x.__class__ is NDArray`` and stay as fast as before).

MXNet 1.x rules that differ from np mode, applied here:

* no 0-d results from indexing or full reductions: ``x[1]`` of a vector and ``x.sum()``
  have shape (1,);
* arithmetic keeps the array's dtype: a Python scalar is cast to it first
  (``int32 * 1.5`` multiplies by 1), two arrays must have the same dtype, and
  comparisons give 0/1 in that dtype;
* ``dtype`` is the NumPy scalar type (``numpy.float32``), not a ``numpy.dtype``;
* ``reshape`` takes MXNet's special codes (0, -1, -2, -3, -4, ``reverse=True``);
* repr is ``\\n[1. 2. 3.]\\n<NDArray 3 @cpu(0)>``; ``wait_to_read`` returns None.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..base import MXNetError
from ..device import Device
from ..ndarray import ops_legacy as _lops
from ..ndarray.ndarray import NDArray as _NP
from ..ndarray.ndarray import _binary, _inplace, _SCALARS, apply_op
from ..ndarray.ops import OPS, DTypeError, ShapeError

__all__ = ["NDArray", "wrap", "unwrap"]

_new_object = object.__new__
_ADD = OPS["add"]
_SUB = OPS["subtract"]
_MUL = OPS["multiply"]
_DIV = OPS["true_divide"]
_MOD = OPS["mod"]
_POW = OPS["power"]


class _LegacyMeta(type):
    """``isinstance(np_array, mx.nd.NDArray)`` is true, as in MXNet (whose np.ndarray
    subclasses the legacy class); ``type(x) is mx.nd.NDArray`` still tells them apart."""

    def __instancecheck__(cls, obj: Any) -> bool:
        c = obj.__class__
        return c is cls or c is _NP or type.__instancecheck__(cls, obj)


def wrap(a: _NP) -> "NDArray":
    """The legacy handle of np array *a* (shares everything with it)."""
    o = _new_object(NDArray)
    o._arr = a
    o._gw = None
    return o


def wrap_all(r: Any) -> Any:
    """*r* with every np array in it (lists and tuples too) as a legacy handle."""
    c = r.__class__
    if c is _NP:
        return wrap(r)
    if c is list or c is tuple:
        return c(wrap_all(x) for x in r)
    return r


# the sparse array classes (ndengine.legacy.sparse adds them): an op that has no sparse
# form reads their dense value (``_arr``), as MXNet's storage fallback does
SPARSE: set = set()


def unwrap(x: Any) -> Any:
    """The np array behind a legacy array (np arrays and others pass unchanged; lists and
    tuples are unwrapped item by item; a sparse array gives its dense value)."""
    c = x.__class__
    if c is NDArray:
        return x._arr
    if c is list or c is tuple:
        return c(unwrap(v) for v in x)
    if c in SPARSE:
        return x._arr
    return x


def _scalar_for(dtype: Any, v: Any) -> Any:
    """A Python scalar operand cast to the array's dtype first, as MXNet 1.x does
    (``int32_array * 1.5`` multiplies by 1)."""
    if dtype.kind in "iub":
        if isinstance(v, (float, _onp.floating)):
            if v != v or v in (float("inf"), float("-inf")):
                return int(_onp.array(v).astype(dtype))
            return int(v)
        if isinstance(v, (bool, _onp.bool_)):
            return int(v)
    return v


def _dtype_mismatch(name: str, a: _NP, b: _NP) -> MXNetError:
    return DTypeError(
        f"{name}: operands have different dtypes ({a.shape} {a.dtype} and {b.shape} "
        f"{b.dtype}, on {a.device}); legacy NDArray ops need one dtype: cast with "
        f".astype() first")


def _operand(b: Any, name: str) -> Any:
    """The np array or scalar for the right-hand operand of a legacy operator."""
    c = b.__class__
    if c is NDArray:
        return b._arr
    if c is _NP or c in _SCALARS:
        return b
    if isinstance(b, _onp.generic):
        return b.item()
    if c in SPARSE:
        return b._arr
    raise TypeError(f"type {type(b)} not supported ({name} of a legacy NDArray; make it an "
                    f"NDArray with mx.nd.array first)")


def binary(opdef: Any, a: Any, b: Any, name: str | None = None) -> "NDArray":
    """``a op b`` for legacy operands (at least one an NDArray) under MXNet 1.x's rules:
    shapes broadcast, the dtype is the arrays' (which must agree), scalars are cast to
    it.  Float arrays take np's own fast path (the rules agree there)."""
    x = unwrap(a)
    y = unwrap(b)
    if x.__class__ is _NP:
        if y.__class__ is _NP:
            if x._dtype != y._dtype:
                raise _dtype_mismatch(name or opdef.name, x, y)
            if x._dtype.kind == "f":
                return wrap(_binary(opdef, x, y))
            return wrap(apply_op(_lops.keep_dtype(opdef.name), (x, y)))
        if x._dtype.kind == "f":
            return wrap(_binary(opdef, x, y))
        return wrap(apply_op(_lops.keep_dtype(opdef.name), (x, _scalar_for(x._dtype, y))))
    if y._dtype.kind == "f":
        return wrap(_binary(opdef, x, y))
    return wrap(apply_op(_lops.keep_dtype(opdef.name), (_scalar_for(y._dtype, x), y)))


def compare(opname: str, a: Any, b: Any) -> "NDArray":
    """A comparison: 0/1 in the operands' dtype (MXNet 1.x has no bool results)."""
    x = unwrap(a)
    y = unwrap(b)
    if x.__class__ is _NP and y.__class__ is _NP:
        if x._dtype != y._dtype:
            raise _dtype_mismatch(opname, x, y)
        if x._dtype.kind == "f":
            # np's two-array fast path on the 0/1 op (its runner casts bool to float)
            return wrap(_binary(_lops.keep_dtype(opname), x, y))
    dt = x._dtype if x.__class__ is _NP else y._dtype
    if x.__class__ is not _NP:
        x = _scalar_for(dt, x)
    if y.__class__ is not _NP:
        y = _scalar_for(dt, y)
    return wrap(apply_op(_lops.keep_dtype(opname), (x, y)))


def _shape_str(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape)


class NDArray(metaclass=_LegacyMeta):
    """MXNet 1.x's ``mx.nd.NDArray``: an asynchronous array with the legacy API (see the
    module docstring).  ``NDArray(np_array)`` wraps an np array without a copy; other
    data goes through :func:`mx.nd.array`."""

    __slots__ = ("_arr", "_gw", "__weakref__")
    __array_priority__ = 1000.0

    def __new__(cls, data: Any = None, *args: Any, **kwargs: Any) -> "NDArray":
        if data.__class__ is _NP and not args and not kwargs:
            return wrap(data)
        from .creation import array

        return array(data, *args, **kwargs)

    # -- what never blocks ---------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._arr._shape

    @property
    def dtype(self) -> Any:
        """The NumPy scalar type (``numpy.float32``), as MXNet 1.x gives it."""
        return self._arr._dtype.type

    @property
    def size(self) -> int:
        return self._arr.size

    @property
    def ndim(self) -> int:
        return len(self._arr._shape)

    @property
    def context(self) -> Device:
        return self._arr._device

    ctx = context

    @property
    def device(self) -> Device:
        return self._arr._device

    @property
    def stype(self) -> str:
        return "default"

    @property
    def handle(self) -> Any:
        """The np-mode array this handle shares its buffer and engine var with."""
        return self._arr

    @property
    def writable(self) -> bool:
        return True

    @property
    def T(self) -> "NDArray":
        if self.ndim > 2:
            raise ShapeError(f"T: only 1-D and 2-D arrays can be transposed with .T, got "
                             f"shape {self.shape} (use transpose(axes=...))")
        return wrap(self._arr.transpose())

    # -- conversions -----------------------------------------------------------------
    def as_np_ndarray(self) -> _NP:
        """The np-mode array (no copy: the two share their buffer)."""
        return self._arr

    def as_nd_ndarray(self) -> "NDArray":
        return self

    def asnumpy(self) -> _onp.ndarray:
        """A NumPy copy of the values (blocks)."""
        return self._arr.asnumpy()

    def asscalar(self) -> Any:
        """The value of a size-1 array as a NumPy scalar (blocks)."""
        if self._arr.size != 1:
            raise ValueError(f"The current array is not a scalar (asscalar of shape "
                             f"{self.shape})")
        return self._arr.asnumpy().reshape(-1)[0]

    def tolist(self) -> Any:
        return self._arr.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> _onp.ndarray:
        return self._arr.__array__(dtype, copy) if copy is not None \
            else self._arr.__array__(dtype)

    def wait_to_read(self) -> None:
        """Block until this array's value is computed (returns None, as in MXNet)."""
        self._arr.wait_to_read()

    def astype(self, dtype: Any, copy: bool = True) -> "NDArray":
        dt = _onp.dtype(dtype)
        if not copy and dt == self._arr._dtype:
            return self
        return wrap(apply_op(OPS["astype"], (self._arr,), {"dtype": dt}))

    def copy(self) -> "NDArray":
        return wrap(apply_op(OPS["copy"], (self._arr,)))

    def copyto(self, other: Any) -> "NDArray":
        """A copy on a device (a Context), or into another array (returned)."""
        if other.__class__ is NDArray:
            self._arr.copyto(other._arr)
            return other
        if other.__class__ is _NP:
            self._arr.copyto(other)
            return wrap(other)
        if isinstance(other, Device):
            return wrap(self._arr.copyto(other))
        raise TypeError(f"copyto: expected a Context such as mx.cpu(1) or an NDArray, got "
                        f"{type(other).__name__} (copying {self.shape} from {self.context})")

    def as_in_context(self, context: Device) -> "NDArray":
        """This array on *context*: itself if it is there, else a copy."""
        if context is self._arr._device:
            return self
        return wrap(self._arr.as_in_ctx(context))

    as_in_ctx = as_in_context

    def detach(self) -> "NDArray":
        return wrap(self._arr.detach())

    # -- autograd --------------------------------------------------------------------
    def attach_grad(self, grad_req: str = "write", stype: Any = None) -> None:
        """Attach a zero gradient buffer (see ``mx.autograd``)."""
        self._arr.attach_grad(grad_req, stype)
        self._gw = None

    @property
    def grad(self) -> "NDArray | None":
        g = self._arr._grad
        if g is None or g.__class__ in SPARSE:     # a row_sparse gradient is one already
            return g
        gw = self._gw
        if gw is None or gw._arr is not g:
            gw = self._gw = wrap(g)
        return gw

    def backward(self, out_grad: Any = None, retain_graph: bool = False,
                 train_mode: bool = True) -> None:
        """Push the gradient ops of the recorded graph that computes this array."""
        self._arr.backward(unwrap(out_grad), retain_graph=retain_graph, train_mode=train_mode)

    # -- Python protocol -------------------------------------------------------------
    def __repr__(self) -> str:
        """``\\n<values>\\n<NDArray 2x3 @cpu(0)>`` (blocks)."""
        vals = self._arr.asnumpy()
        return f"\n{vals}\n<NDArray {_shape_str(self.shape)} @{self.context}>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if not spec:
            return repr(self)
        return format(self.asscalar(), spec)

    def __hash__(self) -> int:
        return id(self) // 16

    def __bool__(self) -> bool:
        n = self._arr.size
        if n == 0:
            return False
        if n == 1:
            return bool(self.asscalar())
        raise ValueError("The truth value of an NDArray with multiple elements is ambiguous.")

    __nonzero__ = __bool__

    def __len__(self) -> int:
        if not self.shape:
            raise IndexError("tuple index out of range (len of a 0-d NDArray)")
        return self.shape[0]

    def __iter__(self):
        """Rows ``self[0], self[1], ...``, each pushed as asked for."""
        for i in range(len(self)):
            yield self[i]

    def __reduce__(self):
        return (_rebuild, (self.asnumpy(), self.context))

    def __copy__(self) -> "NDArray":
        return self.copy()

    def __deepcopy__(self, memo: Any) -> "NDArray":
        return self.copy()

    # -- indexing --------------------------------------------------------------------
    def __getitem__(self, key: Any) -> "NDArray":
        from .indexing import getitem

        return getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        from .indexing import setitem

        setitem(self, key, value)

    # -- arithmetic ------------------------------------------------------------------
    def __add__(self, o: Any) -> "NDArray":
        return binary(_ADD, self, _operand(o, "+"))

    def __radd__(self, o: Any) -> "NDArray":
        return binary(_ADD, _operand(o, "+"), self)

    def __sub__(self, o: Any) -> "NDArray":
        return binary(_SUB, self, _operand(o, "-"))

    def __rsub__(self, o: Any) -> "NDArray":
        return binary(_SUB, _operand(o, "-"), self)

    def __mul__(self, o: Any) -> "NDArray":
        return binary(_MUL, self, _operand(o, "*"))

    def __rmul__(self, o: Any) -> "NDArray":
        return binary(_MUL, _operand(o, "*"), self)

    def __truediv__(self, o: Any) -> "NDArray":
        return binary(_DIV, self, _operand(o, "/"))

    def __rtruediv__(self, o: Any) -> "NDArray":
        return binary(_DIV, _operand(o, "/"), self)

    __div__ = __truediv__
    __rdiv__ = __rtruediv__

    def __mod__(self, o: Any) -> "NDArray":
        return binary(_MOD, self, _operand(o, "%"))

    def __rmod__(self, o: Any) -> "NDArray":
        return binary(_MOD, _operand(o, "%"), self)

    def __pow__(self, o: Any) -> "NDArray":
        return binary(_POW, self, _operand(o, "**"))

    def __rpow__(self, o: Any) -> "NDArray":
        return binary(_POW, _operand(o, "**"), self)

    def __neg__(self) -> "NDArray":
        return wrap(-self._arr)

    def __abs__(self) -> "NDArray":
        return wrap(abs(self._arr))

    def __eq__(self, o: Any) -> Any:  # type: ignore[override]
        return compare("equal", self, _operand(o, "=="))

    def __ne__(self, o: Any) -> Any:  # type: ignore[override]
        return compare("not_equal", self, _operand(o, "!="))

    def __lt__(self, o: Any) -> "NDArray":
        return compare("less", self, _operand(o, "<"))

    def __le__(self, o: Any) -> "NDArray":
        return compare("less_equal", self, _operand(o, "<="))

    def __gt__(self, o: Any) -> "NDArray":
        return compare("greater", self, _operand(o, ">"))

    def __ge__(self, o: Any) -> "NDArray":
        return compare("greater_equal", self, _operand(o, ">="))

    # in place: writes of the shared var (so views and the np handle see them)
    def _iop(self, opdef: Any, o: Any, sym: str) -> "NDArray":
        x = self._arr
        y = _operand(o, sym)
        integral = x._dtype.kind != "f"
        if y.__class__ is _NP:
            if y._dtype != x._dtype:
                raise _dtype_mismatch(opdef.name, x, y)
        elif integral:
            y = _scalar_for(x._dtype, y)
        if integral and opdef is _DIV:
            # integer division truncates (C's rule), as MXNet 1.x computes it
            x[...] = apply_op(_lops.keep_dtype("true_divide"), (x, y))
            return self
        _inplace(opdef, x, y)
        return self

    def __iadd__(self, o: Any) -> "NDArray":
        return self._iop(_ADD, o, "+=")

    def __isub__(self, o: Any) -> "NDArray":
        return self._iop(_SUB, o, "-=")

    def __imul__(self, o: Any) -> "NDArray":
        return self._iop(_MUL, o, "*=")

    def __itruediv__(self, o: Any) -> "NDArray":
        return self._iop(_DIV, o, "/=")

    __idiv__ = __itruediv__

    def __imod__(self, o: Any) -> "NDArray":
        return self._iop(_MOD, o, "%=")


def _register() -> None:
    """Let gluon's Block.__call__ recognize legacy arrays (without importing this)."""
    from .. import ndarray as _pkg

    _pkg._legacy_class = NDArray


_register()


def _rebuild(values: _onp.ndarray, ctx: Device) -> NDArray:
    from .creation import array

    return array(values, ctx=ctx, dtype=values.dtype)


def _install_methods() -> None:
    """The method forms of the legacy functions (``x.sum(axis=1)``, ``x.reshape(...)``):
    each calls the function of ``mx.nd`` with the array first."""
    from . import _methods

    for name, fn in _methods.METHODS.items():
        setattr(NDArray, name, fn)

