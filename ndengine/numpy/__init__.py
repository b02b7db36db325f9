"""``ndengine.np``: MXNet's NumPy-compatible namespace, asynchronous.

Mirrors NumPy's reference sections: creation, math, manipulation, reduction, linalg,
random.  Every function returns at once with an NDArray whose values are computed by
the engine; shapes and dtypes are checked at the call.  Differences from NumPy:
creation and random default to float32 (as MXNet's np); float functions of integer
arrays give float32; slicing and reshaping return independent values, not views;
``nonzero``, ``unique`` and boolean-mask indexing block (see ``manipulation``).
"""
from __future__ import annotations

import numpy as _onp

import sys as _sys

from ..ndarray import ndarray as _nd
from ..ndarray.ndarray import NDArray
from ..ndarray.ndarray import array_dtype as _array_dtype
from . import random
from .creation import *  # noqa: F401,F403
from .creation import __all__ as _c_all
from .linalg import *  # noqa: F401,F403
from .linalg import __all__ as _l_all
from .manipulation import *  # noqa: F401,F403
from .manipulation import __all__ as _m_all
from .manipulation import getitem as _getitem
from .manipulation import setitem as _setitem
from .math import *  # noqa: F401,F403
from .math import __all__ as _ma_all
from .reduction import *  # noqa: F401,F403
from .reduction import __all__ as _r_all
from .sorting import *  # noqa: F401,F403
from .sorting import __all__ as _so_all
from .indexing_routines import *  # noqa: F401,F403
from .indexing_routines import __all__ as _ir_all
from .editing import *  # noqa: F401,F403
from .editing import __all__ as _ed_all
from .statistics import *  # noqa: F401,F403
from .statistics import __all__ as _st_all
from .function_base import meshgrid  # noqa: F401
from .window import *  # noqa: F401,F403
from .window import __all__ as _w_all
from .polynomial import *  # noqa: F401,F403
from .polynomial import __all__ as _p_all
from .sets import *  # noqa: F401,F403
from .sets import __all__ as _se_all
from .misc import *  # noqa: F401,F403
from .misc import __all__ as _mi_all
from .io import genfromtxt  # noqa: F401
from .arrayprint import set_printoptions  # noqa: F401
from .utils import NAN, NINF, NZERO, NaN, PINF, PZERO  # noqa: F401

ndarray = NDArray

# dtypes and constants, as NumPy names them
float16 = _onp.float16
float32 = _onp.float32
float64 = _onp.float64
int8 = _onp.int8
int16 = _onp.int16
int32 = _onp.int32
int64 = _onp.int64
uint8 = _onp.uint8
uint16 = _onp.uint16
uint32 = _onp.uint32
uint64 = _onp.uint64
bool_ = _onp.bool_
bool = _onp.bool_
dtype = _onp.dtype
integer = _onp.integer
floating = _onp.floating
number = _onp.number
generic = _onp.generic
pi = _onp.pi
e = _onp.e
inf = _onp.inf
nan = _onp.nan
newaxis = None
finfo = _onp.finfo
iinfo = _onp.iinfo
result_type = _onp.result_type
can_cast = _onp.can_cast
issubdtype = _onp.issubdtype


