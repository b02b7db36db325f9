"""``Module``: a symbol with its parameters, bound to executors on one or more devices
(MXNet 1.9.1's ``mxnet.module.Module``).

The life of a module is MXNet's: ``Module(symbol, data_names, label_names, context)``,
``bind(data_shapes, label_shapes, for_training)``, ``init_params(initializer)`` or
``set_params(arg_params, aux_params)``, ``init_optimizer(optimizer, optimizer_params)``,
then ``forward`` / ``backward`` / ``update`` per batch (or ``fit``), ``get_outputs``,
``score``, ``predict``, ``save_checkpoint`` / ``Module.load``.

Arguments of the symbol that are neither data, labels nor states are its parameters;
the module keeps a CPU copy of them (``get_params``) besides the executors' own, synced
when asked for, as MXNet does.  ``init_optimizer`` sets ``rescale_grad`` to
``1 / batch_size`` for an optimizer given by name.  With several contexts the batch is
split over them and their gradients summed before every update (see
:mod:`.executor_group`); ``kvstore`` may be ``'local'``, ``'device'``, None or a local
KVStore (the sum is made by the module either way); distributed kvstores are refused.
"""
from __future__ import annotations

import logging
import warnings
from typing import Any

from .base_module import BaseModule, _check_input_names, _parse_data_desc
from .executor_group import ExecutorGroup

__all__ = ["Module"]


