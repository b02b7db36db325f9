"""The Optimizer base class, its registry and the Updater (``mxnet.optimizer``).

An optimizer turns ``(index, weight, grad, state)`` into an update of *weight*.  The
updates themselves are fused engine ops (:mod:`ndengine.ndarray.optim_ops`): each reads
the gradient's var and writes the weight's and the states' vars, so ``update`` only
pushes work and returns.  Learning rates, weight decays and update counts are plain
Python numbers kept here, as in MXNet.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as _onp

from .. import engine as _engine

__all__ = ["Optimizer", "Updater", "get_updater", "create", "register"]


class Optimizer:
    """Base class of optimizers (``mxnet.optimizer.Optimizer``).

    ``rescale_grad`` multiplies gradients (the Trainer sets it to 1/batch_size);
    ``clip_gradient`` clips the rescaled gradient to [-c, c]; ``wd`` is the L2 weight
    decay; the learning rate is ``learning_rate`` (default 0.01) unless an
    ``lr_scheduler`` (a callable of the update count) gives it.  Per-parameter
    ``lr_mult``/``wd_mult`` come from ``param_dict`` (Gluon Parameters) or
    ``set_lr_mult``/``set_wd_mult``.
    """

    opt_registry: dict[str, type] = {}

    # What a row-sparse gradient (``mx.nd.sparse.RowSparseNDArray``, an
    # ``Embedding(sparse_grad=True)``'s) gets, as in MXNet 1.9.1: "lazy" (the optimizer
    # sees it and updates only the stored rows, where its lazy_update says so), or
    # None: the dense gradient (MXNet's storage fallback).
    _row_sparse: str | None = None

    def __init__(self, rescale_grad: float = 1.0, param_idx2name: dict | None = None,
                 wd: float = 0.0, clip_gradient: float | None = None,
                 learning_rate: float | None = None, lr_scheduler: Any = None, sym: Any = None,
                 begin_num_update: int = 0, multi_precision: bool = False,
                 param_dict: dict | None = None) -> None:
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None:
            if getattr(lr_scheduler, "base_lr", learning_rate) != learning_rate:
                warnings.warn("learning rate from ``lr_scheduler`` has been overwritten by "
                              "``learning_rate`` in optimizer.")
            if hasattr(lr_scheduler, "base_lr"):
                lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts: dict[int, dict] = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise TypeError("param_idx2name should be a dict of param indexes to names")
        self.idx2name = dict(param_idx2name)
        self.param_dict = param_dict if param_dict else {}
        self.lr_mult: dict = {}
        self.wd_mult: dict = {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # -- registry ----------------------------------------------------------------
    @staticmethod
    def register(klass: type) -> type:
        """Register an optimizer class under its lower-case name."""
        if not isinstance(klass, type):
            raise TypeError(f"register: expected a class, got {klass!r}")
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry and Optimizer.opt_registry[name] is not klass:
            warnings.warn(f"New optimizer {klass.__module__}.{klass.__name__} is overriding "
                          f"existing optimizer {name}")
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name: str, **kwargs: Any) -> "Optimizer":
        """An optimizer from its registered name (case-insensitive)."""
        klass = Optimizer.opt_registry.get(str(name).lower())
        if klass is None:
            raise ValueError(f"Cannot find optimizer {name!r}; registered: "
                             f"{sorted(Optimizer.opt_registry)}")
        return klass(**kwargs)

    # -- learning rate -----------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr: float) -> None:
        """Set the learning rate (not allowed when an lr_scheduler drives it)."""
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been defined. Note "
                              "that set_learning_rate can mutate the value of the learning "
                              "rate of the optimizer only when the LRScheduler of the "
                              "optimizer is undefined.")
        self.lr = lr

    def set_lr_mult(self, args_lr_mult: dict) -> None:
        self.lr_mult = dict(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        """As MXNet: with names known, parameters not ending in _weight/_gamma get wd 0."""
        self.wd_mult = {}
        for n in self.idx2name.values():
            if not (n.endswith("_weight") or n.endswith("_gamma")):
                self.wd_mult[n] = 0.0
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id: int) -> None:
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index: Any) -> None:
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            if idx not in self._index_update_count:
                self._index_update_count[idx] = self.begin_num_update
            self._index_update_count[idx] += 1
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _get_lrs(self, indices: list) -> list[float]:
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        return self._scale_lrs(lr, indices)

    def _scale_lrs(self, lr: float, indices: list) -> list[float]:
        """*lr* times each index's lr_mult (Parameter's, then by index, then by name)."""
        lrs = [lr for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                lrs[i] *= self.param_dict[index].lr_mult
            elif index in self.lr_mult:
                lrs[i] *= self.lr_mult[index]
            elif index in self.idx2name:
                lrs[i] *= self.lr_mult.get(self.idx2name[index], 1.0)
        return lrs

    def _get_lr(self, index: Any) -> float:
        return self._get_lrs([index])[0]

    def _get_wds(self, indices: list) -> list[float]:
        wds = [self.wd for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                wds[i] *= self.param_dict[index].wd_mult
            elif index in self.wd_mult:
                wds[i] *= self.wd_mult[index]
            elif index in self.idx2name:
                wds[i] *= self.wd_mult.get(self.idx2name[index], 1.0)
        return wds

    def _get_wd(self, index: Any) -> float:
        return self._get_wds([index])[0]

    @property
    def _clip(self) -> float:
        """clip_gradient as MXNet's fused kernels get it (-1: no clipping): MXNet passes
        it only when truthy, so 0 (like None) turns clipping off."""
        c = self.clip_gradient
        return -1.0 if c is None or c <= 0 else float(c)

    @property
    def _clip_nn(self) -> float:
        """clip_gradient as MXNet's Python-written updates use it (AdaGrad, AdaDelta,
        Adamax, Nadam, SGLD, DCASGD: ``if clip_gradient is not None``): 0 clips to 0."""
        c = self.clip_gradient
        return -1.0 if c is None else float(c)

    @staticmethod
    def _as_lists(index: Any, weight: Any, grad: Any, state: Any) -> tuple:
        if isinstance(index, (list, tuple)):
            return list(index), list(weight), list(grad), list(state)
        return [index], [weight], [grad], [state]

    # -- states and updates ------------------------------------------------------
    def create_state(self, index: Any, weight: Any) -> Any:
        """Auxiliary state for *weight* (None when the optimizer keeps none)."""
        return None

    def create_state_multi_precision(self, index: Any, weight: Any) -> Any:
        """As create_state; with multi_precision and float16 weights, a float32 master
        copy is kept as well: ``(master, state)``."""
        if self.multi_precision and weight.dtype == _onp.float16:
            master = weight.astype(_onp.float32)
            return (master,) + (self.create_state(index, master),)
        if weight.dtype == _onp.float16:
            warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy "
                          "or slow convergence. Consider using multi_precision=True")
        return self.create_state(index, weight)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        """Push the update of *weight* by *grad* (asynchronous)."""
        raise NotImplementedError(f"{type(self).__name__}.update")

    def update_multi_precision(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        """As update; with multi_precision and float16 weights the update runs on the
        float32 master copy (``state[0]``) and the weight gets its cast."""
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update_multi_precision(i, w, g, s)
            return
        if self.multi_precision and weight.dtype == _onp.float16:
            master, inner = state
            self.update(index, master, grad.astype(_onp.float32), inner)
            _cast_into(weight, master)
        else:
            self.update(index, weight, grad, state)

    def _zeros_like(self, weight: Any, dtype: Any = None) -> Any:
        from .. import numpy as np

        return np.zeros(weight.shape, dtype=weight.dtype if dtype is None else dtype,
                        device=weight.device)

    def _master_state(self, index: Any, weight: Any, who: str) -> Any:
        """MXNet's SGD-family layout for multi-precision: ``(state, float32 master)``."""
        if self.multi_precision and weight.dtype == _onp.float16:
            master = weight.astype(_onp.float32)
            return (self.create_state(index, master), master)
        if weight.dtype == _onp.float16:
            warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy "
                          f"or slow convergence. Consider using multi_precision=True option "
                          f"of the {who} optimizer")
        return self.create_state(index, weight)

    def _uses_master(self, weight: Any, state: Any) -> bool:
        return bool(self.multi_precision and weight.dtype == _onp.float16
                    and isinstance(state, (tuple, list)))

    def __getstate__(self) -> dict:
        ret = self.__dict__.copy()
        ret["param_dict"] = {}      # Parameters are set again by the Trainer
        return ret

    def __setstate__(self, state: dict) -> None:
        self.__dict__ = state
        self.param_dict = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate}, wd={self.wd})"


