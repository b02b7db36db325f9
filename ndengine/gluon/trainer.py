"""Trainer (``mxnet.gluon.Trainer``): applies an optimizer to a set of Parameters.

``step(batch_size)`` sets the optimizer's ``rescale_grad`` to ``1/batch_size``, sums
each parameter's gradients across its devices (when it lives on several), then pushes
one fused update op per parameter and device.  Nothing blocks: the updates run after
the backward ops that produce the gradients, and the next forward pass waits for them
through the engine's read/write ordering.

Multi-device: with parameters on ``[cpu(0), cpu(1)]`` each device keeps a copy; the
gradients are summed with ``ndengine.kvstore`` (``kvstore='device'``) when that module
is available, otherwise by copies and adds pushed directly (same result); every copy is
then updated with the summed gradient by its own updater, so the copies stay equal.

Several processes (``mpiexec -n 2 python train.py``, ``kvstore='dist_sync'``, see
docs/distributed.md): the parameters are broadcast from rank 0 when the Trainer is
made (deferred ones at the first step: seed every rank alike, or run a forward pass
before making the Trainer, so the first gradients come from the same weights), and
each step pushes the gradients' allreduces last layer first, in fused messages, as
engine ops on the communication worker: each starts as soon as backward has produced
its gradients, so communication overlaps the rest of backward.  The gradients are
summed over the ranks (as MXNet's servers sum them), so ``step(batch_size)`` with the
*global* batch size gives the mean over every rank's samples.

``update_on_kvstore``: True makes the kvstore run the optimizer on its copy of each
weight (pushed gradients, pulled weights, as MXNet); None chooses True for the dist
types that can (not ``'horovod'``) and False otherwise (single machine: updates on each
device, the same results with fewer copies).  ``ignore_stale_grad`` is accepted but
stale gradients are not detected (ndengine's autograd keeps no per-array "fresh
gradient" flag).
"""
from __future__ import annotations

import importlib
from typing import Any

from .. import optimizer as opt
from ..base import write_bytes
from .parameter import Parameter, ParameterDict

__all__ = ["Trainer"]


def _kvstore_module() -> Any:
    try:
        return importlib.import_module("ndengine.kvstore")
    except ImportError:
        return None


class _DirectReduce:
    """Sums gradients across devices with pushed copies and adds; the same calls as a
    KVStore's init/pushpull, used when ndengine.kvstore is not available."""

    type = "device"

    def init(self, key: Any, value: Any) -> None:
        return None

    def pushpull(self, key: Any, value: list, out: list | None = None, priority: int = 0) -> None:
        out = value if out is None else out
        total = value[0]
        for v in value[1:]:
            total = total + v.copyto(total.device)
        for o in out:
            total.copyto(o)


def _sum_sparse(grads: list) -> None:
    """Give every device's row-sparse gradient the sum of them all (the union of their
    rows), as MXNet's local kvstore push and pull of row-sparse gradients does."""
    if len(grads) < 2:
        return
    dev = grads[0].context
    total = grads[0]
    for g in grads[1:]:
        total = total + g.copyto(dev)
    for g in grads:
        t = total if g.context is dev else total.copyto(g.context)
        g._set_rows(t._parts[1], t._parts[0])


