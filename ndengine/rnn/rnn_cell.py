"""MXNet 1.x's symbolic RNN cells (``mx.rnn``): each cell builds ``mx.sym`` graphs one
step at a time (``cell(inputs, states)``) or over a sequence (``cell.unroll``).

Parameter and node names are MXNet 1.9.1's (``lstm_i2h_weight``, ``lstm_t3_out``...),
so checkpoints and ``unpack_weights`` / ``pack_weights`` interoperate.  The initial
states of ``begin_state()`` (zeros of shape ``(0, num_hidden)``, 0 the batch size)
are MXNet's ``_zeros`` nodes; MXNet infers their batch size from the graph, and here
a cell given such a state takes its batch size from the step's input instead (a
zeros node computed from the input's shape), so the graph runs for any batch size.
"""
from __future__ import annotations

from typing import Any

from .. import symbol

__all__ = ["RNNParams", "BaseRNNCell", "RNNCell", "LSTMCell", "GRUCell", "FusedRNNCell",
           "SequentialRNNCell", "DropoutCell", "ModifierCell", "ZoneoutCell", "ResidualCell",
           "BidirectionalCell"]


def _sym_create(op: str, *args: Any, name: Any = None, **kwargs: Any) -> Any:
    from ..symbol.symbol import _create

    return _create(op, list(args), kwargs, name)


# ------------------------------------------------------------------ helpers
def _is_unknown_zeros(s: Any) -> bool:
    """A ``begin_state`` zeros node whose shape has an unknown (0) dimension."""
    if not isinstance(s, symbol.Symbol) or len(s._outputs) != 1:
        return False
    node = s._outputs[0][0]
    if node.op != "_zeros" or node.inputs:
        return False
    from ..symbol._ops import parse_attr

    shape = parse_attr(node.attrs.get("shape", "()"))
    return any(int(d) == 0 for d in shape)


def _batch_zeros(like: Any, like_batch_axis: int, state: Any, nd: int = 2) -> Any:
    """Zeros of *state*'s shape, its 0 dimension the batch size of *like* (whose batch
    axis is *like_batch_axis*), computed from *like* in the graph."""
    from ..symbol._ops import parse_attr

    node = state._outputs[0][0]
    shape = [int(d) for d in parse_attr(node.attrs["shape"])]
    k = shape.index(0)
    z = _sym_create("zeros_like", like)
    for a in range(nd):
        if a != like_batch_axis:
            z = _sym_create("slice_axis", z, axis=a, begin=0, end=1)
    target = [1] * len(shape)
    target[k] = -1
    z = _sym_create("Reshape", z, shape=tuple(target))
    reps = tuple(1 if d == 0 else d for d in shape)
    z = _sym_create("tile", z, reps=reps, name=node.name)
    dtype = node.attrs.get("dtype")
    if dtype and dtype != "float32":
        z = _sym_create("Cast", z, dtype=dtype)
    return z


def _fill_states(states: list, inputs: Any, batch_axis: int = 0, ndim: int = 2) -> list:
    """*states* with each zeros-of-unknown-batch replaced by zeros sized from *inputs*
    (of *ndim* dimensions, the batch on *batch_axis*: a step's (batch, features), or a
    fused RNN's (time, batch, features))."""
    return [_batch_zeros(inputs, batch_axis, s, ndim) if _is_unknown_zeros(s) else s
            for s in states]


def _cells_state_info(cells: list) -> list:
    return sum((c.state_info for c in cells), [])


def _cells_begin_state(cells: list, **kwargs: Any) -> list:
    return sum((c.begin_state(**kwargs) for c in cells), [])


def _cells_unpack_weights(cells: list, args: dict) -> dict:
    for c in cells:
        args = c.unpack_weights(args)
    return args


def _cells_pack_weights(cells: list, args: dict) -> dict:
    for c in cells:
        args = c.pack_weights(args)
    return args


