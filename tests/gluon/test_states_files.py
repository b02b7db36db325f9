"""Trainer / KVStore optimizer-state files cannot run code (issue 19).

ndengine writes its own format (a JSON header and the arrays in MXNet's NDArray format);
a pickle (what MXNet 1.9.1 writes) is read only with ``allow_pickle=True``, and then only
the classes an MXNet state pickle holds: a crafted pickle never runs.  A file written by
real MXNet 1.9.1 (tests/fixtures/mxnet_files/from_mxnet/trainer_sgd.states) loads with
allow_pickle=True, with the momentum values and the optimizer's settings.
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as onp
import pytest

import ndengine
from ndengine import autograd, gluon, lr_scheduler
from ndengine import numpy as np
from ndengine.gluon import nn
from ndengine.optimizer import states as S

FIX = Path(__file__).parent.parent / "fixtures" / "mxnet_files" / "from_mxnet"


def _trained(opt="sgd", params=None, steps=2):
    net = nn.Dense(2, in_units=3)
    net.initialize()
    t = gluon.Trainer(net.collect_params(), opt,
                      params or {"learning_rate": 0.1, "momentum": 0.9})
    for _ in range(steps):
        with autograd.record():
            loss = (net(np.ones((4, 3))) ** 2).sum()
        loss.backward()
        t.step(4)
    return net, t


def _flat(states):
    out = []
    for k in sorted(states):
        v = states[k]
        for x in (v if isinstance(v, (tuple, list)) else [v]):
            out.append(None if x is None else x.asnumpy())
    return out


@pytest.mark.parametrize("opt,params", [
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9,
             "lr_scheduler": lr_scheduler.FactorScheduler(1, 0.5, base_lr=0.1)}),
    ("adam", {"learning_rate": 0.01}),
    ("sgd", {"learning_rate": 0.1, "multi_precision": True}),
    ("rmsprop", {"learning_rate": 0.01, "centered": True}),
])
def test_round_trip_keeps_states_and_optimizer(tmp_path, opt, params):
    net, t = _trained(opt, params)
    f = str(tmp_path / "t.states")
    t.save_states(f)
    assert open(f, "rb").read(8) == S.MAGIC
    t2 = gluon.Trainer(net.collect_params(), opt, {"learning_rate": 0.7})
    t2.load_states(f)
    o1, o2 = t._optimizer, t2._optimizer
    assert type(o2) is type(o1) and o2.num_update == o1.num_update
    assert o2.learning_rate == o1.learning_rate
    assert o2._index_update_count is o2._all_index_update_counts[0]   # shared, as saved
    a, b = _flat(t._updaters[0].states), _flat(t2._updaters[0].states)
    assert len(a) == len(b) and all(
        (x is None and y is None) or onp.array_equal(x, y) for x, y in zip(a, b))
    # both trainers take the same next step
    w = [p.data().copy() for p in net.collect_params().values()]
    for tr in (t, t2):
        for p, v in zip(net.collect_params().values(), w):
            p.set_data(v)
        with autograd.record():
            loss = (net(np.ones((4, 3))) ** 2).sum()
        loss.backward()
        tr.step(4)
        w_after = [p.data().asnumpy() for p in net.collect_params().values()]
        if tr is t:
            first = w_after
    assert all(onp.allclose(x, y) for x, y in zip(first, w_after))


def _evil_pickle(marker: Path) -> bytes:
    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))
    return pickle.dumps({0: Evil()})


@pytest.mark.parametrize("allow", [False, True])
def test_crafted_pickle_never_runs(tmp_path, allow):
    marker = tmp_path / "pwned"
    f = tmp_path / "evil.states"
    f.write_bytes(_evil_pickle(marker))
    _, t = _trained()
    before = _flat(t._updaters[0].states)
    with pytest.raises(S.StatesFileError) as e:
        t.load_states(str(f), allow_pickle=allow)
    assert not marker.exists()
    assert "evil.states" in str(e.value)
    if allow:
        assert "posix.system" in str(e.value) and "refused" in str(e.value)
    else:
        assert "pickle" in str(e.value) and "allow_pickle=True" in str(e.value)
    assert all(onp.array_equal(x, y) for x, y in zip(_flat(t._updaters[0].states), before))
    kv = ndengine.kv.create("local")
    kv.set_optimizer(ndengine.optimizer.SGD(momentum=0.9))
    with pytest.raises(S.StatesFileError, match="allow_pickle"):
        kv.load_optimizer_states(str(f))
    assert not marker.exists()


def test_mxnet_written_states_load_with_allow_pickle(tmp_path):
    """trainer_sgd.states: MXNet 1.9.1, Dense(2, in_units=3) with weight 0.5 and bias 0,
    sgd lr 0.1 momentum 0.9, one step on ones((4, 3)) with loss sum(out): momentum of
    the weight -0.1 everywhere, of the bias -0.1 (see make_states.py).  As in MXNet, the
    Trainer numbers the parameters by sorted name: 0 is the bias, 1 the weight."""
    f = FIX / "trainer_sgd.states"
    net = nn.Dense(2, in_units=3)
    net.initialize()
    t = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    with pytest.raises(S.StatesFileError, match="allow_pickle=True"):
        t.load_states(str(f))
    t.load_states(str(f), allow_pickle=True)
    opt = t._optimizer
    assert type(opt).__name__ == "SGD" and opt.momentum == 0.9 and opt.lr == 0.1
    assert opt.num_update == 1
    assert [p.name for p in t._params] == [net.bias.name, net.weight.name]
    st = t._updaters[0].states
    onp.testing.assert_allclose(st[0].asnumpy(), onp.full((2,), -0.1), rtol=1e-6)
    onp.testing.assert_allclose(st[1].asnumpy(), onp.full((2, 3), -0.1), rtol=1e-6)
    with autograd.record():                 # and training goes on from there
        loss = net(np.ones((4, 3))).sum()
    loss.backward()
    t.step(4)


def test_ndengine_pickles_of_before_load_with_allow_pickle():
    """What ndengine's Updater.get_states wrote before (a pickle of ndengine objects)."""
    _, t = _trained("adam", {"learning_rate": 0.01})
    u = t._updaters[0]
    old = pickle.dumps((u.states, u.optimizer))
    with pytest.raises(S.StatesFileError, match="allow_pickle"):
        S.loads(old)
    states, opt = S.loads(old, allow_pickle=True)
    assert type(opt) is type(u.optimizer) and opt.num_update == u.optimizer.num_update
    a, b = _flat(u.states), _flat(states)
    assert all(onp.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("cut", [0, 5, 8, 12, 19, 40, -30, -1])
def test_truncated_and_foreign_states_files_are_clear_errors(tmp_path, cut):
    _, t = _trained()
    f = tmp_path / "t.states"
    t.save_states(str(f))
    data = f.read_bytes()
    (tmp_path / "bad.states").write_bytes(data[:cut] if cut else b"")
    with pytest.raises(S.StatesFileError, match="bad.states"):
        t.load_states(str(tmp_path / "bad.states"))
    (tmp_path / "x.states").write_bytes(b"some text")
    with pytest.raises(S.StatesFileError, match="not an optimizer-state file"):
        t.load_states(str(tmp_path / "x.states"))


def test_unknown_class_in_header_is_refused():
    _, t = _trained()
    data = t._updaters[0].get_states(dump_optimizer=True)
    bad = data.replace(b"ndengine.optimizer.sgd.SGD", b"subprocess.Popen.xxxxxxxxx")
    with pytest.raises(S.StatesFileError, match="not an optimizer"):
        S.loads(bad)


def test_unstorable_attribute_is_named_at_save(tmp_path):
    _, t = _trained()
    t._optimizer.my_hook = lambda: None
    for u in t._updaters:
        u.optimizer = t._optimizer
    f = tmp_path / "t.states"
    f.write_bytes(b"old")
    with pytest.raises(S.StatesFileError, match="my_hook"):
        t.save_states(str(f))
    assert f.read_bytes() == b"old"
