"""``BaseModule``: the training and prediction loops every module shares (``fit``,
``score``, ``predict``, ``iter_predict``, ``forward_backward``) and the parameter file
helpers, written on the methods a module defines (``bind``, ``init_params``,
``forward``, ``backward``, ``update``, ``get_outputs``, ``update_metric``...), as in
MXNet 1.9.1's ``mxnet.module.BaseModule``."""
from __future__ import annotations

import logging
import time
import warnings
from typing import Any

import numpy as _onp

from .. import metric as _metric
from ..model import BatchEndParam

__all__ = ["BaseModule"]


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _check_input_names(symbol: Any, names: list, typename: str, throw: bool) -> None:
    """Every name in *names* must be an argument of *symbol* (else an error, or a
    warning when not *throw*, listing the arguments that look like inputs)."""
    args = symbol.list_arguments()
    for name in names:
        if name in args:
            continue
        candidates = [a for a in args if not a.endswith(("_weight", "_bias", "_gamma", "_beta"))]
        msg = (f"You created Module with Module(..., {typename}_names={names}) but input with "
               f"name {name!r} is not found in symbol.list_arguments(). Did you mean one of: "
               f"{', '.join(candidates)}")
        if throw:
            raise ValueError(msg)
        warnings.warn(msg, stacklevel=3)


def _parse_data_desc(data_names: list, label_names: list, data_shapes: Any,
                     label_shapes: Any) -> tuple[list, list | None]:
    from ..io import DataDesc

    if data_shapes is None:
        raise ValueError("Module.bind: data_shapes are required, e.g. "
                         "[('data', (batch_size, ...))] or an iterator's provide_data")
    data_shapes = [x if isinstance(x, DataDesc) else DataDesc(*x) for x in data_shapes]
    if sorted(data_names) != sorted(d.name for d in data_shapes):
        raise ValueError(f"Data provided by data_shapes don't match names specified by "
                         f"data_names ({[tuple(d) for d in data_shapes]} vs. {data_names})")
    if label_shapes is not None:
        label_shapes = [x if isinstance(x, DataDesc) else DataDesc(*x) for x in label_shapes]
        actual = [d.name for d in label_shapes]
    else:
        actual = []
    if sorted(label_names) != sorted(actual):
        warnings.warn(f"Data provided by label_shapes don't match names specified by "
                      f"label_names ({[tuple(d) for d in label_shapes or []]} vs. "
                      f"{label_names})", stacklevel=3)
    return data_shapes, label_shapes


