"""kvstore: init / push (sums across devices) / pull / pushpull, updaters, asynchrony,
and random sequences of calls against a NumPy model."""
from __future__ import annotations

import threading
from typing import Any

import numpy as onp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndengine as mx
from ndengine import kvstore, np, npx, optimizer
from ndengine.kvstore import KVStoreError
from ndengine.ndarray.ndarray import apply_op
from ndengine.ndarray.ops import register

CPUS = [mx.cpu(0), mx.cpu(1), mx.cpu(2)]


def on(dev: Any, values: Any) -> Any:
    return np.array(onp.asarray(values, dtype=onp.float32), device=dev)


# ------------------------------------------------------------------------ creation
def test_create_types_and_properties() -> None:
    for name in ("local", "device", "nccl"):
        kv = kvstore.create(name)
        assert kv.type == name and kv.rank == 0 and kv.num_workers == 1
        assert kv.is_capable("optimizer") and not kv.is_capable("sparse")
    assert isinstance(mx.kv.create(), kvstore.KVStore) and mx.kv.create().type == "local"


@pytest.mark.parametrize("name,match", [("dist_async", "not supported"),
                                        ("bogus", "unknown type"), ("", "unknown type")])
def test_create_refuses_what_it_cannot_do(name: str, match: str) -> None:
    with pytest.raises(KVStoreError, match=match):
        kvstore.create(name)
    with pytest.raises(TypeError):
        kvstore.create(3)      # type: ignore[arg-type]


# ------------------------------------------------------------------------ semantics
@pytest.mark.parametrize("kind", ["local", "device"])
def test_push_sums_across_devices_and_pull_copies_everywhere(kind: str) -> None:
    kv = kvstore.create(kind)
    kv.init(3, np.zeros((2, 3)))
    vals = [on(d, onp.full((2, 3), i + 1.0)) for i, d in enumerate(CPUS)]
    kv.push(3, vals)
    outs = [np.zeros((2, 3), device=d) for d in CPUS]
    kv.pull(3, out=outs)
    for o, d in zip(outs, CPUS):
        assert o.device is d
        onp.testing.assert_array_equal(o.asnumpy(), onp.full((2, 3), 6.0))
    # without an updater the stored value is replaced by the sum, not added to it
    kv.push(3, vals[:2])
    kv.pull(3, out=outs[0])
    onp.testing.assert_array_equal(outs[0].asnumpy(), onp.full((2, 3), 3.0))


def test_several_keys_at_once_and_string_keys() -> None:
    kv = kvstore.create("device")
    kv.init(["w", "b"], [np.zeros((2,)), np.zeros((3,))])
    kv.push(["w", "b"], [[on(CPUS[0], [1, 2]), on(CPUS[1], [3, 4])],
                         [on(CPUS[1], [1, 1, 1]), on(CPUS[0], [2, 2, 2])]])
    w, b = np.zeros((2,), device=CPUS[1]), np.zeros((3,))
    kv.pull(["w", "b"], out=[w, b])
    onp.testing.assert_array_equal(w.asnumpy(), [4, 6])
    onp.testing.assert_array_equal(b.asnumpy(), [3, 3, 3])


def test_pushpull_is_an_all_reduce_in_place_or_into_out() -> None:
    kv = kvstore.create("device")
    kv.init(0, np.zeros((4,)))
    grads = [on(d, onp.arange(4) * (i + 1)) for i, d in enumerate(CPUS[:2])]
    kv.pushpull(0, grads)
    for g, d in zip(grads, CPUS):
        assert g.device is d
        onp.testing.assert_array_equal(g.asnumpy(), onp.arange(4) * 3)
    outs = [np.zeros((4,), device=d) for d in CPUS]
    kv.pushpull(0, grads, out=outs)
    for o in outs:
        onp.testing.assert_array_equal(o.asnumpy(), onp.arange(4) * 6)


def test_broadcast_inits_and_pulls() -> None:
    kv = kvstore.create("local")
    outs = [np.zeros((2,), device=d) for d in CPUS]
    kv.broadcast("p", on(CPUS[1], [5, 7]), out=outs)
    for o in outs:
        onp.testing.assert_array_equal(o.asnumpy(), [5, 7])


def test_stored_values_never_alias_the_callers_arrays() -> None:
    kv = kvstore.create("local")
    v = on(CPUS[0], [1, 2])
    kv.init(1, v)
    v += 10                      # changing the caller's array after init ...
    g = on(CPUS[0], [3, 4])
    kv.push(1, g)                # ... or after a one-value push on the merge device
    g += 100
    out = np.zeros((2,))
    kv.pull(1, out=out)
    onp.testing.assert_array_equal(out.asnumpy(), [3, 4])


def test_merge_devices_local_on_cpu0_device_spread_over_sources() -> None:
    local, dev = kvstore.create("local"), kvstore.create("device")
    shape = (8,)
    for kv in (local, dev):
        for k in range(4):
            kv.init(k, np.zeros(shape))
            kv.push(k, [np.ones(shape, device=CPUS[1]), np.ones(shape, device=CPUS[2])])
    assert set(local._merge_device.values()) == {mx.cpu(0)}
    assert sorted(map(str, dev._merge_device.values())) == ["cpu(1)", "cpu(1)", "cpu(2)", "cpu(2)"]
    out = np.zeros(shape)
    for kv in (local, dev):
        for k in range(4):
            kv.pull(k, out=out)
            onp.testing.assert_array_equal(out.asnumpy(), onp.full(shape, 2.0))


