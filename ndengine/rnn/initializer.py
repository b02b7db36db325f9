"""``mx.init.FusedRNN``: initialize a FusedRNNCell's flat parameter vector per gate."""
from __future__ import annotations

import json
from typing import Any

from .. import init as _init

__all__ = ["FusedRNN"]


@_init.register
class FusedRNN(_init.Initializer):
    """Initialize the ``parameters`` vector of a fused RNN: each per-gate weight and
    bias (as ``FusedRNNCell.unpack_weights`` names them) with *init* (or the global
    initializer when None); an LSTM's forget-gate biases get *forget_bias*."""

    def __init__(self, init: Any, num_hidden: int, num_layers: int, mode: str,
                 bidirectional: bool = False, forget_bias: float = 1.0) -> None:
        if isinstance(init, str):
            klass, kwargs = json.loads(init)
            init = _init.create(klass, **kwargs)
        super().__init__(init=init.dumps() if init is not None else None,
                         num_hidden=num_hidden, num_layers=num_layers, mode=mode,
                         bidirectional=bidirectional, forget_bias=forget_bias)
        self._init = init
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._forget_bias = forget_bias

    def _init_weight(self, desc: Any, arr: Any) -> None:
        from .. import legacy as nd
        from ..legacy.ndarray import NDArray as _Legacy
        from ..legacy.ndarray import wrap
        from .rnn_cell import FusedRNNCell

        cell = FusedRNNCell(self._num_hidden, self._num_layers, self._mode,
                            self._bidirectional, forget_bias=self._forget_bias, prefix="")
        flat = arr if arr.__class__ is _Legacy else wrap(arr)
        parts = cell.unpack_weights({"parameters": flat})
        for name, part in parts.items():
            d = _init.InitDesc(name, global_init=getattr(desc, "global_init", None))
            if self._mode == "lstm" and name.endswith("_f_bias"):
                part[:] = self._forget_bias
            elif self._init is None:
                (d.global_init or _init.Uniform())(d, part)
            else:
                self._init(d, part)
        packed = cell.pack_weights(parts)["parameters"]
        flat[:] = nd.array(packed) if not hasattr(packed, "_arr") else packed
