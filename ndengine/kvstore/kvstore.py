"""KVStore: sums values pushed from several devices, and hands the result back.

``create('local' | 'device' | 'nccl')`` (see ``mxnet.kvstore``).  Every call pushes
engine ops and returns at once: the copies between devices run on the copy workers of
the destination device, the sums on the merge device's compute workers, so a key's
communication overlaps the computation of the gradients of other keys (the Trainer
pushes parameters in reverse order of their layers).  A sync point on a pulled array
waits for exactly what it needs.

Where a key is summed (its *merge device*):

* ``'local'``: on ``cpu(0)``, as MXNet's local store sums on the CPU;
* ``'device'`` (and ``'nccl'``, its alias here): on one of the devices the values
  come from, chosen at the key's first push so that the bytes summed are spread
  evenly over the devices (MXNet's CommDevice does the same).

``push(key, values)`` copies the values to the merge device and sums them there; with
an updater (``set_optimizer``, ``_set_updater``) the stored value is then updated with
``updater(key, summed, stored)``, otherwise it becomes the sum.  ``pull(key, out)``
copies the stored value into each ``out``.  ``pushpull`` is a push then a pull (into
the values themselves when *out* is None).  *priority* orders the copies among ready
ops (the sums run at priority 0).

``set_gradient_compression({'type': '2bit', 'threshold': t})`` (``'device'`` types
and the dist stores, as MXNet 1.9.1) quantizes what each device pushes, with a residual
per key and device, and sends 2-bit codes (see :mod:`.compression`).

This class is one process's store: ``rank`` is 0 and ``num_workers`` 1.  The
``dist_*`` types (and ``'horovod'``) are :class:`.dist.DistKVStore`, across the MPI
ranks of an ``mpiexec`` launch; ``dist_async`` is refused.
"""
from __future__ import annotations

import pickle
from typing import Any, Callable

from ..base import MXNetError, write_bytes
from ..device import Device, cpu
from ..ndarray.ndarray import NDArray, copy_into, copy_to_device

__all__ = ["KVStore", "KVStoreError", "create", "KVSTORE_TYPES"]

KVSTORE_TYPES = ("local", "device", "nccl", "local_update_cpu", "local_allreduce_cpu",
                 "local_allreduce_device")


class KVStoreError(MXNetError, ValueError):
    """A kvstore call with an unknown key, a bad value, or mismatching shapes."""


def create(name: str = "local") -> "KVStore":
    """See ``mxnet.kvstore.create``: a store of type *name* (``'local'``, ``'device'``...;
    ``'dist_sync'`` and the other :data:`.dist.DIST_TYPES` across MPI ranks)."""
    if not isinstance(name, str):
        raise TypeError(f"kvstore.create: name must be a str, got {type(name).__name__}")
    from .dist import ASYNC_TYPES, DIST_TYPES, DistKVStore

    if name in DIST_TYPES:
        return DistKVStore(name)
    if name in ASYNC_TYPES:
        raise KVStoreError(f"kvstore.create: {name!r} is not supported: ndengine's "
                           f"distributed store is synchronous (an MPI allreduce, no "
                           f"parameter servers); use one of {', '.join(DIST_TYPES)}")
    if name not in KVSTORE_TYPES:
        raise KVStoreError(f"kvstore.create: unknown type {name!r}; expected one of "
                           f"{', '.join(KVSTORE_TYPES + DIST_TYPES)}")
    return KVStore(name)


def _is_key(k: Any) -> bool:
    return (isinstance(k, (int, str))) and not isinstance(k, bool)


def _as_list(v: Any, what: str, fname: str) -> list[NDArray]:
    """One key's value(s): an NDArray or a non-empty list of NDArrays (legacy ``mx.nd``
    arrays stand for the np arrays they share: results written to them show)."""
    if isinstance(v, NDArray):
        return [v]
    if isinstance(getattr(v, "_arr", None), NDArray):
        return [v._arr]
    if isinstance(v, (list, tuple)) and v:
        vs = [x._arr if isinstance(getattr(x, "_arr", None), NDArray) else x for x in v]
        if all(isinstance(x, NDArray) for x in vs):
            return vs
    raise KVStoreError(f"kvstore.{fname}: {what} must be an NDArray or a non-empty list of "
                       f"NDArrays, got {type(v).__name__}")


