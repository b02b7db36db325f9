"""``autograd.get_symbol``: the recorded graph as a Symbol, against the JSON real MXNet
1.9.1 writes for the same graph in a fresh process (its names included), and what the
symbol can do (arguments, eval, bind, a JSON round trip); the errors.  The structure of
more graphs against MXNet: tests/mxnet_diff/cases/cases_autograd_symbol.py."""
from __future__ import annotations

import json

import numpy as onp
import pytest

import ndengine as mx
from ndengine import autograd, nd, np, npx
from ndengine.autograd import GradientError

# /work/peers/mx/bin/python, a fresh process, the graph of _legacy_graph():
# json.loads(autograd.get_symbol(s).tojson())
MXNET_LEGACY_JSON = {
    "nodes": [
        {"op": "null", "name": "var0", "inputs": []},
        {"op": "null", "name": "null1", "inputs": []},
        {"op": "dot", "name": "node_0", "inputs": [[0, 0, 0], [1, 0, 0]]},
        {"op": "_plus_scalar", "name": "node_1", "attrs": {"scalar": "1.0"},
         "inputs": [[2, 0, 0]]},
        {"op": "relu", "name": "node_2", "inputs": [[3, 0, 0]]},
        {"op": "broadcast_mul", "name": "node_3", "inputs": [[4, 0, 0], [0, 0, 0]]},
        {"op": "sum", "name": "node_4", "inputs": [[5, 0, 0]]}],
    "arg_nodes": [0, 1],
    "node_row_ptr": [0, 1, 2, 3, 4, 5, 6, 7],
    "heads": [[6, 0, 0]],
    "attrs": {"mxnet_version": ["int", 10901]}}

# the same graph in np mode (npx.set_np(); np.dot, + 1, npx.relu, *, .sum())
MXNET_NP_OPS = ["null", "null", "_np_dot", "_npi_add_scalar", "_npx_relu", "_npi_multiply",
                "_np_sum"]


def _legacy_graph():
    x = nd.array([[1, 2], [3, 4]])
    x.attach_grad()
    w = nd.array([[0.5, 1], [1, 2]])
    with autograd.record():
        y = nd.dot(x, w) + 1
        z = nd.relu(y) * x
        s = z.sum()
    return x, w, s


def test_legacy_graph_json_is_mxnets():
    npx.reset_np()
    x, w, s = _legacy_graph()
    sym = autograd.get_symbol(s)
    assert json.loads(sym.tojson()) == MXNET_LEGACY_JSON
    assert sym.list_arguments() == ["var0", "null1"]
    assert sym.list_outputs() == ["node_4_output"]
    out = sym.bind(mx.cpu(), {"var0": x, "null1": w}).forward()[0]
    assert out.asnumpy().tolist() == s.asnumpy().tolist() == [83.0]
    again = mx.sym.load_json(sym.tojson())
    assert again.eval(var0=x, null1=w)[0].asnumpy().tolist() == [83.0]


def test_np_mode_graph_ops_and_values():
    x = np.array([[1., 2], [3, 4]])
    x.attach_grad()
    w = np.array([[0.5, 1], [1, 2]])
    with autograd.record():
        s = (npx.relu(np.dot(x, w) + 1) * x).sum()
    sym = autograd.get_symbol(s)
    graph = json.loads(sym.tojson())
    assert [n["op"] for n in graph["nodes"]] == MXNET_NP_OPS
    assert graph["nodes"][3]["attrs"] == {"scalar": "1.0"}
    assert graph["nodes"][6]["attrs"] == {"axis": "None", "keepdims": "False"}
    assert graph["attrs"]["is_np_shape"] == ["int", 1]
    assert float(sym.eval(var0=x, null1=w)[0]) == float(s) == 83.0


def test_symbol_of_an_intermediate_and_of_a_variable():
    x = np.array([1., 2, 3])
    x.attach_grad()
    with autograd.record():
        y = x * x
        z = y + x
        (z * 2).sum()
    sym = autograd.get_symbol(z)
    graph = json.loads(sym.tojson())
    assert [n["name"] for n in graph["nodes"]] == ["var0", "node_0", "node_1"]
    assert graph["nodes"][1]["inputs"] == [[0, 0, 0], [0, 0, 0]]
    onp.testing.assert_array_equal(sym.eval(var0=x)[0].asnumpy(), [2., 6, 12])
    leaf = autograd.get_symbol(x)
    assert leaf.list_arguments() == ["var0"] and leaf.tojson().count('"op": "null"') == 1


def test_op_without_a_symbol_form_is_named():
    x = np.array([1., 2, 3])
    x.attach_grad()
    with autograd.record():
        y = np.cumsum(x * 2)
    with pytest.raises(GradientError, match=r"get_symbol: the recorded op 'cumsum' has no "
                                            r"MXNet symbol form"):
        autograd.get_symbol(y)


def test_freed_graph_is_an_error():
    x = np.array([1., 2])
    x.attach_grad()
    with autograd.record():
        y = (x * 3).sum()
    y.backward()
    with pytest.raises(GradientError, match="freed by backward"):
        autograd.get_symbol(y)
    with autograd.record():
        y = (x * 3).sum()
    y.backward(retain_graph=True)
    assert autograd.get_symbol(y).list_arguments() == ["var0"]


def test_variables_are_numbered_in_json_order():
    """A node reading a variable before a subgraph: the variable comes first in the
    JSON (depth-first, inputs in order), and so does its number."""
    a = np.array([1., 2])
    b = np.array([3., 4])
    a.attach_grad()
    with autograd.record():
        y = a * np.exp(b * a)
    graph = json.loads(autograd.get_symbol(y).tojson())
    assert [(n["op"], n["name"]) for n in graph["nodes"]] == [
        ("null", "var0"), ("null", "null1"), ("_npi_multiply", "node_0"),
        ("_npi_exp", "node_1"), ("_npi_multiply", "node_2")]
    assert graph["nodes"][2]["inputs"] == [[1, 0, 0], [0, 0, 0]]
