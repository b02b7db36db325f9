"""``mxnet.optimizer``: SGD, Adam, AdaGrad, RMSProp; ``create`` / ``register``; Updater.

Updates are fused engine ops (see :mod:`ndengine.ndarray.optim_ops`): calling
``optimizer.update`` or ``trainer.step`` pushes them and returns at once.
"""
from .adaptive import AdaGrad, Adam, RMSProp
from .optimizer import Optimizer, Updater, create, get_updater, register
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdaGrad", "RMSProp", "Updater", "get_updater",
           "create", "register"]