def _normalize_sequence(length: Any, inputs: Any, layout: str, merge: Any,
                        in_layout: str | None = None) -> tuple:
    """*inputs* as a list of per-step symbols (merge False) or one merged symbol (merge
    True); a symbol stays a symbol and a list stays a list when merge is None."""
    if inputs is None:
        raise ValueError("unroll: inputs are required (create input variables outside "
                         "unroll; unroll(inputs=None) was removed from MXNet)")
    axis = layout.find("T")
    in_axis = in_layout.find("T") if in_layout is not None else axis
    if isinstance(inputs, symbol.Symbol):
        if merge is False:
            if len(inputs.list_outputs()) != 1:
                raise ValueError("unroll: a grouped symbol is not a sequence; pass "
                                 "list(inputs) or one symbol")
            inputs = list(_sym_create("split", inputs, axis=in_axis, num_outputs=length,
                                      squeeze_axis=1))
    else:
        inputs = list(inputs)
        if length is not None and len(inputs) != length:
            raise ValueError(f"unroll: {len(inputs)} inputs given for length {length}")
        if merge is True:
            inputs = [_sym_create("expand_dims", i, axis=axis) for i in inputs]
            inputs = _sym_create("Concat", *inputs, dim=axis)
            in_axis = axis
    if isinstance(inputs, symbol.Symbol) and axis != in_axis:
        inputs = _sym_create("swapaxes", inputs, dim1=axis, dim2=in_axis)
    return inputs, axis


# ------------------------------------------------------------------ parameters
class RNNParams:
    """The variables of a cell (or of cells sharing them), by name: ``get(name)``
    makes ``<prefix><name>`` once and returns the same variable after."""

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix
        self._params: dict[str, Any] = {}

    def get(self, name: str, **kwargs: Any) -> Any:
        full = self._prefix + name
        if full not in self._params:
            self._params[full] = symbol.Variable(full, **kwargs)
        return self._params[full]


class BaseRNNCell:
    """The base of the cells: naming, begin_state, unroll, weight (un)packing."""

    def __init__(self, prefix: str = "", params: RNNParams | None = None) -> None:
        if params is None:
            params = RNNParams(prefix)
            self._own_params = True
        else:
            self._own_params = False
        self._prefix = prefix
        self._params = params
        self._modified = False
        self.reset()

    def reset(self) -> None:
        """Restart the step and begin-state counters (before building another graph)."""
        self._init_counter = -1
        self._counter = -1
        for c in getattr(self, "_cells", ()):
            c.reset()

    def __call__(self, inputs: Any, states: Any) -> tuple:
        raise TypeError(f"{type(self).__name__} cannot be stepped; use unroll()")

    @property
    def params(self) -> RNNParams:
        self._own_params = False
        return self._params

    @property
    def state_info(self) -> list:
        return []

    @property
    def state_shape(self) -> list:
        return [i["shape"] for i in self.state_info]

    @property
    def _gate_names(self) -> Any:
        return ()

    def _check_unmodified(self) -> None:
        if self._modified:
            raise RuntimeError("After applying modifier cells (e.g. ZoneoutCell) the base "
                               "cell cannot be called directly. Call the modifier cell "
                               "instead.")

    def begin_state(self, func: Any = None, **kwargs: Any) -> list:
        """The initial states: ``func(name=<prefix>begin_state_<i>, shape=..., ...)``
        per state (default ``mx.sym.zeros``; ``mx.sym.Variable`` to feed them)."""
        self._check_unmodified()
        func = symbol.zeros if func is None else func
        states = []
        for info in self.state_info:
            self._init_counter += 1
            if info is not None:
                kwargs.update(info)
            states.append(func(name=f"{self._prefix}begin_state_{self._init_counter}",
                               **kwargs))
        return states

    def unpack_weights(self, args: dict) -> dict:
        """The fused i2h/h2h weights and biases of *args* split per gate
        (``<prefix>i2h_i_weight``...)."""
        args = dict(args)
        gates = self._gate_names
        if not gates:
            return args
        h = self._num_hidden
        for group in ("i2h", "h2h"):
            w = args.pop(f"{self._prefix}{group}_weight")
            b = args.pop(f"{self._prefix}{group}_bias")
            for j, gate in enumerate(gates):
                args[f"{self._prefix}{group}{gate}_weight"] = w[j * h:(j + 1) * h].copy()
                args[f"{self._prefix}{group}{gate}_bias"] = b[j * h:(j + 1) * h].copy()
        return args

    def pack_weights(self, args: dict) -> dict:
        """The reverse of :meth:`unpack_weights`."""
        from .. import legacy as nd

        args = dict(args)
        gates = self._gate_names
        if not gates:
            return args
        for group in ("i2h", "h2h"):
            ws = [args.pop(f"{self._prefix}{group}{g}_weight") for g in gates]
            bs = [args.pop(f"{self._prefix}{group}{g}_bias") for g in gates]
            args[f"{self._prefix}{group}_weight"] = nd.concatenate(ws)
            args[f"{self._prefix}{group}_bias"] = nd.concatenate(bs)
        return args

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Any = None) -> tuple:
        """The outputs and final states over *length* steps of *inputs* (one symbol of
        layout *layout*, or a list of per-step symbols)."""
        self.reset()
        inputs, _ = _normalize_sequence(length, inputs, layout, False)
        states = self.begin_state() if begin_state is None else begin_state
        outputs = []
        for i in range(length):
            out, states = self(inputs[i], states)
            outputs.append(out)
        outputs, _ = _normalize_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, inputs: Any, activation: Any, **kwargs: Any) -> Any:
        if isinstance(activation, str):
            return symbol.Activation(inputs, act_type=activation, **kwargs)
        return activation(inputs, **kwargs)


