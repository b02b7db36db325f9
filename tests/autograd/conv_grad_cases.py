"""Gradient cases of the ops of ndarray/ops_conv.py and of the normalization and masked
softmax ops of ndarray/ops_nn.py added with them (merged into test_op_gradients.py's
``CASES`` / ``NON_DIFFERENTIABLE``): float64 inputs are the variables, checked against
central finite differences."""
from __future__ import annotations

import numpy as onp

from ndengine import np, npx

R = onp.random.default_rng(11)


def U(*shape, lo=-1.0, hi=1.0):
    return R.uniform(lo, hi, size=shape)


def distinct(*shape):
    """No ties (max pooling's argmax must not flip under the finite differences)."""
    n = int(onp.prod(shape))
    return (R.permutation(n) * 0.37 - n * 0.15).reshape(shape)


def C(fn, *inputs, **tol):
    return (fn, list(inputs), tol)


def _conv(**kw):
    return lambda x, w, b: npx.convolution(x, w, b, **kw)


def _deconv(**kw):
    return lambda x, w, b: npx.deconvolution(x, w, b, no_bias=False, **kw)


def _pool(**kw):
    return lambda x: npx.pooling(x, **kw)


CONV_NON_DIFFERENTIABLE = {
    # the gradient ops the convolution / pooling gradients push (their own gradients are
    # never needed: the data gradients go through convolution / deconvolution)
    "_convolution_weight_grad", "_convolution_weight_grad_cols", "_pooling_backward",
    "_global_pooling_backward",
    "_group_norm_backward",
}

_MASK = onp.array([[1, 1, 0, 1], [0, 1, 0, 0], [1, 1, 1, 1]], dtype=bool)
_MASK3 = onp.array([[[1, 0, 1]], [[0, 1, 1]]], dtype=bool)       # broadcast over axis 1


def _masked_log(mask, **kw):
    # the masked entries are -inf: compare the kept ones only
    def f(a):
        m = np.array(mask)
        return np.where(m, npx.masked_log_softmax(a, m, **kw), 0)
    return f

CONV_CASES = {
    "convolution": [
        C(_conv(kernel=(3,), stride=(2,), pad=(1,), dilate=(2,)), U(2, 2, 9), U(3, 2, 3), U(3)),
        C(_conv(kernel=(2, 3), stride=(1, 2), pad=(1, 0), num_group=2), U(2, 4, 5, 6),
          U(4, 2, 2, 3), U(4)),
        C(_conv(kernel=(2, 1, 2), pad=(0, 1, 1)), U(1, 2, 3, 3, 3), U(2, 2, 2, 1, 2), U(2)),
    ],
    "deconvolution": [
        C(_deconv(kernel=(3,), stride=(2,), pad=(1,), adj=(1,)), U(2, 2, 4), U(2, 3, 3), U(3)),
        C(_deconv(kernel=(2, 3), stride=(2, 1), dilate=(1, 2), num_group=2), U(1, 4, 3, 3),
          U(4, 1, 2, 3), U(2)),
        C(_deconv(kernel=(2, 2, 2), stride=(1, 1, 1), pad=(1, 0, 0)), U(1, 2, 3, 2, 2),
          U(2, 2, 2, 2, 2), U(2)),
    ],
    "pooling": [
        C(_pool(kernel=(2, 2), stride=(2, 1), pad=(1, 0)), distinct(2, 2, 5, 4)),
        C(_pool(kernel=(3,), stride=(2,), pad=(1,), pool_type="avg",
                pooling_convention="full"), U(2, 3, 6)),
        C(_pool(kernel=(2, 2), pool_type="avg", count_include_pad=False, pad=(1, 1)),
          U(1, 2, 3, 4)),
        C(_pool(kernel=(2, 2, 1), pool_type="sum"), U(1, 2, 3, 3, 2)),
        C(_pool(kernel=(2, 2), stride=(2, 2), pool_type="lp", p_value=3), U(1, 2, 4, 4, lo=0.2)),
        C(_pool(kernel=(3,), pool_type="lp", p_value=1), U(1, 2, 5, lo=0.2)),
    ],
    "global_pooling": [
        C(_pool(kernel=(1, 1), global_pool=True), distinct(2, 3, 3, 4)),
        C(_pool(kernel=(1,), global_pool=True, pool_type="avg"), U(2, 3, 5)),
        C(_pool(kernel=(1,), global_pool=True, pool_type="sum"), U(1, 2, 2, 2, 3)),
        C(_pool(kernel=(1, 1), global_pool=True, pool_type="lp", p_value=2),
          U(2, 2, 3, 3, lo=0.2)),
    ],
    "group_norm": [
        C(lambda x, g, b: npx.group_norm(x, g, b, num_groups=2), U(2, 4, 3), U(4), U(4)),
        C(lambda x, g, b: npx.group_norm(x, g, b, num_groups=3, eps=1e-3), U(2, 6, 2, 2),
          U(3), U(3)),
        C(lambda x, g, b: npx.instance_norm(x, g, b), U(2, 3, 5), U(3), U(3)),
    ],
    "masked_softmax": [
        C(lambda a: npx.masked_softmax(a, np.array(_MASK)), U(3, 4)),
        C(lambda a: npx.masked_softmax(a, np.array(_MASK3), axis=0, temperature=0.7),
          U(2, 2, 3)),
    ],
    "masked_log_softmax": [
        C(_masked_log(_MASK), U(3, 4)),
        C(_masked_log(onp.broadcast_to(_MASK3, (2, 2, 3)), axis=-1, temperature=2.0),
          U(2, 2, 3)),
    ],
}