def _pairs(key: Any, value: Any, fname: str, what: str = "value") -> list[tuple[Any, list[NDArray]]]:
    """Normalize (key, value) or (keys, values) to [(key, [arrays])]."""
    if isinstance(key, (list, tuple)):
        if not all(_is_key(k) for k in key):
            raise KVStoreError(f"kvstore.{fname}: keys must be ints or strs, got {key!r}")
        if not isinstance(value, (list, tuple)) or len(value) != len(key):
            n = len(value) if isinstance(value, (list, tuple)) else type(value).__name__
            raise KVStoreError(f"kvstore.{fname}: {len(key)} keys need a list of {len(key)} "
                               f"{what}s, got {n}")
        return [(k, _as_list(v, what, fname)) for k, v in zip(key, value)]
    if not _is_key(key):
        raise KVStoreError(f"kvstore.{fname}: a key must be an int or a str, got {key!r}")
    return [(key, _as_list(value, what, fname))]


class KVStore:
    """A single-machine key-value store (``mxnet.kvstore.KVStore``); see the module notes."""

    OPTIMIZER = "optimizer"

    def __init__(self, kind: str = "local") -> None:
        self._type = kind
        self._store: dict[Any, NDArray] = {}
        self._merge_device: dict[Any, Device] = {}
        self._merge_load: dict[Device, int] = {}     # bytes summed on each device
        self._updater: Callable[..., Any] | None = None
        self._key_kind: type | None = None
        self._compression: Any = None       # a .compression.GradientCompression

    # -- description ---------------------------------------------------------------------
    @property
    def type(self) -> str:
        return self._type

    @property
    def rank(self) -> int:
        return 0

    @property
    def num_workers(self) -> int:
        return 1

    def is_capable(self, capability: str) -> bool:
        """See ``KVStoreBase.is_capable``: only ``'optimizer'`` is supported."""
        return capability == self.OPTIMIZER

    def __repr__(self) -> str:
        return f"<KVStore {self._type!r}: {len(self._store)} keys>"

    # -- keys ------------------------------------------------------------------------------
    def _check_key_kind(self, key: Any, fname: str) -> None:
        kind = str if isinstance(key, str) else int
        if self._key_kind is None:
            self._key_kind = kind
        elif kind is not self._key_kind:
            raise KVStoreError(f"kvstore.{fname}: key {key!r} is a {kind.__name__}, but this "
                               f"store's keys are {self._key_kind.__name__}s (they cannot "
                               f"be mixed)")

    def _stored(self, key: Any, fname: str) -> NDArray:
        try:
            return self._store[key]
        except KeyError:
            raise KVStoreError(f"kvstore.{fname}: key {key!r} has not been initialized "
                               f"(call init first)") from None

    @staticmethod
    def _check_shapes(key: Any, stored: NDArray, values: list[NDArray], fname: str) -> None:
        for v in values:
            if v.shape != stored.shape:
                raise KVStoreError(
                    f"kvstore.{fname}: key {key!r} holds shape {stored.shape}, got a value "
                    f"of shape {v.shape} on {v.device}")

    def _home(self, key: Any, values: list[NDArray]) -> Device:
        """The merge device of *key* (chosen once; see the module notes)."""
        dev = self._merge_device.get(key)
        if dev is not None:
            return dev
        if self._type.startswith("local") and self._type != "local_allreduce_device":
            dev = cpu(0)
        else:
            candidates = list(dict.fromkeys(v.device for v in values))
            dev = min(candidates, key=lambda d: (self._merge_load.get(d, 0),
                                                 candidates.index(d)))
        self._merge_device[key] = dev
        self._merge_load[dev] = self._merge_load.get(dev, 0) + values[0].nbytes
        return dev

    # -- the API ------------------------------------------------------------------------------
    def init(self, key: Any, value: Any) -> None:
        """See ``KVStore.init``: store a copy of *value* (the first one, for a list)
        under *key*; a key is initialized once."""
        for k, vals in _pairs(key, value, "init"):
            self._check_key_kind(k, "init")
            if k in self._store:
                raise KVStoreError(f"kvstore.init: key {k!r} is already initialized")
            v = vals[0]
            home = self._home(k, vals) if self._type.startswith("local") and \
                self._type != "local_allreduce_device" else v.device
            self._store[k] = copy_to_device(v, home)

    def broadcast(self, key: Any, value: Any, out: Any, priority: int = 0) -> None:
        """See ``KVStore.broadcast``: init *key* with *value*, then pull it into *out*."""
        self.init(key, value)
        self.pull(key, out=out, priority=priority)

    def push(self, key: Any, value: Any, priority: int = 0) -> None:
        """See ``KVStore.push``: sum the values of each key (from any devices) on its
        merge device, then update the stored value (or replace it by the sum)."""
        from .. import autograd

        if self._compression is not None:
            self._compression.check_dense(value, "push")
        with autograd.pause():
            for k, vals in _pairs(key, value, "push"):
                stored = self._stored(k, "push")
                self._check_shapes(k, stored, vals, "push")
                home = self._home(k, vals)
                if stored.device is not home:
                    stored = self._store[k] = copy_to_device(stored, home, priority=priority)
                if self._compression is not None:
                    total = self._compressed_sum(k, stored, vals, home, priority)
                else:
                    total = self._sum(vals, home, priority)
                if self._updater is not None:
                    self._updater(k, total, stored)
                elif total is not vals[0] and total.dtype == stored.dtype:
                    self._store[k] = total      # a new array of ours: no copy needed
                else:
                    copy_into(total, stored, priority)   # never alias the caller's array

    @staticmethod
    def _sum(vals: list[NDArray], home: Device, priority: int) -> NDArray:
        """The sum of *vals* on *home*: copies there (copy workers), then adds."""
        local = [v if v.device is home else copy_to_device(v, home, priority=priority)
                 for v in vals]
        total = local[0]
        if len(local) == 1:
            return total
        for v in local[1:]:
            total = total + v
        return total

    def _compressed_sum(self, key: Any, stored: NDArray, vals: list[NDArray], home: Device,
                        priority: int) -> NDArray:
        """MXNet's compressed reduce: each value quantized on its own device (with that
        device's residual), the codes copied to *home*, decoded and summed there."""
        return self._compression.compressed_sum(key, stored, vals, home, "push", priority)

    def pull(self, key: Any, out: Any = None, priority: int = 0,
             ignore_sparse: bool = True) -> None:
        """See ``KVStore.pull``: copy the stored value of each key into its *out*
        array(s), on whatever devices they live."""
        if out is None:
            raise KVStoreError("kvstore.pull: out must be given (an NDArray or a list)")
        for k, outs in _pairs(key, out, "pull", what="out"):
            stored = self._stored(k, "pull")
            self._check_shapes(k, stored, outs, "pull")
            for o in outs:
                copy_into(stored, o, priority)

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        """See ``KVStore.pushpull``: push *value*, then pull into *out* (into *value*
        itself when *out* is None)."""
        self.push(key, value, priority)
        self.pull(key, out=value if out is None else out, priority=priority)

    def row_sparse_pull(self, key: Any, out: Any = None, priority: int = 0,
                        row_ids: Any = None) -> None:
        """See ``KVStore.row_sparse_pull``: the rows *row_ids* (repeats dropped, in
        increasing order) of each key's stored value into *out*, row-sparse arrays
        (``mx.nd.sparse``).  *row_ids* is one index array, or one per output array.
        The gather is an engine op, so the pull returns at once."""
        if out is None or row_ids is None:
            raise KVStoreError("kvstore.row_sparse_pull: out and row_ids must be given")
        keys = list(key) if isinstance(key, (list, tuple)) else [key]
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        if len(keys) > 1 and len(outs) != len(keys):
            raise KVStoreError(f"kvstore.row_sparse_pull: {len(keys)} keys need "
                               f"{len(keys)} outputs, got {len(outs)}")
        ids = list(row_ids) if isinstance(row_ids, (list, tuple)) else [row_ids] * len(outs)
        if len(ids) != len(outs):
            raise KVStoreError(f"kvstore.row_sparse_pull: {len(outs)} outputs need as many "
                               f"row_ids arrays, got {len(ids)}")
        for i, o in enumerate(outs):
            k = keys[i] if len(keys) > 1 else keys[0]
            if not _is_key(k):
                raise KVStoreError(f"kvstore.row_sparse_pull: a key must be an int or a str, "
                                   f"got {k!r}")
            assign = getattr(o, "_assign_rows", None)
            if assign is None:
                raise KVStoreError(f"kvstore.row_sparse_pull: out must be a RowSparseNDArray "
                                   f"(mx.nd.sparse), got {type(o).__name__} of shape "
                                   f"{getattr(o, 'shape', None)}")
            stored = self._stored(k, "row_sparse_pull")
            if tuple(o.shape) != tuple(stored.shape):
                raise KVStoreError(f"kvstore.row_sparse_pull: key {k!r} holds shape "
                                   f"{stored.shape}, out has shape {o.shape} on {o.context}")
            assign(stored, ids[i])

    def set_gradient_compression(self, compression_params: dict) -> None:
        """See ``KVStore.set_gradient_compression``: compress what later pushes send
        (``{'type': '2bit', 'threshold': 0.5}``; see :mod:`.compression`).  As in MXNet
        1.9.1, only the ``'device'`` and ``dist_*`` types compress; ``'local'`` refuses."""
        if "device" not in self._type and "dist" not in self._type:
            raise KVStoreError(
                f"kvstore.set_gradient_compression: gradient compression is not supported "
                f"for the {self._type!r} kvstore (as in MXNet 1.9.1, only the 'device' and "
                f"'dist_*' types compress: use kvstore 'device')")
        from .compression import parse

        gc = parse(compression_params)
        gc.adopt_residuals(self._compression)
        self._compression = gc

    # -- updates ------------------------------------------------------------------------------
    def set_optimizer(self, optimizer: Any) -> None:
        """See ``KVStore.set_optimizer``: pushes then update the stored values with
        *optimizer* (an ``ndengine.optimizer.Optimizer``)."""
        from .. import optimizer as opt

        if not isinstance(optimizer, opt.Optimizer):
            raise TypeError(f"kvstore.set_optimizer: expected an Optimizer, got "
                            f"{type(optimizer).__name__}")
        self._updater = opt.get_updater(optimizer)

    def _set_updater(self, updater: Callable[..., Any]) -> None:
        """See ``KVStore._set_updater``: ``updater(key, summed, stored)`` on each push."""
        if not callable(updater):
            raise TypeError(f"kvstore._set_updater: expected a callable, got {updater!r}")
        self._updater = updater

    set_updater = _set_updater

    def save_optimizer_states(self, fname: str, dump_optimizer: bool = False) -> None:
        """See ``KVStore.save_optimizer_states`` (a sync point)."""
        updater = self._needs_updater("save_optimizer_states")
        write_bytes(fname, updater.get_states(dump_optimizer), "kvstore.save_optimizer_states")

    def load_optimizer_states(self, fname: str, allow_pickle: bool = False) -> None:
        """See ``KVStore.load_optimizer_states``; a pickle (what MXNet writes) only with
        *allow_pickle* (see ``Trainer.load_states``)."""
        updater = self._needs_updater("load_optimizer_states")
        with open(fname, "rb") as f:
            data = f.read()
        updater.set_states(data, allow_pickle, f"kvstore.load_optimizer_states: {fname!r}")

    def _needs_updater(self, fname: str) -> Any:
        if self._updater is None or not hasattr(self._updater, "get_states"):
            raise KVStoreError(f"kvstore.{fname}: no optimizer set (call set_optimizer)")
        return self._updater

    # -- multi-machine stand-ins ----------------------------------------------------------------
    def barrier(self) -> None:
        """One worker: nothing to wait for."""
        return None

    _barrier = barrier

    def _send_command_to_servers(self, head: int, body: str) -> None:
        return None

    def __getstate__(self) -> Any:
        raise pickle.PicklingError("a KVStore cannot be pickled")
