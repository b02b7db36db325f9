"""Block and HybridBlock (``mxnet.gluon.Block`` / ``HybridBlock``, MXNet 1.x naming).

A Block owns Parameters and child Blocks, both registered by attribute assignment
(``self.dense = nn.Dense(10)``) or ``register_child``.  Calling a block runs its
``forward``; every op in it is pushed to the engine, so the call returns before any
value is computed.

Names follow MXNet 1.x: a block created outside any ``name_scope`` gets a global
prefix ``dense0_``, ``dense1_``...; inside ``with parent.name_scope():`` it gets the
parent's prefix plus a counter local to the parent (``sequential0_dense0_``).
Parameter names are ``prefix + 'weight'`` etc., and ``collect_params(select)`` filters
them with a regular expression.

``HybridBlock.hybridize()`` traces the forward once per signature and replays it as
one engine op (see :mod:`ndengine.gluon._trace`); ``export`` writes the traced graph as
MXNet's ``-symbol.json`` and ``.params`` files, and ``SymbolBlock.imports`` runs such
files.  ``HybridBlock.forward`` calls ``hybrid_forward(F, x, *args, **params)`` with
``F`` a namespace offering ``F.np``, ``F.npx`` and the npx/np functions by name.

Parameter files (``save_parameters`` / ``load_parameters``) are in MXNet's binary
NDArray format (:mod:`ndengine.ndarray.serialization`), keyed by the structural names
MXNet 1.9.1 uses (``'0.weight'``, ``'dense0.bias'``...): MXNet's ``.params`` files load
here and ndengine's load in MXNet.  As in MXNet, the arrays are written with NumPy
shape semantics after ``npx.set_np()`` and as legacy arrays otherwise.  The ``.npz``
archives earlier ndengine versions wrote still load.
"""
from __future__ import annotations

import os
import re
import warnings
from collections import OrderedDict
from typing import Any, Callable

import numpy as _onp

from .. import ndarray as _nd_pkg
from .. import npx as _npx
from ..base import MXNetError, ThreadState
from ..ndarray import serialization as _ser
from .. import numpy as _np
from ..ndarray import tape as _tape
from ..ndarray.ndarray import NDArray, _new
from . import _trace
from . import parameter as _parameter
from .parameter import (DeferredInitializationError, Parameter, ParameterDict,
                        ParameterMismatchError, load_checked)

__all__ = ["Block", "HybridBlock", "SymbolBlock", "save_arrays", "load_arrays", "HookHandle",
           "TracingError"]

TracingError = _trace.TracingError


# ----------------------------------------------------------------------------- naming
class _NameCounter(ThreadState):
    """Global per-hint counters for blocks created outside any name_scope."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def get(self, hint: str) -> str:
        n = self.counts.get(hint, 0)
        self.counts[hint] = n + 1
        return f"{hint}{n}"


_NAMES = _NameCounter()


class _BlockScope:
    """The scope of ``with block.name_scope():``: children created inside get the
    block's prefix and a counter local to it."""

    _current = ThreadState()

    def __init__(self, block: "Block") -> None:
        self._block = block
        self._counter: dict[str, int] = {}
        self._old_scope: Any = None

    @staticmethod
    def create(prefix: str | None, params: ParameterDict | None,
               hint: str) -> tuple[str, ParameterDict]:
        current = getattr(_BlockScope._current, "value", None)
        if current is None:
            if prefix is None:
                prefix = _NAMES.get(hint) + "_"
            params = ParameterDict(prefix) if params is None else ParameterDict(params.prefix,
                                                                               params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = f"{hint}{count}_"
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self) -> "_BlockScope":
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, "value", None)
        _BlockScope._current.value = self
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._block._empty_prefix:
            return
        _BlockScope._current.value = self._old_scope


def _indent(s: str, num_spaces: int) -> str:
    lines = s.split("\n")
    return "\n".join([lines[0]] + [" " * num_spaces + ln for ln in lines[1:]])


class HookHandle:
    """Returned by ``register_forward_hook``; ``detach()`` removes the hook."""

    _next_id = [0]

    def __init__(self) -> None:
        self._hooks: Any = None
        self._id: int | None = None

    def attach(self, hooks: "OrderedDict[int, Callable]", hook: Callable) -> None:
        if self._hooks is not None:
            raise RuntimeError("The same handle cannot be attached twice")
        self._id = HookHandle._next_id[0]
        HookHandle._next_id[0] += 1
        hooks[self._id] = hook
        self._hooks = hooks

    def detach(self) -> None:
        if self._hooks is not None and self._id in self._hooks:
            del self._hooks[self._id]
        self._hooks = None

    def __enter__(self) -> "HookHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.detach()


