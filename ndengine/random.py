"""``mxnet.random``: MXNet 1.x's sampling functions (those of ``mx.nd.random``:
``shape=``, float32 by default, legacy ``mx.nd`` arrays back) and ``seed``.

``mx.random.seed(s)`` seeds the generator of every device (or of ``ctx``): each device
holds one generator behind an engine var, shared by ``mx.np.random`` and
``mx.nd.random``, so results for a seed are identical under any schedule.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .device import Context
from .legacy import random as _lr
from .legacy.random import (  # noqa: F401
    exponential, gamma, multinomial, negative_binomial, normal, poisson, randint, randn,
    shuffle, uniform)
from .numpy.random import seed  # noqa: F401  (the one seed of every device's generator)



def generalized_negative_binomial(mu: Any = 1, alpha: Any = 1, shape: Any = None,
                                  dtype: Any = None, ctx: Any = None, out: Any = None,
                                  **kwargs: Any) -> Any:
    """Samples of mean *mu* and dispersion *alpha*: a Poisson of a
    gamma(1/alpha, alpha*mu)-distributed rate, and a Poisson(mu) for ``alpha=0`` (as
    MXNet)."""
    if isinstance(alpha, (int, float, _onp.number)) and not isinstance(alpha, bool) \
            and alpha == 0:
        return poisson(mu, shape=shape, dtype=dtype, ctx=ctx, out=out)
    return _lr.generalized_negative_binomial(mu, alpha, shape=shape, dtype=dtype, ctx=ctx,
                                             out=out, **kwargs)


__all__ = ["seed", "uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson",
           "negative_binomial", "generalized_negative_binomial", "multinomial", "shuffle",
           "Context"]


from .base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals())
