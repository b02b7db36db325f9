"""MXNet's profiler API: config, run/stop/pause, dump/dumps, hooks only while on."""
from __future__ import annotations

import json
import os
import threading

import pytest

from ndengine import engine, np
from ndengine.engine import HOOKS
from ndengine.profiler import core

from .conftest import check_trace_format, record, spans


def subscribed() -> bool:
    return core.PROFILER.rec in HOOKS._subs


def test_off_means_no_hooks_subscribed(prof):
    assert not subscribed() and not HOOKS.active
    prof.set_state("run")
    assert subscribed() and HOOKS.active
    np.ones((2,)).wait_to_read()
    prof.set_state("stop")
    engine.wait_all()
    assert not subscribed() and not HOOKS.active
    assert prof.get_state() == "stop" and prof.state == "stop"


def test_stop_keeps_recording_the_ops_in_flight_then_unsubscribes(prof):
    gate = threading.Event()
    v = engine.new_var()
    prof.set_state("run")
    engine.push(lambda: gate.wait(10), writes=(v,), name="slow")
    prof.set_state("stop")
    assert subscribed()                 # "slow" has not finished yet
    engine.push(lambda: None, reads=(v,), name="after-stop")    # not recorded
    gate.set()
    engine.wait_all()
    assert not subscribed()
    names = [e["name"] for e in spans(prof.trace())]
    assert names == ["slow"]


def test_pause_and_resume(prof):
    prof.set_state("run")
    np.ones((1,)).wait_to_read()
    prof.pause()
    assert not subscribed()
    np.zeros((1,)).wait_to_read()
    prof.resume()
    np.full((1,), 3.0).wait_to_read()
    prof.set_state("stop")
    names = [e["name"] for e in spans(prof.trace())]
    assert names == ["full", "full"]            # zeros ran while paused


def test_dump_writes_the_configured_file_and_forgets_finished_ops(prof, tmp_path):
    path = str(tmp_path / "t.json")
    prof.set_config(filename=path)
    prof.set_state("run")
    np.ones((2, 2)).wait_to_read()
    prof.set_state("stop")
    assert prof.dump(finished=False) == path
    with open(path) as f:
        first = json.load(f)
    check_trace_format(first)
    assert len(spans(first)) == 1
    prof.dump()                                 # finished: the next run starts afresh
    prof.set_state("run")
    np.zeros((3,)).wait_to_read()
    prof.set_state("stop")
    prof.dump()
    with open(path) as f:
        assert [e["name"] for e in spans(json.load(f))] == ["zeros"]


def test_set_config_and_set_state_reject_bad_input(prof):
    with pytest.raises(ValueError, match="unknown option 'profile_everything'"):
        prof.set_config(profile_everything=True)
    with pytest.raises(ValueError, match="must be a boolean"):
        prof.set_config(profile_api="maybe")
    with pytest.raises(ValueError, match="'run' or 'stop'"):
        prof.set_state("go")
    with pytest.raises(ValueError, match="server"):
        prof.set_state("run", profile_process="server")
    prof.set_config(file_name=os.devnull, profile_all="True", aggregate_stats=True)
    assert core.PROFILER.config["filename"] == os.devnull


def test_profile_imperative_off_records_no_ops(prof):
    prof.set_config(profile_imperative=False, profile_symbolic=False)
    prof.set_state("run")
    assert not subscribed()
    np.ones((2,)).wait_to_read()
    prof.set_state("stop")
    assert spans(prof.trace()) == []


def test_dumps_aggregates_per_op_name(prof):
    def work():
        x = np.ones((8, 8))
        for _ in range(5):
            x = np.sin(x)
        y = x.dot(x)
        y.wait_to_read()

    trace = record(work, aggregate_stats=True)
    table = prof.dumps()
    assert table.startswith("Profile Statistics:")
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[6:]}
    assert rows["sin"][0] == "5" and rows["full"][0] == "1" and rows["dot"][0] == "1"
    stats = json.loads(prof.dumps(format="json"))["Time"]["operator"]
    assert stats["sin"]["Count"] == 5
    durations = [e["dur"] / 1e3 for e in spans(trace) if e["name"] == "sin"]
    assert stats["sin"]["Total"] == pytest.approx(sum(durations), abs=1e-3)
    for s in stats.values():
        assert s["Min"] <= s["Avg"] <= s["Max"] <= s["Total"] + 1e-9
    by_count = json.loads(prof.dumps(format="json", sort_by="count", ascending=True))
    counts = [s["Count"] for s in by_count["Time"]["operator"].values()]
    assert counts == sorted(counts)
    prof.dumps(reset=True)
    assert json.loads(prof.dumps(format="json"))["Time"]["operator"] == {}
    with pytest.raises(ValueError, match="sort_by"):
        prof.dumps(sort_by="median")
    with pytest.raises(ValueError, match="format"):
        prof.dumps(format="csv")


def test_scope_prefixes_op_names(prof):
    def work():
        with prof.Scope("layer1"):
            y = np.ones((2,)) + 1
        y.wait_to_read()

    trace = record(work)
    assert sorted(e["name"] for e in spans(trace)) == ["layer1:add", "layer1:full"]
    assert "layer1:add" in prof.dumps()


def test_profiling_objects_land_in_the_trace(prof):
    def work():
        dom = prof.Domain("mydomain")
        task = dom.new_task("step")
        task.start()
        (np.ones((4,)) * 3).wait_to_read()
        task.stop()
        dom.new_marker("here").mark("thread")
        c = dom.new_counter("items", 1)
        c += 4
        with prof.Event("region"):
            pass

    trace = record(work)
    check_trace_format(trace)
    evs = trace["traceEvents"]
    (task,) = [e for e in evs if e["ph"] == "X" and e["name"] == "step"]
    assert task["cat"] == "mydomain"
    ops = spans(trace)
    assert len(ops) == 2
    (marker,) = [e for e in evs if e["ph"] == "i" and e["name"] == "here"]
    assert marker["s"] == "t"
    counts = [e["args"]["items"] for e in evs if e["ph"] == "C" and e["name"] == "items"]
    assert counts == [1, 5]
    assert [e for e in evs if e["ph"] == "X" and e["name"] == "region"]
    with pytest.raises(ValueError, match="scope"):
        prof.Marker(prof.Domain("d"), "m").mark("galaxy")


def test_mxnet_alias_exposes_the_profiler():
    import ndengine

    ndengine.alias_as_mxnet()
    import mxnet

    assert mxnet.profiler.set_state is ndengine.profiler.set_state