class RNNCell(BaseRNNCell):
    """A simple recurrent cell: ``h' = act(W_i x + b_i + W_h h + b_h)``."""

    def __init__(self, num_hidden: int, activation: Any = "tanh", prefix: str = "rnn_",
                 params: RNNParams | None = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        self._activation = activation
        self._iW = self.params.get("i2h_weight")
        self._iB = self.params.get("i2h_bias")
        self._hW = self.params.get("h2h_weight")
        self._hB = self.params.get("h2h_bias")

    @property
    def state_info(self) -> list:
        return [{"shape": (0, self._num_hidden), "__layout__": "NC"}]

    @property
    def _gate_names(self) -> Any:
        return ("",)

    def __call__(self, inputs: Any, states: Any) -> tuple:
        self._counter += 1
        name = f"{self._prefix}t{self._counter}_"
        states = _fill_states(states, inputs)
        i2h = symbol.FullyConnected(data=inputs, weight=self._iW, bias=self._iB,
                                    num_hidden=self._num_hidden, name=f"{name}i2h")
        h2h = symbol.FullyConnected(data=states[0], weight=self._hW, bias=self._hB,
                                    num_hidden=self._num_hidden, name=f"{name}h2h")
        out = self._get_activation(i2h + h2h, self._activation, name=f"{name}out")
        return out, [out]


class LSTMCell(BaseRNNCell):
    """A long short-term memory cell (gates i, f, c, o; ``forget_bias`` added to the
    forget gate's bias by its initializer, ``mx.init.LSTMBias``)."""

    def __init__(self, num_hidden: int, prefix: str = "lstm_",
                 params: RNNParams | None = None, forget_bias: float = 1.0) -> None:
        from .. import init

        super().__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        self._iW = self.params.get("i2h_weight")
        self._hW = self.params.get("h2h_weight")
        self._iB = self.params.get("i2h_bias", init=init.LSTMBias(forget_bias=forget_bias))
        self._hB = self.params.get("h2h_bias")

    @property
    def state_info(self) -> list:
        return [{"shape": (0, self._num_hidden), "__layout__": "NC"},
                {"shape": (0, self._num_hidden), "__layout__": "NC"}]

    @property
    def _gate_names(self) -> Any:
        return ["_i", "_f", "_c", "_o"]

    def __call__(self, inputs: Any, states: Any) -> tuple:
        self._counter += 1
        name = f"{self._prefix}t{self._counter}_"
        h = self._num_hidden
        states = _fill_states(states, inputs)
        i2h = symbol.FullyConnected(data=inputs, weight=self._iW, bias=self._iB,
                                    num_hidden=4 * h, name=f"{name}i2h")
        h2h = symbol.FullyConnected(data=states[0], weight=self._hW, bias=self._hB,
                                    num_hidden=4 * h, name=f"{name}h2h")
        gates = symbol.SliceChannel(i2h + h2h, num_outputs=4, name=f"{name}slice")
        i = symbol.Activation(gates[0], act_type="sigmoid", name=f"{name}i")
        f = symbol.Activation(gates[1], act_type="sigmoid", name=f"{name}f")
        c = symbol.Activation(gates[2], act_type="tanh", name=f"{name}c")
        o = symbol.Activation(gates[3], act_type="sigmoid", name=f"{name}o")
        next_c = _sym_create("_plus", f * states[1], i * c, name=f"{name}state")
        next_h = _sym_create("_mul", o, symbol.Activation(next_c, act_type="tanh"),
                             name=f"{name}out")
        return next_h, [next_h, next_c]


class GRUCell(BaseRNNCell):
    """A gated recurrent unit (cuDNN's variant: the reset gate scales h2h's candidate
    part after the product)."""

    def __init__(self, num_hidden: int, prefix: str = "gru_",
                 params: RNNParams | None = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        self._iW = self.params.get("i2h_weight")
        self._iB = self.params.get("i2h_bias")
        self._hW = self.params.get("h2h_weight")
        self._hB = self.params.get("h2h_bias")

    @property
    def state_info(self) -> list:
        return [{"shape": (0, self._num_hidden), "__layout__": "NC"}]

    @property
    def _gate_names(self) -> Any:
        return ["_r", "_z", "_o"]

    def __call__(self, inputs: Any, states: Any) -> tuple:
        self._counter += 1
        name = f"{self._prefix}t{self._counter}_"
        h = self._num_hidden
        states = _fill_states(states, inputs)
        prev = states[0]
        i2h = symbol.FullyConnected(data=inputs, weight=self._iW, bias=self._iB,
                                    num_hidden=3 * h, name=f"{name}_i2h")
        h2h = symbol.FullyConnected(data=prev, weight=self._hW, bias=self._hB,
                                    num_hidden=3 * h, name=f"{name}_h2h")
        ir, iz, ic = symbol.SliceChannel(i2h, num_outputs=3, name=f"{name}_i2h_slice")
        hr, hz, hc = symbol.SliceChannel(h2h, num_outputs=3, name=f"{name}_h2h_slice")
        r = symbol.Activation(ir + hr, act_type="sigmoid", name=f"{name}_r_act")
        z = symbol.Activation(iz + hz, act_type="sigmoid", name=f"{name}_z_act")
        cand = symbol.Activation(ic + r * hc, act_type="tanh", name=f"{name}_h_act")
        next_h = _sym_create("_plus", (1.0 - z) * cand, z * prev, name=f"{name}out")
        return next_h, [next_h]


class FusedRNNCell(BaseRNNCell):
    """Several layers (and directions) of one kind of cell as one ``RNN`` op with one
    flat ``parameters`` vector (MXNet's cuDNN layout: every layer's and direction's
    i2h then h2h weights per gate, then the biases in the same order)."""

    def __init__(self, num_hidden: int, num_layers: int = 1, mode: str = "lstm",
                 bidirectional: bool = False, dropout: float = 0.0,
                 get_next_state: bool = False, forget_bias: float = 1.0,
                 prefix: str | None = None, params: RNNParams | None = None) -> None:
        if mode not in ("rnn_relu", "rnn_tanh", "lstm", "gru"):
            raise ValueError(f"FusedRNNCell: mode must be 'rnn_relu', 'rnn_tanh', 'lstm' or "
                             f"'gru', got {mode!r}")
        super().__init__(prefix=f"{mode}_" if prefix is None else prefix, params=params)
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bool(bidirectional)
        self._dropout = dropout
        self._get_next_state = get_next_state
        self._forget_bias = forget_bias
        self._directions = ["l", "r"] if bidirectional else ["l"]
        from .initializer import FusedRNN

        self._parameter = self.params.get(
            "parameters", init=FusedRNN(None, num_hidden, num_layers, mode, bidirectional,
                                        forget_bias))

    @property
    def state_info(self) -> list:
        b = 2 if self._bidirectional else 1
        n = 2 if self._mode == "lstm" else 1
        return [{"shape": (b * self._num_layers, 0, self._num_hidden), "__layout__": "LNC"}
                for _ in range(n)]

    @property
    def _gate_names(self) -> Any:
        return {"rnn_relu": [""], "rnn_tanh": [""], "lstm": ["_i", "_f", "_c", "_o"],
                "gru": ["_r", "_z", "_o"]}[self._mode]

    @property
    def _num_gates(self) -> int:
        return len(self._gate_names)

    def _slices(self, num_input: int) -> list:
        """``(name, start, stop, shape)`` of every per-gate weight and bias in the flat
        vector."""
        h = self._num_hidden
        b = len(self._directions)
        out = []
        p = 0
        for layer in range(self._num_layers):
            ni = num_input if layer == 0 else b * h
            for d in self._directions:
                for group, width in (("i2h", ni), ("h2h", h)):
                    for g in self._gate_names:
                        out.append((f"{self._prefix}{d}{layer}_{group}{g}_weight", p,
                                    p + h * width, (h, width)))
                        p += h * width
        for layer in range(self._num_layers):
            for d in self._directions:
                for group in ("i2h", "h2h"):
                    for g in self._gate_names:
                        out.append((f"{self._prefix}{d}{layer}_{group}{g}_bias", p, p + h,
                                    (h,)))
                        p += h
        return out

    def _size(self, num_input: int) -> int:
        h, m, b = self._num_hidden, self._num_gates, len(self._directions)
        return (num_input + h + 2) * h * m * b + \
            (self._num_layers - 1) * m * h * (h + b * h + 2) * b

    def _num_input(self, size: int) -> int:
        h, m, b = self._num_hidden, self._num_gates, len(self._directions)
        return size // b // h // m - (self._num_layers - 1) * (h + b * h + 2) - h - 2

    def unpack_weights(self, args: dict) -> dict:
        args = dict(args)
        arr = args.pop(self._parameter.name)
        ni = self._num_input(arr.size)
        if self._size(ni) != arr.size:
            raise ValueError(f"FusedRNNCell.unpack_weights: {arr.size} parameters do not fit "
                             f"{self._num_layers} {self._mode} layer(s) of {self._num_hidden}")
        for name, lo, hi, shape in self._slices(ni):
            args[name] = arr[lo:hi].reshape(shape).copy()
        return args

    def pack_weights(self, args: dict) -> dict:
        from .. import legacy as nd

        args = dict(args)
        w0 = args[f"{self._prefix}l0_i2h{self._gate_names[0]}_weight"]
        ni = w0.shape[1]
        parts = []
        for name, lo, hi, shape in self._slices(ni):
            parts.append(args.pop(name).reshape((-1,)))
        args[self._parameter.name] = nd.concatenate(parts)
        return args

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Any = None) -> tuple:
        self.reset()
        inputs, axis = _normalize_sequence(length, inputs, layout, True)
        if axis == 1:
            inputs = _sym_create("swapaxes", inputs, dim1=0, dim2=1)
        elif axis != 0:
            raise ValueError(f"FusedRNNCell.unroll: unsupported layout {layout!r}")
        states = self.begin_state() if begin_state is None else begin_state
        states = _fill_states(states, inputs, batch_axis=1, ndim=3)
        kw = {"state": states[0]}
        if self._mode == "lstm":
            kw["state_cell"] = states[1]
        rnn = _sym_create("RNN", inputs, self._parameter, state_size=self._num_hidden,
                          num_layers=self._num_layers, bidirectional=self._bidirectional,
                          p=self._dropout, state_outputs=self._get_next_state,
                          mode=self._mode, name=f"{self._prefix}rnn", **kw)
        if not self._get_next_state:
            outputs, states = rnn, []
        elif self._mode == "lstm":
            rnn[1]._set_attr(__layout__="LNC")
            rnn[2]._set_attr(__layout__="LNC")
            outputs, states = rnn[0], [rnn[1], rnn[2]]
        else:
            rnn[1]._set_attr(__layout__="LNC")
            outputs, states = rnn[0], [rnn[1]]
        if axis == 1:
            outputs = _sym_create("swapaxes", outputs, dim1=0, dim2=1)
        outputs, _ = _normalize_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def unfuse(self) -> "SequentialRNNCell":
        """The same network as a stack of step cells (same parameter names as
        :meth:`unpack_weights` gives)."""
        make = {"rnn_relu": lambda p: RNNCell(self._num_hidden, activation="relu", prefix=p),
                "rnn_tanh": lambda p: RNNCell(self._num_hidden, activation="tanh", prefix=p),
                "lstm": lambda p: LSTMCell(self._num_hidden, prefix=p,
                                           forget_bias=self._forget_bias),
                "gru": lambda p: GRUCell(self._num_hidden, prefix=p)}[self._mode]
        stack = SequentialRNNCell()
        for i in range(self._num_layers):
            if self._bidirectional:
                stack.add(BidirectionalCell(make(f"{self._prefix}l{i}_"),
                                            make(f"{self._prefix}r{i}_"),
                                            output_prefix=f"{self._prefix}bi_l{i}_"))
            else:
                stack.add(make(f"{self._prefix}l{i}_"))
            if self._dropout > 0 and i != self._num_layers - 1:
                stack.add(DropoutCell(self._dropout, prefix=f"{self._prefix}_dropout{i}_"))
        return stack


class SequentialRNNCell(BaseRNNCell):
    """Cells stacked: each one's output is the next one's input."""

    def __init__(self, params: RNNParams | None = None) -> None:
        super().__init__(prefix="", params=params)
        self._override_cell_params = params is not None
        self._cells: list = []

    def add(self, cell: BaseRNNCell) -> None:
        self._cells.append(cell)
        if self._override_cell_params:
            if not cell._own_params:
                raise ValueError("Either specify params for SequentialRNNCell or child "
                                 "cells, not both.")
            cell.params._params.update(self.params._params)
        self.params._params.update(cell.params._params)

    @property
    def state_info(self) -> list:
        return _cells_state_info(self._cells)

    def begin_state(self, **kwargs: Any) -> list:
        self._check_unmodified()
        return _cells_begin_state(self._cells, **kwargs)

    def unpack_weights(self, args: dict) -> dict:
        return _cells_unpack_weights(self._cells, args)

    def pack_weights(self, args: dict) -> dict:
        return _cells_pack_weights(self._cells, args)

    def __call__(self, inputs: Any, states: Any) -> tuple:
        self._counter += 1
        nxt = []
        p = 0
        for cell in self._cells:
            if isinstance(cell, BidirectionalCell):
                raise TypeError("SequentialRNNCell: a BidirectionalCell cannot be stepped; "
                                "use unroll()")
            n = len(cell.state_info)
            inputs, st = cell(inputs, states[p:p + n])
            p += n
            nxt.extend(st)
        return inputs, nxt

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Any = None) -> tuple:
        self.reset()
        begin_state = self.begin_state() if begin_state is None else begin_state
        p = 0
        nxt = []
        last = len(self._cells) - 1
        for i, cell in enumerate(self._cells):
            n = len(cell.state_info)
            inputs, st = cell.unroll(length, inputs=inputs, begin_state=begin_state[p:p + n],
                                     layout=layout,
                                     merge_outputs=None if i < last else merge_outputs)
            p += n
            nxt.extend(st)
        return inputs, nxt


