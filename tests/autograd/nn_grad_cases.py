"""Gradient cases of the ops of ndarray/ops_nn.py (merged into test_op_gradients.py's
``CASES`` / ``NON_DIFFERENTIABLE``): float64 inputs are the variables, checked against
central finite differences."""
from __future__ import annotations

import numpy as onp

from ndengine import autograd, np, npx
from ndengine.ndarray.ops import OPS

R = onp.random.default_rng(7)


def U(*shape, lo=-1.0, hi=1.0):
    return R.uniform(lo, hi, size=shape)


def I(*vals):
    return onp.array(vals, dtype=onp.int64)


def C(fn, *inputs, **tol):
    return (fn, list(inputs), tol)


def _train(fn):
    """Evaluate *fn* in training mode also when the finite differences run it."""
    def f(*args):
        with autograd.train_mode():
            return fn(*args)
    return f


def _bn(x, g, b, **kw):
    c = x.shape[kw.get("axis", 1)]
    return npx.batch_norm(x, g, b, np.zeros(c, dtype="float64"), np.ones(c, dtype="float64")
                          * 1.5, **kw)


def _relu_backward_case(g):
    from ndengine.ndarray.ndarray import apply_op

    y = np.array(onp.array([[1.0, -2.0, 0.5], [-0.1, 3.0, -1.0]]))
    return apply_op(OPS["_relu_backward"], (g, y))


def _fc_relu(x, w, b):
    from ndengine.gluon.nn import _ops

    return _ops.fully_connected(x, w, b, act_type="relu")


def _sce(label, axis=-1, batch_axis=0, weight=None):
    """SoftmaxCrossEntropyLoss's fused op (class-index labels, given as floats)."""
    from ndengine.gluon.loss import SoftmaxCrossEntropyLoss

    lab = np.array(onp.asarray(label, dtype=onp.float64))

    def f(p):
        return SoftmaxCrossEntropyLoss(axis=axis, batch_axis=batch_axis, weight=weight)(p, lab)
    return f


_LEN = np.array(I(2, 4, 1))

NN_NON_DIFFERENTIABLE = {
    "_batch_norm_backward", "_batch_norm_running", "_layer_norm_backward",
    "_embedding_backward", "_length_mask_mul", "digamma", "_scatter_nd_add",
    "_topk_backward", "topk_mask", "arange_like", "constraint_check",
    "_roi_pooling_backward", "multibox_prior", "multibox_target", "multibox_detection",
    # fused gradients (under create_graph their ops' gradients compose differentiable ops)
    "_fc_backward", "_softmax_ce_backward", "_softmax_ce_label",
}

