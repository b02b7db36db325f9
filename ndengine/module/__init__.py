"""``mx.mod`` / ``mx.module``: MXNet 1.x's Module API — a symbol, its parameters and
the executors that run it (``Module``), with the training and prediction loops of
``BaseModule`` (``fit``, ``score``, ``predict``)."""
from .base_module import BaseModule
from .bucketing_module import BucketingModule
from .module import Module

__all__ = ["BaseModule", "Module", "BucketingModule"]