class DropoutCell(BaseRNNCell):
    """Dropout on the input (no state)."""

    def __init__(self, dropout: float, prefix: str = "dropout_",
                 params: RNNParams | None = None) -> None:
        super().__init__(prefix, params)
        if not isinstance(dropout, (int, float)):
            raise TypeError(f"DropoutCell: dropout must be a number, got {dropout!r}")
        self.dropout = dropout

    @property
    def state_info(self) -> list:
        return []

    def __call__(self, inputs: Any, states: Any) -> tuple:
        if self.dropout > 0:
            inputs = symbol.Dropout(data=inputs, p=self.dropout)
        return inputs, states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Any = None) -> tuple:
        self.reset()
        inputs, _ = _normalize_sequence(length, inputs, layout, merge_outputs)
        if isinstance(inputs, symbol.Symbol):
            return self(inputs, [])
        return super().unroll(length, inputs, begin_state=begin_state, layout=layout,
                              merge_outputs=merge_outputs)


class ModifierCell(BaseRNNCell):
    """A cell that changes another (its base cell, then no longer called directly)."""

    def __init__(self, base_cell: BaseRNNCell) -> None:
        super().__init__()
        base_cell._modified = True
        self.base_cell = base_cell

    @property
    def params(self) -> RNNParams:
        self._own_params = False
        return self.base_cell.params

    @property
    def state_info(self) -> list:
        return self.base_cell.state_info

    def begin_state(self, init_sym: Any = None, **kwargs: Any) -> list:
        self._check_unmodified()
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(init_sym, **kwargs)
        finally:
            self.base_cell._modified = True

    def unpack_weights(self, args: dict) -> dict:
        return self.base_cell.unpack_weights(args)

    def pack_weights(self, args: dict) -> dict:
        return self.base_cell.pack_weights(args)