# ----------------------------------------------------------------------------- files
class ParameterFileError(MXNetError, ValueError):
    """A parameter file is not one ``load_parameters`` can read."""


class MissingParameterError(ValueError, AssertionError):
    """A parameter of the block is not in the file (MXNet raises AssertionError here;
    this is also the ValueError ndengine raised before)."""


_ZIP_MAGIC = b"PK\x03\x04"


def save_arrays(filename: str, arrays: dict[str, Any], np_shape: bool | None = None) -> None:
    """Write name -> array to *filename* in MXNet's NDArray file format (a sync point;
    atomic).  *np_shape*: NumPy-shape arrays (None: as the np mode is, see
    ``npx.set_np``)."""
    if np_shape is None:
        np_shape = _npx._np_semantics()
    _ser.save(filename, dict(arrays), np_shape=np_shape)


class _NpzEntry:
    """One array of an ``.npz`` archive, known by its ``.npy`` header (shape, dtype)
    and read only when asked: the parameters' shapes are checked against the headers
    before anything is inflated, so a small archive claiming huge arrays (a zip bomb)
    costs no memory."""

    def __init__(self, zf: Any, info: Any, key: str, shape: tuple, dtype: Any,
                 fortran: bool, offset: int, where: str) -> None:
        self._zf, self._info, self._key = zf, info, key
        self.shape, self.dtype, self._fortran = shape, dtype, fortran
        self._offset, self._where = offset, where

    @property
    def nbytes(self) -> int:
        return int(_onp.prod(self.shape, dtype=_onp.int64)) * self.dtype.itemsize

    def read(self) -> Any:
        out = _onp.empty(self.nbytes, _onp.uint8)
        try:
            with self._zf.open(self._info) as f:
                f.read(self._offset)
                got = f.readinto(memoryview(out)) if out.size else 0
                rest = f.read(1)            # to the end: zipfile checks the CRC there
            if got != out.size or rest:
                raise ValueError(f"{got} bytes of data where the header says {out.size}")
        except Exception as e:              # noqa: BLE001  (zlib, zipfile, OS errors)
            raise ParameterFileError(f"{self._where}: array {self._key!r} is corrupt "
                                     f"({type(e).__name__}: {e})") from None
        a = out.view(self.dtype)
        a = a.reshape(self.shape[::-1]).T if self._fortran else a.reshape(self.shape)
        if a.dtype.byteorder not in ("=", "|"):
            a = a.astype(a.dtype.newbyteorder("="))
        return _np.array(a, dtype=a.dtype)


_NPZ_DTYPES = set(_ser.DTYPE_FLAGS)


def _npz_entries(path: str, where: str) -> dict[str, Any]:
    """name -> _NpzEntry of an ``.npz`` archive; every header and size is checked here
    (nothing is inflated but the small ``.npy`` headers)."""
    import zipfile

    def bad(what: str) -> ParameterFileError:
        return ParameterFileError(f"{where}: {path!r} is not a parameter file (a broken "
                                  f".npz archive: {what})")
    try:
        zf = zipfile.ZipFile(path)
    except Exception as e:                  # noqa: BLE001  (BadZipFile, EOFError, OSError...)
        raise bad(f"{type(e).__name__}: {e}") from None
    out: dict[str, Any] = {}
    for info in zf.infolist():
        key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        try:
            with zf.open(info) as f:
                version = _onp.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = _onp.lib.format.read_array_header_1_0(f)
                elif version in ((2, 0), (3, 0)):
                    shape, fortran, dtype = _onp.lib.format.read_array_header_2_0(f)
                else:
                    raise ValueError(f"unknown .npy version {version}")
                offset = f.tell()
        except Exception as e:              # noqa: BLE001
            raise bad(f"array {key!r}: {type(e).__name__}: {e}") from None
        dtype = _onp.dtype(dtype)
        if dtype.newbyteorder("=") not in _NPZ_DTYPES:
            raise bad(f"array {key!r} has dtype {dtype}, not one a parameter can hold")
        if any(int(d) < 0 for d in shape):
            raise bad(f"array {key!r} has shape {shape}")
        entry = _NpzEntry(zf, info, key, tuple(int(d) for d in shape), dtype, fortran, offset,
                          where)
        if info.file_size != offset + entry.nbytes:
            raise bad(f"array {key!r} of shape {entry.shape} and dtype {dtype} needs "
                      f"{offset + entry.nbytes} bytes, the archive says {info.file_size}")
        out[key] = entry
    return out


