"""``alias_as_mxnet()``: make ``import mxnet`` resolve to ndengine."""
from __future__ import annotations

import importlib
import sys

# mxnet module name -> ndengine module name (those that exist are registered)
_ALIASES = {
    "mxnet": "ndengine",
    "mxnet.base": "ndengine.base",
    "mxnet.engine": "ndengine.engine",
    "mxnet.np": "ndengine.numpy",
    "mxnet.numpy": "ndengine.numpy",
    "mxnet.npx": "ndengine.npx",
    "mxnet.numpy_extension": "ndengine.npx",
    "mxnet.context": "ndengine.context",
    "mxnet.device": "ndengine.context",
    "mxnet.autograd": "ndengine.autograd",
    "mxnet.gluon": "ndengine.gluon",
    "mxnet.gluon.nn": "ndengine.gluon.nn",
    "mxnet.gluon.loss": "ndengine.gluon.loss",
    "mxnet.gluon.data": "ndengine.gluon.data",
    "mxnet.gluon.data.vision": "ndengine.gluon.data.vision",
    "mxnet.gluon.utils": "ndengine.gluon.utils",
    "mxnet.gluon.parameter": "ndengine.gluon.parameter",
    "mxnet.gluon.block": "ndengine.gluon.block",
    "mxnet.gluon.trainer": "ndengine.gluon.trainer",
    "mxnet.gluon.rnn": "ndengine.gluon.rnn",
    "mxnet.init": "ndengine.init",
    "mxnet.initializer": "ndengine.init",
    "mxnet.optimizer": "ndengine.optimizer",
    "mxnet.kvstore": "ndengine.kvstore",
    "mxnet.profiler": "ndengine.profiler",
    "mxnet.random": "ndengine.random",
    "mxnet.util": "ndengine.util",
}


def alias_as_mxnet() -> list[str]:
    """Register ndengine's modules under the ``mxnet`` names, so code written for
    ``import mxnet`` / ``from mxnet import np, npx, autograd, gluon`` runs unchanged.

    Returns the mxnet names registered (modules ndengine does not have yet are skipped)."""
    done = []
    for mx_name, nd_name in _ALIASES.items():
        try:
            mod = importlib.import_module(nd_name)
        except ImportError:
            continue
        sys.modules[mx_name] = mod
        done.append(mx_name)
    return done