NN_CASES = {
    "fully_connected": [
        C(lambda x, w, b: npx.fully_connected(x, w, b, num_hidden=4), U(2, 3), U(4, 3), U(4)),
        C(lambda x, w: npx.fully_connected(x, w, no_bias=True, num_hidden=4), U(2, 3, 2),
          U(4, 6)),
        C(lambda x, w, b: npx.fully_connected(x, w, b, flatten=False), U(2, 3, 2), U(4, 2),
          U(4)),
        C(lambda x, w, b: _fc_relu(x, w, b), U(3, 3), U(4, 3), U(4))],
    "_relu_backward": [C(_relu_backward_case, U(2, 3))],
    "SoftmaxCrossEntropyLoss": [C(_sce([2, 0, 4]), U(3, 5, lo=-3, hi=3)),
                    C(_sce([[1, 0, 2], [2, 2, 0]], axis=1, weight=0.5), U(2, 3, 3)),
                    C(_sce([[0, 1], [1, 1], [0, 0]], batch_axis=1), U(3, 2, 2))],
    "batch_norm": [
        C(_train(lambda x, g, b: _bn(x, g, b, fix_gamma=False)), U(4, 3, 2), U(3), U(3)),
        C(_train(lambda x, b: _bn(x, np.ones(3, dtype="float64"), b)), U(4, 3), U(3)),
        C(_train(lambda x, g, b: _bn(x, g, b, fix_gamma=False, axis=-1)), U(5, 2, 3), U(3),
          U(3)),
        C(lambda x, g, b: _bn(x, g, b, fix_gamma=False, use_global_stats=True), U(4, 3),
          U(3), U(3)),
        C(_train(lambda x, g, b: _bn(x, g, b, fix_gamma=False, eps=0.1)), U(4, 3), U(3),
          U(3)),
        # mean far from 0 against the spread: the statistics' two-pass path
        C(_train(lambda x, g, b: _bn(x, g, b, fix_gamma=False)), U(4, 3, 2, lo=20, hi=21),
          U(3), U(3))],
    "layer_norm": [
        C(lambda x, g, b: npx.layer_norm(x, g, b), U(3, 4), U(4), U(4)),
        C(lambda x, g, b: npx.layer_norm(x, g, b, axis=1, eps=0.01), U(2, 3, 2), U(3),
          U(3))],
    "roi_pooling": [
        C(lambda x: npx.roi_pooling(x, np.array([[0, 0, 0, 9, 7], [1, 3, 2, 30, 30],
                                                 [0, 4.4, 2.6, 6, 5]]),
                                    pooled_size=(2, 3), spatial_scale=0.5),
          onp.random.default_rng(3).permutation(120).reshape(2, 2, 5, 6) / 10.0)],
    "embedding": [C(lambda w: npx.embedding(np.array(I(1, 3, 1, 7, -2)), w, 4, 2), U(4, 2)),
                  C(lambda w: npx.embedding(np.array(I(0, 2, 2, 1)).reshape(2, 2), w), U(3, 5))],
    # sparse_grad: a dense weight buffer gets the row-sparse gradient's dense value
    "_sparse_embedding": [C(lambda w: npx.embedding(np.array(I(1, 3, 1, 7, -2)), w, 4, 2,
                                                    sparse_grad=True), U(4, 2))],
    "sequence_mask": [
        C(lambda x: npx.sequence_mask(x, np.array(I(1, 3)), use_sequence_length=True,
                                      value=2.0), U(3, 2, 2)),
        C(lambda x: npx.sequence_mask(x, np.array(I(2, 0, 1)), use_sequence_length=True,
                                      axis=1), U(3, 2))],
    "softmax_length": [
        C(lambda x: npx.softmax(x, _LEN, use_length=True), U(3, 5)),
        C(lambda x: npx.softmax(x, np.array(I(1, 3)), axis=0, use_length=True,
                                temperature=2.0), U(4, 2))],
    "log_softmax_length": [C(lambda x: npx.log_softmax(x, length=_LEN, use_length=True),
                             U(3, 5))],
    "elu": [C(lambda x: npx.leaky_relu(x, act_type="elu", slope=0.7), U(3, 4))],
    "selu": [C(lambda x: npx.leaky_relu(x, act_type="selu"), U(3, 4))],
    "gelu": [C(lambda x: npx.leaky_relu(x, act_type="gelu"), U(3, 4, lo=-3, hi=3))],
    "prelu": [C(lambda x, g: npx.leaky_relu(x, g, act_type="prelu"), U(2, 3, 2), U(3)),
              C(lambda x, g: npx.leaky_relu(x, g, act_type="prelu"), U(4, 3), U(1))],
    "erf": [C(npx.erf, U(3, 4, lo=-3, hi=3))],
    "erfinv": [C(npx.erfinv, U(3, 4, lo=-0.9, hi=0.9))],
    "gamma": [C(npx.gamma, U(3, 4, lo=0.2, hi=4)), C(npx.gamma, -U(5, lo=0.1, hi=0.9) - 1)],
    "gammaln": [C(npx.gammaln, U(3, 4, lo=0.2, hi=6)),
                C(npx.gammaln, -U(5, lo=0.1, hi=0.9) - 2)],
    "smooth_l1": [C(lambda x: npx.smooth_l1(x, 1.5), U(3, 4, lo=-2, hi=2))],
    "gather_nd": [C(lambda d: npx.gather_nd(d, np.array(I(0, 2, 0, 1, 1, 1)).reshape(2, 3)),
                    U(3, 2, 2))],
    "topk": [C(lambda x: npx.topk(x, k=2, ret_typ="value"), U(3, 4)),
             C(lambda x: npx.topk(x, axis=0, k=3, ret_typ="value", is_ascend=True), U(4, 2)),
             C(lambda x: npx.topk(x, k=2, ret_typ="both")[0], U(2, 5))],
}