def load_entries(filename: str, opname: str = "load_parameters") -> dict[str, Any]:
    """name -> array (or, for an ``.npz`` archive, an entry with ``shape``/``dtype``
    whose ``read()`` gives the array) of a parameter file.  Checks the whole file's
    structure first; raises ParameterFileError (an MXNetError and a ValueError) naming
    the file and what is wrong."""
    path = _ser._path(filename, opname)
    where = f"{opname}: {path!r}"
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise _ser.NDArrayFileNotFoundError(f"{opname}: no such file {path!r}") from None
    except IsADirectoryError:
        raise _ser.NDArrayIsADirectoryError(f"{opname}: {path!r} is a directory, not "
                                            f"a parameter file") from None
    if head.startswith(_ZIP_MAGIC):
        return _npz_entries(path, opname)
    if len(head) < 8 or int.from_bytes(head, "little") != _ser.LIST_MAGIC:
        what = "an empty file" if not head else "neither MXNet's NDArray format nor an .npz archive"
        raise ParameterFileError(f"{opname}: {path!r} is not a parameter file ({what})")
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            # dense arrays are located, not read: the parameters' shapes are checked first
            loaded = _ser._wrap(*_ser._read_file(_ser._Reader(f, size, where, lazy_path=path)))
    except _ser.NDArrayFileError as e:
        raise ParameterFileError(f"{e} (no parameter was changed)") from None
    if isinstance(loaded, list):
        if not loaded:
            return {}
        raise ParameterFileError(f"{where} holds {len(loaded)} arrays without names (saved "
                                 f"from a list, not a dict), so they cannot be matched to "
                                 f"parameters")
    return loaded


def load_arrays(filename: str) -> dict[str, Any]:
    """Read name -> NDArray (on cpu(0)) from a file in MXNet's NDArray format, or from
    an ``.npz`` archive (what ndengine wrote before it wrote MXNet's format)."""
    return {k: v.read() if isinstance(v, (_NpzEntry, _ser.LazyArray)) else v
            for k, v in load_entries(filename).items()}


# ----------------------------------------------------------------------------- F
class _FNamespace:
    """What ``hybrid_forward`` receives as ``F``: ``F.np``, ``F.npx``, and any npx or
    np function by name (``F.relu``, ``F.dot``)."""

    np = _np

    def __init__(self) -> None:
        from .nn import _ops

        self.npx = _ops.NpxView()

    @property
    def __name__(self) -> str:
        # MXNet's F is its ndarray module, and its symbol module in a hybridized forward
        return "ndengine.symbol" if _trace.is_tracing() else "ndengine.ndarray"

    def __repr__(self) -> str:
        return f"<module {self.__name__!r}>"

    def __getattr__(self, name: str) -> Any:
        for ns in (self.npx, _np):
            fn = getattr(ns, name, None)
            if fn is not None:
                return fn
        raise AttributeError(f"F has no function {name!r} (ndengine.npx / ndengine.np)")


_F: list[_FNamespace] = []


def _get_F() -> _FNamespace:
    if not _F:
        _F.append(_FNamespace())
    return _F[0]


