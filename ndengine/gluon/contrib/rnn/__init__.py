"""``mxnet.gluon.contrib.rnn``: the convolutional cells (``Conv1DRNNCell`` ...
``Conv3DGRUCell``, :mod:`.conv_rnn_cell`), ``VariationalDropoutCell`` and ``LSTMPCell``
(:mod:`.rnn_cell`, which also has ``dynamic_unroll``), as MXNet 1.9.1."""
from . import conv_rnn_cell, rnn_cell
from .conv_rnn_cell import (Conv1DGRUCell, Conv1DLSTMCell, Conv1DRNNCell, Conv2DGRUCell,
                            Conv2DLSTMCell, Conv2DRNNCell, Conv3DGRUCell, Conv3DLSTMCell,
                            Conv3DRNNCell)
from .rnn_cell import LSTMPCell, VariationalDropoutCell

__all__ = conv_rnn_cell.__all__ + rnn_cell.__all__

from ....base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals())