class Trainer:
    """Applies an optimizer to Parameters (``mxnet.gluon.Trainer``).

    *params*: a ParameterDict (``net.collect_params()``), a dict or a list of
    Parameters.  *optimizer*: a name ('sgd', 'adam', 'adagrad', 'rmsprop') with
    *optimizer_params* (``{'learning_rate': 0.1, 'momentum': 0.9, 'wd': 1e-4}``), or an
    Optimizer instance."""

    def __init__(self, params: Any, optimizer: Any, optimizer_params: dict | None = None,
                 kvstore: Any = "device", compression_params: Any = None,
                 update_on_kvstore: bool | None = None) -> None:
        if isinstance(params, (dict, ParameterDict)):
            # by name, as MXNet: the indices of the kvstore keys and of the optimizer's
            # states (a states file written by MXNet relies on them)
            params = [params[k] for k in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise ValueError(f"First argument must be a list or dict of Parameters, got "
                             f"{type(params).__name__}.")
        self._params: list[Parameter] = []
        self._param2idx: dict[str, int] = {}
        seen: set[int] = set()
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise ValueError(f"First argument must be a list or dict of Parameters, got "
                                 f"list of {type(param).__name__}.")
            if id(param) in seen:
                raise ValueError(f"Parameter {param.name!r} is listed twice")
            seen.add(id(param))
            self._param2idx[param.name] = i
            self._params.append(param)
            param._set_trainer(self)
        if compression_params:
            # checked now (MXNet checks them when the store is made, at the first step)
            importlib.import_module("ndengine.kvstore.compression").parse(
                compression_params, "Trainer: compression_params")
        self._compression_params = compression_params
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        self._kvstore: Any = None
        self._kv_initialized = False
        self._params_to_init: list[Parameter] = list(self._params)
        self._update_on_kvstore = False
        self._distributed = False
        self._messages: dict | None = None     # key -> message of the last dist pushpull
        if (isinstance(kvstore, str) and (kvstore.startswith("dist") or kvstore == "horovod")) \
                or getattr(kvstore, "num_workers", 1) > 1:
            # across processes: give every rank rank 0's weights now, before the first
            # forward pass (parameters still deferred are broadcast at the first step)
            self._prepare()

    def _check_contexts(self) -> list:
        contexts = None
        for param in self._params:
            ctx = list(param.list_ctx())
            if contexts is not None and contexts != ctx:
                raise ValueError(f"All Parameters must be initialized on the same set of "
                                 f"contexts, but Parameter {param.name!r} is initialized on "
                                 f"{ctx} while previous Parameters are initialized on "
                                 f"{contexts}.")
            contexts = ctx
        return contexts or []

    def _init_optimizer(self, optimizer: Any, optimizer_params: dict) -> None:
        param_dict = {i: param for i, param in enumerate(self._params)}
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise ValueError("optimizer_params must be None if optimizer is an instance "
                                 "of Optimizer instead of str")
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]

    # -- kvstore ---------------------------------------------------------------------
    def _init_kvstore(self) -> None:
        kv = self._kvstore_params["kvstore"]
        update_on_kvstore = self._kvstore_params["update_on_kvstore"]
        store = None
        if kv:
            if isinstance(kv, str):
                dist = kv.startswith("dist") or kv == "horovod"
                if dist or len(self._contexts) > 1:
                    mod = _kvstore_module()
                    store = mod.create(kv) if mod is not None else _DirectReduce()
            else:
                store = kv
        self._distributed = store is not None and (
            store.type.startswith("dist") or store.type == "horovod")
        sparse = [p.name for p in self._params if p._grad_stype != "default"]
        if sparse and store is not None and (self._distributed or update_on_kvstore):
            raise ValueError(f"Trainer: parameters with row_sparse gradients ({sparse[:3]}) "
                             f"are supported with a local kvstore and update_on_kvstore "
                             f"False/None only (the gradients are summed across devices "
                             f"and each device updates), not with "
                             f"{'kvstore ' + repr(store.type) if self._distributed else 'update_on_kvstore=True'}")
        uok = False
        if store is not None and self._compression_params:
            # as MXNet: only with a store (one device and no dist type: none, and no
            # compression); the store refuses types that do not compress ('local')
            store.set_gradient_compression(self._compression_params)
        if store is not None:
            capable = hasattr(store, "is_capable") and store.is_capable("optimizer")
            if update_on_kvstore is None:
                uok = self._distributed and capable
            elif update_on_kvstore:
                if not capable:
                    raise ValueError(f"Please set update_on_kvstore=False when training "
                                     f"with the {store.type!r} kvstore (it only reduces)")
                uok = True
            if uok:
                store.set_optimizer(self._optimizer)
        self._kvstore = store
        self._update_on_kvstore = uok
        self._kv_initialized = True

    def _init_params(self) -> None:
        """Register initialized parameters with the kvstore (deferred ones wait).  When
        the store holds weights (distributed, or update_on_kvstore) every copy of each
        parameter takes the store's value (rank 0's, across processes)."""
        pending, ready = [], []
        for param in self._params_to_init:
            if param._data is None:
                pending.append(param)
            elif self._kvstore is not None:
                ready.append(param)
        self._params_to_init = pending
        if not ready:
            return
        store = self._kvstore
        if self._distributed or self._update_on_kvstore:
            keys = [self._param2idx[p.name] for p in ready]
            store.broadcast(keys, [p._arrays()[0] for p in ready],
                            out=[p._arrays() for p in ready])
        else:
            for param in ready:
                if param.grad_req != "null" and param._grad_stype == "default":
                    store.init(self._param2idx[param.name], param._grads()[0])

    def _prepare(self) -> None:
        if not self._kv_initialized:
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()

    # -- learning rate -----------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        return self._optimizer.learning_rate

    @property
    def optimizer(self) -> opt.Optimizer:
        return self._optimizer

    def set_learning_rate(self, lr: float) -> None:
        """Set the optimizer's learning rate."""
        self._optimizer.set_learning_rate(lr)

    # -- steps -------------------------------------------------------------------------
    def step(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """One update of every parameter: gradients are scaled by 1/batch_size, summed
        across devices, and the optimizer's update ops are pushed (returns at once)."""
        self._check_batch_size(batch_size)
        self._optimizer.rescale_grad = self._scale / batch_size
        self._prepare()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self) -> None:
        """Sum each parameter's gradients across its devices (and processes) for a
        manual ``allreduce_grads(); ...; update(batch_size)``."""
        self._prepare()
        self._no_update_on_kvstore("allreduce_grads")
        self._allreduce_grads()

    def update(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """The update half of ``step`` (after ``allreduce_grads``)."""
        self._check_batch_size(batch_size)
        self._prepare()
        self._no_update_on_kvstore("update")
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    @staticmethod
    def _check_batch_size(batch_size: Any) -> None:
        if not isinstance(batch_size, (int, float)) or batch_size <= 0:
            raise ValueError(f"Trainer.step: batch_size must be a positive number, got "
                             f"{batch_size!r}")

    def _no_update_on_kvstore(self, fname: str) -> None:
        if self._kvstore is not None and self._update_on_kvstore:
            raise AssertionError(f"{fname}() when parameters are updated on kvstore is not "
                                 f"supported. Try setting `update_on_kvstore` to False when "
                                 f"creating trainer.")

    def _allreduce_grads(self) -> None:
        store = self._kvstore
        if store is None:
            return
        uok = self._update_on_kvstore
        ready = [(i, p) for i, p in enumerate(self._params)
                 if p.grad_req != "null" and p._data is not None]
        if self._distributed:
            # one call, last layer first: the store fuses small keys and pushes each
            # message's allreduce, which starts when backward has produced its gradients
            ready.reverse()
            keys = [i for i, _ in ready]
            grads = [p._grads() for _, p in ready]
            outs = [p._arrays() for _, p in ready] if uok else grads
            if keys:
                store.pushpull(keys, grads, out=outs)
                # the keys of each message: their updates become one op per message
                msgs = getattr(store, "last_messages", None)
                self._messages = None if msgs is None else {
                    k: m for m, group in enumerate(msgs) for k in group}
            return
        for i, param in ready:
            grads = param._grads()
            if param._grad_stype != "default":
                _sum_sparse(grads)
                continue
            store.pushpull(i, grads, out=param._arrays() if uok else grads, priority=-i)

    def _update(self, ignore_stale_grad: bool = False) -> None:
        if self._kvstore is not None and self._update_on_kvstore:
            for param in self._params:     # the store updated and pulled the weights
                if param.grad_req != "null" and param._data is None:
                    raise RuntimeError(f"Trainer.step: Parameter {param.name!r} has not "
                                       f"been initialized")
            return
        updates: list[list] = [[] for _ in self._updaters]
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            if param._data is None:
                raise RuntimeError(f"Trainer.step: Parameter {param.name!r} has not been "
                                   f"initialized (run a forward pass first when its "
                                   f"initialization is deferred)")
            for upd, arr in zip(updates, param._data):
                upd.append((i, arr.grad, arr))
        # one op for all the updates locally; across processes one per message (the
        # store's last pushpull), which starts when that message's sums are there
        msgs = self._messages if self._distributed else None
        for updater, upd in zip(self._updaters, updates):
            if not upd:
                continue
            if not self._distributed:
                groups = [upd]
            elif msgs is None:
                groups = [[u] for u in upd]
            else:
                by_msg: dict = {}
                for u in upd:
                    by_msg.setdefault(msgs.get(u[0], -1), []).append(u)
                groups = [by_msg[m] for m in sorted(by_msg)]
            for group in groups:
                idx, grads, weights = zip(*group)
                updater(list(idx), list(grads), list(weights))

    # -- states ------------------------------------------------------------------------
    def save_states(self, fname: str) -> None:
        """Save the optimizer and its states (momentum...) to *fname* (a sync point)."""
        self._prepare()
        if self._kvstore is not None and self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname, dump_optimizer=True)
            return
        write_bytes(fname, self._updaters[0].get_states(dump_optimizer=True),
                    "Trainer.save_states")

    @staticmethod
    def _read_states(fname: str, opname: str) -> bytes:
        try:
            with open(fname, "rb") as f:
                return f.read()
        except OSError as e:
            raise type(e)(e.errno, f"{opname}: cannot read {fname!r}: {e.strerror}") from None

    def load_states(self, fname: str, allow_pickle: bool = False) -> None:
        """Load states saved by :meth:`save_states` onto every device.  A file written
        by MXNet (a pickle) is refused unless *allow_pickle* (an ndengine extension:
        unpickling can run code; even then only MXNet's optimizer classes and arrays are
        accepted).  A bad file raises before any state changes."""
        self._prepare()
        if self._kvstore is not None and self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname, allow_pickle=allow_pickle)
            self._optimizer = self._kvstore._updater.optimizer
            self._optimizer.param_dict = {i: p for i, p in enumerate(self._params)}
            return
        states = self._read_states(fname, "Trainer.load_states")
        from ..optimizer.states import loads

        loads(states, f"Trainer.load_states: {fname!r}", allow_pickle)   # checked first
        for updater in self._updaters:
            updater.set_states(states, allow_pickle, f"Trainer.load_states: {fname!r}")
            updater.optimizer = self._updaters[0].optimizer
        self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = {i: p for i, p in enumerate(self._params)}