# ----------------------------------------------------------------------------- Block
class Block:
    """Base class of all layers and models (``mxnet.gluon.Block``).

    Subclasses create parameters and children in ``__init__`` (inside
    ``with self.name_scope():`` for nested names) and override ``forward``."""

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None) -> None:
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith("_") else self._prefix
        self._scope = _BlockScope(self)
        self._children: "OrderedDict[str, Block]" = OrderedDict()
        self._reg_params: dict[str, Parameter] = {}
        self._forward_hooks: "OrderedDict[int, Callable]" = OrderedDict()
        self._forward_pre_hooks: "OrderedDict[int, Callable]" = OrderedDict()

    def __repr__(self) -> str:
        modstr = "\n".join(f"  ({key}): {_indent(repr(block), 2)}"
                           for key, block in self.__dict__.items() if isinstance(block, Block))
        return f"{type(self).__name__}(\n{modstr}\n)"

    def __setattr__(self, name: str, value: Any) -> None:
        """Attributes holding a Block or a Parameter register it."""
        existing = self.__dict__.get(name)
        if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
            raise TypeError(f"Changing attribute type for {name} from {type(existing)} to "
                            f"{type(value)} is not allowed.")
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params and self._reg_params[name] is not value:
                raise ValueError(f"Overriding Parameter attribute {name} is not allowed. If "
                                 f"you want to share parameters between blocks, please set "
                                 f"'params' at Block construction instead.")
            self._reg_params[name] = value
        super().__setattr__(name, value)

    def _alias(self) -> str:
        return type(self).__name__.lower()

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def name(self) -> str:
        return self._name

    def name_scope(self) -> _BlockScope:
        """``with self.name_scope():`` — children created inside are named under this
        block's prefix."""
        return self._scope

    @property
    def params(self) -> ParameterDict:
        """This block's own parameters (not its children's)."""
        return self._params

    def collect_params(self, select: str | None = None) -> ParameterDict:
        """This block's and all descendants' parameters, optionally only those whose
        name matches the regular expression *select* (``'.*weight|.*bias'``)."""
        self._check_container_with_block()
        ret = ParameterDict(self._params.prefix)
        if not select:
            ret.update(self.params)
        else:
            pattern = re.compile(select)
            ret.update({n: v for n, v in self.params.items() if pattern.match(n)})
        for cld in self._children.values():
            ret.update(cld.collect_params(select=select))
        return ret

    def _check_container_with_block(self) -> None:
        children = set(map(id, self._children.values()))

        def hidden(data: Any) -> bool:
            if isinstance(data, (list, tuple)):
                return any(hidden(x) for x in data)
            if isinstance(data, dict):
                return any(hidden(x) for x in data.values())
            return isinstance(data, Block) and id(data) not in children
        for k, v in self.__dict__.items():
            if isinstance(v, (list, tuple, dict)) and not (k.startswith("__") or k == "_children"):
                if hidden(v):
                    warnings.warn(f'"{type(self).__name__}.{k}" is an unregistered container '
                                  f"with Blocks. Note that Blocks inside the list, tuple or dict "
                                  f"will not be registered automatically. Make sure to register "
                                  f"them using register_child() or switching to "
                                  f"nn.Sequential/nn.HybridSequential instead.", stacklevel=3)

    def _collect_params_with_prefix(self, prefix: str = "") -> dict[str, Parameter]:
        if prefix:
            prefix += "."
        ret = {prefix + key: val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    # -- files -------------------------------------------------------------------------
    def save_parameters(self, filename: str, deduplicate: bool = False) -> None:
        """Save the parameter values under structural names (``'0.weight'``) to
        *filename* in MXNet's ``.params`` format (a sync point: values are read; the
        file is replaced atomically).  *deduplicate*: a parameter shared by several
        blocks is saved once, under its last name (as MXNet)."""
        params = self._collect_params_with_prefix()
        if deduplicate:
            seen: dict[int, str] = {}
            for k, v in params.items():
                seen[id(v)] = k          # the last name, as MXNet keeps
            keep = set(seen.values())
            params = {k: v for k, v in params.items() if k in keep}
        save_arrays(filename, {k: v._reduce() for k, v in params.items()})

    def save_params(self, filename: str) -> None:
        warnings.warn("save_params is deprecated. Please use save_parameters.")
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_parameters(self, filename: str, ctx: Any = None, allow_missing: bool = False,
                        ignore_extra: bool = False, cast_dtype: bool = False,
                        dtype_source: str = "current") -> None:
        """Load values written by ``save_parameters`` (or ``collect_params().save``), by
        MXNet or ndengine.  *allow_missing*: leave parameters absent from the file as
        they are; *ignore_extra*: skip names in the file the block lacks; *cast_dtype*:
        cast to the parameter's dtype (``dtype_source='current'``) or take the file's
        (``'saved'``)."""
        if dtype_source not in ("current", "saved"):
            raise ValueError(f"load_parameters: dtype_source must be 'current' or 'saved', "
                             f"got {dtype_source!r}")
        loaded = load_entries(filename)
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if loaded and not any("." in k for k in loaded):
            # names saved by ParameterDict.save, relative to this block's prefix
            self.collect_params().load(filename, ctx, allow_missing, ignore_extra, self.prefix,
                                       cast_dtype=cast_dtype, dtype_source=dtype_source)
            return
        if not allow_missing:
            names_of: dict[int, list[str]] = {}
            for k, v in params.items():
                names_of.setdefault(id(v), []).append(k)
            for name, p in params.items():
                if not any(n in loaded for n in names_of[id(p)]):
                    raise MissingParameterError(
                        f"Parameter {name!r} is missing in file {filename!r}, which contains "
                        f"parameters: {sorted(loaded)}. Set allow_missing=True to ignore "
                        f"missing parameters.")
        pairs = []
        for name, arr in loaded.items():
            if name not in params:
                if not ignore_extra:
                    raise ParameterMismatchError(
                        f"Parameter {name!r} loaded from file {filename!r} is not present in "
                        f"this Block, which contains parameters {sorted(params)}. Set "
                        f"ignore_extra=True to ignore. No parameter was changed.")
                continue
            pairs.append((params[name], name, arr))
        load_checked(pairs, ctx, f"load_parameters: {filename!r}", cast_dtype, dtype_source)

    def load_params(self, filename: str, ctx: Any = None, allow_missing: bool = False,
                    ignore_extra: bool = False) -> None:
        warnings.warn("load_params is deprecated. Please use load_parameters.")
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    # -- structure ---------------------------------------------------------------------
    def register_child(self, block: "Block", name: str | None = None) -> None:
        """Register *block* as a child (attribute assignment does this)."""
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook: Callable) -> HookHandle:
        """``hook(block, inputs)`` runs before each forward."""
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook: Callable) -> HookHandle:
        """``hook(block, inputs, outputs)`` runs after each forward."""
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn: Callable[["Block"], Any]) -> "Block":
        """Call ``fn(block)`` on every descendant, then on this block."""
        for cld in self._children.values():
            cld.apply(fn)
        fn(self)
        return self

    def initialize(self, init: Any = None, ctx: Any = None, verbose: bool = False,
                   force_reinit: bool = False) -> None:
        """Initialize all parameters (``collect_params().initialize``): *init* is the
        default initializer (``Uniform(0.07)``) for parameters without their own;
        *ctx* a device or a list of devices (one copy each)."""
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Accepted for compatibility; records nothing (see the module notes)."""
        for cld in self._children.values():
            cld.hybridize(active, **kwargs)

    def cast(self, dtype: Any) -> None:
        """Cast every parameter (and gradient) to *dtype*."""
        for child in self._children.values():
            child.cast(dtype)
        for p in self.params.values():
            p.cast(dtype)

    def zero_grad(self) -> None:
        """Set all gradients to 0 (``collect_params().zero_grad()``)."""
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx: Any) -> None:
        self.collect_params().reset_ctx(ctx)

    def __call__(self, *args: Any) -> Any:
        if args and args[0].__class__ is _nd_pkg._legacy_class:   # mx.nd arrays (1.x)
            from ..legacy import _gluon

            return _gluon.call(self, args)
        if not self._forward_pre_hooks and not self._forward_hooks:
            return self.forward(*args)
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        out = self.forward(*args)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    def forward(self, *args: Any) -> Any:
        """Override to define the computation."""
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def summary(self, *inputs: Any) -> None:
        """Print each block's output shape and parameter count (runs a forward pass)."""
        rows: list[tuple[str, str, int]] = []
        handles = []

        def hook(block: Block, _: Any, out: Any) -> None:
            shape = getattr(out, "shape", None)
            n = sum(int(_onp.prod(p.shape)) for p in block._reg_params.values()
                    if p.shape is not None and all(s > 0 for s in p.shape))
            rows.append((f"{type(block).__name__}-{len(rows) + 1}", str(shape), n))

        self.apply(lambda b: handles.append(b.register_forward_hook(hook)))
        try:
            self(*inputs)
        finally:
            for h in handles:
                h.detach()
        print(f"{'Layer (type)':>30} {'Output Shape':>24} {'Param #':>12}")
        for name, shape, n in rows:
            print(f"{name:>30} {shape:>24} {n:>12}")
        total = sum(int(_onp.prod(p.shape)) for p in self.collect_params().values())
        print(f"Parameters in forward computation graph: {total}")


