"""Optimizer-state files that cannot run code (``Trainer.save_states``,
``KVStore.save_optimizer_states``, ``Updater.get_states``).

MXNet 1.9.1 pickles ``(updater.states, optimizer)`` (or the states alone); unpickling
a file can run any code, so ndengine writes its own format and reads pickles only when
asked to (``allow_pickle=True``), and then only the classes such a file holds.

The format: ``MAGIC`` (8 bytes), u32 version, u64 length of a UTF-8 JSON header, the
header, then the states' arrays as one file in MXNet's NDArray format
(:mod:`ndengine.ndarray.serialization`, checked as it is read).  The header is
``{"states": V, "optimizer": V or absent}`` where a value V is JSON itself (None, bool,
int, float, str, list) or one of::

    {"tuple": [V...]}              {"array": i}       (the i-th array of the file)
    {"dict": [[K, V]...], "id": n} {"ref": n}         (the same dict or object again)
    {"scalar": [dtype, value]}     (a NumPy number)
    {"object": "module.Class", "state": V, "id": n}

An object is an optimizer or learning-rate scheduler: its class must be one already
defined in the process (a subclass of ``Optimizer`` or ``LRScheduler`` with that module
and name); it is made without calling its constructor, and its attributes set from the
state (an optimizer's ``param_dict`` is not stored; the Trainer sets it again).  Saving
an attribute of another kind (a function, an open file...) is refused with its name.
"""
from __future__ import annotations

import io
import json
import math
import pickle
import struct
from typing import Any

import numpy as _onp

from ..base import MXNetError
from ..ndarray import serialization as _ser

__all__ = ["dumps", "loads", "StatesFileError", "MAGIC"]

MAGIC = b"NDESTATE"
VERSION = 1
_PICKLE_HINT = ("it is a pickle (as MXNet's Trainer.save_states writes); unpickling a file "
                "can run arbitrary code, so it is refused: if you trust the file, pass "
                "allow_pickle=True")


class StatesFileError(MXNetError, ValueError):
    """An optimizer-state file (or buffer) cannot be read; the message says why."""


# ----------------------------------------------------------------------------- classes
def _allowed_classes() -> dict[str, type]:
    from ..lr_scheduler import LRScheduler
    from .optimizer import Optimizer

    out: dict[str, type] = {}
    todo = [Optimizer, LRScheduler]
    while todo:
        c = todo.pop()
        out[f"{c.__module__}.{c.__qualname__}"] = c
        todo.extend(c.__subclasses__())
    return out


def _allowed_base(obj: Any) -> bool:
    from ..lr_scheduler import LRScheduler
    from .optimizer import Optimizer

    return isinstance(obj, (Optimizer, LRScheduler))


# ----------------------------------------------------------------------------- saving
class _Encoder:
    def __init__(self, opname: str) -> None:
        self.opname = opname
        self.arrays: list[Any] = []
        self.ids: dict[int, int] = {}
        self.keep: list[Any] = []            # what the ids refer to stays alive

    def memo(self, v: Any) -> int | None:
        return self.ids.get(id(v))

    def new_id(self, v: Any) -> int:
        n = len(self.ids)
        self.ids[id(v)] = n
        self.keep.append(v)
        return n

    def enc(self, v: Any, where: str) -> Any:
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return int(v)
        if isinstance(v, float):
            return v if math.isfinite(v) else {"float": repr(v)}
        if isinstance(v, _onp.generic):
            if v.dtype.kind not in "biuf":
                raise self.refuse(where, v)
            item = v.item()
            return {"scalar": [v.dtype.str, item if math.isfinite(float(item)) else repr(item)]}
        if _ser._is_array(v):
            self.arrays.append(v)
            return {"array": len(self.arrays) - 1}
        if isinstance(v, tuple):
            return {"tuple": [self.enc(x, f"{where}[{i}]") for i, x in enumerate(v)]}
        ref = self.memo(v)
        if ref is not None:
            return {"ref": ref}
        if isinstance(v, list):
            n = self.new_id(v)
            return {"list": [self.enc(x, f"{where}[{i}]") for i, x in enumerate(v)], "id": n}
        if isinstance(v, dict):
            n = self.new_id(v)
            return {"dict": [[self.enc(k, f"{where} key"), self.enc(x, f"{where}[{k!r}]")]
                             for k, x in v.items()], "id": n}
        if _allowed_base(v):
            n = self.new_id(v)
            cls = type(v)
            state = v.__getstate__() if hasattr(v, "__getstate__") else vars(v)
            if state is None:
                state = {}
            if not isinstance(state, dict):
                raise self.refuse(where, v)
            state = dict(state)
            state.pop("param_dict", None)
            return {"object": f"{cls.__module__}.{cls.__qualname__}",
                    "state": self.enc(state, f"{where}.{cls.__name__}"), "id": n}
        raise self.refuse(where, v)

    def refuse(self, where: str, v: Any) -> StatesFileError:
        return StatesFileError(f"{self.opname}: cannot store {where} (a "
                               f"{type(v).__module__}.{type(v).__qualname__}) in a states "
                               f"file: it holds arrays, numbers, strings, lists, tuples, "
                               f"dicts, optimizers and learning-rate schedulers only")


