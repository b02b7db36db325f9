"""np.random: dtypes, shapes, parameters, seeding, and identical results for a seed
under any schedule (one generator per device, held behind an engine var)."""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine
from ndengine import np as mnp
from ndengine import npx

F32 = onp.dtype("float32")
I64 = onp.dtype("int64")


@pytest.mark.parametrize("call,shape,dtype", [
    (lambda: mnp.random.normal(), (), F32),
    (lambda: mnp.random.normal(size=(2, 3)), (2, 3), F32),
    (lambda: mnp.random.normal(1.0, 2.0, 5), (5,), F32),
    (lambda: mnp.random.normal(size=4, dtype="float64"), (4,), onp.float64),
    (lambda: mnp.random.normal(mnp.zeros((3, 1)), mnp.ones(4)), (3, 4), F32),
    (lambda: mnp.random.uniform(size=(2,)), (2,), F32),
    (lambda: mnp.random.uniform(-1, 1, (2, 2)), (2, 2), F32),
    (lambda: mnp.random.uniform(mnp.zeros(3), 2.0), (3,), F32),
    (lambda: mnp.random.randint(10), (), I64),
    (lambda: mnp.random.randint(2, 5, size=(3, 2)), (3, 2), I64),
    (lambda: mnp.random.randint(5, size=4, dtype="int32"), (4,), onp.int32),
    (lambda: mnp.random.choice(5, 3), (3,), I64),
    (lambda: mnp.random.choice(mnp.array([1.0, 2.0, 3.0]), size=(2, 2)), (2, 2), F32),
    (lambda: mnp.random.choice(4, 4, replace=False), (4,), I64),
    (lambda: mnp.random.rand(2, 3), (2, 3), F32), (lambda: mnp.random.randn(4), (4,), F32),
    (lambda: mnp.random.random((2,)), (2,), F32),
    (lambda: mnp.random.permutation(5), (5,), I64),
    (lambda: mnp.random.permutation(mnp.arange(4.0)), (4,), F32),
    (lambda: mnp.random.exponential(2.0, size=3), (3,), F32),
    (lambda: mnp.random.gamma(2.0, 1.0, size=3), (3,), F32),
    (lambda: mnp.random.multinomial(10, [0.2, 0.8], size=3), (3, 2), I64),
    (lambda: mnp.random.bernoulli(0.3, size=(5,)), (5,), F32),
])
def test_shapes_and_dtypes(call, shape, dtype):
    x = call()
    assert x.shape == shape and x.dtype == dtype
    v = x.asnumpy()
    assert v.shape == shape and v.dtype == dtype


def test_values_follow_their_distributions():
    n = 20000
    x = mnp.random.normal(2.0, 3.0, size=n).asnumpy()
    assert abs(x.mean() - 2.0) < 0.1 and abs(x.std() - 3.0) < 0.1
    u = mnp.random.uniform(-2, 4, size=n).asnumpy()
    assert u.min() >= -2 and u.max() < 4 and abs(u.mean() - 1.0) < 0.1
    r = mnp.random.randint(3, 7, size=n).asnumpy()
    assert set(onp.unique(r)) == {3, 4, 5, 6}
    c = mnp.random.choice(3, size=n, p=[0.0, 0.25, 0.75]).asnumpy()
    assert (c != 0).all() and abs((c == 2).mean() - 0.75) < 0.03
    p = mnp.random.choice(6, 6, replace=False).asnumpy()
    assert sorted(p.tolist()) == list(range(6))
    arr = mnp.random.normal(mnp.array([0.0, 100.0]), 0.01, size=(n, 2)).asnumpy()
    assert abs(arr[:, 1].mean() - 100) < 0.01


def test_choice_with_ndarray_probabilities_does_not_block():
    p = mnp.array([0.0, 0.0, 1.0])
    assert mnp.random.choice(3, size=4, p=p).tolist() == [2, 2, 2, 2]
    vals = mnp.array([5.0, 6.0])
    assert mnp.random.choice(vals, 3, p=mnp.array([1.0, 0.0])).tolist() == [5.0, 5.0, 5.0]