class ZoneoutCell(ModifierCell):
    """Zoneout: in training, each unit of the output / states keeps its previous value
    with probability ``zoneout_outputs`` / ``zoneout_states``."""

    def __init__(self, base_cell: BaseRNNCell, zoneout_outputs: float = 0.0,
                 zoneout_states: float = 0.0) -> None:
        if isinstance(base_cell, (FusedRNNCell, BidirectionalCell)):
            raise TypeError(f"ZoneoutCell: a {type(base_cell).__name__} cannot be stepped "
                            f"(unfuse it, or wrap the cells underneath)")
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self.prev_output = None

    def reset(self) -> None:
        super().reset()
        self.prev_output = None

    def __call__(self, inputs: Any, states: Any) -> tuple:
        states = _fill_states(states, inputs)
        out, new_states = self.base_cell(inputs, states)

        def keep_new(p: float, like: Any) -> Any:
            return symbol.Dropout(_sym_create("ones_like", like), p=p)

        prev = self.prev_output if self.prev_output is not None else \
            _sym_create("zeros_like", out)
        if self.zoneout_outputs != 0.0:
            out = _sym_create("where", keep_new(self.zoneout_outputs, out), out, prev)
        if self.zoneout_states != 0.0:
            new_states = [_sym_create("where", keep_new(self.zoneout_states, n), n, o)
                          for n, o in zip(new_states, states)]
        self.prev_output = out
        return out, new_states


