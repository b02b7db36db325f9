"""``mx.mod.PythonModule`` and ``mx.mod.PythonLossModule``: modules written in Python
rather than from a symbol (MXNet 1.9.1's API), typically the last link of a
``SequentialModule``.

``PythonModule`` has no parameters: ``init_params``, ``init_optimizer`` and ``update``
do nothing, and a subclass gives ``forward``, ``backward``, ``get_outputs`` and
``_compute_output_shapes``.  ``PythonLossModule`` is a loss: its output is its input
(the scores), and its backward is ``grad_func(scores, labels)``."""
from __future__ import annotations

import logging
from typing import Any

from .base_module import BaseModule, _parse_data_desc

__all__ = ["PythonModule", "PythonLossModule"]


class PythonModule(BaseModule):
    """A parameterless module whose computation a subclass writes in Python.

    *data_names*, *label_names* and *output_names* name its inputs, labels and
    outputs; ``bind`` records the shapes and asks ``_compute_output_shapes`` for the
    outputs'."""

    def __init__(self, data_names: Any, label_names: Any, output_names: Any,
                 logger: Any = logging) -> None:
        super().__init__(logger=logger)
        self._data_names = list(data_names)
        self._label_names = list(label_names) if label_names is not None else []
        self._output_names = list(output_names)
        self._data_shapes: Any = None
        self._label_shapes: Any = None
        self._output_shapes: Any = None

    @property
    def data_names(self) -> list:
        return self._data_names

    @property
    def label_names(self) -> list:
        return self._label_names

    @property
    def output_names(self) -> list:
        return self._output_names

    @property
    def data_shapes(self) -> Any:
        return self._data_shapes

    @property
    def label_shapes(self) -> Any:
        return self._label_shapes

    @property
    def output_shapes(self) -> Any:
        return self._output_shapes

    def get_params(self) -> tuple[dict, dict]:
        return {}, {}

    def init_params(self, initializer: Any = None, arg_params: dict | None = None,
                    aux_params: dict | None = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        self.params_initialized = True

    def set_params(self, arg_params: dict, aux_params: dict, allow_missing: bool = False,
                   force_init: bool = True, allow_extra: bool = False) -> None:
        self.params_initialized = True

    def update(self) -> None:
        """Nothing to update: the module has no parameters."""

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        """Update *eval_metric* with *labels* and the outputs (only when the module was
        bound with labels)."""
        if self._label_shapes is None:
            return
        if pre_sliced:
            raise ValueError("PythonModule.update_metric: pre_sliced labels are not "
                             "supported")
        eval_metric.update(labels, self.get_outputs())

    def bind(self, data_shapes: Any, label_shapes: Any = None, for_training: bool = True,
             inputs_need_grad: bool = False, force_rebind: bool = False,
             shared_module: Any = None, grad_req: Any = "write") -> None:
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if grad_req != "write":
            raise ValueError(f"PythonModule.bind: only grad_req='write' is supported, got "
                             f"{grad_req!r}")
        if inputs_need_grad and not for_training:
            raise ValueError("PythonModule.bind: inputs_need_grad needs for_training=True")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        if label_shapes is not None and len(label_shapes) == 0:
            label_shapes = None
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self._data_names, self._label_names if label_shapes is not None else [],
            data_shapes, label_shapes)
        self._output_shapes = self._compute_output_shapes()
        self.binded = True

    def _compute_output_shapes(self) -> list:
        """The ``(name, shape)`` of every output, from ``self._data_shapes`` and
        ``self._label_shapes``: a subclass says."""
        raise TypeError(f"{type(self).__name__} must define _compute_output_shapes()")

    def install_monitor(self, mon: Any) -> None:
        """Nothing to watch: a Python module has no executors (so a monitor installed
        on a SequentialModule watches its symbol modules)."""

    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        """Nothing to optimize: the module has no parameters."""
        self.optimizer_initialized = True


class PythonLossModule(PythonModule):
    """A loss written in Python: the output is the input scores, and ``backward`` gives
    the scores' gradient ``grad_func(scores, labels)`` (an NDArray or anything
    ``mx.nd.array`` takes)."""

    def __init__(self, name: str = "pyloss", data_names: Any = ("data",),
                 label_names: Any = ("softmax_label",), logger: Any = logging,
                 grad_func: Any = None) -> None:
        super().__init__(data_names, label_names, [name + "_output"], logger=logger)
        self._name = name
        if len(self._data_names) != 1 or len(self._label_names) != 1:
            raise ValueError(f"PythonLossModule: one data name and one label name, got "
                             f"data_names={self._data_names} "
                             f"label_names={self._label_names}")
        self._scores: Any = None
        self._labels: Any = None
        self._scores_grad: Any = None
        if grad_func is not None and not callable(grad_func):
            raise TypeError(f"PythonLossModule: grad_func must be callable, got "
                            f"{type(grad_func).__name__}")
        self._grad_func = grad_func

    def _compute_output_shapes(self) -> list:
        return [(self._name + "_output", tuple(self._data_shapes[0][1]))]

    def forward(self, data_batch: Any, is_train: bool | None = None) -> None:
        """Keep the scores (and, when training, the labels)."""
        self._scores = data_batch.data[0]
        if is_train is None:
            is_train = self.for_training
        if is_train:
            self._labels = data_batch.label[0]

    def get_outputs(self, merge_multi_context: bool = True) -> list:
        if not merge_multi_context:
            raise ValueError("PythonLossModule.get_outputs: merge_multi_context=False is "
                             "not supported")
        return [self._scores]

    def backward(self, out_grads: Any = None) -> None:
        """The scores' gradient from ``grad_func(scores, labels)``; a loss is the end of
        the chain, so *out_grads* must be None."""
        from .. import legacy as nd

        if out_grads is not None:
            raise ValueError("PythonLossModule.backward: a loss takes no out_grads")
        if not self.for_training:
            raise RuntimeError("PythonLossModule.backward: bind with for_training=True")
        if self._grad_func is None:
            raise TypeError(f"{type(self).__name__}: give grad_func, or override "
                            f"backward()")
        grad = self._grad_func(self._scores, self._labels)
        if not isinstance(grad, nd.NDArray):
            grad = nd.array(grad)
        self._scores_grad = grad

    def get_input_grads(self, merge_multi_context: bool = True) -> list:
        if not merge_multi_context:
            raise ValueError("PythonLossModule.get_input_grads: merge_multi_context=False "
                             "is not supported")
        return [self._scores_grad]

