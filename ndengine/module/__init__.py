"""``mx.mod`` / ``mx.module``: MXNet 1.x's Module API — a symbol, its parameters and
the executors that run it (``Module``), chains of modules (``SequentialModule``),
modules written in Python (``PythonModule``, ``PythonLossModule``) and modules per
input length (``BucketingModule``), with the training and prediction loops of
``BaseModule`` (``fit``, ``score``, ``predict``)."""
from .base_module import BaseModule
from .bucketing_module import BucketingModule
from .module import Module
from .python_module import PythonLossModule, PythonModule
from .sequential_module import SequentialModule

__all__ = ["BaseModule", "Module", "BucketingModule", "SequentialModule", "PythonModule",
           "PythonLossModule"]