def test_custom_updater_gets_key_sum_and_stored() -> None:
    kv = kvstore.create("device")
    kv.init("k", on(CPUS[0], [1, 1]))
    seen = []

    def updater(key: Any, merged: Any, stored: Any) -> None:
        seen.append(key)
        stored += merged * 2

    kv._set_updater(updater)
    kv.push("k", [on(CPUS[0], [1, 2]), on(CPUS[1], [3, 4])])
    out = np.zeros((2,), device=CPUS[1])
    kv.pull("k", out=out)
    onp.testing.assert_array_equal(out.asnumpy(), [9, 13])
    assert seen == ["k"]


def test_set_optimizer_updates_on_the_store(tmp_path: Any) -> None:
    kv = kvstore.create("local")
    w0 = onp.array([1.0, -2.0, 3.0], dtype=onp.float32)
    kv.init(0, np.array(w0))
    kv.set_optimizer(optimizer.SGD(learning_rate=0.5))
    g = [on(CPUS[1], [1, 1, 1]), on(CPUS[2], [0, 2, 4])]
    kv.push(0, g)
    out = np.zeros((3,))
    kv.pull(0, out=out)
    onp.testing.assert_allclose(out.asnumpy(), w0 - 0.5 * onp.array([1, 3, 5]), rtol=1e-6)
    fname = str(tmp_path / "states")
    kv.save_optimizer_states(fname)
    kv.load_optimizer_states(fname)
    with pytest.raises(TypeError, match="set_optimizer"):
        kv.set_optimizer("sgd")


@pytest.mark.parametrize("call,match", [
    (lambda kv: kv.push(9, np.ones((2,))), "not been initialized"),
    (lambda kv: kv.pull(9, out=np.ones((2,))), "not been initialized"),
    (lambda kv: kv.init(0, np.ones((2,))), "already initialized"),
    (lambda kv: kv.push(0, np.ones((3,))), r"shape \(2,\).*\(3,\)"),
    (lambda kv: kv.pull(0, out=[np.ones((2,)), np.ones((2, 1))]), r"shape"),
    (lambda kv: kv.push(0, [1, 2]), "NDArray"),
    (lambda kv: kv.push([0, 1], [np.ones((2,))]), "2 keys"),
    (lambda kv: kv.push(1.5, np.ones((2,))), "int or a str"),
    (lambda kv: kv.init("s", np.ones((2,))), "cannot be mixed"),
    (lambda kv: kv.pull(0), "out must be given"),
    (lambda kv: kv.save_optimizer_states("x"), "no optimizer"),
])
def test_bad_calls_fail_early_and_clearly(call: Any, match: str) -> None:
    kv = kvstore.create("device")
    kv.init(0, np.zeros((2,)))
    with pytest.raises(KVStoreError, match=match):
        call(kv)


def test_unsupported_features_say_so() -> None:
    kv = kvstore.create("local")
    kv.init(0, np.zeros((1,)))
    with pytest.raises(kvstore.KVStoreError, match="out must be a RowSparseNDArray"):
        kv.row_sparse_pull(0, out=np.zeros((1,)), row_ids=np.zeros((1,)))
    with pytest.raises(KVStoreError, match="not supported for the 'local' kvstore"):
        kv.set_gradient_compression({"type": "2bit"})


# ------------------------------------------------------------------------ asynchrony
def test_push_and_pull_return_before_the_values_exist() -> None:
    """The pushed value comes from an op that is blocked on an event: push and pull
    must return at once (they only push engine ops), and the pulled value is right
    once the event fires."""
    gate = threading.Event()
    # a test's op, listed in no table (the op table lists the package's ops)
    op = register("test_kvstore_gate", lambda xp, a: (GATE[0].wait(10), a * 2)[1],
                  lambda a: (a.shape, a.dtype), table=None)
    GATE[:] = [gate]
    kv = kvstore.create("device")
    kv.init(0, np.zeros((3,)))
    slow = apply_op(op, (on(CPUS[1], [1, 2, 3]),))
    kv.push(0, [slow, on(CPUS[0], [1, 1, 1])])
    out = np.zeros((3,), device=CPUS[2])
    kv.pull(0, out=out)
    assert not gate.is_set()          # we got here while the value was still blocked
    gate.set()
    onp.testing.assert_array_equal(out.asnumpy(), [3, 5, 7])


GATE: list[Any] = []


# ------------------------------------------------------------------------ random sequences
@st.composite
def sessions(draw: Any) -> list[tuple]:
    calls = []
    for _ in range(draw(st.integers(1, 25))):
        key = draw(st.integers(0, 2))
        kind = draw(st.sampled_from(["push", "pull", "pushpull"]))
        devs = draw(st.lists(st.integers(0, 2), min_size=1, max_size=3))
        seed = draw(st.integers(0, 1000))
        calls.append((kind, key, devs, seed))
    return calls


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["local", "device"]), sessions())
def test_random_sessions_match_a_numpy_model(kind: str, calls: list[tuple]) -> None:
    kv = kvstore.create(kind)
    model = {k: onp.full((3,), float(k), dtype=onp.float32) for k in range(3)}
    for k in range(3):
        kv.init(k, np.array(model[k]))
    checks = []
    for call, key, devs, seed in calls:
        rng = onp.random.default_rng(seed)
        vals = [rng.integers(-4, 5, size=3).astype(onp.float32) for _ in devs]
        arrs = [np.array(v, device=CPUS[d]) for v, d in zip(vals, devs)]
        if call in ("push", "pushpull"):
            model[key] = onp.sum(vals, axis=0)
            if call == "push":
                kv.push(key, arrs)
            else:
                kv.pushpull(key, arrs)
                checks += [(a, model[key].copy()) for a in arrs]
        else:
            kv.pull(key, out=arrs)
            checks += [(a, model[key].copy()) for a in arrs]
    for a, want in checks:
        onp.testing.assert_array_equal(a.asnumpy(), want)
    npx.waitall()