def test_shuffle_is_an_in_place_write_in_push_order():
    x = mnp.arange(10.0)
    before = x.copy()
    mnp.random.shuffle(x)
    assert sorted(x.tolist()) == before.tolist()
    m = mnp.arange(12.0).reshape(4, 3)
    mnp.random.shuffle(m)
    rows = sorted(tuple(r) for r in m.tolist())
    assert rows == [tuple(r) for r in onp.arange(12.0).reshape(4, 3).tolist()]
    with pytest.raises(TypeError, match="shuffle"):
        mnp.random.shuffle(onp.arange(3))


def _draws():
    return [mnp.random.normal(size=3).tolist(), mnp.random.uniform(size=2).tolist(),
            mnp.random.randint(0, 100, size=3).tolist(), mnp.random.choice(10, 3).tolist()]


def test_seed_reproduces_and_reseeding_is_ordered():
    mnp.random.seed(7)
    a = _draws()
    mnp.random.seed(7)
    b = _draws()
    assert a == b
    mnp.random.seed(8)
    assert _draws() != a
    npx.seed(7)
    assert _draws() == a
    ndengine.random.seed(7)
    assert _draws() == a
    npx.random.seed(7)
    assert _draws() == a
    # a seed is ordered like any op: draws pushed before it use the old state
    mnp.random.seed(7)
    x = mnp.random.normal(size=3)
    mnp.random.seed(7)
    y = mnp.random.normal(size=3)
    assert x.tolist() == y.tolist() == a[0]


def test_each_device_has_its_own_generator():
    mnp.random.seed(3)
    a0 = mnp.random.normal(size=4).tolist()
    a1 = mnp.random.normal(size=4, ctx=ndengine.cpu(1)).tolist()
    assert a0 != a1
    mnp.random.seed(3)
    b1 = mnp.random.normal(size=4, ctx=ndengine.cpu(1)).tolist()
    b0 = mnp.random.normal(size=4).tolist()     # the order across devices does not matter
    assert (a0, a1) == (b0, b1)
    mnp.random.seed(5, ctx=ndengine.cpu(1))      # one device only
    c1 = mnp.random.normal(size=4, ctx=ndengine.cpu(1)).tolist()
    mnp.random.seed(5, ctx=ndengine.cpu(1))
    assert mnp.random.normal(size=4, ctx=ndengine.cpu(1)).tolist() == c1


def _random_program():
    """Random ops interleaved with other work on two devices; returns every value."""
    mnp.random.seed(42)
    out = []
    x = mnp.random.normal(size=(64, 64))
    y = mnp.random.uniform(size=(64, 64), ctx=ndengine.cpu(1))
    for i in range(6):
        z = mnp.dot(x, x) / 64 + mnp.random.normal(size=(64, 64))
        w = y * 2 + mnp.random.uniform(size=(64, 64), ctx=ndengine.cpu(1))
        idx = mnp.random.randint(0, 64, size=(8,))
        perm = mnp.random.permutation(8)
        mnp.random.shuffle(x)
        c = mnp.random.choice(x[0], size=5)
        out += [z, w, idx, perm, c]
        x = z
    return [o.asnumpy() for o in out]


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_same_values_for_a_seed_under_any_schedule(engine_with, workers):
    with engine_with(1, "naive"):
        want = _random_program()
    with engine_with(workers):
        got = _random_program()
    for g, w in zip(got, want):
        onp.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: mnp.random.normal(0, -1.0), ValueError, r"scale must be non-negative"),
    (lambda: mnp.random.randint(5, 5), ValueError, r"low >= high"),
    (lambda: mnp.random.choice(3, 5, replace=False), ValueError, r"larger sample"),
    (lambda: mnp.random.choice(mnp.ones((2, 2))), ValueError, r"1-dimensional"),
    (lambda: mnp.random.choice(3, p=[0.5, 0.5]), ValueError, r"p has shape \(2,\)"),
    (lambda: mnp.random.uniform(size=(2, -1)), ValueError, r"negative dimensions"),
    (lambda: mnp.random.seed(-1), ValueError, r"non-negative int"),
    (lambda: mnp.random.normal(mnp.zeros(2, ctx=ndengine.cpu(1)), 1.0, size=2),
     ValueError, r"normal: parameter array \(2,\) is on cpu\(1\), sampling on cpu\(0\)"),
])
def test_errors_at_call(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