class BlockInputError(MXNetError, TypeError, ValueError):
    """A HybridBlock called without an array among its inputs (a list, a NumPy array, a
    number): a TypeError, and a ValueError as MXNet's."""


def _has_array(args: Any) -> bool:
    """An array (np or legacy nd) or a Symbol among *args* (lists and tuples looked in)."""
    for a in args:
        c = a.__class__
        if c is NDArray or c is _nd_pkg._legacy_class or isinstance(a, NDArray) \
                or hasattr(a, "list_arguments"):
            return True
        if (c is list or c is tuple) and _has_array(a):
            return True
    return False


def _bad_input(block: "HybridBlock", args: tuple) -> None:
    got = ", ".join(f"{type(a).__module__ + '.' if type(a).__module__ not in ('builtins',) else ''}"
                    f"{type(a).__name__}" + (f" {tuple(a.shape)}" if hasattr(a, "shape") else "")
                    for a in args) or "no arguments"
    raise BlockInputError(
        f"{type(block).__name__} ({block.name}): a HybridBlock needs an NDArray (or a "
        f"Symbol) among its inputs, got {got}; convert the data first, e.g. "
        f"mx.np.array(x)")


def _flat_arrays(args: Any, out: list) -> list:
    """The arrays of a hybridized call's arguments, lists and tuples looked in (in
    order): the graph's inputs."""
    for a in args:
        if a.__class__ is NDArray:
            out.append(a)
        elif a.__class__ in (list, tuple):
            _flat_arrays(a, out)
    return out


