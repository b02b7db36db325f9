"""``mx.mod.BucketingModule``: one symbol per bucket key (a sequence length), made by
``sym_gen(key)`` on first use, every bucket's Module sharing the default bucket's
parameter arrays and optimizer (MXNet 1.9.1's API).  Batches carry their
``bucket_key`` (``mx.rnn.BucketSentenceIter``); ``forward`` switches to that bucket,
binding its module for the batch's shapes the first time."""
from __future__ import annotations

import logging
import warnings
from typing import Any

from .base_module import BaseModule
from .module import Module

__all__ = ["BucketingModule", "share_params"]


def share_params(module: Module, shared: Module) -> None:
    """Make *module*'s executors use *shared*'s parameter and auxiliary arrays (same
    names, same shapes), its parameter dicts and, once it has one, its optimizer."""
    mine = module._exec_group.execs
    theirs = shared._exec_group.execs
    if len(mine) != len(theirs):
        raise ValueError(f"Module.bind: shared_module runs on {len(theirs)} contexts, this "
                         f"module on {len(mine)}")
    params = set(module._param_names)
    for e, s in zip(mine, theirs):
        for arrays, names, source in ((e.arg_arrays, e._arg_names, s.arg_dict),
                                      (e.aux_arrays, e._aux_names, s.aux_dict)):
            for i, n in enumerate(names):
                if n not in source or (arrays is e.arg_arrays and n not in params):
                    continue
                if tuple(source[n].shape) != tuple(arrays[i].shape):
                    raise ValueError(f"Module.bind: parameter {n!r} has shape "
                                     f"{tuple(arrays[i].shape)} here and "
                                     f"{tuple(source[n].shape)} in shared_module")
                arrays[i] = source[n]
    module._arg_params = shared._arg_params
    module._aux_params = shared._aux_params
    module._params_dirty = shared._params_dirty
    module.params_initialized = True
    if shared.optimizer_initialized:
        module.borrow_optimizer(shared)


