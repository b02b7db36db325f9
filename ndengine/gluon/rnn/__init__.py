"""``mxnet.gluon.rnn``: the fused recurrent layers (RNN, LSTM, GRU, computed by
``npx.rnn``) and the cells with ``unroll`` (see :mod:`.rnn_layer`, :mod:`.rnn_cell`)."""
from . import rnn_cell, rnn_layer
from .rnn_cell import (BidirectionalCell, DropoutCell, GRUCell, HybridRecurrentCell,
                       HybridSequentialRNNCell, LSTMCell, ModifierCell, RecurrentCell, RNNCell,
                       ResidualCell, SequentialRNNCell, ZoneoutCell)
from .rnn_layer import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU", "RecurrentCell", "HybridRecurrentCell", "RNNCell", "LSTMCell",
           "GRUCell", "SequentialRNNCell", "HybridSequentialRNNCell", "DropoutCell",
           "ModifierCell", "ZoneoutCell", "ResidualCell", "BidirectionalCell", "rnn_cell",
           "rnn_layer"]
