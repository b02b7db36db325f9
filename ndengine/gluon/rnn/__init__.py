"""``mxnet.gluon.rnn``: the recurrent layers and cells.

Not built yet (issue 14): this module exists so that ``from mxnet.gluon import rnn``
works; any of its layers (RNN, LSTM, GRU, the cells) is an AttributeError that says so.
"""

__all__: list[str] = []

_MXNET_NAMES = ("BidirectionalCell", "DropoutCell", "GRU", "GRUCell", "HybridRecurrentCell",
                "HybridSequentialRNNCell", "LSTM", "LSTMCell", "ModifierCell", "RNN",
                "RNNCell", "RecurrentCell", "ResidualCell", "SequentialRNNCell",
                "ZoneoutCell", "rnn_cell", "rnn_layer")


def __getattr__(name: str):
    if name in _MXNET_NAMES:
        raise AttributeError(f"module 'mxnet.gluon.rnn' has no attribute {name!r}: "
                             f"ndengine's recurrent layers are not built yet (issue 14)")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