def _with_arrays(args: Any, it: Any) -> list:
    """*args* with each array replaced by the next of *it* (nesting kept)."""
    res = []
    for a in args:
        if a.__class__ is NDArray:
            res.append(next(it))
        elif a.__class__ in (list, tuple):
            res.append(a.__class__(_with_arrays(a, it)))
        else:
            res.append(a)
    return res


class HybridBlock(Block):
    """A Block whose computation is written as ``hybrid_forward(F, x, *args, **params)``
    (``mxnet.gluon.HybridBlock``), or as ``forward``.  After ``hybridize()`` a call
    traces the forward once per signature and then replays it as one engine op (see
    :mod:`ndengine.gluon._trace`).

    Before the first forward, parameters with unknown dimensions are given their
    shapes by :meth:`infer_shape` (overridden by layers such as Dense)."""

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._active = False
        self._flags: dict[str, Any] = {}
        self._cached: dict[Any, Any] = {}
        self._last_call: Any = None

    def hybridize(self, active: bool = True, backend: Any = None, clear: bool = True,
                  static_alloc: bool = False, static_shape: bool = False,
                  **kwargs: Any) -> None:
        """Trace the forward on the next call (per signature: input shapes, dtypes and
        devices, other arguments, train/predict mode, recording or not) and replay the
        traced graph as one engine op on later calls (*active* False: run op by op
        again).  *static_alloc*: keep the intermediate buffers between calls.
        *static_shape* is accepted (every signature has its own graph anyway).
        *clear*: forget the graphs traced so far.  Children are hybridized too; only
        the outermost hybridized block traces (its children run inside its trace)."""
        if backend is not None:
            raise ValueError(f"hybridize: backend={backend!r}: ndengine has no graph "
                             f"backends (use backend=None)")
        self._active = active
        self._flags = dict(static_alloc=static_alloc, static_shape=static_shape, **kwargs)
        if clear:
            self._cached = {}
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape,
                          **kwargs)

    def __call__(self, *args: Any) -> Any:
        if not self._active or _trace._TS.capture is not None or not args or \
                args[0].__class__ is not NDArray:
            if not _trace.is_tracing() and not _has_array(args):
                _bad_input(self, args)
            return super().__call__(*args)
        if not self._forward_pre_hooks and not self._forward_hooks:
            return self._call_cached(args)
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        out = self._call_cached(args)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    # -- the cached graphs -------------------------------------------------------------
    def _signature(self, args: tuple) -> Any:
        st = _tape.STATE
        if len(args) == 1:           # the common case, without the loop
            a = args[0]
            return (((a._shape, a._dtype, a._device),), bool(st.training),
                    bool(st.recording), _parameter.DATA_EPOCH[0])
        return (tuple(self._sig_part(a) for a in args), bool(st.training),
                bool(st.recording), _parameter.DATA_EPOCH[0])

    def _sig_part(self, a: Any) -> Any:
        if a.__class__ is NDArray:
            return (a._shape, a._dtype, a._device)
        if a.__class__ in (list, tuple):      # an RNN cell's states: arrays in a list
            return (a.__class__, tuple(self._sig_part(x) for x in a))
        try:
            hash(a)
        except TypeError:
            raise TracingError(f"hybridize: {self.name}: argument of type "
                               f"{type(a).__name__} is neither an array (or a list or "
                               f"tuple of them) nor a hashable constant") from None
        return ("const", type(a), a)

    def _call_cached(self, args: tuple) -> Any:
        key = self._signature(args)
        cop = self._cached.get(key)
        self.__dict__["_last_call"] = args      # (no Block.__setattr__: no child)
        if cop is not None:
            return cop.call(args if len(args) == 1 else _flat_arrays(args, []))
        params = self.collect_params().values()
        if any(p._data is None for p in params):
            # deferred initialization runs in this first call, op by op (it must not
            # become part of the graph); the next call traces
            return Block.__call__(self, *args)
        return self._trace_call(args, key)

    def _trace_call(self, args: tuple, key: Any) -> Any:
        inputs = _flat_arrays(args, [])
        phs = [_new(a._shape, a._dtype, a._device) for a in inputs]
        call_args = _with_arrays(args, iter(phs))
        recording = bool(_tape.STATE.recording)
        name = f"hybridized[{self.name}]"
        prog, struct, fresh, cap = _trace.capture(lambda: self.forward(*call_args), name,
                                                  inputs[0]._device, phs,
                                                  list(zip(phs, inputs)))
        prog.static_alloc = bool(self._flags.get("static_alloc", False))
        ext = [a for a in _trace.outside_arrays(prog, cap.nodes)
               if a._node is not None or a._grad_req in ("write", "add")] if recording else []
        cop = _trace.CachedOp(name, prog, struct, cap.nodes, ext, recording)
        self._cached[key] = cop
        cop.record_first(inputs, fresh)
        return _trace._unflatten(struct, fresh)

    def infer_shape(self, *args: Any) -> None:
        """Fill in unknown parameter dimensions from the inputs.  Layers with deferred
        shapes override this; the default can only complain."""
        unknown = [p.name for p in self._reg_params.values()
                   if p._data is None and p._deferred_init and p.shape is not None
                   and any(s <= 0 for s in p.shape)]
        if unknown:
            raise DeferredInitializationError(
                f"{type(self).__name__}: cannot infer the shapes of {unknown} from the "
                f"inputs (ndengine has no symbolic shape inference); give the parameters "
                f"full shapes, or override infer_shape(self, *args) to set them")

    def _finish_deferred(self, args: tuple) -> None:
        pending = [p for p in self._reg_params.values()
                   if p._data is None and p._deferred_init]
        if pending:
            self.infer_shape(*args)
            for p in pending:
                p._finish_deferred_init()

    def forward(self, x: Any, *args: Any) -> Any:
        """Call ``hybrid_forward(F, x, *args, **params)`` with the parameters' values on
        x's device (finishing deferred initialization first)."""
        reg = self._reg_params
        if _trace._TS.capture is not None:
            with _trace.naming_scope(self):
                return self._hybrid_forward_params(x, args, reg)
        if not reg:
            return self.hybrid_forward(_get_F(), x, *args)
        return self._hybrid_forward_params(x, args, reg)

    def _hybrid_forward_params(self, x: Any, args: tuple, reg: dict) -> Any:
        if not reg:
            return self.hybrid_forward(_get_F(), x, *args)
        for p in reg.values():
            if p._data is None:
                self._finish_deferred((x,) + args)
                break
        ctx = getattr(x, "device", None)
        params = {}
        for name, p in reg.items():
            d = p._data
            if d is not None and len(d) == 1 and d[0]._device is ctx:
                params[name] = d[0]
            else:
                params[name] = p._check_and_get(d, ctx)   # np arrays in either mode
        return self.hybrid_forward(_get_F(), x, *args, **params)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        """Override to define the computation (F: ndengine's np/npx namespace)."""
        raise NotImplementedError(f"{type(self).__name__}.hybrid_forward")

    def export(self, path: str, epoch: int = 0, remove_amp_cast: bool = True) -> tuple:
        """Write the traced graph to ``path-symbol.json`` and the parameters to
        ``path-%04d.params`` (``arg:``/``aux:`` names), MXNet 1.9.1's model files.  The
        graph is traced in predict mode for the inputs of the last call (so the block
        must have been hybridized and called once, as in MXNet).  Returns the two file
        names."""
        from .. import autograd
        from .. import numpy as np
        from ..symbol._export import nodes_to_symbol

        if not self._active or self._last_call is None:
            raise RuntimeError("Please first call block.hybridize() and then run forward "
                               "with this block at least once before calling export.")
        args = self._last_call
        inputs = [a for a in args if a.__class__ is NDArray]
        phs = [_new(a._shape, a._dtype, a._device) for a in inputs]
        zeros = [np.zeros(a._shape, dtype=a._dtype, device=a._device) for a in inputs]
        it = iter(phs)
        call_args = [next(it) if a.__class__ is NDArray else a for a in args]
        with autograd.predict_mode(), autograd.pause():
            prog, _, _, cap = _trace.capture(lambda: self.forward(*call_args),
                                             f"export[{self.name}]", inputs[0]._device, phs,
                                             list(zip(phs, zeros)))
        params = self.collect_params()
        names: dict[int, str] = {}
        for p in params.values():
            for arr in p._data or ():
                names[id(arr)] = p.name
        in_names = ["data"] if len(phs) == 1 else [f"data{i}" for i in range(len(phs))]
        sym = nodes_to_symbol(cap.nodes, list(zip(phs, in_names)), prog.outs, names,
                              _npx.is_np_array(), prefix=self.prefix)
        sym_file = f"{path}-symbol.json"
        sym.save(sym_file)
        arg_names = set(sym.list_arguments())
        aux_names = set(sym.list_auxiliary_states())
        arrays = {}
        for p in params.values():
            if p.name in arg_names:
                arrays["arg:" + p.name] = p._reduce()
            elif p.name in aux_names:
                arrays["aux:" + p.name] = p._reduce()
        param_file = f"{path}-{epoch:04d}.params"
        save_arrays(param_file, arrays)
        return sym_file, param_file