class Module(BaseModule):
    """See the module notes."""

    def __init__(self, symbol: Any, data_names: Any = ("data",),
                 label_names: Any = ("softmax_label",), logger: Any = logging,
                 context: Any = None, work_load_list: Any = None,
                 fixed_param_names: Any = None, state_names: Any = None,
                 group2ctxs: Any = None, compression_params: Any = None) -> None:
        from ..context import Context, cpu
        from ..symbol import Symbol

        super().__init__(logger=logger)
        if not isinstance(symbol, Symbol):
            raise TypeError(f"Module: symbol must be an mx.sym.Symbol, got "
                            f"{type(symbol).__name__}")
        if group2ctxs is not None:
            raise ValueError("Module: group2ctxs (model parallelism) is not supported by "
                             "ndengine")
        if context is None:
            context = cpu()
        if isinstance(context, Context):
            context = [context]
        self._context = list(context)
        if not self._context:
            raise ValueError("Module: context is an empty list")
        if work_load_list is None:
            work_load_list = [1] * len(self._context)
        if len(work_load_list) != len(self._context):
            raise ValueError(f"Module: {len(work_load_list)} work loads for "
                             f"{len(self._context)} contexts")
        self._work_load_list = list(work_load_list)
        self._symbol = symbol
        data_names = list(data_names) if data_names is not None else []
        label_names = list(label_names) if label_names is not None else []
        state_names = list(state_names) if state_names is not None else []
        fixed_param_names = list(fixed_param_names) if fixed_param_names is not None else []
        _check_input_names(symbol, data_names, "data", True)
        _check_input_names(symbol, label_names, "label", False)
        _check_input_names(symbol, state_names, "state", True)
        _check_input_names(symbol, fixed_param_names, "fixed_param", True)
        inputs = data_names + label_names + state_names
        self._param_names = [a for a in symbol.list_arguments() if a not in inputs]
        self._fixed_param_names = fixed_param_names
        self._aux_names = symbol.list_auxiliary_states()
        self._data_names = data_names
        self._label_names = label_names
        self._state_names = state_names
        self._output_names = symbol.list_outputs()
        self._arg_params: dict | None = None
        self._aux_params: dict | None = None
        self._params_dirty = False
        self._optimizer: Any = None
        self._kvstore: Any = None
        self._update_on_kvstore = False
        self._updater: Any = None
        self._preload_opt_states: str | None = None
        self._compression_params = compression_params
        self._compression: Any = None
        self._grad_req: Any = None
        self._exec_group: ExecutorGroup | None = None
        self._data_shapes: list | None = None
        self._label_shapes: list | None = None

    # -- files ------------------------------------------------------------------------
    @staticmethod
    def load(prefix: str, epoch: int, load_optimizer_states: bool = False,
             **kwargs: Any) -> "Module":
        """A module of the checkpoint ``prefix-symbol.json`` / ``prefix-%04d.params``
        (keyword arguments go to ``Module``); bind it before use.  With
        *load_optimizer_states*, ``init_optimizer`` also loads ``prefix-%04d.states``."""
        from ..model import load_checkpoint

        sym, args, auxs = load_checkpoint(prefix, epoch)
        mod = Module(symbol=sym, **kwargs)
        mod._arg_params = args
        mod._aux_params = auxs
        mod.params_initialized = True
        if load_optimizer_states:
            mod._preload_opt_states = f"{prefix}-{int(epoch):04d}.states"
        return mod

    def save_checkpoint(self, prefix: str, epoch: int, save_optimizer_states: bool = False,
                        remove_amp_cast: bool = True) -> None:
        """Write ``prefix-symbol.json``, ``prefix-%04d.params`` (and with
        *save_optimizer_states* ``prefix-%04d.states``)."""
        self._symbol.save(f"{prefix}-symbol.json", remove_amp_cast=remove_amp_cast)
        param_name = f"{prefix}-{int(epoch):04d}.params"
        self.save_params(param_name)
        logging.info('Saved checkpoint to "%s"', param_name)
        if save_optimizer_states:
            state_name = f"{prefix}-{int(epoch):04d}.states"
            self.save_optimizer_states(state_name)
            logging.info('Saved optimizer state to "%s"', state_name)

    # -- description -------------------------------------------------------------------
    @property
    def data_names(self) -> list:
        return self._data_names

    @property
    def label_names(self) -> list:
        return self._label_names

    @property
    def output_names(self) -> list:
        return self._output_names

    def _bound(self, where: str) -> ExecutorGroup:
        if not self.binded or self._exec_group is None:
            raise RuntimeError(f"Module.{where}: call bind() first")
        return self._exec_group

    @property
    def data_shapes(self) -> list:
        self._bound("data_shapes")
        return self._data_shapes

    @property
    def label_shapes(self) -> list | None:
        self._bound("label_shapes")
        return self._label_shapes

    @property
    def output_shapes(self) -> list:
        return self._bound("output_shapes").get_output_shapes()

    # -- parameters ----------------------------------------------------------------------
    def get_params(self) -> tuple[dict, dict]:
        """``(arg_params, aux_params)``: the module's CPU copies, synced from the devices."""
        if not self.params_initialized:
            raise RuntimeError("Module.get_params: the parameters are not initialized")
        if self._params_dirty:
            self._sync_params_from_devices()
        return self._arg_params, self._aux_params

    def init_params(self, initializer: Any = None, arg_params: dict | None = None,
                    aux_params: dict | None = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        """Initialize the parameters: from *arg_params* / *aux_params* by name where
        given, else with *initializer* (default ``Uniform(0.01)``; by name, so biases
        start at 0, gammas at 1, moving variances at 1)."""
        from ..init import InitDesc, Uniform

        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. "
                          "init_params call ignored.", stacklevel=2)
            return
        group = self._bound("init_params")
        if initializer is None and arg_params is None and aux_params is None:
            initializer = Uniform(0.01)

        def fill(name: str, arr: Any, cache: dict | None) -> None:
            if cache is not None and name in cache:
                src = cache[name]
                if src is not arr:
                    if tuple(src.shape) != tuple(arr.shape):
                        raise ValueError(f"init_params: {name!r} has shape "
                                         f"{tuple(src.shape)}, the module expects "
                                         f"{tuple(arr.shape)}")
                    (src if src.dtype == arr.dtype else src.astype(arr.dtype)).copyto(arr)
                return
            if cache is not None and not allow_missing:
                raise RuntimeError(f"{name} is not presented")
            if initializer is not None:
                initializer(InitDesc(name, attrs.get(name)), arr)

        attrs = self._symbol.attr_dict()
        for name, arr in sorted(self._arg_params.items()):
            fill(name, arr, arg_params)
        for name, arr in sorted(self._aux_params.items()):
            fill(name, arr, aux_params)
        self.params_initialized = True
        self._params_dirty = False
        group.set_params(self._arg_params, self._aux_params, allow_extra=allow_extra)

    def set_params(self, arg_params: dict, aux_params: dict, allow_missing: bool = False,
                   force_init: bool = True, allow_extra: bool = False) -> None:
        """Set the parameters from name -> array dicts (every one must be there unless
        *allow_missing*; names the symbol lacks are an error unless *allow_extra*)."""
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=False, force_init=force_init,
                             allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. "
                          "set_params call ignored.", stacklevel=2)
            return
        self._bound("set_params").set_params(arg_params, aux_params or {},
                                             allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def _sync_params_from_devices(self) -> None:
        self._exec_group.get_params(self._arg_params, self._aux_params)
        self._params_dirty = False

    # -- binding --------------------------------------------------------------------------
    def bind(self, data_shapes: Any, label_shapes: Any = None, for_training: bool = True,
             inputs_need_grad: bool = False, force_rebind: bool = False,
             shared_module: Any = None, grad_req: Any = "write") -> None:
        """Make the executors for inputs of *data_shapes* / *label_shapes* (lists of
        ``(name, shape)`` or DataDesc, e.g. an iterator's ``provide_data``)."""
        from .. import legacy as nd

        if force_rebind:
            if self.binded and self._params_dirty:
                # keep what training did (MXNet rebinds from its stale CPU copy)
                self._sync_params_from_devices()
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if not for_training and inputs_need_grad:
            raise ValueError("Module.bind: inputs_need_grad needs for_training=True")
        if shared_module is not None and not (shared_module.binded and
                                              shared_module.params_initialized):
            raise ValueError("Module.bind: shared_module must be bound and have its "
                             "parameters initialized")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self._data_names, self._label_names, data_shapes, label_shapes)
        self._exec_group = ExecutorGroup(self._symbol, self._context, self._work_load_list,
                                         self._data_shapes, self._label_shapes,
                                         self._param_names, for_training, inputs_need_grad,
                                         self._fixed_param_names, grad_req,
                                         self._state_names)
        if shared_module is not None:
            # the parameters are shared_module's arrays (BucketingModule's buckets)
            from .bucketing_module import share_params

            share_params(self, shared_module)
        elif self.params_initialized:
            # re-binding (or Module.load): copy the parameters already there
            self._exec_group.set_params(self._arg_params, self._aux_params)
        else:
            exe = self._exec_group.execs[0]
            self._arg_params = {n: nd.zeros(exe.arg_dict[n].shape,
                                            dtype=exe.arg_dict[n].dtype)
                                for n in self._param_names}
            self._aux_params = {n: nd.zeros(exe.aux_dict[n].shape,
                                            dtype=exe.aux_dict[n].dtype)
                                for n in self._aux_names}
        self.binded = True

    def _reset_bind(self) -> None:
        self.binded = False
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    def reshape(self, data_shapes: Any, label_shapes: Any = None) -> None:
        """Bind for new input shapes (a new batch size), keeping the parameters."""
        group = self._bound("reshape")
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self._data_names, self._label_names, data_shapes, label_shapes)
        group.reshape(self._data_shapes, self._label_shapes)

    # -- optimizer ----------------------------------------------------------------------
    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        """Set up the optimizer (a name and its parameters, or an Optimizer)."""
        from .. import optimizer as opt

        self._ready("init_optimizer")
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring...")
            return
        if self._params_dirty:
            self._sync_params_from_devices()
        self._kvstore = self._check_kvstore(kvstore)
        self._compression = self._make_compression(kvstore)
        batch_size = self._exec_group.batch_size
        rescale_grad = 1.0 / batch_size
        idx2name = dict(enumerate(self._param_names))
        if isinstance(optimizer, str):
            optimizer_params = dict(optimizer_params)
            optimizer_params.setdefault("rescale_grad", rescale_grad)
            optimizer = opt.create(optimizer, sym=self._symbol, param_idx2name=idx2name,
                                   **optimizer_params)
            self._apply_symbol_mults(optimizer)
        elif isinstance(optimizer, opt.Optimizer):
            if optimizer.rescale_grad != rescale_grad:
                warnings.warn(f"Optimizer created manually outside Module but rescale_grad is "
                              f"not normalized to 1.0/batch_size/num_workers "
                              f"({optimizer.rescale_grad} vs. {rescale_grad}). Is this "
                              f"intended?", stacklevel=2)
            if not optimizer.idx2name:
                optimizer.idx2name = dict(idx2name)
                optimizer.set_wd_mult(optimizer.wd_mult)
        else:
            raise TypeError(f"init_optimizer: optimizer must be a name or an "
                            f"mx.optimizer.Optimizer, got {type(optimizer).__name__}")
        self._optimizer = optimizer
        self._updater = opt.get_updater(optimizer)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def _apply_symbol_mults(self, optimizer: Any) -> None:
        """``__lr_mult__`` / ``__wd_mult__`` attributes of the symbol's variables (as
        MXNet's optimizer reads them from ``sym``)."""
        attrs = self._symbol.attr_dict()
        lr = {n: float(a["__lr_mult__"]) for n, a in attrs.items()
              if "__lr_mult__" in a and n in self._param_names}
        wd = {n: float(a["__wd_mult__"]) for n, a in attrs.items()
              if "__wd_mult__" in a and n in self._param_names}
        if lr:
            optimizer.set_lr_mult({**optimizer.lr_mult, **lr})
        if wd:
            optimizer.set_wd_mult(wd)

    def _make_compression(self, kvstore: Any) -> Any:
        """The gradient compression of ``compression_params``, as MXNet's Module applies
        it: only where it makes a kvstore, i.e. with several contexts (one context or
        ``kvstore=None``: nothing is compressed, the parameters are not even checked);
        then the kvstore type must compress ('device'; 'local' refuses, as in MXNet)."""
        if self._compression_params is None or kvstore is None or len(self._context) < 2:
            return None
        from ..kvstore.compression import parse
        from ..kvstore.kvstore import KVStoreError

        kind = getattr(kvstore, "type", kvstore)
        if "device" not in str(kind):
            raise KVStoreError(f"Module.init_optimizer: gradient compression is not supported "
                               f"for the {kind!r} kvstore (as in MXNet 1.9.1, only the "
                               f"'device' and 'dist_*' types compress: use kvstore 'device')")
        return parse(self._compression_params, "Module")

    @staticmethod
    def _check_kvstore(kvstore: Any) -> Any:
        if kvstore is None or kvstore in ("local", "device"):
            return None
        kind = getattr(kvstore, "type", kvstore)
        if isinstance(kind, str) and "dist" not in kind:
            return None
        raise ValueError(f"Module: kvstore {kind!r} is not supported by ndengine's Module "
                         f"(it sums the gradients of its devices itself: use 'local'); for "
                         f"distributed training use gluon.Trainer with a dist kvstore")

    def borrow_optimizer(self, shared_module: "Module") -> None:
        """Use *shared_module*'s optimizer (and updater states)."""
        if not shared_module.optimizer_initialized:
            raise RuntimeError("borrow_optimizer: the shared module has no optimizer yet")
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._compression = shared_module._compression     # (residuals by parameter name)
        self._updater = shared_module._updater
        self.optimizer_initialized = True

    def save_optimizer_states(self, fname: str) -> None:
        """Write the updater's states to *fname* (ndengine's states format: arrays and a
        JSON header; MXNet pickles them)."""
        from ..base import write_bytes

        if not self.optimizer_initialized:
            raise RuntimeError("save_optimizer_states: call init_optimizer() first")
        write_bytes(fname, self._updater.get_states(), "save_optimizer_states")

    def load_optimizer_states(self, fname: str) -> None:
        """Restore the updater's states from *fname* (see :meth:`save_optimizer_states`)."""
        if not self.optimizer_initialized:
            raise RuntimeError("load_optimizer_states: call init_optimizer() first")
        with open(fname, "rb") as f:
            self._updater.set_states(f.read(), where=f"load_optimizer_states({fname!r})")

    # -- running ----------------------------------------------------------------------
    def forward(self, data_batch: Any, is_train: bool | None = None) -> None:
        """Run the executors on *data_batch* (a DataBatch); a batch of other shapes
        than the bound ones reshapes the module first, as MXNet does."""
        from ..io import DataDesc

        self._ready("forward")
        group = self._exec_group
        if not isinstance(data_batch.data, (list, tuple)):
            raise TypeError("Module.forward: data_batch.data must be a list of NDArrays")
        cur = tuple(tuple(d.shape) for d in self._data_shapes)
        new = tuple(tuple(d.shape) for d in data_batch.data)
        if cur != new:
            if getattr(data_batch, "provide_data", None):
                new_dshape = data_batch.provide_data
            else:
                new_dshape = [DataDesc(d.name, s, d.dtype, d.layout)
                              for d, s in zip(self._data_shapes, new)]
            if getattr(data_batch, "provide_label", None):
                new_lshape = data_batch.provide_label
            elif getattr(data_batch, "label", None) and self._label_shapes:
                new_lshape = [DataDesc(d.name, tuple(lab.shape), d.dtype, d.layout)
                              for d, lab in zip(self._label_shapes, data_batch.label)]
            else:
                new_lshape = None
            self.reshape(new_dshape, new_lshape)
        group.forward(data_batch, is_train)

    def backward(self, out_grads: Any = None) -> None:
        self._ready("backward")
        self._exec_group.backward(out_grads=out_grads)

    def update(self) -> None:
        """One optimizer step on every parameter from its gradient; with several
        devices the gradients are summed on the first, its copy of the parameter takes
        the step (one optimizer state per parameter, as MXNet's kvstore keeps them) and
        the new values are copied to the others."""
        self._ready("update")
        if not self.optimizer_initialized:
            raise RuntimeError("Module.update: call init_optimizer() first")
        self._params_dirty = True
        group = self._exec_group
        updates = []
        copies = []
        gc = self._compression
        for i, (weights, grads) in enumerate(zip(group.param_arrays, group.grad_arrays)):
            if grads[0] is None:
                continue
            if gc is not None:
                # MXNet's 'device' kvstore: each device's gradient quantized there (its
                # own residual), the 2-bit codes copied to the first device and summed
                vals = [g._arr for g in grads]
                updates.append((i, gc.compressed_sum(self._param_names[i], weights[0]._arr,
                                                     vals, vals[0].device, "Module.update"),
                                weights[0]._arr))
                copies.append(weights)
                continue
            g = grads[0]
            for other in grads[1:]:
                g = g + other.as_in_context(grads[0].context)
            updates.append((i, g._arr, weights[0]._arr))
            copies.append(weights)
        if updates:
            idx, g, w = zip(*updates)
            self._updater(list(idx), list(g), list(w))
        for weights in copies:
            for other in weights[1:]:
                weights[0].copyto(other)

    def get_outputs(self, merge_multi_context: bool = True) -> list:
        self._ready("get_outputs")
        return self._exec_group.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context: bool = True) -> list:
        self._ready("get_input_grads")
        if not self.inputs_need_grad:
            raise RuntimeError("Module.get_input_grads: bind with inputs_need_grad=True")
        return self._exec_group.get_input_grads(merge_multi_context=merge_multi_context)

    def get_states(self, merge_multi_context: bool = True) -> list:
        self._ready("get_states")
        return self._exec_group.get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states: Any = None, value: Any = None) -> None:
        self._ready("set_states")
        self._exec_group.set_states(states, value)

    def install_monitor(self, mon: Any) -> None:
        """Install *mon* (an ``mx.monitor.Monitor``) on this module's executors."""
        for exe in self._bound("install_monitor").execs:
            mon.install(exe)

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        """Update *eval_metric* with the last outputs against *labels*."""
        self._bound("update_metric").update_metric(eval_metric, labels, pre_sliced)

    def __repr__(self) -> str:
        return (f"Module(data_names={self._data_names}, label_names={self._label_names}, "
                f"context={self._context}, outputs={self._output_names})")

