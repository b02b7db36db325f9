"""``mxnet.random``: seeding and sampling (see ``ndengine.np.random``, which this mirrors).

``mx.random.seed(s)`` seeds the generator of every device (or of ``ctx``): each device
holds one generator behind an engine var, so results for a seed are identical under
any schedule.
"""
from __future__ import annotations

from .numpy.random import (  # noqa: F401
    choice, exponential, gamma, multinomial, normal, poisson, randint, randn, seed, shuffle,
    uniform)

__all__ = ["seed", "uniform", "normal", "randn", "randint", "choice", "shuffle", "exponential",
           "gamma", "poisson", "multinomial"]
