"""The Chrome trace: format, one span per op pushed, flows, lanes, counters."""
from __future__ import annotations

import random

import numpy as onp
import pytest

import ndengine as mx
from ndengine import engine, np, npx

from .conftest import (check_trace_format, names_of, record, span_at, spans)


def test_seed_program_trace_is_valid_and_complete(prof):
    def work():
        x = np.ones((1, 2))
        y = np.ones((1, 2))
        z = x * y + 2
        onp.testing.assert_allclose(z.asnumpy(), [[3.0, 3.0]])

    trace = record(work)
    check_trace_format(trace)
    ops = spans(trace)
    assert [e["name"] for e in sorted(ops, key=lambda e: e["args"]["id"])] == \
        ["full", "full", "multiply", "add"]
    add = next(e for e in ops if e["name"] == "add")
    assert add["args"]["inputs"] == ["(1, 2) float32"]
    assert add["args"]["outputs"] == ["(1, 2) float32"]
    assert add["args"]["device"] == "cpu(0)"
    assert add["args"]["kind"] == "compute"
    assert add["args"]["scalars"] == [2.0]
    assert add["args"]["push_to_start_us"] >= 0
    assert "test_trace.py" in add["args"]["pushed_at"]
    mul = next(e for e in ops if e["name"] == "multiply")
    assert mul["args"]["inputs"] == ["(1, 2) float32", "(1, 2) float32"]
    assert next(e for e in ops if e["name"] == "full")["args"]["kind"] == "creation"


def test_span_count_equals_ops_pushed(prof):
    x = np.arange(12, dtype="float32").reshape(3, 4)
    engine.wait_all()
    before = engine.statistics()["pushed"]

    def work():
        ys = [x + i for i in range(20)]
        zs = [np.sin(y).sum() for y in ys]
        w = x.copyto(mx.cpu(1))
        for z in zs:
            z.wait_to_read()
        w.wait_to_read()

    trace = record(work)
    pushed = engine.statistics()["pushed"] - before
    check_trace_format(trace)
    assert len(spans(trace)) == pushed == 20 + 40 + 1
    pushes = [e for e in trace["traceEvents"] if e["ph"] == "i" and e.get("cat") == "push"]
    assert len(pushes) == pushed
    assert trace["otherData"]["ndengine_ops"] == pushed


