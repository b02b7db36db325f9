"""The executors of a Module: one per device, each on its slice of the batch (data
parallelism over a list of contexts, MXNet's ``DataParallelExecutorGroup``).

Every executor holds a full copy of the parameters; the batch is split along its batch
axis in proportion to ``work_load_list``; ``Module.update`` sums the gradients on the
first device, steps its copy and copies the result to the others; outputs are joined
along the batch axis by ``get_outputs()``.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

from ..base import MXNetError


def split_batch(batch_size: int, work_load_list: list) -> list[slice]:
    """Consecutive slices of ``range(batch_size)``, sized in proportion to the work
    loads (the rounding remainder goes to the last)."""
    total = float(sum(work_load_list))
    sizes = [int(round(w * batch_size / total)) for w in work_load_list]
    sizes[-1] += batch_size - sum(sizes)
    if any(s <= 0 for s in sizes):
        raise MXNetError(f"Module: a batch of {batch_size} cannot be split over "
                         f"{len(work_load_list)} devices with work loads {work_load_list} "
                         f"(a device would get {min(sizes)} examples)")
    out, start = [], 0
    for s in sizes:
        out.append(slice(start, start + s))
        start += s
    return out


def _copy_into(src: Any, dst: Any) -> None:
    from ..symbol.executor import _legacy

    src = _legacy(src, "data") if hasattr(src, "_var") or hasattr(src, "_arr") else src
    if not hasattr(src, "copyto"):
        from .. import legacy as nd

        src = nd.array(src, dtype=dst.dtype)
    if src.dtype != dst.dtype:
        src = src.astype(dst.dtype)
    if tuple(src.shape) != tuple(dst.shape):
        raise ValueError(f"Module: an input of shape {tuple(src.shape)} does not fit the "
                         f"bound shape {tuple(dst.shape)}")
    src.copyto(dst)


class ExecutorGroup:
    """See the module notes."""

    def __init__(self, symbol: Any, contexts: list, work_load_list: list, data_shapes: list,
                 label_shapes: list | None, param_names: list, for_training: bool,
                 inputs_need_grad: bool, fixed_param_names: list, grad_req: Any,
                 state_names: list) -> None:
        self.symbol = symbol
        self.contexts = contexts
        self.work_load_list = work_load_list
        self.param_names = param_names
        self.fixed_param_names = fixed_param_names
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.state_names = state_names
        self.arg_names = symbol.list_arguments()
        self.aux_names = symbol.list_auxiliary_states()
        self.output_names = symbol.list_outputs()
        self.data_names = [d.name for d in data_shapes]
        self.grad_req = self._grad_reqs(grad_req)
        self.execs: list = []
        self._bind(data_shapes, label_shapes)

    def _grad_reqs(self, grad_req: Any) -> dict:
        data_names = set(self.data_names)
        reqs = {}
        for name in self.arg_names:
            if isinstance(grad_req, dict):
                req = grad_req.get(name, "null")
            else:
                req = grad_req
            if not self.for_training:
                reqs[name] = "null"
            elif name in self.param_names:
                reqs[name] = "null" if name in self.fixed_param_names else req
            elif name in data_names:
                reqs[name] = req if self.inputs_need_grad else "null"
            else:
                reqs[name] = "null"
        return reqs

    def _bind(self, data_shapes: list, label_shapes: list | None) -> None:
        self.data_shapes = list(data_shapes)
        self.label_shapes = list(label_shapes) if label_shapes else None
        self.data_names = [d.name for d in self.data_shapes]
        self.label_names = [d.name for d in self.label_shapes] if self.label_shapes else []
        self.batch_size = self.data_shapes[0].shape[0]
        for d in self.data_shapes + (self.label_shapes or []):
            if d.shape[0] != self.batch_size:
                raise ValueError(f"Module.bind: the inputs have different batch sizes: "
                                 f"{[(x.name, x.shape) for x in self.data_shapes]}, "
                                 f"{[(x.name, x.shape) for x in self.label_shapes or []]}")
        self.slices = split_batch(self.batch_size, self.work_load_list)
        old = self.execs
        self.execs = []
        for k, (ctx, sl) in enumerate(zip(self.contexts, self.slices)):
            n = sl.stop - sl.start
            shapes = {d.name: (n,) + tuple(d.shape[1:])
                      for d in self.data_shapes + (self.label_shapes or [])}
            types = {d.name: d.dtype for d in self.data_shapes + (self.label_shapes or [])}
            if old:
                exe = old[k].reshape(allow_up_sizing=True, **shapes)
            else:
                exe = self.symbol.simple_bind(ctx, grad_req=self.grad_req, type_dict=types,
                                              **shapes)
            self.execs.append(exe)

    def reshape(self, data_shapes: list, label_shapes: list | None) -> None:
        if list(data_shapes) == self.data_shapes and \
                (list(label_shapes) if label_shapes else None) == self.label_shapes:
            return
        self._bind(data_shapes, label_shapes)

    # -- arrays by name, one per device -------------------------------------------
    @property
    def param_arrays(self) -> list:
        return [[e.arg_dict[n] for e in self.execs] for n in self.param_names]

    @property
    def grad_arrays(self) -> list:
        return [[e.grad_dict.get(n) for e in self.execs] for n in self.param_names]

    @property
    def aux_arrays(self) -> list:
        return [[e.aux_dict[n] for e in self.execs] for n in self.aux_names]

    def set_params(self, arg_params: dict, aux_params: dict, allow_extra: bool = False) -> None:
        for e in self.execs:
            e.copy_params_from(arg_params, aux_params, allow_extra_params=allow_extra)

    def get_params(self, arg_params: dict, aux_params: dict) -> None:
        """Copy the parameters (averaged over the devices) into the given arrays."""
        from ..context import cpu

        for names, arrays, target in ((self.param_names, self.param_arrays, arg_params),
                                      (self.aux_names, self.aux_arrays, aux_params)):
            for name, block in zip(names, arrays):
                w = block[0].as_in_context(cpu())
                for other in block[1:]:
                    w = w + other.as_in_context(cpu())
                if len(block) > 1:
                    w = w / len(block)
                dst = target[name]
                (w if w.dtype == dst.dtype else w.astype(dst.dtype)).copyto(dst)

    # -- running --------------------------------------------------------------------
    def _load(self, arrays: Any, names: list) -> None:
        if len(arrays) != len(names):
            raise ValueError(f"Module.forward: {len(arrays)} arrays given for the inputs "
                             f"{names}")
        for src, name in zip(arrays, names):
            for e, sl in zip(self.execs, self.slices):
                part = src if len(self.execs) == 1 else src[sl.start:sl.stop]
                _copy_into(part, e.arg_dict[name])

    def forward(self, data_batch: Any, is_train: bool | None) -> None:
        if is_train is None:
            is_train = self.for_training
        self._load(data_batch.data, self.data_names)
        if self.label_names and data_batch.label:
            self._load(data_batch.label, self.label_names)
        for e in self.execs:
            e.forward(is_train=is_train)

    def backward(self, out_grads: Any = None) -> None:
        if not self.for_training:
            raise MXNetError("Module.backward: the module was bound with for_training=False")
        for k, (e, sl) in enumerate(zip(self.execs, self.slices)):
            grads = None
            if out_grads is not None:
                grads = [g if len(self.execs) == 1 else
                         g[sl.start:sl.stop].as_in_context(self.contexts[k])
                         for g in (out_grads if isinstance(out_grads, (list, tuple))
                                   else [out_grads])]
            e.backward(out_grads=grads)

    def _merge(self, per_device: list) -> list:
        from .. import legacy as nd

        if len(self.execs) == 1:
            return list(per_device[0])
        ctx = self.contexts[0]
        return [nd.concatenate([outs[i].as_in_context(ctx) for outs in per_device], axis=0)
                for i in range(len(per_device[0]))]

    def get_outputs(self, merge_multi_context: bool = True) -> list:
        per_device = [e.outputs for e in self.execs]
        if merge_multi_context:
            return self._merge(per_device)
        return [[outs[i] for outs in per_device] for i in range(len(per_device[0]))]

    def get_input_grads(self, merge_multi_context: bool = True) -> list:
        per_device = [[e.grad_dict[n] for n in self.data_names] for e in self.execs]
        if merge_multi_context:
            return self._merge(per_device)
        return [[g[i] for g in per_device] for i in range(len(self.data_names))]

    def get_output_shapes(self) -> list:
        shapes = [tuple(o.shape) for o in self.execs[0].outputs]
        return [(n, (self.batch_size,) + s[1:]) for n, s in zip(self.output_names, shapes)]

    def get_states(self, merge_multi_context: bool = True) -> list:
        per_device = [[e.arg_dict[n] for n in self.state_names] for e in self.execs]
        if merge_multi_context:
            return self._merge(per_device)
        return [[s[i] for s in per_device] for i in range(len(self.state_names))]

    def set_states(self, states: Any = None, value: Any = None) -> None:
        if states is not None:
            if value is not None:
                raise ValueError("set_states: give states or value, not both")
            for k, e in enumerate(self.execs):
                for name, s in zip(self.state_names, states):
                    src = s[k] if isinstance(s, (list, tuple)) else s
                    _copy_into(src, e.arg_dict[name])
        else:
            if value is None:
                raise ValueError("set_states: give states or value")
            for e in self.execs:
                for name in self.state_names:
                    e.arg_dict[name][:] = value

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        for k, (e, sl) in enumerate(zip(self.execs, self.slices)):
            if pre_sliced:
                labels_k = labels[k]
            elif len(self.execs) == 1:
                labels_k = labels
            else:
                labels_k = [lab[sl.start:sl.stop] for lab in labels]
            eval_metric.update_dict(OrderedDict(zip(self.label_names, labels_k)),
                                    OrderedDict(zip(self.output_names, e.outputs)))
