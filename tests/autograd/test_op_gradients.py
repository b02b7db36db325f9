"""The gradient of every differentiable op of the op table against central finite
differences in float64.

``CASES`` maps each op name to cases ``(function, inputs[, tolerances])``: float64
NumPy inputs are the variables, anything else (int index arrays, scalars, constant
masks) is passed as it is.  ``NON_DIFFERENTIABLE`` lists the ops without a gradient;
``test_every_op_is_covered`` fails when an op is added to the table without either.
"""
from __future__ import annotations

import numpy as onp
import pytest

from ndengine import np, npx
from ndengine.ndarray.ops import OPS

from ag_helpers import check_grad

R = onp.random.default_rng(42)


def U(*shape, lo=-1.0, hi=1.0):
    """Uniform float64 test data."""
    return R.uniform(lo, hi, size=shape)


def away(*shape, lo=0.15, hi=0.85):
    """Float64 data whose fractional parts stay away from integers (and from 0), for
    piecewise-constant ops; random signs and integer parts."""
    frac = R.uniform(lo, hi, size=shape)
    ints = R.integers(-3, 3, size=shape)
    return ints + frac


def distinct(*shape):
    """Float64 data with no ties (max/min/sort-like ops)."""
    n = int(onp.prod(shape)) if shape else 1
    return (R.permutation(n) * 0.37 - n * 0.15 + R.uniform(-0.05, 0.05, n)).reshape(shape)


def well(*shape):
    """Well-conditioned float64 square matrices (batched): U + 3I."""
    return U(*shape) + 3 * onp.eye(shape[-1])


def spd(*shape):
    """Symmetric positive definite float64 matrices with well-separated eigenvalues."""
    a = U(*shape)
    n = shape[-1]
    return a @ onp.swapaxes(a, -1, -2) * 0.1 + onp.diag(onp.arange(1.0, n + 1))


def I(*vals):
    return onp.array(vals, dtype=onp.int64)


def C(fn, *inputs, **tol):
    return (fn, list(inputs), tol)


def _getitem_backward(shape, key):
    """The op getitem's gradient pushes (scatter-add into zeros of *shape*), applied to
    a gradient *g* directly, so its own gradient (used by create_graph) is checked."""
    class Like:
        pass

    like = Like()
    like.shape = shape

    def f(g):
        return OPS["getitem"].grad(g, None, like, key())[0]
    return f


NON_DIFFERENTIABLE = {
    # bool / integer results, or index-valued
    "isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit", "logical_not",
    "bitwise_not", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
    "left_shift", "right_shift", "lcm", "gcd", "all", "any", "argmax", "argmin", "one_hot",
    # creation
    "full", "zeros", "empty", "arange", "linspace", "eye",
    # integer-valued
    "matrix_rank",
    # sigmoid's fused gradient (under create_graph sigmoid's gradient composes
    # differentiable ops instead)
    "_sigmoid_backward",
}

