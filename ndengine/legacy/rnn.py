"""``mx.nd.RNN``: MXNet's fused recurrent layer (vanilla RNN with relu/tanh, LSTM, GRU;
stacked, bidirectional) on legacy arrays.  The one implementation is ``npx.rnn``
(:mod:`ndengine._npx_seq`: MXNet's flat parameter layout and gate order, the steps
composed from ops of the op table); this is its legacy-array front."""
from __future__ import annotations

from typing import Any

from .. import npx as _npx
from ._util import arr, ret

__all__ = ["RNN"]


def RNN(data: Any, parameters: Any, state: Any, state_cell: Any = None,
        sequence_length: Any = None, state_size: int = 0, num_layers: int = 1,
        bidirectional: bool = False, mode: str = "lstm", p: float = 0.0,
        state_outputs: bool = False, projection_size: Any = None,
        lstm_state_clip_min: Any = None, lstm_state_clip_max: Any = None,
        lstm_state_clip_nan: bool = False, use_sequence_length: bool = False,
        out: Any = None, name: Any = None) -> Any:
    """Recurrent layers over (T, N, input) *data* from initial *state* (L*D, N, H) (and
    *state_cell* for LSTM): the output (T, N, D*H), and with ``state_outputs`` the final
    states (see ``npx.rnn``)."""
    opt = [None if a is None else arr(a, "RNN", what)
           for a, what in ((state_cell, "state_cell"), (sequence_length, "sequence_length"))]
    r = _npx.rnn(arr(data, "RNN"), arr(parameters, "RNN", "parameters"),
                 arr(state, "RNN", "state"), opt[0], opt[1], state_size=state_size,
                 num_layers=num_layers, bidirectional=bidirectional, mode=mode, p=p,
                 state_outputs=state_outputs, projection_size=projection_size,
                 lstm_state_clip_min=lstm_state_clip_min,
                 lstm_state_clip_max=lstm_state_clip_max,
                 lstm_state_clip_nan=lstm_state_clip_nan,
                 use_sequence_length=use_sequence_length)
    return ret(r, out)