class BaseModule:
    """The loops and helpers shared by modules (see the module notes)."""

    def __init__(self, logger: Any = logging) -> None:
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol: Any = None
        self._total_exec_bytes = 0

    # -- high-level loops ------------------------------------------------------------
    def forward_backward(self, data_batch: Any) -> None:
        """``forward(data_batch, is_train=True)`` then ``backward()``."""
        self.forward(data_batch, is_train=True)
        self.backward()

    def _ready(self, where: str) -> None:
        if not self.binded:
            raise RuntimeError(f"{where}: call bind() first")
        if not self.params_initialized:
            raise RuntimeError(f"{where}: the parameters are not initialized (init_params() "
                               f"or set_params())")

    def score(self, eval_data: Any, eval_metric: Any, num_batch: int | None = None,
              batch_end_callback: Any = None, score_end_callback: Any = None,
              reset: bool = True, epoch: int = 0, sparse_row_id_fn: Any = None) -> list:
        """Run prediction on *eval_data* and return ``eval_metric.get_name_value()``."""
        self._ready("score")
        if reset:
            eval_data.reset()
        if not isinstance(eval_metric, _metric.EvalMetric):
            eval_metric = _metric.create(eval_metric)
        eval_metric.reset()
        actual_num_batch = 0
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            self.update_metric(eval_metric, eval_batch.label)
            if batch_end_callback is not None:
                params = BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=eval_metric,
                                       locals=locals())
                for cb in _as_list(batch_end_callback):
                    cb(params)
            actual_num_batch += 1
        if score_end_callback:
            params = BatchEndParam(epoch=epoch, nbatch=actual_num_batch,
                                   eval_metric=eval_metric, locals=locals())
            for cb in _as_list(score_end_callback):
                cb(params)
        return eval_metric.get_name_value()

    def iter_predict(self, eval_data: Any, num_batch: int | None = None, reset: bool = True,
                     sparse_row_id_fn: Any = None) -> Any:
        """Yield ``(outputs, nbatch, batch)`` per batch of *eval_data* (the padding of
        the last batch cut off the outputs)."""
        self._ready("iter_predict")
        if reset:
            eval_data.reset()
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            pad = eval_batch.pad or 0
            outputs = [out[0:out.shape[0] - pad] for out in self.get_outputs()]
            yield outputs, nbatch, eval_batch

    def predict(self, eval_data: Any, num_batch: int | None = None, merge_batches: bool = True,
                reset: bool = True, always_output_list: bool = False,
                sparse_row_id_fn: Any = None) -> Any:
        """The outputs on *eval_data* (a DataIter, or one NDArray / NumPy array as one
        batch): joined over the batches with *merge_batches* (one array for a single
        output unless *always_output_list*), else a list per batch."""
        from .. import legacy as nd
        from ..io import DataBatch, DataIter

        self._ready("predict")
        if isinstance(eval_data, _onp.ndarray):
            eval_data = nd.array(eval_data)
        if isinstance(eval_data, nd.NDArray):
            self.forward(DataBatch([eval_data]))
            return self.get_outputs()[0]
        if not isinstance(eval_data, DataIter):
            raise ValueError(f"predict: eval_data must be a DataIter or an NDArray, got "
                             f"{type(eval_data).__name__}")
        output_list = [[out.copy() for out in outputs] for outputs, _, _ in
                       self.iter_predict(eval_data, num_batch, reset, sparse_row_id_fn)]
        if not output_list or not merge_batches:
            return output_list
        num_outputs = len(output_list[0])
        if any(len(o) != num_outputs for o in output_list):
            raise ValueError("predict: cannot merge batches whose numbers of outputs "
                             "differ; use merge_batches=False")
        merged = [nd.concatenate([o[i] for o in output_list]) for i in range(num_outputs)]
        if num_outputs == 1 and not always_output_list:
            return merged[0]
        return merged

    def fit(self, train_data: Any, eval_data: Any = None, eval_metric: Any = "acc",
            epoch_end_callback: Any = None, batch_end_callback: Any = None,
            kvstore: Any = "local", optimizer: Any = "sgd",
            optimizer_params: Any = (("learning_rate", 0.01),),
            eval_end_callback: Any = None, eval_batch_end_callback: Any = None,
            initializer: Any = None, arg_params: dict | None = None,
            aux_params: dict | None = None, allow_missing: bool = False,
            force_rebind: bool = False, force_init: bool = False, begin_epoch: int = 0,
            num_epoch: int | None = None, validation_metric: Any = None,
            monitor: Any = None, sparse_row_id_fn: Any = None) -> None:
        """Train on *train_data* for epochs ``begin_epoch .. num_epoch - 1`` (MXNet's
        loop: bind, init_params, init_optimizer, then per batch forward_backward, update,
        update_metric and the batch-end callbacks; per epoch the log lines
        ``Epoch[n] Train-acc=...``, ``Time cost``, the epoch-end callbacks and, with
        *eval_data*, ``score`` and ``Epoch[n] Validation-acc=...``)."""
        from ..init import Uniform

        if num_epoch is None:
            raise ValueError("fit: please specify number of epochs (num_epoch)")
        if initializer is None:
            initializer = Uniform(0.01)
        self.bind(data_shapes=train_data.provide_data, label_shapes=train_data.provide_label,
                  for_training=True, force_rebind=force_rebind)
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(initializer=initializer, arg_params=arg_params,
                         aux_params=aux_params, allow_missing=allow_missing,
                         force_init=force_init)
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                            optimizer_params=optimizer_params)
        if validation_metric is None:
            validation_metric = eval_metric
        if not isinstance(eval_metric, _metric.EvalMetric):
            eval_metric = _metric.create(eval_metric)

        for epoch in range(begin_epoch, num_epoch):
            tic = time.time()
            eval_metric.reset()
            nbatch = 0
            data_iter = iter(train_data)
            end_of_batch = False
            next_data_batch = next(data_iter)
            eval_name_vals: list = []
            while not end_of_batch:
                data_batch = next_data_batch
                if monitor is not None:
                    monitor.tic()
                self.forward_backward(data_batch)
                self.update()
                self.update_metric(eval_metric, data_batch.label)
                if monitor is not None:
                    monitor.toc_print()
                try:
                    next_data_batch = next(data_iter)
                    self.prepare(next_data_batch, sparse_row_id_fn=sparse_row_id_fn)
                except StopIteration:
                    end_of_batch = True
                if end_of_batch:
                    eval_name_vals = eval_metric.get_global_name_value()
                if batch_end_callback is not None:
                    params = BatchEndParam(epoch=epoch, nbatch=nbatch,
                                           eval_metric=eval_metric, locals=locals())
                    for cb in _as_list(batch_end_callback):
                        cb(params)
                nbatch += 1
            for name, val in eval_name_vals:
                self.logger.info("Epoch[%d] Train-%s=%f", epoch, name, val)
            self.logger.info("Epoch[%d] Time cost=%.3f", epoch, time.time() - tic)
            arg_params_, aux_params_ = self.get_params()
            self.set_params(arg_params_, aux_params_)
            for cb in _as_list(epoch_end_callback):
                cb(epoch, self.symbol, arg_params_, aux_params_)
            if eval_data is not None:
                res = self.score(eval_data, validation_metric,
                                 score_end_callback=eval_end_callback,
                                 batch_end_callback=eval_batch_end_callback, epoch=epoch)
                for name, val in res:
                    self.logger.info("Epoch[%d] Validation-%s=%f", epoch, name, val)
            train_data.reset()

    # -- parameters -------------------------------------------------------------------
    def save_params(self, fname: str) -> None:
        """Write the parameters to *fname* (``arg:``/``aux:`` names, MXNet's format)."""
        from .. import legacy as nd
        from ..context import cpu

        arg_params, aux_params = self.get_params()
        save_dict = {f"arg:{k}": v.as_in_context(cpu()) for k, v in arg_params.items()}
        save_dict.update({f"aux:{k}": v.as_in_context(cpu()) for k, v in aux_params.items()})
        nd.save(fname, save_dict)

    def load_params(self, fname: str) -> None:
        """Set the parameters from a file written by :meth:`save_params` (or MXNet's)."""
        from .. import legacy as nd

        save_dict = nd.load(fname)
        if not isinstance(save_dict, dict):
            raise ValueError(f"Invalid param file {fname}: its arrays have no names")
        arg_params: dict = {}
        aux_params: dict = {}
        for k, value in save_dict.items():
            kind, sep, name = k.partition(":")
            if kind == "arg" and sep:
                arg_params[name] = value
            elif kind == "aux" and sep:
                aux_params[name] = value
            else:
                raise ValueError(f"Invalid param file {fname}: name {k!r} has no arg:/aux: "
                                 f"prefix")
        self.set_params(arg_params, aux_params)

    def prepare(self, data_batch: Any, sparse_row_id_fn: Any = None) -> None:
        """Get ready for *data_batch* (nothing to do for dense parameters)."""
        if sparse_row_id_fn is not None:
            warnings.warn("prepare: sparse_row_id_fn is ignored: ndengine has no sparse "
                          "(row_sparse) parameters", stacklevel=2)

    @property
    def symbol(self) -> Any:
        """The symbol of this module."""
        return self._symbol
