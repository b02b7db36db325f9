"""``mxnet.gluon.contrib.data``: ``IntervalSampler``.

MXNet 1.9.1 also has the text datasets ``contrib.data.text`` (WikiText-2/103, which
download their corpus); ndengine does not have them."""
from .sampler import IntervalSampler

__all__ = ["IntervalSampler"]
