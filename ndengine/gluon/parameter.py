"""Parameter, Constant and ParameterDict (``mxnet.gluon.parameter``, MXNet 1.x naming).

A Parameter holds one copy of its value per device it was initialized on, each with a
gradient buffer attached (``attach_grad(grad_req)``) unless ``grad_req='null'``.
Initialization is asynchronous: the initializer's sampling and the copies to each
device are pushed to the engine.  A parameter whose shape has unknown (0 or -1)
dimensions is initialized at the first forward pass, once its block saw the input
(*deferred initialization*).
"""
from __future__ import annotations

import re
import warnings
from collections import OrderedDict
from typing import Any

import numpy as _onp

from .. import autograd
from .. import init as _init
from .. import npx as _npx
from ..base import MXNetError
from ..device import Device, cpu, current_device
from ..ndarray.ndarray import NDArray as _NPArray

__all__ = ["Parameter", "Constant", "ParameterDict", "DeferredInitializationError",
           "ParameterMismatchError"]

_REQS = ("write", "add", "null")


# Bumped whenever a Parameter gets new value arrays (initialization, cast, reset_ctx):
# part of a hybridized block's signature, since its traced graph reads those arrays.
DATA_EPOCH = [0]


class ParameterMismatchError(MXNetError, ValueError, AssertionError):
    """A value in a parameter file does not fit its parameter (shape, dtype, devices),
    or the file and the parameters do not match by name.  MXNet raises AssertionError
    here; ndengine raised ValueError before: this is both."""


def load_checked(pairs: list, ctx: Any, where: str, cast_dtype: bool = False,
                 dtype_source: str = "current") -> None:
    """Load each ``(parameter, name in the file, array)`` of *pairs*, after checking
    them all: if any does not fit, one ParameterMismatchError names *where* (the file)
    and every misfit, and no parameter has changed."""
    problems = []
    for param, name, arr in pairs:
        problem = param._check_load(arr, ctx, cast_dtype)
        if problem is not None:
            problems.append(f"{problem} (saved as {name!r})" if name != param.name
                            else problem)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ParameterMismatchError(
            f"{where}: " + "; ".join(problems[:5]) + more
            + ". No parameter was changed.")
    # every value is read (an .npz member inflated) before any parameter changes
    try:
        values = [arr.read() if hasattr(arr, "read") else arr for _, _, arr in pairs]
    except MXNetError as e:
        raise type(e)(f"{e} (no parameter was changed)") from None
    for (param, _, _), arr in zip(pairs, values):
        param._load_init(arr, ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)


class DeferredInitializationError(MXNetError):
    """A parameter was used before its deferred initialization could run."""


def _np():
    from .. import numpy as np

    return np


def _shape_known(shape: Any) -> bool:
    return shape is not None and all(int(s) > 0 for s in shape)


def _as_ctx_list(ctx: Any) -> list[Device]:
    if ctx is None:
        return [current_device()]
    if isinstance(ctx, Device):
        return [ctx]
    ctxs = list(ctx)
    for c in ctxs:
        if not isinstance(c, Device):
            raise TypeError(f"ctx must be a Device such as cpu(0) or a list of them, got {c!r}")
    if len(set(ctxs)) != len(ctxs):
        raise ValueError(f"ctx lists a device twice: {ctxs}")
    return ctxs


class StorageTypeError(MXNetError, ValueError, AssertionError):
    """A storage type a Parameter cannot have.  MXNet asserts on unknown names
    (AssertionError); ndengine's refusals of known ones are ValueErrors: this is both."""


_STYPES = ("default", "row_sparse", "csr")


def _check_stypes(name: str, stype: str, grad_stype: str) -> None:
    for what, v in (("stype", stype), ("grad_stype", grad_stype)):
        if v not in _STYPES:
            raise StorageTypeError(f"{what} for Parameter {name!r} must be one of 'default', "
                                   f"'row_sparse', or 'csr', but got {v!r}")
    if stype != "default":
        raise StorageTypeError(
            f"Parameter {name!r}: stype={stype!r} (sparse weights, updated on a kvstore "
            f"through row_sparse_pull) is not supported; supported: stype='default' with "
            f"grad_stype='default' or 'row_sparse'")
    if grad_stype == "csr":
        raise StorageTypeError(
            f"Parameter {name!r}: grad_stype='csr' is not supported (no op produces CSR "
            f"gradients); supported: 'default' and 'row_sparse'")