def is_row_sparse(grad: Any) -> bool:
    """Whether *grad* is a row-sparse gradient (``mx.nd.sparse.RowSparseNDArray``)."""
    return getattr(grad, "_STYPE", None) == "row_sparse"


def _sparse_grad_for(opt: Optimizer, grad: Any, weight: Any) -> Any:
    """The gradient *opt* gets for a row-sparse *grad*: itself (a lazy update) or its
    dense value (as MXNet 1.9.1 for that optimizer)."""
    if not is_row_sparse(grad):
        return grad
    mode = opt._row_sparse
    if mode == "lazy":
        return grad
    return grad._arr


def sparse_rows(grad: Any, lazy: bool) -> Any:
    """``(data, indices)`` of a row-sparse *grad* when the update is *lazy*, else None
    (the caller then uses :func:`dense_grad`)."""
    if lazy and is_row_sparse(grad):
        return grad._parts[0], grad._parts[1]
    return None


def dense_grad(grad: Any) -> Any:
    """*grad* as a dense np array (a row-sparse one's dense value)."""
    return grad._arr if is_row_sparse(grad) else grad


def _cast_into(weight: Any, master: Any) -> None:
    """weight[...] = master cast to weight's dtype (an engine write of weight)."""
    weight[...] = master.astype(weight.dtype)


