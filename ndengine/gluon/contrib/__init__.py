"""``mxnet.gluon.contrib``: the contributed layers that MXNet 1.9.1's model zoo and
tutorials use (``contrib.nn``, ``contrib.rnn``, ``contrib.estimator``, ``contrib.data``)."""
from . import nn, rnn
from . import data, estimator

__all__ = ["nn", "rnn", "data", "estimator"]

from ...base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals())
