"""mx.visualization and mx.monitor against real MXNet 1.9.1: the client code of
viz_monitor_cases.py runs unchanged on ndengine (fixtures from
tests/fixtures/mxnet_viz_monitor/make_viz_monitor_fixtures.py)."""
import json
import os
import sys

import pytest

import ndengine

ndengine.alias_as_mxnet()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import mxnet as mx  # noqa: E402

import viz_monitor_cases  # noqa: E402
from compare import check  # noqa: E402

EXPECTED = json.load(open(os.path.join(HERE, "..", "fixtures", "mxnet_viz_monitor",
                                       "expected.json")))


def test_print_summary_prints_mxnets_table():
    with mx.name.NameManager():
        got = viz_monitor_cases.case_summary()
    for key in ("shaped", "plain", "narrow"):
        assert got[key] == EXPECTED["summary"][key], key


def test_monitor_rows_match_mxnet():
    with mx.name.NameManager():
        got = viz_monitor_cases.case_monitor()
    want = EXPECTED["monitor"]
    # MXNet also reports its backward nodes' outputs (fc1_backward_output0...); ndengine's
    # backward is autograd's, with no such nodes (docs/mxnet-differences.md)
    rows = [[r for r in step if "_backward_" not in r[1]] for step in want["rows"]]
    check(got["rows"], rows, "rows")
    check(got["fit_log"], want["fit_log"], "fit_log")


def test_monitor_all_sees_inputs_and_bad_stats_are_named():
    data = mx.sym.var("data")
    out = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=2, name="fc"),
                            act_type="relu", name="r")
    exe = out.simple_bind(mx.cpu(), data=(1, 3))
    names = []
    exe.set_monitor_callback(lambda n, a: names.append(n), monitor_all=True)
    exe.forward()
    assert names == ["fc_data", "fc_weight", "fc_bias", "fc_output", "r_data", "r_output"]
    mon = mx.mon.Monitor(1, stat_func=lambda a: 1.0)
    mon.install(exe)
    mon.tic()
    exe.forward()
    with pytest.raises(TypeError, match="stat_func must return an NDArray"):
        mon.toc()


def test_plot_network_needs_graphviz_or_draws():
    net = viz_monitor_cases._net()
    try:
        import graphviz  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install graphviz"):
            mx.viz.plot_network(net)
        return
    dot = mx.viz.plot_network(net, shape={"data": (2, 1, 8, 8), "idx": (2, 3)})
    assert "conv1" in dot.source and "4x6x6" in dot.source
