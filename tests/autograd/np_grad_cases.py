"""Gradient cases of the np routines' ops (ndarray/ops_sort.py, ndarray/ops_np.py), merged
into test_op_gradients.py's ``CASES`` / ``NON_DIFFERENTIABLE``: float64 inputs are the
variables, checked against central finite differences."""
from __future__ import annotations

import numpy as onp

from ndengine import np
from ndengine.ndarray.ndarray import apply_op
from ndengine.ndarray.ops import OPS

R = onp.random.default_rng(11)


def U(*shape, lo=-1.0, hi=1.0):
    return R.uniform(lo, hi, size=shape)


def distinct(*shape):
    n = int(onp.prod(shape))
    return (R.permutation(n) * 0.37 - n * 0.15).reshape(shape)


def C(fn, *inputs, **tol):
    return (fn, list(inputs), tol)


_IDX = onp.array([[2, 0, 2], [1, 1, 0]])       # repeated indices: gradients add up
_BINS = onp.array([0, 2, 2, 5, 1])

NP_CASES = {
    "sort": [C(lambda x: np.sort(x, axis=-1), distinct(3, 4)),
             C(lambda x: np.sort(x, axis=0), distinct(3, 4))],
    "take_along_axis": [C(lambda x: np.take_along_axis(x, np.array(_IDX, dtype="int64"), 1),
                          U(2, 4))],
    "tril": [C(lambda x: np.tril(x, -1), U(4, 4)), C(np.tril, U(2, 3, 3))],
    "triu": [C(lambda x: np.triu(x, 1), U(3, 4))],
    "diagonal": [C(lambda x: np.diagonal(x, 1), U(3, 4)),
                 C(lambda x: np.diagonal(x, 0, 1, 2), U(2, 3, 3))],
    "_diag_build": [C(lambda v: np.diag(v, 1), U(3)), C(np.diagflat, U(2, 2))],
    "pad": [C(lambda x: np.pad(x, ((1, 2), (0, 1))), U(2, 3)),
            C(lambda x: np.pad(x, 2, mode="reflect"), U(4)),
            C(lambda x: np.pad(x, ((1, 1), (2, 0)), mode="edge"), U(2, 3)),
            C(lambda x: np.pad(x, 2, mode="wrap"), U(3)),
            # pads computed from the input: stats of a region, the ramp to the edge
            C(lambda x: np.pad(x, ((1, 2), (2, 1)), mode="maximum"), distinct(3, 4)),
            C(lambda x: np.pad(x, 2, mode="minimum", stat_length=2), distinct(2, 3)),
            C(lambda x: np.pad(x, ((2, 1), (1, 3)), mode="mean"), U(3, 4)),
            C(lambda x: np.pad(x, ((2, 2), (1, 1)), mode="mean",
                               stat_length=((1, 2), (2, 1))), U(3, 4)),
            C(lambda x: np.pad(x, ((1, 2), (2, 1)), mode="median"), distinct(3, 4)),
            C(lambda x: np.pad(x, 1, mode="median", stat_length=2), distinct(2, 3, 4)),
            C(lambda x: np.pad(x, ((3, 2), (1, 2)), mode="linear_ramp",
                               end_values=((5, -2), (1, 3))), U(3, 4)),
            # (its pads are uninitialised: only the centre is read)
            C(lambda x: np.pad(x, 1, mode="empty")[1:-1, 1:-1] * 2, U(2, 3))],
    "cumprod": [C(lambda x: np.cumprod(x, axis=1), U(2, 4, lo=0.5, hi=1.5))],
    "i0": [C(np.i0, U(5, lo=-2, hi=2))],
    "heaviside": [C(lambda x: np.heaviside(x, 0.5), U(6) + 0.01)],
    "modf": [C(lambda x: np.modf(x)[0], U(5, lo=0.1, hi=0.9) + 2)],
    "divmod": [C(lambda x, y: np.divmod(x, y)[1], U(5, lo=0.1, hi=0.4) + 3,
                 U(5, lo=1.2, hi=1.4))],
    "spacing": [C(np.spacing, U(5, lo=1.1, hi=1.9))],     # zero: constant between powers of 2
    # the backward ops, differentiated again (create_graph)
    "_diagonal_backward": [C(lambda g: apply_op(OPS["_diagonal_backward"], (g,), {
        "offset": 1, "axis1": 0, "axis2": 1, "shape": (3, 4)}), U(3))],
    "_take_along_axis_backward": [C(lambda g: apply_op(
        OPS["_take_along_axis_backward"], (g, np.array(_IDX, dtype="int64")),
        {"axis": 1, "shape": (2, 4), "unique": False}), U(2, 3))],
    "bincount": [C(lambda w: np.bincount(np.array(_BINS, dtype="int64"), weights=w), U(5))],
}

# ops of those modules without a gradient: index- or bool-valued results, sorting
# permutations, host-side checks, and the backward of pad (its own gradient is pad's)
NP_NON_DIFFERENTIABLE = {
    "argsort", "argpartition", "partition", "searchsorted", "lexsort", "digitize",
    "histogram", "isin", "packbits", "unpackbits", "interp", "eig", "eigvals", "frexp",
    "correlate", "convolve", "_i1", "_index_check", "_nan_check", "_pad_backward",
    "_pad_stat_backward",
}
