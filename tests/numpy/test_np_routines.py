"""Indexing routines, adding/removing elements, padding against NumPy; gradients by
finite differences."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as onp
import pytest

from ndengine import np as mnp
from ndengine.base import OpError

from np_oracle import assert_same, data, oracle, with_inputs

sys.path.insert(0, str(Path(__file__).parents[1] / "autograd"))
from ag_helpers import check_grad  # noqa: E402

RNG = onp.random.default_rng(5)


@pytest.mark.parametrize("k", [0, 1, -1, 3])
@oracle()
def test_diag_both_ways(k, xp):
    x = xp.asarray(data((3, 4)))
    v = xp.asarray(data((3,)))
    return xp.diag(x, k), xp.diag(v, k), xp.diagflat(x, k)


@pytest.mark.parametrize("args", [(0, 0, 1), (1, 1, 2), (-1, 0, 2), (2, -1, 0)])
@oracle()
def test_diagonal(args, xp):
    x = xp.asarray(data((3, 4, 5)))
    return xp.diagonal(x, *args), x.diagonal(*args)


@pytest.mark.parametrize("k", [0, 1, -2])
@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 3)])
@oracle()
def test_tril_triu(k, shape, xp):
    x = xp.asarray(data(shape, "int32"))
    return xp.tril(x, k), xp.triu(x, k)


@oracle()
def test_index_grids(xp):
    a = xp.asarray(onp.ones((3, 4)))
    sq = xp.asarray(onp.ones((3, 3, 3)))
    return (xp.tril_indices_from(a, 1), xp.triu_indices_from(a), xp.diag_indices_from(sq),
            xp.tril_indices(3), xp.triu_indices(3, 1, 4), xp.diag_indices(2))


def test_indices_and_ix():
    assert_same(mnp.indices((2, 3)), onp.indices((2, 3)).astype("int32"))
    assert_same(mnp.indices((2, 3), dtype="float32"), onp.indices((2, 3), dtype="float32"))
    for g, w in zip(mnp.indices((2, 3), sparse=True), onp.indices((2, 3), sparse=True)):
        assert_same(g, w.astype("int32"))
    r = mnp.ix_(mnp.array(onp.array([0, 1])), onp.array([2, 0, 1]))
    for g, w in zip(r, onp.ix_(onp.array([0, 1]), onp.array([2, 0, 1]))):
        assert_same(g, w)
    x = mnp.arange(12).reshape(3, 4)
    assert_same(x[mnp.ix_(mnp.array(onp.array([0, 2])), mnp.array(onp.array([1, 3])))],
                onp.arange(12.).reshape(3, 4)[onp.ix_([0, 2], [1, 3])].astype("float32"))


@pytest.mark.parametrize("order", ["C", "F"])
@oracle()
def test_unravel_ravel(order, xp):
    idx = xp.asarray(onp.array([0, 5, 7, 11]))
    r = xp.unravel_index(idx, (3, 4), order=order)
    return r, xp.unravel_index(7, (3, 4), order=order), \
        xp.ravel_multi_index(r, (3, 4), order=order)


def test_unravel_out_of_range_fails_at_sync():
    with pytest.raises(OpError, match="out of bounds"):
        mnp.unravel_index(mnp.array(onp.array([12])), (3, 4))[0].asnumpy()


@pytest.mark.parametrize("mode", ["raise", "clip", "wrap"])
@oracle()
def test_choose(mode, xp):
    idx = xp.asarray(onp.array([[0, 1, 2], [2, 1, 0]]) if mode == "raise"
                     else onp.array([[0, 4, -1], [2, 1, 5]]))
    ch = [xp.asarray(data((2, 3))) for _ in range(3)]
    return xp.choose(idx, ch, mode=mode)


@oracle()
def test_compress_extract_select_piecewise(xp):
    x = xp.asarray(data((3, 4)))
    c = xp.asarray(onp.array([True, False, True]))
    v = xp.asarray(onp.array([-1., 0.5, 2., 3.], dtype="float32"))
    return (xp.compress(c, x, axis=0), xp.compress(onp.array([0, 1, 1]), x),
            xp.extract(x > 0, x),
            xp.select([v < 0, v > 1], [v * 2, v], default=7.0),
            xp.piecewise(v, [v < 0, v > 1], [lambda t: -t, lambda t: t * 10, 5.0]),
            xp.piecewise(v, [v < 1], [0.0, 1.0]))


@oracle()
def test_append_insert_delete(xp):
    x = xp.asarray(data((2, 3)))
    v = xp.asarray(data((3,)))
    return (xp.append(x, x, axis=0), xp.append(x, v), xp.append(v, 4.0),
            xp.insert(x, 1, 9.0, axis=1), xp.insert(v, [0, 2, 2], [7.0, 8.0, 6.0]),
            xp.insert(x, 1, 5.0), xp.insert(x, slice(0, 2), 3.0, axis=1),
            xp.insert(x, 0, v, axis=0), xp.insert(v, -1, [1.0, 2.0]),
            xp.delete(x, [0, 2], axis=1), xp.delete(v, slice(0, 2)), xp.delete(x, 1),
            xp.delete(v, onp.array([True, False, True])), xp.delete(x, -1, axis=0))


def test_insert_delete_errors():
    x = mnp.ones((2, 3))
    with pytest.raises(IndexError, match="out of bounds"):
        mnp.insert(x, 5, 1.0, axis=1)
    with pytest.raises(IndexError, match="out of bounds"):
        mnp.delete(x, [3], axis=1)
    with pytest.raises(TypeError, match="integer"):
        mnp.delete(x, [0.5], axis=1)


@pytest.mark.parametrize("shape", [(2, 4), 7, (0,), (3, 1)])
@oracle()
def test_resize(shape, xp):
    return xp.resize(xp.asarray(data((5,))), shape)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@oracle()
def test_trim_zeros_rollaxis_dsplit_row_stack(xp):
    z = xp.asarray(onp.array([0., 0., 1., 0., 2., 0.], dtype="float32"))
    a = xp.asarray(data((2, 3, 4)))
    return (xp.trim_zeros(z), xp.trim_zeros(z, "f"), xp.trim_zeros(z, "b"),
            xp.rollaxis(a, 2), xp.rollaxis(a, 2, 1), xp.rollaxis(a, 0, 3),
            xp.dsplit(a, 2), xp.dsplit(a, [1, 3]), xp.row_stack([a[0], a[1]]))


PADS = [("constant", {}), ("constant", {"constant_values": 5}),
        ("constant", {"constant_values": ((1, 2), (3, 4))}), ("edge", {}),
        ("reflect", {}), ("symmetric", {}), ("wrap", {}), ("maximum", {}),
        ("minimum", {}), ("mean", {}), ("median", {}), ("linear_ramp", {"end_values": 2}),
        ("reflect", {"reflect_type": "odd"})]


@pytest.mark.parametrize("mode,kw", PADS, ids=[f"{m}-{k}" for m, k in PADS])
@pytest.mark.parametrize("width", [((1, 2), (2, 1)), 1, (1, 2), ((2,), (1,))])
@oracle()
def test_pad(mode, kw, width, xp):
    return xp.pad(xp.asarray(data((3, 4))), width, mode=mode, **kw)


def test_pad_errors():
    with pytest.raises(ValueError, match="mode"):
        mnp.pad(mnp.ones((2,)), 1, mode="bogus")
    with pytest.raises(ValueError, match="negative"):
        mnp.pad(mnp.ones((2,)), -1)
    with pytest.raises(ValueError, match="keyword"):
        mnp.pad(mnp.ones((2,)), 1, mode="edge", constant_values=3)


@pytest.mark.parametrize("name,fn", [
    ("diagonal", lambda a: mnp.diagonal(a, 1)),
    ("diagonal", lambda a: mnp.diag(a, -1)),
    ("_diag_build", lambda a: mnp.diag(a[0], 1)),
    ("_diag_build", lambda a: mnp.diagflat(a)),
    ("tril", lambda a: mnp.tril(a, -1)),
    ("triu", lambda a: mnp.triu(a[0])),
    ("pad", lambda a: mnp.pad(a, ((1, 0), (2, 1)))),
    ("pad", lambda a: mnp.pad(a, 2, mode="edge")),
    ("pad", lambda a: mnp.pad(a, ((1, 2), (2, 2)), mode="reflect")),
    ("pad", lambda a: mnp.pad(a, ((1, 2), (3, 2)), mode="symmetric")),
    ("pad", lambda a: mnp.pad(a, ((1, 4), (2, 5)), mode="wrap")),
    ("concatenate", lambda a: mnp.append(a, a * 2, axis=1)),
    ("getitem", lambda a: mnp.insert(a, [1, 1], 3.0, axis=1)),
    ("getitem", lambda a: mnp.delete(a, 1, axis=0)),
    ("getitem", lambda a: mnp.resize(a, (4, 4))),
    ("where", lambda a: mnp.choose(mnp.array(onp.array([0, 1, 0, 1])), [a[0], a[1]])),
    ("where", lambda a: mnp.select([a > 0], [a * 3])),
])
def test_routine_grads(name, fn):
    check_grad(name, fn, [RNG.standard_normal((3, 4))])
