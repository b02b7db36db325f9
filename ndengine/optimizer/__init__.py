"""``mxnet.optimizer``: SGD, NAG, Signum, LARS, LBSGD, SGLD, DCASGD, Adam, AdaGrad,
RMSProp, AdaDelta, Adamax, Nadam, Ftrl, FTML, LAMB (and MXNet's ``Test`` and ``ccSGD``);
``create`` / ``register``; ``Updater`` / ``get_updater``.

Updates are fused engine ops (see :mod:`ndengine.ndarray.optim_ops`): calling
``optimizer.update`` or ``trainer.step`` pushes them and returns at once.
"""
from . import contrib
from .adaptive import FTML, LAMB, AdaDelta, AdaGrad, Adam, Adamax, Ftrl, Nadam, RMSProp
from .optimizer import Optimizer, Updater, create, get_updater, register
from .sgd import DCASGD, LARS, LBSGD, NAG, SGD, SGLD, Signum, Test, ccSGD

__all__ = ["Optimizer", "SGD", "ccSGD", "NAG", "Signum", "LARS", "LBSGD", "SGLD", "DCASGD",
           "Adam", "AdaGrad", "RMSProp", "AdaDelta", "Adamax", "Nadam", "Ftrl", "FTML",
           "LAMB", "Test", "Updater", "get_updater", "create", "register"]