def _install_methods() -> None:
    """Give NDArray the NumPy method API (defined once, in this namespace)."""
    from . import creation as C
    import sys

    L = sys.modules[__name__ + ".linalg"]   # the module (the name `linalg` is np.linalg)
    from . import manipulation as M
    from . import math as MA
    from . import reduction as R
    from ..ndarray.ndarray import apply_op
    from ..ndarray.ops import OPS

    def reshape(self, *shape, **kwargs):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if "shape" in kwargs:
            shape = kwargs.pop("shape")
        order = kwargs.pop("order", "C")
        if kwargs:
            # as MXNet's np.ndarray.reshape: only order (MXNet's own check fails with a
            # TypeError of its own on a dict_keys index)
            key = next(iter(kwargs))
            hint = " (npx.reshape(a, newshape, reverse=True) takes it)" if key == "reverse" else ""
            raise TypeError(f"reshape: {key!r} is an invalid keyword argument for this "
                            f"function{hint}")
        return M.reshape(self, shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and (isinstance(axes[0], (tuple, list)) or axes[0] is None):
            axes = axes[0]
        return M.transpose(self, axes or None)

    def astype(self, dtype, copy=True, **kwargs):
        dt = _array_dtype(dtype, "astype")
        if dt == self.dtype and not copy:
            return self
        return apply_op(OPS["astype"], (self,), {"dtype": dt})

    def copy(self):
        return apply_op(OPS["copy"], (self,))

    def flatten(self, order="C"):
        return M.reshape(self, (-1,))

    def squeeze(self, axis=None):
        return M.squeeze(self, axis)

    def expand_dims(self, axis):
        return M.expand_dims(self, axis)

    def swapaxes(self, axis1, axis2):
        return M.swapaxes(self, axis1, axis2)

    def repeat(self, repeats, axis=None):
        return M.repeat(self, repeats, axis)

    def tile(self, reps):
        return M.tile(self, reps)

    def flip(self, axis=None):
        return M.flip(self, axis)

    def clip(self, min=None, max=None, out=None):  # noqa: A002 (MXNet's names)
        return MA.clip(self, min, max, out=out)

    def round(self, decimals=0):
        return MA.around(self, decimals)

    def dot(self, b):
        return L.dot(self, b)

    def broadcast_to(self, shape):
        return M.broadcast_to(self, shape)

    def take(self, indices, axis=None, mode="raise"):
        return M.take(self, indices, axis, mode)

    def nonzero(self):
        return M.nonzero(self)

    def fill(self, value):
        self[...] = value

    def __getitem__(self, key):
        return _getitem(self, key)

    def __setitem__(self, key, value):
        _setitem(self, key, value)

    def __getattr_sum(name):
        fn = getattr(R, name)

        def method(self, axis=None, dtype=None, out=None, keepdims=False, **kw):
            return fn(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kw)
        method.__name__ = name
        return method

    for name in ("sum", "mean", "prod", "max", "min", "all", "any", "std", "var", "nansum"):
        setattr(NDArray, name, __getattr_sum(name))

    def argmax(self, axis=None, out=None, keepdims=False):
        return R.argmax(self, axis, keepdims=keepdims)

    def argmin(self, axis=None, out=None, keepdims=False):
        return R.argmin(self, axis, keepdims=keepdims)

    def cumsum(self, axis=None, dtype=None, out=None):
        return R.cumsum(self, axis, dtype)

    def abs(self):
        return MA.absolute(self)

    def sqrt(self):
        return MA.sqrt(self)

    def exp(self):
        return MA.exp(self)

    def log(self):
        return MA.log(self)

    def sign(self):
        return MA.sign(self)

    from . import indexing_routines as IR
    from . import sorting as SO
    from . import statistics as ST

    def argsort(self, axis=-1, kind=None, order=None):
        return SO.argsort(self, axis, kind, order)

    def sort(self, axis=-1, kind=None, order=None):
        """Sort in place, as NumPy's ndarray.sort (MXNet 1.9.1's method raises)."""
        self[...] = SO.sort(self, axis, kind, order)

    def partition(self, kth, axis=-1, kind="introselect", order=None):
        """Partition in place, as NumPy's ndarray.partition."""
        self[...] = SO.partition(self, kth, axis, kind, order)

    def argpartition(self, kth, axis=-1, kind="introselect", order=None):
        return SO.argpartition(self, kth, axis, kind, order)

    def searchsorted(self, v, side="left", sorter=None):
        return SO.searchsorted(self, v, side, sorter)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return IR.diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1, dtype=None, out=None):
        r = L.trace(self, offset, axis1, axis2)
        return r.astype(dtype) if dtype is not None else r

    def cumprod(self, axis=None, dtype=None, out=None):
        return ST.cumprod(self, axis, dtype, out)

    def ptp(self, axis=None, out=None, keepdims=False):
        return ST.ptp(self, axis, out, keepdims)

    for fn in (reshape, transpose, astype, copy, flatten, squeeze, expand_dims, swapaxes,
               repeat, tile, flip, clip, round, dot, broadcast_to, take, nonzero, fill,
               __getitem__, __setitem__, argmax, argmin, cumsum, abs, sqrt, exp, log, sign,
               argsort, sort, partition, argpartition, searchsorted, diagonal, trace, cumprod,
               ptp):
        setattr(NDArray, fn.__name__, fn)
    NDArray.ravel = flatten
    del C


_install_methods()
_nd.register_numpy(_sys.modules[__name__])   # NDArray(...) and NumPy's protocols come here

__all__ = (["ndarray", "random", "float16", "float32", "float64", "int8", "int16", "int32",
            "int64", "uint8", "bool_", "pi", "e", "inf", "nan", "newaxis", "dtype"]
           + _c_all + _l_all + _m_all + _ma_all + _r_all + _so_all + _ir_all + _ed_all + _st_all + _w_all + _p_all + _se_all
           + _mi_all + ["meshgrid", "genfromtxt", "set_printoptions", "NAN", "NINF", "NZERO",
                        "NaN", "PINF", "PZERO"])

# MXNet's submodules of mxnet.numpy, under their names (each re-exports from here)
from . import arrayprint, fallback, fallback_linalg, function_base, io, stride_tricks  # noqa: E402,F401,E501
from . import utils  # noqa: E402,F401
from . import multiarray  # noqa: E402,F401  (last: it copies this namespace)


from ..base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals(), hide=('NDArray', 'creation', 'editing', 'indexing_routines', 'manipulation', 'math', 'misc', 'polynomial', 'reduction', 'sets', 'sorting', 'statistics', 'window'))