def dumps(states: dict, optimizer: Any = None, opname: str = "save_states") -> bytes:
    """The bytes of a states file holding *states* (index -> state) and, unless None,
    *optimizer*.  A sync point (the arrays' values are read)."""
    e = _Encoder(opname)
    header: dict[str, Any] = {"states": e.enc(states, "states")}
    if optimizer is not None:
        header["optimizer"] = e.enc(optimizer, "optimizer")
    raw = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    arrays = _ser.saves(e.arrays) if e.arrays else _ser.saves([])
    return MAGIC + struct.pack("<IQ", VERSION, len(raw)) + raw + arrays


# ----------------------------------------------------------------------------- loading
class _Decoder:
    def __init__(self, arrays: list[Any], where: str) -> None:
        self.arrays = arrays
        self.where = where
        self.ids: dict[int, Any] = {}
        self.classes: dict[str, type] | None = None

    def fail(self, what: str) -> StatesFileError:
        return StatesFileError(f"{self.where}: {what}")

    def register(self, v: dict, obj: Any) -> None:
        n = v.get("id")
        if not isinstance(n, int) or n in self.ids:
            raise self.fail(f"bad or repeated id {n!r}")
        self.ids[n] = obj

    def dec(self, v: Any, depth: int = 0) -> Any:
        if depth > 100:
            raise self.fail("values nested too deeply")
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if not isinstance(v, dict) or len(v) not in (1, 2, 3):
            raise self.fail(f"unexpected value {str(v)[:80]}")
        d = depth + 1
        if "array" in v:
            i = v["array"]
            if not isinstance(i, int) or not 0 <= i < len(self.arrays):
                raise self.fail(f"array {i!r} is not in the file ({len(self.arrays)} arrays)")
            return self.arrays[i]
        if "float" in v:
            return float(self._str(v["float"], ("nan", "inf", "-inf")))
        if "scalar" in v:
            pair = v["scalar"]
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise self.fail(f"bad scalar {pair!r}")
            try:
                dt = _onp.dtype(pair[0])
            except TypeError:
                raise self.fail(f"bad scalar dtype {pair[0]!r}") from None
            if dt.kind not in "biuf":
                raise self.fail(f"bad scalar dtype {pair[0]!r}")
            return dt.type(pair[1])
        if "tuple" in v:
            return tuple(self.dec(x, d) for x in self._list(v["tuple"]))
        if "ref" in v:
            if v["ref"] not in self.ids:
                raise self.fail(f"reference {v['ref']!r} to nothing")
            return self.ids[v["ref"]]
        if "list" in v:
            out: list = []
            self.register(v, out)
            out.extend(self.dec(x, d) for x in self._list(v["list"]))
            return out
        if "dict" in v:
            res: dict = {}
            self.register(v, res)
            for item in self._list(v["dict"]):
                if not (isinstance(item, list) and len(item) == 2):
                    raise self.fail(f"bad dict item {str(item)[:80]}")
                k = self.dec(item[0], d)
                try:
                    res[k] = self.dec(item[1], d)
                except TypeError:
                    raise self.fail(f"unhashable dict key {k!r}") from None
            return res
        if "object" in v:
            if self.classes is None:
                self.classes = _allowed_classes()
            name = v["object"]
            cls = self.classes.get(name) if isinstance(name, str) else None
            if cls is None:
                raise self.fail(f"class {name!r} is not an optimizer or learning-rate "
                                f"scheduler defined in this process (import the module that "
                                f"defines it first)")
            obj = cls.__new__(cls)
            self.register(v, obj)
            state = self.dec(v.get("state"), d)
            if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
                raise self.fail(f"the state of {name!r} is not a dict of attributes")
            setstate = getattr(cls, "__setstate__", None)
            if setstate is not None and setstate is not getattr(object, "__setstate__", None):
                obj.__setstate__(state)
            else:
                obj.__dict__.update(state)
            return obj
        raise self.fail(f"unexpected value {str(v)[:80]}")

    def _list(self, v: Any) -> list:
        if not isinstance(v, list):
            raise self.fail(f"expected a list, got {str(v)[:80]}")
        return v

    def _str(self, v: Any, allowed: tuple) -> str:
        if v not in allowed:
            raise self.fail(f"bad value {v!r}")
        return v