CASES = {
    # ---------------------------------------------------------------- unary
    "negative": [C(lambda x: -x, U(3, 4))],
    "positive": [C(lambda x: +x, U(3, 4))],
    "absolute": [C(lambda x: abs(x), away(3, 4))],
    "square": [C(np.square, U(3, 4))],
    "sqrt": [C(np.sqrt, U(3, 4, lo=0.2, hi=2))],
    "cbrt": [C(np.cbrt, U(3, 4, lo=0.2, hi=2))],
    "reciprocal": [C(np.reciprocal, U(3, 4, lo=0.5, hi=2))],
    "exp": [C(np.exp, U(3, 4))],
    "expm1": [C(np.expm1, U(3, 4))],
    "log": [C(np.log, U(3, 4, lo=0.2, hi=3))],
    "log2": [C(np.log2, U(3, 4, lo=0.2, hi=3))],
    "log10": [C(np.log10, U(3, 4, lo=0.2, hi=3))],
    "log1p": [C(np.log1p, U(3, 4, lo=-0.5, hi=3))],
    "sin": [C(np.sin, U(3, 4, lo=-3, hi=3))],
    "cos": [C(np.cos, U(3, 4, lo=-3, hi=3))],
    "tan": [C(np.tan, U(3, 4, lo=-1.2, hi=1.2))],
    "arcsin": [C(np.arcsin, U(3, 4, lo=-0.9, hi=0.9))],
    "arccos": [C(np.arccos, U(3, 4, lo=-0.9, hi=0.9))],
    "arctan": [C(np.arctan, U(3, 4, lo=-3, hi=3))],
    "sinh": [C(np.sinh, U(3, 4))],
    "cosh": [C(np.cosh, U(3, 4))],
    "tanh": [C(np.tanh, U(3, 4, lo=-2, hi=2))],
    "arcsinh": [C(np.arcsinh, U(3, 4, lo=-3, hi=3))],
    "arccosh": [C(np.arccosh, U(3, 4, lo=1.2, hi=3))],
    "arctanh": [C(np.arctanh, U(3, 4, lo=-0.9, hi=0.9))],
    "degrees": [C(np.degrees, U(3, 4))],
    "radians": [C(np.radians, U(3, 4))],
    # piecewise constant: zero gradient (as in MXNet)
    "sign": [C(np.sign, away(3, 4))],
    "floor": [C(np.floor, away(3, 4))],
    "ceil": [C(np.ceil, away(3, 4))],
    "trunc": [C(np.trunc, away(3, 4))],
    "rint": [C(np.rint, away(3, 4, lo=0.1, hi=0.4))],
    "fix": [C(np.fix, away(3, 4))],
    "round": [C(np.round, away(3, 4, lo=0.1, hi=0.4)),
              C(lambda x: np.round(x, 1), away(3, 4, lo=0.01, hi=0.04))],
    "floor_divide": [C(lambda a, b: a // b, away(3, 4), U(3, 4, lo=5, hi=6)),
                     C(lambda a: a // 0.7, away(3, 4))],
    # ---------------------------------------------------------------- binary
    "add": [C(lambda a, b: a + b, U(3, 4), U(3, 4)),
            C(lambda a, b: a + b, U(2, 1, 4), U(3, 1)),
            C(lambda a: a + 2.5, U(3, 4)),
            C(lambda a: 2.5 + a, U(3, 4))],
    "subtract": [C(lambda a, b: a - b, U(3, 4), U(4)),
                 C(lambda a, b: a - b, U(1, 4), U(3, 1)),
                 C(lambda a: 1.5 - a, U(3, 4))],
    "multiply": [C(lambda a, b: a * b, U(3, 4), U(3, 4)),
                 C(lambda a, b: a * b, U(2, 3, 4), U(3, 1)),
                 C(lambda a, b: a * b, U(3, 4), U()),
                 C(lambda a: a * 3.0, U(3, 4))],
    "true_divide": [C(lambda a, b: a / b, U(3, 4), U(3, 4, lo=0.5, hi=2)),
                    C(lambda a, b: a / b, U(3, 1), U(4, lo=0.5, hi=2)),
                    C(lambda a: 2.0 / a, U(3, 4, lo=0.5, hi=2))],
    "mod": [C(lambda a, b: a % b, U(3, 4, lo=2.1, hi=2.9), U(3, 4, lo=1.0, hi=1.04)),
            C(lambda a: a % 0.75, away(3, 4, lo=0.05, hi=0.7) * 0.75)],
    "fmod": [C(np.fmod, U(3, 4, lo=2.1, hi=2.9), U(4, lo=1.0, hi=1.04)),
             C(np.fmod, U(3, 4, lo=-2.9, hi=-2.1), U(3, 4, lo=1.0, hi=1.04))],
    "power": [C(lambda a, b: a ** b, U(3, 4, lo=0.3, hi=2), U(3, 4, lo=-2, hi=2)),
              C(lambda a: a ** 3, U(3, 4)),
              C(lambda b: 2.0 ** b, U(3, 4)),
              C(lambda a, b: np.power(a, b), U(2, 1, lo=0.5, hi=2), U(3))],
    "maximum": [C(np.maximum, distinct(3, 4), distinct(3, 4) + 0.01),
                C(np.maximum, distinct(3, 4), distinct(4) + 0.01),
                C(lambda a: np.maximum(a, 0.1), distinct(3, 4))],
    "minimum": [C(np.minimum, distinct(3, 4), distinct(3, 4) + 0.01),
                C(lambda a: np.minimum(a, 0.1), distinct(3, 4))],
    "fmax": [C(np.fmax, distinct(3, 4), distinct(3, 4) + 0.01)],
    "fmin": [C(np.fmin, distinct(3, 4), distinct(3, 1) + 0.01)],
    "arctan2": [C(np.arctan2, U(3, 4), U(3, 4, lo=0.3, hi=1))],
    "hypot": [C(np.hypot, U(3, 4, lo=0.3, hi=1), U(3, 4))],
    "copysign": [C(np.copysign, away(3, 4), away(3, 4))],
    "ldexp": [C(lambda a, b: np.ldexp(a, b), U(3, 4), R.integers(-2, 3, (3, 4)))],
    # ---------------------------------------------------------------- reductions
    "sum": [C(lambda a: a.sum(), U(3, 4)),
            C(lambda a: a.sum(axis=1), U(3, 4)),
            C(lambda a: a.sum(axis=(0, 2), keepdims=True), U(2, 3, 4)),
            C(lambda a: np.sum(a, axis=-1, keepdims=False), U(2, 3, 4))],
    "mean": [C(lambda a: a.mean(), U(3, 4)),
             C(lambda a: a.mean(axis=0, keepdims=True), U(3, 4)),
             C(lambda a: a.mean(axis=(1, 2)), U(2, 3, 4))],
    "prod": [C(lambda a: a.prod(), U(2, 3, lo=0.5, hi=1.5)),
             C(lambda a: a.prod(axis=1, keepdims=True), U(3, 4, lo=-1.5, hi=-0.5))],
    "max": [C(lambda a: a.max(), distinct(3, 4)),
            C(lambda a: a.max(axis=1), distinct(3, 4)),
            C(lambda a: np.max(a, axis=(0, 2), keepdims=True), distinct(2, 3, 4))],
    "min": [C(lambda a: a.min(axis=0), distinct(3, 4)),
            C(lambda a: a.min(axis=-1, keepdims=True), distinct(2, 3, 4))],
    "var": [C(lambda a: a.var(), U(3, 4)),
            C(lambda a: np.var(a, axis=1, ddof=1), U(3, 4)),
            C(lambda a: a.var(axis=(0, 1), keepdims=True), U(2, 3, 4))],
    "std": [C(lambda a: a.std(), U(3, 4)),
            C(lambda a: np.std(a, axis=0, ddof=1, keepdims=True), U(3, 4))],
    "nansum": [C(lambda a: np.nansum(a, axis=1), onp.where(U(3, 4) > 0.5, onp.nan, U(3, 4)))],
    "nanmean": [C(lambda a: np.nanmean(a, axis=0),
                  onp.where(U(3, 4) > 0.6, onp.nan, U(3, 4))),
                C(lambda a: np.nanmean(a), onp.where(U(3, 4) > 0.6, onp.nan, U(3, 4)))],
    "cumsum": [C(lambda a: np.cumsum(a), U(3, 4)),
               C(lambda a: np.cumsum(a, axis=1), U(3, 4))],
    # ---------------------------------------------------------------- linear algebra
    "matmul": [C(lambda a, b: a @ b, U(3, 4), U(4, 2)),
               C(lambda a, b: np.matmul(a, b), U(2, 3, 4), U(4, 2)),
               C(lambda a, b: a @ b, U(2, 1, 3, 4), U(3, 4, 2)),
               C(lambda a, b: a @ b, U(4), U(4, 2)),
               C(lambda a, b: a @ b, U(2, 3, 4), U(4)),
               C(lambda a, b: a @ b, U(4), U(4))],
    "dot": [C(np.dot, U(3, 4), U(4, 2)),
            C(np.dot, U(4), U(4)),
            C(np.dot, U(3, 4), U(4)),
            C(np.dot, U(), U(3, 2)),
            C(np.dot, U(2, 3, 4), U(4, 2)),
            C(np.dot, U(2, 3), U(2, 3, 2))],
    "tensordot": [C(lambda a, b: np.tensordot(a, b, axes=1), U(2, 3), U(3, 4)),
                  C(lambda a, b: np.tensordot(a, b), U(2, 3, 4), U(3, 4, 2)),
                  C(lambda a, b: np.tensordot(a, b, axes=([0, 2], [1, 0])), U(2, 3, 4),
                    U(4, 2, 3))],
    "einsum": [C(lambda a, b: np.einsum("ij,jk->ik", a, b), U(3, 4), U(4, 2)),
               C(lambda a: np.einsum("ij->", a), U(3, 4)),
               C(lambda a: np.einsum("ijk->kj", a), U(2, 3, 4)),
               C(lambda a, b: np.einsum("ijk,ik->j", a, b), U(2, 3, 4), U(2, 4)),
               C(lambda a, b: np.einsum("i,j->ij", a, b), U(3), U(4)),
               C(lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c), U(2, 3), U(3, 4), U(4, 2)),
               # ellipses (broadcast batch axes) and repeated labels (diagonals)
               C(lambda a, b: np.einsum("...ij,...jk->...ik", a, b), U(2, 3, 4), U(4, 2)),
               C(lambda a, b: np.einsum("...ij,...jk", a, b), U(2, 1, 3, 2), U(3, 2, 2)),
               C(lambda a: np.einsum("i...->...", a), U(3, 2, 2)),
               C(lambda a: np.einsum("ii->i", a), U(3, 3)),
               C(lambda a: np.einsum("ii", a), U(3, 3)),
               C(lambda a, b: np.einsum("iij,j->i", a, b), U(3, 3, 2), U(2)),
               C(lambda a, b: np.einsum("...ii,...i->...", a, b), U(2, 3, 3), U(3))],
    "inv": [C(np.linalg.inv, well(3, 3)), C(np.linalg.inv, well(2, 3, 3))],
    "det": [C(np.linalg.det, well(3, 3)), C(np.linalg.det, well(2, 3, 3))],
    "slogdet": [C(lambda a: np.linalg.slogdet(a)[1], well(3, 3)),
                C(lambda a: np.linalg.slogdet(a)[1], -well(2, 3, 3)),
                C(lambda a: np.linalg.slogdet(a)[0] + np.linalg.slogdet(a)[1], well(3, 3))],
    "solve": [C(np.linalg.solve, well(3, 3), U(3, 2)),
              C(np.linalg.solve, well(3, 3), U(3)),
              C(np.linalg.solve, well(2, 3, 3), U(3, 2)),
              C(np.linalg.solve, well(3, 3), U(2, 3, 1))],
    "cholesky": [C(np.linalg.cholesky, spd(3, 3)), C(np.linalg.cholesky, spd(2, 4, 4))],
    "pinv": [C(np.linalg.pinv, U(3, 4)), C(np.linalg.pinv, U(4, 2)),
             C(np.linalg.pinv, well(2, 3, 3))],
    "svdvals": [C(lambda a: np.linalg.svd(a, compute_uv=False), U(3, 4)),
                C(lambda a: np.linalg.svd(a, compute_uv=False), U(2, 4, 3))],
    # singular vectors are defined up to sign: the cases use sign-free functions of them
    "svd": [C(lambda a: np.linalg.svd(a)[1], U(3, 4)),
            C(lambda a: np.linalg.svd(a, full_matrices=False)[0] ** 2, U(4, 3)),
            C(lambda a: np.linalg.svd(a, full_matrices=False)[2] ** 2, U(3, 5)),
            C(lambda a: np.linalg.svd(a)[0] ** 2, U(3, 3)),
            C(lambda a: (lambda u, s, vh: (u * s[None, :]) @ vh)(*np.linalg.svd(
                a, full_matrices=False)), U(4, 3)),
            C(lambda a: np.linalg.svd(a)[2][..., :3, :] ** 2, U(2, 3, 5))],
    "eigvalsh": [C(np.linalg.eigvalsh, spd(4, 4)),
                 C(lambda a: np.linalg.eigvalsh(a, UPLO="U"), spd(2, 3, 3))],
    "eigh": [C(lambda a: np.linalg.eigh(a)[0], spd(4, 4)),
             C(lambda a: np.linalg.eigh(a)[1] ** 2, spd(4, 4)),
             C(lambda a: np.linalg.eigh(a, UPLO="U")[1] ** 2, spd(2, 3, 3))],
    "qr": [C(lambda a: np.linalg.qr(a)[0], U(4, 3)),
           C(lambda a: np.linalg.qr(a)[1], U(4, 3)),
           C(lambda a: np.linalg.qr(a)[0] @ np.linalg.qr(a)[1], U(3, 3)),
           C(lambda a: np.linalg.qr(a)[1], U(2, 4, 4)),
           # wide: A = [X | Y], X = QU, R = [U | Q^T Y]
           C(lambda a: np.linalg.qr(a)[1], U(3, 5)),
           C(lambda a: np.linalg.qr(a)[0], U(3, 5)),
           C(lambda a: np.linalg.qr(a)[0] @ np.linalg.qr(a)[1], U(2, 3, 4)),
           C(lambda a: np.linalg.qr(a, mode="complete")[1], U(2, 4))],
    "norm": [C(lambda a: np.linalg.norm(a), U(3, 4)),
             C(lambda a: np.linalg.norm(a, axis=1), U(3, 4)),
             C(lambda a: np.linalg.norm(a, axis=0, keepdims=True), U(3, 4)),
             C(lambda a: np.linalg.norm(a, ord="fro"), U(3, 4)),
             C(lambda a: np.linalg.norm(a, ord=2), U(5)),
             C(lambda a: np.linalg.norm(a, ord=1), away(5)),
             C(lambda a: np.linalg.norm(a, ord=3, axis=-1), U(3, 4)),
             C(lambda a: np.linalg.norm(a, ord=onp.inf, axis=1), distinct(3, 4)),
             C(lambda a: np.linalg.norm(a, ord=-onp.inf), distinct(5)),
             # matrix norms: column / row sums, singular values (batched, axes permuted)
             C(lambda a: np.linalg.norm(a, ord=1), distinct(3, 4)),
             C(lambda a: np.linalg.norm(a, ord=-1, axis=(2, 0)), distinct(3, 2, 4)),
             C(lambda a: np.linalg.norm(a, ord=onp.inf, axis=(1, 2), keepdims=True),
               distinct(2, 3, 4)),
             C(lambda a: np.linalg.norm(a, ord=-onp.inf), distinct(4, 3)),
             C(lambda a: np.linalg.norm(a, ord=2), U(3, 4)),
             C(lambda a: np.linalg.norm(a, ord=-2, axis=(1, 2)), U(2, 4, 3)),
             C(lambda a: np.linalg.norm(a, ord="nuc", axis=(2, 0)), U(3, 2, 4))],
    # ---------------------------------------------------------------- shapes
    "reshape": [C(lambda a: a.reshape((4, 3)), U(3, 4)),
                C(lambda a: np.reshape(a, (-1,)), U(2, 3, 4))],
    "transpose": [C(lambda a: a.T, U(3, 4)),
                  C(lambda a: np.transpose(a, (1, 2, 0)), U(2, 3, 4))],
    "swapaxes": [C(lambda a: np.swapaxes(a, 0, 2), U(2, 3, 4))],
    "moveaxis": [C(lambda a: np.moveaxis(a, 0, -1), U(2, 3, 4))],
    "expand_dims": [C(lambda a: np.expand_dims(a, 1), U(3, 4))],
    "squeeze": [C(lambda a: np.squeeze(a), U(3, 1, 4)),
                C(lambda a: np.squeeze(a, axis=0), U(1, 4))],
    "broadcast_to": [C(lambda a: np.broadcast_to(a, (2, 3, 4)), U(3, 1))],
    "flip": [C(lambda a: np.flip(a, 1), U(3, 4)), C(lambda a: np.flip(a), U(3, 4))],
    "concatenate": [C(lambda a, b: np.concatenate([a, b]), U(2, 3), U(4, 3)),
                    C(lambda a, b, c: np.concatenate([a, b, c], axis=1), U(2, 3), U(2, 1),
                      U(2, 2)),
                    C(lambda a, b: np.concatenate([a, b], axis=None), U(2, 3), U(4))],
    "stack": [C(lambda a, b: np.stack([a, b]), U(2, 3), U(2, 3)),
              C(lambda a, b, c: np.stack([a, b, c], axis=-1), U(2, 3), U(2, 3), U(2, 3))],
    "split": [C(lambda a: np.split(a, 3)[1], U(6, 2)),
              C(lambda a: np.split(a, [1, 3], axis=1)[2] * 2, U(2, 5)),
              C(lambda a: sum(p * (i + 1) for i, p in enumerate(np.split(a, 2, axis=1))),
                U(3, 4))],
    "tile": [C(lambda a: np.tile(a, (2, 3)), U(2, 3)), C(lambda a: np.tile(a, 2), U(3))],
    "repeat": [C(lambda a: np.repeat(a, 3), U(2, 3)),
               C(lambda a: np.repeat(a, 2, axis=1), U(2, 3))],
    # ---------------------------------------------------------------- indexing
    "getitem": [C(lambda a: a[1], U(3, 4)),
                C(lambda a: a[1:3, ::-2], U(4, 5)),
                C(lambda a: a[..., None, 1:], U(2, 3, 4)),
                C(lambda a: a[np.array(I(0, 2, 0, 2, 2))], U(3, 4)),
                C(lambda a: a[:, [3, 0, 3]], U(2, 4)),
                C(lambda a: a[np.array(I(1, 0, 1)), 1:], U(2, 4)),
                C(lambda a: a[np.array(I(0, 1, 1)), np.array(I(2, 2, 2))], U(2, 4)),
                C(lambda a: a[np.array(onp.array([True, False, True]))], U(3, 4))],
    "where": [C(lambda c, x, y: np.where(c, x, y), U(3, 4) > 0, U(3, 4), U(3, 4)),
              C(lambda c, x, y: np.where(c, x, y), U(3, 1) > 0, U(4), U(3, 4)),
              C(lambda c, x: np.where(c, x, 0.5), U(3, 4) > 0, U(3, 4))],
    "clip": [C(lambda a: np.clip(a, -0.5, 0.5), distinct(3, 4) * 0.3 + 0.013),
             C(lambda a: np.clip(a, None, 0.2), distinct(3, 4) * 0.3 + 0.013),
             C(lambda a: a.clip(-0.3), distinct(3, 4) * 0.3 + 0.013)],
    "astype": [C(lambda a: a.astype("float32"), U(3, 4), eps=1e-3, rtol=1e-3, atol=1e-3),
               C(lambda a: (a.astype("float32") * 2).astype("float64"), U(3, 4), eps=1e-3,
                 rtol=1e-3, atol=1e-3)],
    "copy": [C(lambda a: a.copy(), U(3, 4))],
    "nan_to_num": [C(lambda a: np.nan_to_num(a), onp.where(U(3, 4) > 0.6, onp.nan, U(3, 4)))],
    # ---------------------------------------------------------------- npx
    "softmax": [C(npx.softmax, U(3, 4)),
                C(lambda a: npx.softmax(a, axis=0), U(3, 4)),
                C(lambda a: npx.softmax(a, temperature=2.0), U(3, 4))],
    "log_softmax": [C(npx.log_softmax, U(3, 4)),
                    C(lambda a: npx.log_softmax(a, axis=0, temperature=0.5), U(3, 4))],
    "relu": [C(npx.relu, distinct(3, 4))],
    "sigmoid": [C(npx.sigmoid, U(3, 4, lo=-3, hi=3))],
    "softrelu": [C(lambda a: npx.activation(a, "softrelu"), U(3, 4, lo=-3, hi=3))],
    "leaky_relu": [C(lambda a: npx.leaky_relu(a, slope=0.1), distinct(3, 4))],
    "pick": [C(lambda a: npx.pick(a, np.array(I(0, 3, 1))), U(3, 4)),
             C(lambda a: npx.pick(a, np.array(I(2, 0, 1, 1)), axis=0, keepdims=True), U(3, 4)),
             C(lambda a: npx.pick(a, np.array(I(5, -1, 1)), mode="wrap"), U(3, 4)),
             C(lambda a: npx.pick(a, np.array(I(9, -3, 1))), U(3, 4))],
    "_mask_mul": [C(lambda a: npx.dropout(a, p=0.5, mode="always"), U(3, 4))],
    "_backward_getitem": [C(_getitem_backward((4, 5), lambda: (slice(1, 3), slice(None, None, -2))),
                            U(2, 3)),
                          C(_getitem_backward((3, 4), lambda: np.array(I(0, 2, 0, 2, 2))),
                            U(5, 4)),
                          C(_getitem_backward((2, 4), lambda: (np.array(I(1, 0, 1)), slice(1, None))),
                            U(3, 3))],
}


from nn_grad_cases import NN_CASES, NN_NON_DIFFERENTIABLE  # noqa: E402  (ndarray/ops_nn.py)

CASES.update(NN_CASES)
NON_DIFFERENTIABLE |= NN_NON_DIFFERENTIABLE

from np_grad_cases import NP_CASES, NP_NON_DIFFERENTIABLE  # noqa: E402  (ops_sort, ops_np)

CASES.update(NP_CASES)
NON_DIFFERENTIABLE |= NP_NON_DIFFERENTIABLE

from conv_grad_cases import CONV_CASES, CONV_NON_DIFFERENTIABLE  # noqa: E402  (ops_conv)

CASES.update(CONV_CASES)
NON_DIFFERENTIABLE |= CONV_NON_DIFFERENTIABLE

from rnn_grad_cases import RNN_CASES, RNN_NON_DIFFERENTIABLE  # noqa: E402  (ops_seq)
import ndengine.ndarray.ops_loss  # noqa: E402,F401  (registers the CTC ops)

# CTC's gradient op (its loss's gradient cases are in tests/gluon/test_loss*.py)
NON_DIFFERENTIABLE |= {"_ctc_loss_backward"}


def _ctc(data):
    from ndengine import gluon

    return gluon.loss.CTCLoss()(data, np.array([[1, 2], [2, 2]]))


CASES["ctc_loss"] = [(_ctc, [onp.random.default_rng(5).uniform(-1, 1, (2, 5, 4))], {})]

CASES.update(RNN_CASES)
NON_DIFFERENTIABLE |= RNN_NON_DIFFERENTIABLE

from upper_grad_cases import UPPER_CASES, UPPER_NON_DIFFERENTIABLE  # noqa: E402  (image, io, data)

CASES.update(UPPER_CASES)
UPPER_LAYER_OPS = set(UPPER_CASES) - {"copyto"}      # copyto is ndarray.py's
NON_DIFFERENTIABLE |= UPPER_NON_DIFFERENTIABLE


def _cases():
    for name, cases in CASES.items():
        for k, (fn, inputs, tol) in enumerate(cases):
            yield pytest.param(name, fn, inputs, tol, id=f"{name}-{k}")


def test_every_op_is_covered():
    """Each op of the table has a gradient and gradient cases, or is listed as not
    differentiable (and really has no gradient)."""
    with_grad = {n for n, op in OPS.items() if op.grad is not None}
    without = {n for n, op in OPS.items() if op.grad is None}
    assert without == NON_DIFFERENTIABLE, (
        f"ops without a gradient that are not listed: {sorted(without - NON_DIFFERENTIABLE)}; "
        f"listed but differentiable or gone: {sorted(NON_DIFFERENTIABLE - without)}")
    untested = sorted(n for n in with_grad if n not in CASES)
    assert not untested, f"differentiable ops without gradient cases: {untested}"
    assert not set(CASES) - with_grad, f"cases for unknown ops: {set(CASES) - with_grad}"
    empty = sorted(n for n, c in CASES.items() if not c)
    assert not empty, f"ops with an empty case list: {empty}"


@pytest.mark.parametrize("name,fn,inputs,tol", list(_cases()))
def test_gradient(name, fn, inputs, tol):
    if name == "_mask_mul":
        _check_dropout(fn, inputs)
        return
    check_grad(name, fn, inputs, **tol)


# NDArray's NumPy methods, installed by the np layer (ndengine/numpy/__init__.py)
NP_LAYER_METHODS = ("reshape", "transpose", "astype", "copy", "flatten", "ravel", "squeeze",
                    "expand_dims", "swapaxes", "repeat", "tile", "flip", "clip", "round",
                    "dot", "broadcast_to", "take", "sum", "mean", "prod", "max", "min", "all",
                    "any", "std", "var", "nansum", "argmax", "argmin", "cumsum", "abs", "sqrt",
                    "exp", "log", "sign")


@pytest.mark.parametrize("name,fn,inputs,tol",
                         [c for c in _cases() if c.values[0] not in UPPER_LAYER_OPS])
def test_gradient_formulas_stand_on_the_array_layer(name, fn, inputs, tol, monkeypatch):
    """The gradient formulas of the array layer's ops apply the op table's ops
    (ndarray/ops_fn.py), not the NumPy methods the np layer gives NDArray: backward
    runs with those removed.  (Indexing, ``g[..., 0]``, is still NDArray's ``[]``;
    the image ops, defined above the np layer, may use its methods.)"""
    from ndengine import autograd
    from ndengine.ndarray.ndarray import NDArray

    xs = [np.array(a) if isinstance(a, onp.ndarray) else a for a in inputs]
    wrt = [x for x, a in zip(xs, inputs) if isinstance(a, onp.ndarray) and a.dtype == onp.float64]
    for x in wrt:
        x.attach_grad()
    with autograd.record():
        y = fn(*xs)
    head = np.array(onp.ones(y.shape, dtype=y.dtype))
    with monkeypatch.context() as m:
        for meth in NP_LAYER_METHODS:
            m.delattr(NDArray, meth)
        y.backward(head)
    for x in wrt:
        x.grad.wait_to_read()


def _check_dropout(fn, inputs):
    """Dropout's mask is random: differentiate with the mask the forward drew."""
    from ndengine import autograd

    x = np.array(inputs[0])
    x.attach_grad()
    with autograd.record():
        y = fn(x)
    y.backward()
    out = y.asnumpy()
    mask = out / inputs[0]
    onp.testing.assert_allclose(x.grad.asnumpy(), mask, rtol=1e-12)
    assert set(onp.round(onp.unique(mask), 12)) <= {0.0, 2.0}


def test_tall_complete_qr_has_no_gradient_and_says_so():
    from ndengine import autograd

    x = np.array(U(4, 3))
    x.attach_grad()
    with autograd.record():
        q, r = np.linalg.qr(x, mode="complete")
    with pytest.raises(ndengine.MXNetError, match=r"linalg.qr: no gradient for a tall 4x3 "
                                                  r"input in mode='complete'"):
        r.backward()
