"""gluon.data: datasets, samplers and the DataLoader's batching, shuffling and
last-batch policies."""
from __future__ import annotations

import numpy as onp
import pytest

from ndengine import NDArray
from ndengine import numpy as np
from ndengine.gluon import data as gdata

X = onp.arange(30, dtype=onp.float32).reshape(10, 3)
Y = onp.arange(10, dtype=onp.int64)


def _rows(batches, k=0):
    return [b[k].asnumpy() if isinstance(b, list) else b.asnumpy() for b in batches]


@pytest.mark.parametrize("source", ["numpy", "ndarray"])
def test_sequential_batches(source):
    x = X if source == "numpy" else np.array(X)
    ds = gdata.ArrayDataset(x, Y)
    loader = gdata.DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    for b in batches:
        assert isinstance(b, list) and all(isinstance(a, NDArray) for a in b)
    onp.testing.assert_array_equal(onp.concatenate(_rows(batches)), X)
    onp.testing.assert_array_equal(onp.concatenate(_rows(batches, 1)), Y)
    assert batches[0][0].dtype == onp.float32 and batches[0][1].dtype == onp.int64
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]


def test_last_batch_policies():
    ds = gdata.ArrayDataset(X)
    keep = list(gdata.DataLoader(ds, batch_size=4, last_batch="keep"))
    assert [b.shape[0] for b in keep] == [4, 4, 2]
    disc = gdata.DataLoader(ds, batch_size=4, last_batch="discard")
    assert len(disc) == 2 and [b.shape[0] for b in disc] == [4, 4]
    roll = gdata.DataLoader(ds, batch_size=4, last_batch="rollover")
    assert len(roll) == 2
    first = onp.concatenate(_rows(list(roll)))
    onp.testing.assert_array_equal(first, X[:8])
    assert len(roll) == 3                       # 2 left over + 10 new = 12 -> 3 batches
    second = _rows(list(roll))
    onp.testing.assert_array_equal(second[0], X[[8, 9, 0, 1]])
    with pytest.raises(ValueError, match="last_batch"):
        gdata.DataLoader(ds, batch_size=4, last_batch="sometimes")


def test_shuffle_is_a_permutation_and_seeded():
    ds = gdata.ArrayDataset(X, Y)
    onp.random.seed(3)
    a = onp.concatenate(_rows(list(gdata.DataLoader(ds, batch_size=3, shuffle=True)), 1))
    onp.random.seed(3)
    b = onp.concatenate(_rows(list(gdata.DataLoader(ds, batch_size=3, shuffle=True)), 1))
    c = onp.concatenate(_rows(list(gdata.DataLoader(ds, batch_size=3, shuffle=True)), 1))
    assert sorted(a.tolist()) == list(range(10))
    onp.testing.assert_array_equal(a, b)
    assert not (a == onp.arange(10)).all() or not (c == onp.arange(10)).all()
    # features stay paired with their labels
    feats = onp.concatenate(_rows(list(gdata.DataLoader(ds, batch_size=3, shuffle=True))))
    labs = feats[:, 0] / 3
    assert sorted(labs.tolist()) == list(range(10))


def test_generic_dataset_batchify():
    samples = [(onp.full((2,), i, dtype=onp.float32), i) for i in range(5)]
    loader = gdata.DataLoader(gdata.SimpleDataset(samples), batch_size=2)
    batches = list(loader)
    assert batches[0][0].shape == (2, 2) and batches[0][1].shape == (2,)
    onp.testing.assert_array_equal(batches[2][0].asnumpy(), [[4, 4]])
    nd_samples = gdata.SimpleDataset([np.ones((3,)) * i for i in range(4)])
    out = list(gdata.DataLoader(nd_samples, batch_size=4))
    onp.testing.assert_array_equal(out[0].asnumpy()[:, 0], [0, 1, 2, 3])
    custom = gdata.DataLoader(gdata.SimpleDataset(list(range(6))), batch_size=3,
                              batchify_fn=lambda items: sum(items))
    assert list(custom) == [3, 12]
    with pytest.raises(ValueError, match="one shape"):
        list(gdata.DataLoader(gdata.SimpleDataset([onp.ones(2), onp.ones(3)]), batch_size=2))


def test_batch_sampler_and_arguments():
    ds = gdata.ArrayDataset(X)
    bs = gdata.BatchSampler(gdata.SequentialSampler(10), 5)
    assert [len(b) for b in bs] == [5, 5]
    loader = gdata.DataLoader(ds, batch_sampler=bs, num_workers=2, thread_pool=True)
    assert len(list(loader)) == 2
    with pytest.raises(ValueError, match="batch_sampler"):
        gdata.DataLoader(ds, batch_size=2, batch_sampler=bs)
    with pytest.raises(ValueError, match="batch_size must be specified"):
        gdata.DataLoader(ds)
    with pytest.raises(ValueError, match="shuffle must not"):
        gdata.DataLoader(ds, batch_size=2, shuffle=True, sampler=gdata.SequentialSampler(10))
    with pytest.raises(ValueError, match="same length"):
        gdata.ArrayDataset(X, Y[:3])
    assert list(gdata.DataLoader(ds, batch_size=4, prefetch=0))[2].shape == (2, 3)


def test_samplers():
    assert list(gdata.SequentialSampler(3, start=2)) == [2, 3, 4]
    onp.random.seed(0)
    r = list(gdata.RandomSampler(6))
    assert sorted(r) == list(range(6)) and len(gdata.RandomSampler(6)) == 6
    assert list(gdata.IntervalSampler(6, 3)) == [0, 3, 1, 4, 2, 5]
    assert list(gdata.IntervalSampler(6, 4, rollover=False)) == [0, 4]
    f = gdata.FilterSampler(lambda s: s % 2 == 0, list(range(7)))
    assert list(f) == [0, 2, 4, 6] and len(f) == 4


def test_dataset_transforms():
    ds = gdata.ArrayDataset(X, Y)
    assert len(ds) == 10
    x3, y3 = ds[3]
    onp.testing.assert_array_equal(x3.asnumpy(), X[3])
    t = ds.transform_first(lambda x: x * 2)
    onp.testing.assert_array_equal(t[1][0].asnumpy(), X[1] * 2)
    assert int(t[1][1].item()) == 1
    both = ds.transform(lambda x, y: (x.sum(), y + 1), lazy=False)
    assert float(both[0][0].item()) == 3.0 and int(both[0][1].item()) == 1
    simple = gdata.SimpleDataset(list(range(10)))
    assert list(simple.filter(lambda v: v > 6)) == [7, 8, 9]
    assert [len(simple.shard(3, i)) for i in range(3)] == [4, 3, 3]
    assert list(simple.shard(3, 2)) == [7, 8, 9]
    assert len(simple.take(4)) == 4 and simple.take(None) is simple
    assert list(simple.sample([9, 0])) == [9, 0]
    batches = list(gdata.DataLoader(t, batch_size=5))
    onp.testing.assert_array_equal(batches[0][0].asnumpy(), X[:5] * 2)