class ResidualCell(ModifierCell):
    """The base cell's output plus its input."""

    def __call__(self, inputs: Any, states: Any) -> tuple:
        out, states = self.base_cell(inputs, states)
        return _sym_create("elemwise_add", out, inputs, name=f"{out.name}_plus_residual"), \
            states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Any = None) -> tuple:
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs=inputs,
                                                    begin_state=begin_state, layout=layout,
                                                    merge_outputs=merge_outputs)
        finally:
            self.base_cell._modified = True
        if merge_outputs is None:
            merge_outputs = isinstance(outputs, symbol.Symbol)
        inputs, _ = _normalize_sequence(length, inputs, layout, merge_outputs)
        if merge_outputs:
            return _sym_create("elemwise_add", outputs, inputs,
                               name=f"{outputs.name}_plus_residual"), states
        return [_sym_create("elemwise_add", o, i, name=f"{o.name}_plus_residual")
                for o, i in zip(outputs, inputs)], states


class BidirectionalCell(BaseRNNCell):
    """One cell over the sequence forward and one backward, outputs concatenated."""

    def __init__(self, l_cell: BaseRNNCell, r_cell: BaseRNNCell,
                 params: RNNParams | None = None, output_prefix: str = "bi_") -> None:
        super().__init__("", params=params)
        self._output_prefix = output_prefix
        self._override_cell_params = params is not None
        if self._override_cell_params:
            if not (l_cell._own_params and r_cell._own_params):
                raise ValueError("Either specify params for BidirectionalCell or child "
                                 "cells, not both.")
            l_cell.params._params.update(self.params._params)
            r_cell.params._params.update(self.params._params)
        self.params._params.update(l_cell.params._params)
        self.params._params.update(r_cell.params._params)
        self._cells = [l_cell, r_cell]

    def unpack_weights(self, args: dict) -> dict:
        return _cells_unpack_weights(self._cells, args)

    def pack_weights(self, args: dict) -> dict:
        return _cells_pack_weights(self._cells, args)

    @property
    def state_info(self) -> list:
        return _cells_state_info(self._cells)

    def begin_state(self, **kwargs: Any) -> list:
        self._check_unmodified()
        return _cells_begin_state(self._cells, **kwargs)

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Any = None) -> tuple:
        self.reset()
        inputs, axis = _normalize_sequence(length, inputs, layout, False)
        states = self.begin_state() if begin_state is None else begin_state
        lc, rc = self._cells
        nl = len(lc.state_info)
        l_out, l_st = lc.unroll(length, inputs=inputs, begin_state=states[:nl], layout=layout,
                                merge_outputs=merge_outputs)
        r_out, r_st = rc.unroll(length, inputs=list(reversed(inputs)),
                                begin_state=states[nl:], layout=layout,
                                merge_outputs=merge_outputs)
        if merge_outputs is None:
            merge_outputs = isinstance(l_out, symbol.Symbol) and isinstance(r_out,
                                                                            symbol.Symbol)
            if not merge_outputs:
                if isinstance(l_out, symbol.Symbol):
                    l_out = list(symbol.SliceChannel(l_out, axis=axis, num_outputs=length,
                                                     squeeze_axis=1))
                if isinstance(r_out, symbol.Symbol):
                    r_out = list(symbol.SliceChannel(r_out, axis=axis, num_outputs=length,
                                                     squeeze_axis=1))
        if merge_outputs:
            l_out = [l_out]
            r_out = [_sym_create("reverse", r_out, axis=axis)]
        else:
            r_out = list(reversed(r_out))
        outs = [_sym_create("Concat", lo, ro, dim=1 + bool(merge_outputs),
                            name=(f"{self._output_prefix}out" if merge_outputs
                                  else f"{self._output_prefix}t{i}"))
                for i, (lo, ro) in enumerate(zip(l_out, r_out))]
        return (outs[0] if merge_outputs else outs), [l_st, r_st]