class BucketingModule(BaseModule):
    """Modules of one network over several input lengths (see the module notes).

    *sym_gen(bucket_key)* returns ``(symbol, data_names, label_names)``;
    *default_bucket_key* is the bucket bound first (the largest one, usually), whose
    parameters every other bucket shares."""

    def __init__(self, sym_gen: Any, default_bucket_key: Any = None, logger: Any = logging,
                 context: Any = None, work_load_list: Any = None,
                 fixed_param_names: Any = None, state_names: Any = None,
                 group2ctxs: Any = None, compression_params: Any = None) -> None:
        super().__init__(logger=logger)
        if default_bucket_key is None:
            raise ValueError("BucketingModule: default_bucket_key is required")
        if group2ctxs is not None:
            raise ValueError("BucketingModule: group2ctxs (model parallelism) is not "
                             "supported by ndengine")
        self._default_bucket_key = default_bucket_key
        self._sym_gen = sym_gen
        symbol, data_names, label_names = self._call_sym_gen(default_bucket_key)
        self._check_names(symbol, data_names, label_names)
        self._context = context
        self._work_load_list = work_load_list
        self._fixed_param_names = list(fixed_param_names or [])
        self._state_names = list(state_names or [])
        self._compression_params = compression_params
        self._buckets: dict = {}
        self._curr_module: Module | None = None
        self._curr_bucket_key: Any = None
        self._params_dirty = False
        self._grad_req: Any = None
        self._monitor: Any = None

    def _call_sym_gen(self, key: Any) -> tuple:
        res = self._sym_gen(key)
        if not (isinstance(res, tuple) and len(res) == 3):
            raise TypeError(f"BucketingModule: sym_gen({key!r}) must return (symbol, "
                            f"data_names, label_names), got {type(res).__name__}")
        symbol, data_names, label_names = res
        return symbol, list(data_names or []), list(label_names or [])

    @staticmethod
    def _check_names(symbol: Any, data_names: list, label_names: list) -> None:
        from .base_module import _check_input_names

        _check_input_names(symbol, data_names, "data", True)
        _check_input_names(symbol, label_names, "label", False)

    def _reset_bind(self) -> None:
        self.binded = False
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None

    def _module(self, key: Any) -> Module:
        symbol, data_names, label_names = self._call_sym_gen(key)
        return Module(symbol, data_names=data_names, label_names=label_names,
                      logger=self.logger, context=self._context,
                      work_load_list=self._work_load_list,
                      fixed_param_names=self._fixed_param_names,
                      state_names=self._state_names,
                      compression_params=self._compression_params)

    def _current(self, where: str) -> Module:
        if self._curr_module is None:
            raise RuntimeError(f"BucketingModule.{where}: call bind() first")
        return self._curr_module

    # -- what the current bucket has ----------------------------------------------------
    @property
    def data_names(self) -> list:
        if self.binded:
            return self._curr_module.data_names
        return self._call_sym_gen(self._default_bucket_key)[1]

    @property
    def output_names(self) -> list:
        if self.binded:
            return self._curr_module.output_names
        return self._call_sym_gen(self._default_bucket_key)[0].list_outputs()

    @property
    def data_shapes(self) -> list:
        return self._current("data_shapes").data_shapes

    @property
    def label_shapes(self) -> Any:
        return self._current("label_shapes").label_shapes

    @property
    def output_shapes(self) -> list:
        return self._current("output_shapes").output_shapes

    @property
    def symbol(self) -> Any:
        return self._current("symbol").symbol

    @property
    def default_bucket_key(self) -> Any:
        return self._default_bucket_key

    # -- parameters -----------------------------------------------------------------------
    def get_params(self) -> tuple[dict, dict]:
        mod = self._current("get_params")
        if not self.params_initialized:
            raise RuntimeError("BucketingModule.get_params: the parameters are not "
                               "initialized")
        mod._params_dirty = mod._params_dirty or self._params_dirty
        params = mod.get_params()
        self._params_dirty = False
        return params

    def set_params(self, arg_params: dict, aux_params: dict, allow_missing: bool = False,
                   force_init: bool = True, allow_extra: bool = False) -> None:
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init,
                             allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. "
                          "set_params call ignored.", stacklevel=2)
            return
        self._current("set_params").set_params(arg_params, aux_params,
                                                allow_missing=allow_missing,
                                                force_init=force_init,
                                                allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def init_params(self, initializer: Any = None, arg_params: dict | None = None,
                    aux_params: dict | None = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        if self.params_initialized and not force_init:
            return
        self._current("init_params").init_params(
            initializer=initializer, arg_params=arg_params, aux_params=aux_params,
            allow_missing=allow_missing, force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = False
        self.params_initialized = True

    def get_states(self, merge_multi_context: bool = True) -> list:
        return self._current("get_states").get_states(merge_multi_context)

    def set_states(self, states: Any = None, value: Any = None) -> None:
        self._current("set_states").set_states(states, value)

    # -- binding ------------------------------------------------------------------------
    def bind(self, data_shapes: Any, label_shapes: Any = None, for_training: bool = True,
             inputs_need_grad: bool = False, force_rebind: bool = False,
             shared_module: Any = None, grad_req: Any = "write") -> None:
        """Bind the default bucket's module for *data_shapes* (the other buckets are
        bound when a batch of theirs arrives)."""
        params = self.get_params() if self.params_initialized else None
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if shared_module is not None:
            raise ValueError("BucketingModule.bind: shared_module for BucketingModule is "
                             "not supported")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        module = self._module(self._default_bucket_key)
        module.bind(data_shapes, label_shapes, for_training, inputs_need_grad,
                    force_rebind=False, shared_module=None, grad_req=grad_req)
        if self._monitor is not None:
            module.install_monitor(self._monitor)
        self._curr_module = module
        self._curr_bucket_key = self._default_bucket_key
        self._buckets[self._default_bucket_key] = module
        self.binded = True
        if params is not None:
            self.set_params(*params)

    def switch_bucket(self, bucket_key: Any, data_shapes: Any, label_shapes: Any = None) -> None:
        """Make *bucket_key*'s module current, binding it (sharing the default bucket's
        parameters) for *data_shapes* the first time."""
        if not self.binded:
            raise RuntimeError("BucketingModule.switch_bucket: call bind() first")
        if bucket_key not in self._buckets:
            module = self._module(bucket_key)
            module.bind(data_shapes, label_shapes, self._curr_module.for_training,
                        self._curr_module.inputs_need_grad, force_rebind=False,
                        shared_module=self._buckets[self._default_bucket_key],
                        grad_req=self._grad_req)
            if self._monitor is not None:
                module.install_monitor(self._monitor)
            self._buckets[bucket_key] = module
        self._curr_module = self._buckets[bucket_key]
        self._curr_bucket_key = bucket_key

    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        self._ready("init_optimizer")
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring.")
            return
        cur = self._curr_module
        cur.init_optimizer(kvstore, optimizer, optimizer_params, force_init=force_init)
        for mod in self._buckets.values():
            if mod is not cur:
                mod.borrow_optimizer(cur)
        self.optimizer_initialized = True

    # -- running ------------------------------------------------------------------------
    def prepare(self, data_batch: Any, sparse_row_id_fn: Any = None) -> None:
        """Bind the batch's bucket ahead of its forward (the current bucket stays)."""
        self._ready("prepare")
        key = getattr(data_batch, "bucket_key", None)
        if key is None:
            key = self._default_bucket_key
        original = self._curr_bucket_key
        self.switch_bucket(key, data_batch.provide_data, data_batch.provide_label)
        self._curr_module.prepare(data_batch, sparse_row_id_fn=sparse_row_id_fn)
        self.switch_bucket(original, None, None)

    def forward(self, data_batch: Any, is_train: bool | None = None) -> None:
        self._ready("forward")
        key = getattr(data_batch, "bucket_key", None)
        if key is None:
            key = self._default_bucket_key
        self.switch_bucket(key, getattr(data_batch, "provide_data", None),
                           getattr(data_batch, "provide_label", None))
        self._curr_module.forward(data_batch, is_train=is_train)

    def backward(self, out_grads: Any = None) -> None:
        self._ready("backward")
        self._curr_module.backward(out_grads=out_grads)

    def update(self) -> None:
        self._ready("update")
        if not self.optimizer_initialized:
            raise RuntimeError("BucketingModule.update: call init_optimizer() first")
        self._params_dirty = True
        self._curr_module.update()

    def get_outputs(self, merge_multi_context: bool = True) -> list:
        self._ready("get_outputs")
        return self._curr_module.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context: bool = True) -> list:
        self._ready("get_input_grads")
        return self._curr_module.get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        self._ready("update_metric")
        self._curr_module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon: Any) -> None:
        """Install *mon* (an ``mx.monitor.Monitor``) on every bucket's module, and on the
        ones bound later."""
        self._monitor = mon
        for mod in self._buckets.values():
            mod.install_monitor(mon)

    def save_checkpoint(self, prefix: str, epoch: int, remove_amp_cast: bool = False) -> None:
        """The default bucket's symbol and the parameters (``prefix-symbol.json``,
        ``prefix-%04d.params``)."""
        from ..model import save_checkpoint

        arg, aux = self.get_params()
        save_checkpoint(prefix, epoch, self._buckets[self._default_bucket_key].symbol,
                        arg, aux)