class Parameter:
    """A weight of a Block (``mxnet.gluon.Parameter``).

    ``grad_stype='row_sparse'`` (``nn.Embedding(sparse_grad=True)``'s weight): the
    gradient is a ``mx.nd.sparse.RowSparseNDArray`` holding only the rows backward
    touched; optimizers with a lazy row-sparse update (SGD, Adam) update only those
    rows.  As in MXNet 1.9.1, only outside np mode (``mx.nd`` arrays), and only with
    grad_req 'write' for the embedding's backward.

    ``grad_req``: 'write' (backward overwrites the gradient), 'add' (accumulates; call
    ``zero_grad()``) or 'null' (no gradient).  ``lr_mult``/``wd_mult`` scale the
    optimizer's learning rate and weight decay for this parameter.  ``init`` overrides
    the initializer given to ``initialize``.
    """

    def __init__(self, name: str = "weight", grad_req: str = "write", shape: Any = None,
                 dtype: Any = _onp.float32, lr_mult: float = 1.0, wd_mult: float = 1.0,
                 init: Any = None, allow_deferred_init: bool = False,
                 differentiable: bool = True, stype: str = "default",
                 grad_stype: str = "default") -> None:
        _check_stypes(name, stype, grad_stype)
        self._data: list | None = None
        self._legacy = False         # made outside np mode: data()/grad() give mx.nd arrays
        self._nd_handles: dict[int, Any] = {}
        self._ctx_list: list[Device] | None = None
        self._ctx_map: dict[Device, int] = {}
        self._trainer: Any = None
        self._deferred_init: tuple = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req: str | None = None
        if isinstance(shape, int):
            shape = (shape,)
        self._shape = tuple(shape) if shape is not None else None
        self.name = name
        self._dtype = _onp.dtype(dtype)
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init
        self._stype = stype
        self._grad_stype = grad_stype

    def __repr__(self) -> str:
        return f"Parameter {self.name} (shape={self.shape}, dtype={self.dtype})"

    # -- attributes ----------------------------------------------------------------
    @property
    def grad_req(self) -> str:
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req not in _REQS:
            raise ValueError(f"Parameter {self.name!r}: grad_req must be 'write', 'add' or "
                             f"'null', got {req!r}")
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if self._data is not None:
            if req == "null":
                self._data = [autograd.detach(d) for d in self._data]
                self._nd_handles = {}
            else:
                self._init_grad()

    @property
    def dtype(self) -> Any:
        return self._dtype

    @dtype.setter
    def dtype(self, dtype: Any) -> None:
        self.cast(dtype)

    @property
    def shape(self) -> tuple[int, ...] | None:
        """The shape; unknown dimensions (deferred initialization) are -1 under np
        shape semantics and 0 without them (as MXNet)."""
        if self._shape is None:
            return None
        unknown = -1 if _npx.is_np_shape() else 0
        return tuple(int(s) if int(s) > 0 else unknown for s in self._shape)

    @shape.setter
    def shape(self, new_shape: Any) -> None:
        new_shape = tuple(new_shape)
        if self._shape is None:
            self._shape = new_shape
            return
        ok = len(self._shape) == len(new_shape) and all(
            int(j) <= 0 or int(i) == int(j) for i, j in zip(new_shape, self._shape))
        if not ok:
            raise ValueError(f"Parameter {self.name!r}: expected shape {self.shape} is "
                             f"incompatible with given shape {new_shape}")
        self._shape = new_shape

    @property
    def stype(self) -> str:
        return self._stype

    def _set_trainer(self, trainer: Any) -> None:
        self._trainer = trainer

    # -- access ------------------------------------------------------------------------
    def _check_and_get(self, arr_list: list | None, ctx: Any) -> Any:
        if arr_list is not None:
            if ctx is list:
                return arr_list
            if ctx is None:
                if len(arr_list) == 1:
                    return arr_list[0]
                ctx = current_device()
            idx = self._ctx_map.get(ctx)
            if idx is not None:
                return arr_list[idx]
            raise RuntimeError(f"Parameter {self.name!r} was not initialized on context "
                               f"{ctx}. It was only initialized on {self._ctx_list}.")
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter {self.name!r} has not been initialized yet because "
                f"initialization was deferred. Actual initialization happens during the "
                f"first forward pass. Please pass one batch of data through the network "
                f"before accessing Parameters. You can also avoid deferred initialization "
                f"by specifying in_units, num_features, etc., for network layers.")
        raise RuntimeError(
            f"Parameter {self.name!r} has not been initialized. Note that you should "
            f"initialize parameters and create Trainer with Block.collect_params() instead "
            f"of Block.params because the later does not include Parameters of nested "
            f"child Blocks")

    def _nd(self, a: Any) -> Any:
        """The ``mx.nd`` handle of np array *a* (no copy), kept so that
        ``p.data() is p.data()`` holds as in MXNet (a row-sparse gradient is one)."""
        if a.__class__ is not _NPArray:
            return a
        w = self._nd_handles.get(id(a))
        if w is None or w._arr is not a:
            from ..legacy.ndarray import wrap

            w = self._nd_handles[id(a)] = wrap(a)
        return w

    def data(self, ctx: Device | None = None) -> Any:
        """This parameter's value on *ctx* (the only device, or the current one): an np
        array, or a legacy ``mx.nd`` array (sharing it) when the parameter was made
        outside np mode, as in MXNet."""
        d = self._data
        if d is not None and ctx is None and len(d) == 1:
            return self._nd(d[0]) if self._legacy else d[0]
        r = self._check_and_get(d, ctx)
        return self._nd(r) if self._legacy else r

    def list_data(self) -> list:
        """The values on every device, in initialization order (see :meth:`data`)."""
        r = self._check_and_get(self._data, list)
        return [self._nd(a) for a in r] if self._legacy else r

    def _arrays(self) -> list:
        """The np arrays on every device (what ndengine's own code reads and writes,
        whatever the mode: :meth:`list_data` gives ``mx.nd`` handles outside np mode)."""
        return self._check_and_get(self._data, list)

    def _grads(self) -> list:
        if self._data is not None and self._grad_req == "null":
            raise RuntimeError(f"Cannot get gradient array for Parameter {self.name!r} "
                               f"because grad_req='null'")
        data = self._check_and_get(self._data, list)
        return [d.grad for d in data]

    def grad(self, ctx: Device | None = None) -> Any:
        """The gradient buffer on *ctx* (reading its values waits for backward)."""
        grads = self._grads()
        if ctx is None and len(grads) == 1:
            return self._nd(grads[0]) if self._legacy else grads[0]
        ctx = ctx or current_device()
        idx = self._ctx_map.get(ctx)
        if idx is None:
            raise RuntimeError(f"Parameter {self.name!r} was not initialized on context "
                               f"{ctx}. It was only initialized on {self._ctx_list}.")
        return self._nd(grads[idx]) if self._legacy else grads[idx]

    def list_grad(self) -> list:
        """The gradient buffers on every device (legacy arrays as :meth:`data`)."""
        r = self._grads()
        return [self._nd(a) for a in r] if self._legacy else r

    def list_ctx(self) -> list[Device]:
        """The devices this parameter lives on."""
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise RuntimeError(f"Parameter {self.name!r} has not been initialized")
        return self._ctx_list

    def zero_grad(self) -> None:
        """Set the gradient buffers to 0 (asynchronous; no-op without gradients)."""
        if self._data is None or self._grad_req == "null":
            return
        for d in self._data:
            g = d.grad
            if g is None:
                continue
            if g.__class__ is not _NPArray:     # row-sparse: no row stored
                g._set_rows(None, None)
            else:
                g[...] = 0

    # -- initialization ----------------------------------------------------------------
    def initialize(self, init: Any = None, ctx: Any = None, default_init: Any = None,
                   force_reinit: bool = False) -> None:
        """Initialize the value (and gradient buffer) on *ctx* (a device or a list: one
        copy each).  *init* overrides ``self.init``, which overrides *default_init*
        (``Uniform(0.07)``).  With unknown dimensions and ``allow_deferred_init`` the
        work is deferred to the first forward pass."""
        if self._data is not None and not force_reinit:
            warnings.warn(f"Parameter {self.name!r} is already initialized, ignoring. Set "
                          f"force_reinit=True to re-initialize.", stacklevel=2)
            return
        self._data = None
        ctxs = _as_ctx_list(ctx)
        if default_init is None:
            default_init = _init.Uniform()
        if init is None:
            init = default_init if self.init is None else self.init
        if not _shape_known(self._shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, ctxs, default_init, None)
                return
            raise ValueError(f"Cannot initialize Parameter {self.name!r} because it has "
                             f"invalid shape: {self.shape}.")
        self._deferred_init = (init, ctxs, default_init, None)
        self._finish_deferred_init()

    def _finish_deferred_init(self) -> None:
        """Run the pending initialization (the shape must be known by now)."""
        if not self._deferred_init:
            return
        init, ctxs, default_init, data = self._deferred_init
        if not _shape_known(self._shape):
            raise DeferredInitializationError(
                f"Cannot initialize Parameter {self.name!r} because it has invalid shape: "
                f"{self.shape}. Please specify in_units, in_channels, etc for `Block`s.")
        self._deferred_init = ()
        with autograd.pause():
            if data is None:
                data = _np().zeros(self._shape, dtype=self._dtype, device=cpu(0))
                desc = _init.InitDesc(self.name, {"__init__": init})
                _init.create(default_init)(desc, data)
            self._init_impl(data, ctxs)

    def _init_impl(self, data: Any, ctxs: list[Device]) -> None:
        if self._grad_stype != "default" and _npx.is_np_array():
            # as MXNet 1.9.1 (its np arrays have no sparse storage)
            raise ValueError(f"Parameter {self.name!r}: mxnet.numpy.zeros does not support "
                             f"stype = {self._grad_stype} (grad_stype={self._grad_stype!r} "
                             f"needs the legacy mx.nd arrays: initialize outside np mode)")
        DATA_EPOCH[0] += 1           # hybridized graphs hold the value arrays: retrace
        self._legacy = not _npx.is_np_array()
        self._nd_handles = {}
        self._ctx_list = list(ctxs)
        self._ctx_map = {c: i for i, c in enumerate(self._ctx_list)}
        if data.dtype != self._dtype:
            data = data.astype(self._dtype)
        copies = []
        for i, c in enumerate(self._ctx_list):
            if c is data.device and i == 0:
                copies.append(data)
            else:
                copies.append(data.copyto(c))
        self._data = copies
        self._init_grad()

    def _init_grad(self) -> None:
        if self._grad_req == "null":
            return
        stype = None if self._grad_stype == "default" else self._grad_stype
        for d in self._data:
            d.attach_grad(self._grad_req, stype=stype)

    def set_data(self, data: Any) -> None:
        """Set the value on every device (before initialization: the value the
        pending initialization will use)."""
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise RuntimeError(f"Parameter {self.name!r} has not been initialized")
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        for arr in self._data:
            arr[...] = data if not hasattr(data, "as_in_ctx") else data.as_in_ctx(arr.device)

    def reset_ctx(self, ctx: Any) -> None:
        """Move the parameter to other device(s) (the value is the average of the copies)."""
        ctxs = _as_ctx_list(ctx)
        if self._data:
            data = self._reduce()
            with autograd.pause():
                self._init_impl(data, ctxs)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctxs, default_init, data)
        else:
            raise ValueError(f"Cannot reset context for Parameter {self.name!r} because it "
                             f"has not been initialized.")

    def _reduce(self) -> Any:
        """The value on cpu(0): the average over devices (as MXNet)."""
        with autograd.pause():
            arrs = self._check_and_get(self._data, list)
            if len(arrs) == 1:
                return arrs[0].copyto(cpu(0))
            total = arrs[0].copyto(cpu(0))
            for a in arrs[1:]:
                total = total + a.copyto(cpu(0))
            return total / len(arrs)

    def _check_load(self, data: Any, ctx: Any, cast_dtype: bool = False) -> str | None:
        """What is wrong with loading *data* into this parameter (None: nothing).
        Changes nothing: loading checks every parameter before it sets any."""
        if self._shape is not None:
            ok = len(self._shape) == len(data.shape) and all(
                int(s) <= 0 or int(s) == d for s, d in zip(self._shape, data.shape))
            if not ok:
                return (f"Failed loading Parameter {self.name!r} from saved params: shape "
                        f"incompatible expected {self.shape} vs saved {tuple(data.shape)}")
        if data.dtype != self._dtype and not cast_dtype:
            return (f"Failed loading Parameter {self.name!r} from saved params: dtype "
                    f"incompatible expected {self._dtype} vs saved {data.dtype}. Set "
                    f"cast_dtype=True to cast the dtype of saved params.")
        if self._data is not None and ctx is not None:
            ctxs = [ctx] if isinstance(ctx, Device) else list(ctx)
            if set(ctxs) != set(self.list_ctx()):
                return (f"Failed to load Parameter {self.name!r} on {ctxs} because it was "
                        f"previously initialized on {self.list_ctx()}.")
        return None

    def _load_init(self, data: Any, ctx: Any, cast_dtype: bool = False,
                   dtype_source: str = "current") -> None:
        """(Re)initialize from loaded *data* (an NDArray on the host)."""
        problem = self._check_load(data, ctx, cast_dtype)
        if problem is not None:
            raise ParameterMismatchError(problem)
        self._shape = tuple(data.shape)
        if data.dtype != self._dtype:
            if dtype_source == "saved":
                self._dtype = _onp.dtype(data.dtype)
            else:
                data = data.astype(self._dtype)
        if isinstance(ctx, Device):
            ctx = [ctx]
        with autograd.pause():
            if self._data is None:
                if self._deferred_init:
                    ctx = self._deferred_init[1] if ctx is None else ctx
                elif ctx is None:
                    ctx = [cpu(0)]
                self._deferred_init = ()
                self._init_impl(data, _as_ctx_list(ctx))
            else:
                self.set_data(data)

    def cast(self, dtype: Any) -> None:
        """Cast the value and gradient to *dtype* (asynchronous)."""
        self._dtype = _onp.dtype(dtype)
        if self._data is None:
            return
        DATA_EPOCH[0] += 1
        with autograd.pause():
            self._data = [d.astype(self._dtype) for d in self._data]
            self._nd_handles = {}
            self._init_grad()

    def var(self) -> Any:
        """This parameter as a symbol variable (``mx.sym.var``) with its shape, dtype,
        learning-rate and weight-decay multipliers."""
        from .. import symbol

        shape = None if self._shape is None else tuple(int(s) if int(s) > 0 else -1
                                                       for s in self._shape)
        init = self.init if isinstance(self.init, str) else None
        return symbol.var(self.name, shape=shape, dtype=self._dtype, lr_mult=self.lr_mult,
                          wd_mult=self.wd_mult, init=init)


