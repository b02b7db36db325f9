"""``mx.mod.SequentialModule``: modules chained so that each one's outputs are the next
one's data (MXNet 1.9.1's API).

``add(module, take_labels=..., auto_wiring=...)`` appends a module with its metadata:
*take_labels* gives it the batch's labels (its ``update_metric`` is the one the chain
calls), *auto_wiring* renames the previous module's outputs to this module's data names
when binding.  ``bind`` binds the modules in order, each for the output shapes of the
one before (and, when training, with input gradients for every module after the first,
so ``backward`` can hand each module's input gradients to the one before it).  The
chain's parameters are the union of its modules', whose names must not repeat."""
from __future__ import annotations

import copy
import logging
from typing import Any

from .base_module import BaseModule

__all__ = ["SequentialModule"]


class SequentialModule(BaseModule):
    """A chain of modules run one after another (see the module notes)."""

    META_TAKE_LABELS = "take_labels"
    META_AUTO_WIRING = "auto_wiring"

    def __init__(self, logger: Any = logging) -> None:
        super().__init__(logger=logger)
        self._modules: list = []
        self._metas: list[dict] = []
        self._label_shapes: Any = None
        self._data_shapes: Any = None
        self._meta_keys = {self.META_TAKE_LABELS, self.META_AUTO_WIRING}

    def add(self, module: BaseModule, **kwargs: Any) -> "SequentialModule":
        """Append *module*; *kwargs* are its metadata (``take_labels``, ``auto_wiring``).
        The chain must be bound and initialized again afterwards.  Returns the chain, so
        calls can be chained: ``seq.add(m1).add(m2, take_labels=True)``."""
        if not isinstance(module, BaseModule):
            raise TypeError(f"SequentialModule.add: expected a module (mx.mod.BaseModule), "
                            f"got {type(module).__name__}")
        for key in kwargs:
            if key not in self._meta_keys:
                raise ValueError(f'SequentialModule.add: unknown meta "{key}", a typo? (known: '
                                 f'{", ".join(sorted(self._meta_keys))})')
        self._modules.append(module)
        self._metas.append(dict(kwargs))
        # a new module needs binding, initializing and an optimizer like the rest
        self.binded = False
        self.params_initialized = False
        self.optimizer_initialized = False
        return self

    def _meta(self, i: int, key: str) -> bool:
        return bool(self._metas[i].get(key, False))

    # -- descriptions ---------------------------------------------------------------------
    @property
    def data_names(self) -> list:
        return list(self._modules[0].data_names) if self._modules else []

    @property
    def output_names(self) -> list:
        return list(self._modules[-1].output_names) if self._modules else []

    @property
    def data_shapes(self) -> list:
        self._need_bound("data_shapes")
        return self._modules[0].data_shapes

    @property
    def label_shapes(self) -> Any:
        self._need_bound("label_shapes")
        return self._label_shapes

    @property
    def output_shapes(self) -> list:
        self._need_bound("output_shapes")
        return self._modules[-1].output_shapes

    def _need_bound(self, where: str) -> None:
        if not self.binded:
            raise RuntimeError(f"SequentialModule.{where}: call bind() first")

    # -- parameters -----------------------------------------------------------------------
    def get_params(self) -> tuple[dict, dict]:
        """The union of every module's ``(arg_params, aux_params)``."""
        if not self.params_initialized:
            raise RuntimeError("SequentialModule.get_params: the parameters are not "
                               "initialized")
        arg_params: dict = {}
        aux_params: dict = {}
        for module in self._modules:
            arg, aux = module.get_params()
            arg_params.update(arg)
            aux_params.update(aux)
        return arg_params, aux_params

    def init_params(self, initializer: Any = None, arg_params: dict | None = None,
                    aux_params: dict | None = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        """Initialize every module's parameters (*arg_params* / *aux_params* may hold
        any module's: each module takes its own names from them, as in MXNet); a
        parameter name used by two modules is an error."""
        from ..init import Uniform

        if self.params_initialized and not force_init:
            return
        self._need_bound("init_params")
        if initializer is None and arg_params is None and aux_params is None:
            initializer = Uniform(0.01)
        for module in self._modules:
            module.init_params(initializer=initializer, arg_params=arg_params,
                               aux_params=aux_params, allow_missing=allow_missing,
                               force_init=force_init, allow_extra=allow_extra)
        owner: dict[str, int] = {}
        for i, module in enumerate(self._modules):
            arg, aux = module.get_params()
            for name in list(arg) + list(aux):
                if name in owner:
                    j = owner[name]
                    raise ValueError(f"SequentialModule: duplicated parameter name {name!r}: "
                                     f"used in layer {i} ({type(module).__name__}) and "
                                     f"already in layer {j} "
                                     f"({type(self._modules[j]).__name__})")
                owner[name] = i
        self.params_initialized = True

    def set_params(self, arg_params: dict, aux_params: dict, allow_missing: bool = False,
                   force_init: bool = True, allow_extra: bool = False) -> None:
        self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing, force_init=force_init,
                         allow_extra=allow_extra)

    # -- binding --------------------------------------------------------------------------
    def bind(self, data_shapes: Any, label_shapes: Any = None, for_training: bool = True,
             inputs_need_grad: bool = False, force_rebind: bool = False,
             shared_module: Any = None, grad_req: Any = "write") -> None:
        """Bind the modules in order: the first for *data_shapes*, each next one for the
        output shapes of the one before; modules added with ``take_labels`` get
        *label_shapes*."""
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if inputs_need_grad and not for_training:
            raise ValueError("SequentialModule.bind: inputs_need_grad needs for_training=True")
        if shared_module is not None:
            raise ValueError("SequentialModule.bind: shared_module is not supported")
        if not self._modules:
            raise ValueError("SequentialModule.bind: add at least one module first")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        my_data_shapes = data_shapes
        anyone_takes_labels = False
        for i, module in enumerate(self._modules):
            if self._meta(i, self.META_TAKE_LABELS):
                my_label_shapes = label_shapes
                anyone_takes_labels = True
            else:
                my_label_shapes = None
            # every module after the first hands its input gradients to the one before
            my_inputs_need_grad = bool(inputs_need_grad or (for_training and i > 0))
            if self._meta(i, self.META_AUTO_WIRING):
                names = module.data_names
                if len(names) != len(my_data_shapes):
                    raise ValueError(f"SequentialModule.bind: module {i} "
                                     f"({type(module).__name__}) takes {len(names)} inputs "
                                     f"{list(names)}, the module before gives "
                                     f"{len(my_data_shapes)}")
                my_data_shapes = [(name, tuple(d[1])) for name, d in zip(names, my_data_shapes)]
            module.bind(data_shapes=my_data_shapes, label_shapes=my_label_shapes,
                        for_training=for_training, inputs_need_grad=my_inputs_need_grad,
                        force_rebind=force_rebind, shared_module=None, grad_req=grad_req)
            my_data_shapes = module.output_shapes
        self._label_shapes = label_shapes if anyone_takes_labels else None
        self.binded = True

    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        """One optimizer per module (the same kind and settings for each)."""
        self._ready("init_optimizer")
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring.")
            return
        for module in self._modules:
            module.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                                  optimizer_params=optimizer_params, force_init=force_init)
        self.optimizer_initialized = True

    # -- running --------------------------------------------------------------------------
    def forward(self, data_batch: Any, is_train: bool | None = None) -> None:
        """Run each module on the outputs of the one before (the first on *data_batch*;
        every module sees the batch's labels and padding)."""
        self._ready("forward")
        batch = copy.copy(data_batch)
        last = len(self._modules) - 1
        for i, module in enumerate(self._modules):
            module.forward(batch, is_train=is_train)
            if i == last:
                break
            batch.data = module.get_outputs()
            if getattr(batch, "provide_data", None) is not None:
                names = [d[0] for d in module.output_shapes]
                batch.provide_data = list(zip(names, [tuple(x.shape) for x in batch.data]))

    def backward(self, out_grads: Any = None) -> None:
        """Back through the modules in reverse, each one's input gradients being the
        output gradients of the one before."""
        self._ready("backward")
        for i in range(len(self._modules) - 1, -1, -1):
            module = self._modules[i]
            module.backward(out_grads=out_grads)
            if i == 0:
                break
            out_grads = module.get_input_grads()

    def update(self) -> None:
        self._ready("update")
        if not self.optimizer_initialized:
            raise RuntimeError("SequentialModule.update: call init_optimizer() first")
        for module in self._modules:
            module.update()

    def get_outputs(self, merge_multi_context: bool = True) -> list:
        self._ready("get_outputs")
        return self._modules[-1].get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context: bool = True) -> list:
        self._ready("get_input_grads")
        if not self.inputs_need_grad:
            raise RuntimeError("SequentialModule.get_input_grads: bind with "
                               "inputs_need_grad=True")
        return self._modules[0].get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        """Update *eval_metric* through the modules added with ``take_labels``."""
        self._ready("update_metric")
        for i, module in enumerate(self._modules):
            if self._meta(i, self.META_TAKE_LABELS):
                module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon: Any) -> None:
        self._need_bound("install_monitor")
        for module in self._modules:
            module.install_monitor(mon)

    def prepare(self, data_batch: Any, sparse_row_id_fn: Any = None) -> None:
        for module in self._modules:
            module.prepare(data_batch, sparse_row_id_fn=sparse_row_id_fn)

    def __repr__(self) -> str:
        return f"SequentialModule({', '.join(type(m).__name__ for m in self._modules)})"