def test_raw_engine_pushes_from_threads_are_all_recorded(prof):
    import threading

    vs = [engine.new_var() for _ in range(8)]

    def push_some(seed):
        rnd = random.Random(seed)
        for _ in range(30):
            r = rnd.sample(vs, 2)
            engine.push(lambda: None, reads=(r[0],), writes=(r[1],), name=f"t{seed}")

    def work():
        ts = [threading.Thread(target=push_some, args=(i,), name=f"front-{i}") for i in range(3)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    trace = record(work)
    check_trace_format(trace)
    ops = spans(trace)
    assert len(ops) == 90
    assert sorted({e["name"] for e in ops}) == ["t0", "t1", "t2"]
    assert len({e["args"]["id"] for e in ops}) == 90


def _random_program(rnd: random.Random, n_ops: int):
    """Out-of-place ops over a growing pool of arrays; returns the expected data
    dependencies as (producer index, consumer index) over the pushed ops, in push
    order, and a function that runs it."""
    plan = []
    producers = [0, 1]          # arrays 0 and 1 come from ops 0 and 1 (creation)
    for k in range(n_ops):
        if rnd.random() < 0.5:
            plan.append(("sin", (rnd.randrange(len(producers)),)))
        else:
            plan.append(("add", (rnd.randrange(len(producers)), rnd.randrange(len(producers)))))
        producers.append(k + 2)
    expected = set()
    for k, (_, args) in enumerate(plan):
        for a in args:
            expected.add((producers[a], k + 2))

    def run():
        arrays = [np.ones((2, 3)), np.full((2, 3), 0.5)]
        for name, args in plan:
            if name == "sin":
                arrays.append(np.sin(arrays[args[0]]))
            else:
                arrays.append(arrays[args[0]] + arrays[args[1]])
        arrays[-1].wait_to_read()
        return arrays

    return expected, run


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_flows_connect_real_producer_consumer_pairs(prof, seed):
    expected, run = _random_program(random.Random(seed), 25)
    trace = record(run)
    check_trace_format(trace)
    ops = sorted(spans(trace), key=lambda e: e["args"]["id"])
    assert len(ops) == 27
    first = ops[0]["args"]["id"]
    by_id = {e["args"]["id"]: e for e in ops}
    starts = {e["id"]: e for e in trace["traceEvents"] if e["ph"] == "s"}
    ends = {e["id"]: e for e in trace["traceEvents"] if e["ph"] == "f"}
    got = set()
    for fid, s in starts.items():
        f = ends[fid]
        assert s["name"] == f["name"] == "data"      # out-of-place ops: data flow only
        src, dst = span_at(trace, s), span_at(trace, f)
        assert src is by_id[s["args"]["from"]] and dst is by_id[f["args"]["to"]]
        assert src["ts"] + src["dur"] <= dst["ts"] + 1e-3   # a consumer starts after
        got.add((src["args"]["id"] - first, dst["args"]["id"] - first))
    assert got == expected
    for e in ops:
        deps = {p - first for p in e["args"].get("deps", [])}
        assert deps == {p for p, c in expected if c == e["args"]["id"] - first}


def test_ordering_dependencies_are_flows_too(prof):
    def work():
        x = np.zeros((4,))
        y = x + 1           # reads x
        x += 2              # writes x after that read, and after its creation
        x.wait_to_read()
        y.wait_to_read()

    trace = record(work)
    check_trace_format(trace)
    kinds = {}
    for e in trace["traceEvents"]:
        if e["ph"] == "s":
            kinds.setdefault(e["name"], set()).add((e["args"]["from"], e["args"]["to"]))
    ids = {e["name"]: e["args"]["id"] for e in spans(trace)}
    zeros, add, iadd = ids["zeros"], ids["add"], ids["add_"]
    assert (zeros, add) in kinds["data"]
    assert (zeros, iadd) in kinds["data"]          # x += 2 reads x too
    # the read by `add` finished before `add_` was pushed only if the front end was
    # slow; when it was still in flight, the write waits for it:
    assert kinds.get("write-after-read", set()) <= {(add, iadd)}


def test_processes_and_threads_are_named(prof):
    def work():
        a = np.ones((50, 50), device=mx.cpu(0))
        b = np.ones((50, 50), device=mx.cpu(1))
        cs = [a.dot(a) for _ in range(5)] + [b.dot(b) for _ in range(5)]
        d = b.copyto(mx.cpu(0))
        npx.waitall()
        return cs, d

    trace = record(work)
    check_trace_format(trace)
    procs, threads = names_of(trace)
    assert {"front end", "cpu(0)", "cpu(1)"} <= set(procs.values())
    for e in spans(trace):
        assert e["pid"] in procs and (e["pid"], e["tid"]) in threads
        proc, thread = procs[e["pid"]], threads[(e["pid"], e["tid"])]
        if proc == "front end":
            assert thread == "MainThread"          # the front end helped
        else:
            assert proc == e["args"]["device"]
            if e["name"] == "copyto":
                assert thread.startswith("copy worker ")
            else:
                assert thread.startswith("worker ")


def test_ops_the_front_end_runs_are_on_its_lane(prof):
    engine.set_engine("naive")
    try:
        trace = record(lambda: (np.ones((3,)) * 2).wait_to_read())
    finally:
        engine.set_engine("threaded")
    check_trace_format(trace)
    procs, threads = names_of(trace)
    ops = spans(trace)
    assert len(ops) == 2
    for e in ops:
        assert procs[e["pid"]] == "front end" and threads[(e["pid"], e["tid"])] == "MainThread"


def test_counters_track_ops_and_bytes_in_flight(prof):
    def work():
        xs = [np.ones((100,)) for _ in range(10)]
        for x in xs:
            x.wait_to_read()

    trace = record(work)
    check_trace_format(trace)
    procs, _ = names_of(trace)
    ops = [e for e in trace["traceEvents"] if e["ph"] == "C" and e["name"] == "ops in flight"]
    nbytes = [e for e in trace["traceEvents"] if e["ph"] == "C" and e["name"] == "bytes in flight"]
    assert len(ops) == len(nbytes) == 20            # one at each push and each end
    assert {procs[e["pid"]] for e in ops} == {"cpu(0)"}
    values = [e["args"]["ops"] for e in sorted(ops, key=lambda e: e["ts"])]
    assert min(values) >= 0 and max(values) >= 1 and values[-1] == 0
    assert max(e["args"]["bytes"] for e in nbytes) >= 400
    assert sorted(nbytes, key=lambda e: e["ts"])[-1]["args"]["bytes"] == 0


def test_profile_memory_and_api_off_drop_their_events(prof):
    trace = record(lambda: np.ones((3,)).wait_to_read(), profile_memory=False,
                   profile_api=False)
    check_trace_format(trace)
    names = {e["name"] for e in trace["traceEvents"]}
    assert "bytes in flight" not in names and "ops in flight" in names
    assert not [e for e in trace["traceEvents"] if e.get("cat") == "push"]


def test_a_failing_op_has_its_error_in_the_span(prof):
    from ndengine.base import MXNetError

    def work():
        v = engine.new_var()

        def boom():
            raise RuntimeError("kaboom")

        engine.push(boom, writes=(v,), name="boom")
        with pytest.raises(MXNetError):
            engine.wait_for_var(v)

    trace = record(work)
    check_trace_format(trace)
    (e,) = spans(trace)
    assert e["name"] == "boom" and "kaboom" in e["args"]["error"]


def test_bulk_fused_ops_are_one_span(prof):
    def work():
        x = np.ones((4,))
        with engine.bulk(8):
            for _ in range(8):
                x = x + 1
        x.wait_to_read()

    trace = record(work)
    check_trace_format(trace)
    names = [e["name"] for e in spans(trace)]
    assert names[0] == "full" and len(names) == 2 and names[1].startswith("bulk[8]")