def register(klass: type) -> type:
    """Register an optimizer class (``mx.optimizer.register``)."""
    return Optimizer.register(klass)


def create(name: Any, **kwargs: Any) -> Optimizer:
    """An optimizer from a name (``'sgd'``) or an instance (``mx.optimizer.create``)."""
    if isinstance(name, Optimizer):
        if kwargs:
            raise ValueError("create: an Optimizer instance takes no extra arguments")
        return name
    return Optimizer.create_optimizer(name, **kwargs)


_FUSED_UPDATES = 1 << 20      # bulk size of one Updater call: all its updates


class Updater:
    """Keeps one optimizer's states per parameter index and applies updates
    (``mxnet.optimizer.Updater``): ``updater(index, grad, weight)``, each a single item
    or lists.  As in MXNet, an optimizer with ``aggregate_num > 0`` (SGD, LARS, LAMB)
    gets the weights of one dtype in lists of up to ``aggregate_num`` per call; any
    other gets one call per weight."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.states: dict = {}
        self.states_synced: dict = {}
        self.aggregate_updates = optimizer.aggregate_num > 0
        # one engine op for all the updates of a call (False: one op per update, so
        # that each starts as soon as its gradient is there; the distributed Trainer
        # instead calls once per message of summed gradients)
        self.fuse = True

    def __call__(self, index: Any, grad: Any, weight: Any) -> None:
        if not isinstance(index, (list, tuple)):
            indices, grads, weights = [index], [grad], [weight]
        else:
            indices, grads, weights = list(index), list(grad), list(weight)
        if not (len(indices) == len(grads) == len(weights)):
            raise ValueError(f"Updater: {len(indices)} indices, {len(grads)} gradients and "
                             f"{len(weights)} weights; they must match")
        if weights:
            self.optimizer._set_current_context(weights[0].device.device_id)
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):
                indices[i] = idx = idx.decode()
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, weights[i])
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = self.sync_state_context(self.states[idx], weights[i].device)
                self.states_synced[idx] = True
        if len(weights) > 1 and self.fuse:
            # the updates of every weight of this call reach the engine as one op (a
            # multi-tensor update: one dispatch, one worker hand-off, instead of one
            # per weight or per aggregate_num group); each weight's kernel and its
            # values are the ones its own op would run (a sync point an optimizer
            # reaches on the way, such as LBSGD's norms, hands over what has gathered)
            with _engine.bulk(_FUSED_UPDATES):
                self._apply(indices, weights, grads)
        else:
            self._apply(indices, weights, grads)

    def _apply(self, indices: list, weights: list, grads: list) -> None:
        opt = self.optimizer
        if any(is_row_sparse(g) for g in grads):
            grads = [_sparse_grad_for(opt, g, w) for g, w in zip(grads, weights)]
        if self.aggregate_updates:
            by_dtype: dict = {}
            for i, w, g in zip(indices, weights, grads):
                by_dtype.setdefault(w.dtype, []).append((i, w, g))
            for group in by_dtype.values():
                n = opt.aggregate_num
                for k in range(0, len(group), n):
                    idx, ws, gs = (list(t) for t in zip(*group[k:k + n]))
                    opt.update_multi_precision(idx, ws, gs, [self.states[i] for i in idx])
        else:
            for i, w, g in zip(indices, weights, grads):
                opt.update_multi_precision(i, w, g, self.states[i])

    def sync_state_context(self, state: Any, device: Any) -> Any:
        if isinstance(state, (list, tuple)):
            return type(state)(self.sync_state_context(s, device) for s in state)
        if state is None or not hasattr(state, "as_in_ctx"):
            return state
        return state.as_in_ctx(device)

    def set_states(self, states: bytes, allow_pickle: bool = False,
                   where: str = "Updater.set_states") -> None:
        """Restore states written by :meth:`get_states` (optionally with the optimizer).
        A pickle (what MXNet writes) is refused unless *allow_pickle* (see
        :mod:`ndengine.optimizer.states`: even then, only MXNet's optimizer classes and
        arrays are unpickled)."""
        from .states import loads

        loaded = loads(bytes(states), where, allow_pickle=allow_pickle)
        if isinstance(loaded, tuple) and len(loaded) == 2:
            self.states, self.optimizer = loaded
        else:
            self.states = loaded
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer: bool = False) -> bytes:
        """The states (and with *dump_optimizer* the optimizer) in ndengine's states
        format, which holds arrays and a JSON header and cannot run code when read (MXNet
        pickles them).  A sync point: the values are read."""
        from .states import dumps

        return dumps(self.states, self.optimizer if dump_optimizer else None, "get_states")


def get_updater(optimizer: Optimizer) -> Updater:
    return Updater(optimizer)
