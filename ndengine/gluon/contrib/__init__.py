"""``mxnet.gluon.contrib``: the contributed layers that MXNet 1.9.1's model zoo and
tutorials use (``contrib.nn``)."""
from . import nn

__all__ = ["nn"]

from ...base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals())
