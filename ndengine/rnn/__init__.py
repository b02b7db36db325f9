"""MXNet 1.x's legacy symbolic RNN API (``mx.rnn``): cells that build ``mx.sym``
graphs (:mod:`.rnn_cell`), checkpoints with unpacked weights (:mod:`.rnn`) and the
bucketing sentence iterator (:mod:`.io`), for ``mx.mod.BucketingModule``."""
from __future__ import annotations

from . import io, rnn, rnn_cell
from .initializer import FusedRNN  # noqa: F401  (registers mx.init's "fusedrnn")
from .io import BucketSentenceIter, encode_sentences
from .rnn import do_rnn_checkpoint, load_rnn_checkpoint, save_rnn_checkpoint
from .rnn_cell import (BaseRNNCell, BidirectionalCell, DropoutCell, FusedRNNCell, GRUCell,
                       LSTMCell, ModifierCell, ResidualCell, RNNCell, RNNParams,
                       SequentialRNNCell, ZoneoutCell)

__all__ = ["rnn_cell", "rnn", "io", "RNNParams", "BaseRNNCell", "RNNCell", "LSTMCell",
           "GRUCell", "FusedRNNCell", "SequentialRNNCell", "DropoutCell", "ModifierCell",
           "ZoneoutCell", "ResidualCell", "BidirectionalCell", "BucketSentenceIter",
           "encode_sentences", "save_rnn_checkpoint", "load_rnn_checkpoint",
           "do_rnn_checkpoint"]