class SymbolBlock(HybridBlock):
    """A block running a symbolic graph (``mxnet.gluon.SymbolBlock``): *outputs* a
    Symbol (or a list of them), *inputs* the variables fed by the call's arguments, in
    order.  Every other variable of the graph is a parameter of the block, named as
    the variable (auxiliary states such as BatchNorm's moving statistics get
    ``grad_req='null'``); *params* (a ParameterDict) supplies existing ones by name.
    Unknown parameter shapes are inferred from the first call's inputs."""

    def __init__(self, outputs: Any, inputs: Any, params: ParameterDict | None = None) -> None:
        from .. import symbol as _sym

        super().__init__(prefix="", params=None)
        if isinstance(inputs, _sym.Symbol):
            inputs = list(inputs)
        if isinstance(outputs, (list, tuple)):
            outputs = _sym.Group(list(outputs))
        if not isinstance(outputs, _sym.Symbol):
            raise TypeError(f"SymbolBlock: outputs must be a Symbol, got "
                            f"{type(outputs).__name__}")
        names = []
        for i in inputs:
            if not isinstance(i, _sym.Symbol) or len(i) != 1 or \
                    not i._outputs[0][0].is_var:
                raise TypeError(f"SymbolBlock: inputs must be variables (mx.sym.var), got "
                                f"{i!r}")
            names.append(i.name)
        known = outputs.list_inputs()
        missing = [n for n in names if n not in known]
        if missing:
            raise ValueError(f"SymbolBlock: the graph has no input {missing}; its variables "
                             f"are {known}")
        self._sym = outputs
        self._input_names = names
        aux = set(outputs.list_auxiliary_states())
        from ..symbol._ops import parse_attr
        from ..symbol.symbol import _dtype_attr

        for node in outputs._nodes():
            if not node.is_var or node.name in names or node.name in self._reg_params:
                continue
            if params is not None and node.name in params:
                p = params[node.name]
            else:
                shape = parse_attr(node.attrs.get("__shape__", "None"))
                shape = None if shape is None else tuple(max(int(d), 0) for d in shape)
                p = Parameter(node.name, grad_req="null" if node.name in aux else "write",
                              shape=shape, dtype=_dtype_attr(node) or _onp.float32,
                              allow_deferred_init=True)
            self._params._params[node.name] = p
            self._reg_params[node.name] = p

    def __repr__(self) -> str:
        return (f"SymbolBlock(inputs={self._input_names}, outputs="
                f"{self._sym.list_outputs()})")

    @staticmethod
    def imports(symbol_file: str, input_names: Any, param_file: str | None = None,
                ctx: Any = None, allow_missing: bool = False,
                ignore_extra: bool = False) -> "SymbolBlock":
        """A SymbolBlock from MXNet's model files: the ``-symbol.json`` graph, the
        names of its inputs (``'data'`` or a list) and the ``.params`` file
        (``arg:``/``aux:`` names, MXNet's binary format), loaded on *ctx*."""
        from .. import symbol as _sym

        sym = _sym.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        block = SymbolBlock(sym, [_sym.var(n) for n in input_names])
        if param_file is not None:
            block.collect_params().load(param_file, ctx, allow_missing, ignore_extra,
                                        cast_dtype=True, dtype_source="saved")
        return block

    def infer_shape(self, *args: Any) -> None:
        shapes = {n: tuple(a.shape) for n, a in zip(self._input_names, args)}
        arg_shapes, _, aux_shapes = self._sym.infer_shape(**shapes)
        if arg_shapes is None:
            raise DeferredInitializationError(f"SymbolBlock: cannot infer the parameter "
                                              f"shapes from inputs {shapes}")
        found = dict(zip(self._sym.list_arguments(), arg_shapes))
        found.update(zip(self._sym.list_auxiliary_states(), aux_shapes))
        for name, p in self._reg_params.items():
            if p._data is None and name in found:
                p.shape = found[name]

    def forward(self, x: Any, *args: Any) -> Any:
        from ..symbol.symbol import evaluate

        inputs = (x,) + args
        if len(inputs) != len(self._input_names):
            raise ValueError(f"SymbolBlock: expected {len(self._input_names)} inputs "
                             f"({self._input_names}), got {len(inputs)}")
        reg = self._reg_params
        if any(p._data is None for p in reg.values()):
            self._finish_deferred(inputs)
        feed = dict(zip(self._input_names, inputs))
        ctx = getattr(x, "device", None)
        for name, p in reg.items():
            d = p._data
            feed[name] = d[0] if d is not None and len(d) == 1 and d[0]._device is ctx \
                else p._check_and_get(d, ctx)
        outs = evaluate(self._sym, feed)
        return outs[0] if len(outs) == 1 else outs
