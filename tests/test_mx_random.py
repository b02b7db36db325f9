"""mx.random (MXNet 1.x's sampling functions over the legacy arrays) and
mx.context.gpu_memory_info."""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine
from ndengine import context, legacy
from ndengine import random as R
from ndengine.base import MXNetError


def test_mx_random_is_the_legacy_samplers_and_the_one_seed():
    for name in ("uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson",
                 "negative_binomial", "multinomial", "shuffle"):
        assert getattr(R, name) is getattr(legacy.random, name)
    assert R.seed is ndengine.np.random.seed and R.Context is context.Context
    R.seed(5)
    a = R.uniform(0, 1, shape=(3,)).asnumpy()
    R.seed(5)
    assert (R.uniform(0, 1, shape=(3,)).asnumpy() == a).all()


def test_negative_binomials():
    R.seed(1)
    x = R.negative_binomial(3, 0.4, shape=(20000,))
    assert type(x) is legacy.NDArray and x.dtype == onp.float32
    v = x.asnumpy()
    assert abs(v.mean() - 4.5) < 0.2 and abs(v.var() - 11.25) < 1.0
    g = R.generalized_negative_binomial(2.0, 0.5, shape=(20000,)).asnumpy()
    assert abs(g.mean() - 2.0) < 0.1 and abs(g.var() - 4.0) < 0.5
    p = R.generalized_negative_binomial(3.0, 0, shape=(20000,), dtype="float64")
    assert p.dtype == onp.float64
    assert abs(p.asnumpy().mean() - 3.0) < 0.1 and abs(p.asnumpy().var() - 3.0) < 0.3
    assert R.generalized_negative_binomial(1.0, 0.5).shape == (1,)


def test_gpu_memory_info_without_a_gpu():
    assert context.gpu_memory_info is ndengine.npx.gpu_memory_info
    if ndengine.num_gpus():
        free, total = context.gpu_memory_info(0)
        assert 0 < free <= total
    else:
        with pytest.raises(MXNetError, match="gpu.0. is not available"):
            context.gpu_memory_info(0)