def loads(data: bytes, where: str = "load_states", allow_pickle: bool = False) -> Any:
    """The states (or ``(states, optimizer)``) of a states file's bytes.  A pickle (what
    MXNet writes) is read only with *allow_pickle*, through an unpickler that knows
    MXNet's and ndengine's optimizer classes and arrays and nothing else."""
    if data[:len(MAGIC)] == MAGIC:
        return _loads_own(data, where)
    if data[:1] == b"\x80" or data[:1] in (b"(", b"]", b"}"):
        if not allow_pickle:
            raise StatesFileError(f"{where}: {_PICKLE_HINT}")
        return _loads_pickle(data, where)
    what = "an empty file" if not data else "not an optimizer-state file"
    raise StatesFileError(f"{where}: {what} (neither ndengine's states format nor a pickle)")


def _loads_own(data: bytes, where: str) -> Any:
    fixed = len(MAGIC) + 12
    if len(data) < fixed:
        raise StatesFileError(f"{where}: truncated: {len(data)} bytes, shorter than the header")
    version, n = struct.unpack_from("<IQ", data, len(MAGIC))
    if version != VERSION:
        raise StatesFileError(f"{where}: states format version {version}, this ndengine "
                              f"reads version {VERSION}")
    if n > len(data) - fixed:
        raise StatesFileError(f"{where}: truncated: the header needs {n} bytes, "
                              f"{len(data) - fixed} left")
    try:
        header = json.loads(data[fixed:fixed + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise StatesFileError(f"{where}: corrupt header ({e})") from None
    if not isinstance(header, dict) or "states" not in header:
        raise StatesFileError(f"{where}: corrupt header (no states)")
    try:
        arrays = _ser.loads(data[fixed + n:])
    except _ser.NDArrayFileError as e:
        raise StatesFileError(f"{where}: the arrays are corrupt: {e}") from None
    if isinstance(arrays, dict):
        raise StatesFileError(f"{where}: the arrays are corrupt (named arrays)")
    dec = _Decoder(arrays, where)
    try:
        states = dec.dec(header["states"])
        if not isinstance(states, dict):
            raise dec.fail("the states are not a dict")
        if "optimizer" in header:
            opt = dec.dec(header["optimizer"])
            if not _allowed_base(opt):
                raise dec.fail("the optimizer is not an Optimizer")
            return states, opt
    except RecursionError:
        raise dec.fail("values nested too deeply") from None
    return states


# ----------------------------------------------------------------------------- pickles
class _MXNetArray:
    """What an MXNet NDArray unpickles to here: its state is the array in MXNet's
    one-array format (``{'handle': bytes}``), read with the checked reader."""

    def __init__(self, handle: Any = None) -> None:
        if handle is not None:
            raise StatesFileError("load_states: an MXNet NDArray in the pickle is made "
                                  "from a handle")
        self.value = None

    def __setstate__(self, state: Any) -> None:
        raw = state.get("handle") if isinstance(state, dict) else None
        if not isinstance(raw, (bytes, bytearray)):
            raise StatesFileError("load_states: an MXNet NDArray in the pickle has no data")
        r = _ser._Reader(io.BytesIO(bytes(raw)), len(raw), "load_states: pickled NDArray")
        self.value = _ser._read_array(r, 0)


def _mxnet_optimizer(name: str) -> type:
    from ..lr_scheduler import LRScheduler
    from .optimizer import Optimizer

    for c in _allowed_classes().values():
        if c.__name__ == name and issubclass(c, (Optimizer, LRScheduler)):
            return c
    raise pickle.UnpicklingError(f"no ndengine class for MXNet's {name}")


class _Unpickler(pickle.Unpickler):
    """Only the globals MXNet's and ndengine's state pickles name."""

    SAFE_BUILTINS = {"bytearray", "set", "frozenset", "complex", "slice", "range"}

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in self.SAFE_BUILTINS:
            return getattr(__import__("builtins"), name)
        if (module, name) in (("mxnet.ndarray.ndarray", "NDArray"),
                              ("mxnet.numpy.multiarray", "ndarray"),
                              ("mxnet.numpy", "ndarray")):
            return _MXNetArray
        if module in ("copyreg",) and name == "_reconstructor":
            return _reconstructor
        if module.startswith(("mxnet.optimizer", "mxnet.lr_scheduler", "ndengine.optimizer",
                              "ndengine.lr_scheduler")):
            return _mxnet_optimizer(name)
        if (module, name) == ("ndengine.ndarray.ndarray", "from_buffer"):
            return _from_buffer
        if module in ("numpy.core.multiarray", "numpy._core.multiarray") and \
                name in ("_reconstruct", "scalar"):
            core = getattr(_onp, "_core", None) or _onp.core
            return getattr(core.multiarray, name)
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(_onp, name)
        if module.startswith("ndengine.device") and name in ("Device", "Context"):
            from ..device import Device
            return Device
        raise pickle.UnpicklingError(f"load_states: the pickle names {module}.{name}, which "
                                     f"an optimizer-state file does not hold; refused")


def _reconstructor(cls: Any, base: Any, state: Any) -> Any:
    if base is not object or state is not None:
        raise pickle.UnpicklingError("load_states: unexpected copyreg reconstruction")
    return cls.__new__(cls)


def _from_buffer(a: Any, device: Any = None) -> Any:
    if not isinstance(a, _onp.ndarray) or a.dtype.kind not in "biuf":
        raise pickle.UnpicklingError("load_states: a pickled array that is not numeric")
    return a


def _to_nd(v: Any) -> Any:
    from ..ndarray.ndarray import NDArray, from_buffer

    if isinstance(v, _MXNetArray):
        return None if v.value is None else from_buffer(v.value)
    if isinstance(v, _onp.ndarray):
        return from_buffer(v)
    if isinstance(v, NDArray):
        return v
    if isinstance(v, tuple):
        return tuple(_to_nd(x) for x in v)
    if isinstance(v, list):
        return [_to_nd(x) for x in v]
    if isinstance(v, dict):
        return {k: _to_nd(x) for k, x in v.items()}
    return v


def _loads_pickle(data: bytes, where: str) -> Any:
    try:
        loaded = _Unpickler(io.BytesIO(data)).load()
    except StatesFileError:
        raise
    except Exception as e:                  # noqa: BLE001  (any unpickling error)
        raise StatesFileError(f"{where}: cannot read the pickle: {type(e).__name__}: "
                              f"{e}") from None
    if isinstance(loaded, tuple) and len(loaded) == 2:
        states, opt = loaded
        if not _allowed_base(opt):
            raise StatesFileError(f"{where}: the pickle's optimizer is a "
                                  f"{type(opt).__name__}")
        _fix_optimizer(opt)
        return _to_nd(states), opt
    return _to_nd(loaded)


def _fix_optimizer(opt: Any) -> None:
    """An optimizer unpickled from MXNet: arrays in its attributes become NDArrays,
    and what ndengine's optimizers keep but MXNet's do not gets its default."""
    for k, v in list(vars(opt).items()):
        vars(opt)[k] = _to_nd(v)
    opt.__dict__.setdefault("param_dict", {})
    if not hasattr(opt, "_all_index_update_counts"):
        opt._all_index_update_counts = {0: getattr(opt, "_index_update_count", {})}