class Constant(Parameter):
    """A parameter holding a constant value (grad_req 'null'), ``mxnet.gluon.Constant``."""

    def __init__(self, name: str, value: Any) -> None:
        if not hasattr(value, "asnumpy"):
            value = _np().array(value)
        self.value = value

        class _CInit(_init.Initializer):
            def _init_weight(self, _: Any, arr: Any) -> None:
                arr[...] = value.as_in_ctx(arr.device) if hasattr(value, "as_in_ctx") else value

        super().__init__(name, grad_req="null", shape=value.shape, dtype=value.dtype,
                         init=_CInit())

    def __repr__(self) -> str:
        return f"Constant {self.name} (shape={self.shape}, dtype={self.dtype})"

    @property
    def grad_req(self) -> str:
        return "null"

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req != "null":
            warnings.warn(f"Constant parameter {self.name!r} does not support grad_req other "
                          f"than 'null', and new value {req!r} is ignored.")
        self._grad_req = "null"


class ParameterDict:
    """An ordered name -> Parameter mapping with a name prefix (``mxnet.gluon.ParameterDict``).

    ``get(name, **attrs)`` returns the parameter ``prefix + name``, creating it (or
    fetching it from the *shared* dict) if needed."""

    def __init__(self, prefix: str = "", shared: "ParameterDict | None" = None) -> None:
        self._prefix = prefix
        self._params: "OrderedDict[str, Parameter]" = OrderedDict()
        self._shared = shared

    def __repr__(self) -> str:
        body = "\n".join(f"  {v}" for v in self.values())
        return f"{self._prefix} (\n{body}\n)"

    def __getitem__(self, key: str) -> Parameter:
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self) -> str:
        return self._prefix

    def _get_impl(self, name: str) -> Parameter | None:
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name: str, **kwargs: Any) -> Parameter:
        """The parameter ``prefix + name``, created with *kwargs* if it does not exist;
        an existing one must agree with *kwargs* (unknown shape dims are filled in)."""
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for k, v in kwargs.items():
            if k == "shape" and v is not None:
                v = (v,) if isinstance(v, int) else tuple(v)
                if param._shape is not None and len(param._shape) == len(v):
                    v = tuple(s if int(s) > 0 else p for s, p in zip(v, param._shape))
                param.shape = v
                continue
            if k == "dtype":
                v = _onp.dtype(v)
            existing = getattr(param, k, None)
            if v is not None and existing is not None and existing != v:
                raise ValueError(f"Cannot retrieve Parameter {name!r} because desired "
                                 f"attribute does not match with stored for attribute {k!r}: "
                                 f"desired {v!r} vs stored {existing!r}.")
            if existing is None and v is not None:
                setattr(param, k, v)
        return param

    def get_constant(self, name: str, value: Any = None) -> Constant:
        """The constant ``prefix + name`` (created from *value* if needed)."""
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError(f"No constant named {name!r}. Please specify value if you "
                               f"want to create a new constant.")
            param = Constant(name, value)
            self._params[name] = param
        elif value is not None and not isinstance(param, Constant):
            raise TypeError(f"Parameter {name!r} already exists and is not a Constant")
        return param

    def update(self, other: Any) -> None:
        """Copy the parameters of *other* into this dict (same name, same object)."""
        for k, v in other.items():
            if k in self._params and self._params[k] is not v:
                raise ValueError(f"Cannot update self with other because they have different "
                                 f"Parameters with the same name {k!r}")
        for k, v in other.items():
            self._params[k] = v

    def initialize(self, init: Any = None, ctx: Any = None, verbose: bool = False,
                   force_reinit: bool = False) -> None:
        """Initialize every parameter: *init* is the default for parameters without
        their own ``init`` (default ``Uniform(0.07)``)."""
        init = _init.Uniform() if init is None else _init.create(init)
        if verbose:
            init.set_verbosity(verbose=verbose)
        for v in self.values():
            v.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self) -> None:
        for v in self.values():
            v.zero_grad()

    def reset_ctx(self, ctx: Any) -> None:
        for v in self.values():
            v.reset_ctx(ctx)

    def list_ctx(self) -> list[Device]:
        s: list[Device] = []
        for v in self.values():
            for c in v.list_ctx():
                if c not in s:
                    s.append(c)
        return s

    def setattr(self, name: str, value: Any) -> None:
        """Set attribute *name* of every parameter (``params.setattr('grad_req', 'null')``)."""
        for v in self.values():
            setattr(v, name, value)

    def select(self, pattern: str) -> "ParameterDict":
        ret = ParameterDict(self._prefix)
        prog = re.compile(pattern)
        ret.update({k: v for k, v in self.items() if prog.match(k)})
        return ret

    def save(self, filename: str, strip_prefix: str = "") -> None:
        """Save the values under their names (minus *strip_prefix*); see
        :func:`ndengine.gluon.block.save_arrays` for the file format."""
        from .block import save_arrays

        arrays = {}
        for param in self.values():
            name = param.name
            if strip_prefix and not name.startswith(strip_prefix):
                raise ValueError(f"Prefix {strip_prefix!r} is to be striped before saving, but "
                                 f"Parameter's name {name!r} does not start with it.")
            arrays[name[len(strip_prefix):]] = param._reduce()
        save_arrays(filename, arrays)

    def load(self, filename: str, ctx: Any = None, allow_missing: bool = False,
             ignore_extra: bool = False, restore_prefix: str = "", cast_dtype: bool = False,
             dtype_source: str = "current") -> None:
        """Load values saved by :meth:`save` (names get *restore_prefix* prepended)."""
        from .block import MissingParameterError, load_entries

        raw = load_entries(filename, "load")
        if not any("." in k for k in raw):
            # MXNet's model files name arrays 'arg:<name>' / 'aux:<name>'
            raw = {k[4:] if k.startswith(("arg:", "aux:")) else k: v for k, v in raw.items()}
        loaded = {restore_prefix + k: v for k, v in raw.items()}
        if not allow_missing:
            for name in self.keys():
                if name not in loaded:
                    raise MissingParameterError(f"Parameter {name!r} is missing in file "
                                                f"{filename!r}. Set "
                                                f"allow_missing=True to ignore missing "
                                                f"parameters.")
        pairs = []
        for name, arr in loaded.items():
            if name not in self._params:
                if not ignore_extra:
                    raise ParameterMismatchError(
                        f"Parameter {name!r} loaded from file {filename!r} is not present in "
                        f"ParameterDict. Set ignore_extra=True to ignore. No parameter was "
                        f"changed.")
                continue
            pairs.append((self._params[name], name, arr))
        load_checked(pairs, ctx, f"load: {filename!r}", cast_dtype, dtype_source)
