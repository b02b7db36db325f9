"""mx.sym: building graphs, MXNet 1.9.1's JSON format, shape and type inference.

The JSON checks compare with files real MXNet 1.9.1 wrote (tests/fixtures/mxnet_models,
made by make_models.py there)."""
from __future__ import annotations

import json
import os

import numpy as onp
import pytest

import ndengine as mx
from ndengine import np, npx
from ndengine.symbol import SymbolFileError, UnsupportedOpError
from ndengine.symbol._ops import format_attr, parse_attr

FIX = os.path.join(os.path.dirname(__file__), "..", "fixtures", "mxnet_models")
sym = mx.sym


def _fixture(name: str) -> str:
    return os.path.join(FIX, f"{name}-symbol.json")


def test_sym_is_the_symbol_module():
    import ndengine.symbol

    assert mx.sym is ndengine.symbol and mx.symbol is ndengine.symbol


def test_attr_strings_as_mxnet_writes_them():
    assert format_attr(True) == "True" and format_attr(False) == "False"
    assert format_attr((3, 3)) == "(3, 3)" and format_attr((8,)) == "(8,)"
    assert format_attr(1e-05) == "1e-05" and format_attr(0.9) == "0.9"
    assert format_attr(10) == "10" and format_attr("relu") == "relu"
    assert parse_attr("10") == 10 and parse_attr("(3, 3)") == (3, 3)
    assert parse_attr("True") is True and parse_attr("None") is None
    assert parse_attr("relu") == "relu" and parse_attr("1e-05") == 1e-05
    # never evaluated: a call is no literal, so it stays a string
    assert parse_attr("__import__('os').system('true')") == "__import__('os').system('true')"


def test_compose_names_lists_like_mxnet():
    x = sym.var("data")
    y = sym.FullyConnected(x, num_hidden=4, name="fc1")
    y = sym.Activation(y, act_type="relu", name="act")
    y = sym.BatchNorm(y, name="bn")
    y = sym.FullyConnected(data=y, num_hidden=2, no_bias=True, name="fc2")
    assert y.list_arguments() == ["data", "fc1_weight", "fc1_bias", "bn_gamma", "bn_beta",
                                  "fc2_weight"]
    assert y.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    assert y.list_outputs() == ["fc2_output"]
    assert y.name == "fc2"
    g = json.loads(y.tojson())
    fc1 = next(n for n in g["nodes"] if n["name"] == "fc1")
    assert fc1["attrs"] == {"num_hidden": "4"}
    bn = next(n for n in g["nodes"] if n["name"] == "bn")
    assert [e[2] for e in bn["inputs"]] == [0, 0, 0, 1, 1]      # aux states: version 1
    assert g["node_row_ptr"][-1] == sum(3 if n["op"] == "BatchNorm" else 1
                                        for n in g["nodes"])
    assert g["attrs"]["mxnet_version"] == ["int", 10901]
    internals = y.get_internals()
    assert "fc1_output" in internals.list_outputs()
    assert internals["fc1_output"].name == "fc1"


@pytest.mark.parametrize("name", ["mlp_np", "mlp_nd", "lenet_np", "ops_np", "ops_nd"])
def test_mxnet_json_round_trips(name):
    with open(_fixture(name)) as f:
        text = f.read()
    want = json.loads(text)
    s = sym.load(_fixture(name))
    got = json.loads(s.tojson())
    for key in ("arg_nodes", "node_row_ptr", "heads"):
        assert got[key] == want[key], key
    assert len(got["nodes"]) == len(want["nodes"])
    for a, b in zip(got["nodes"], want["nodes"]):
        assert a["op"] == b["op"] and a["name"] == b["name"]
        assert a.get("attrs", {}) == b.get("attrs", {})
        assert a["inputs"] == b["inputs"]
    assert sym.load_json(s.tojson()).tojson() == s.tojson()


def test_lists_of_an_mxnet_graph():
    s = sym.load(_fixture("mlp_np"))
    assert s.list_arguments() == [
        "data", "hybridsequential0_dense0_weight", "hybridsequential0_dense0_bias",
        "hybridsequential0_batchnorm0_gamma", "hybridsequential0_batchnorm0_beta",
        "hybridsequential0_dense1_weight", "hybridsequential0_dense1_bias"]
    assert s.list_auxiliary_states() == ["hybridsequential0_batchnorm0_running_mean",
                                         "hybridsequential0_batchnorm0_running_var"]
    assert s.list_outputs() == ["hybridsequential0_dense1_fwd_output"]


def test_infer_shape_and_type():
    s = sym.load(_fixture("lenet_np"))
    arg, out, aux = s.infer_shape(data=(2, 1, 12, 12))
    params = mx.npx.load(os.path.join(FIX, "lenet_np-0000.params"))
    shapes = dict(zip(s.list_arguments(), arg))
    for k, v in params.items():
        assert shapes[k[4:]] == v.shape, k
    assert out == [(2, 5)] and aux == []
    assert s.infer_shape(data=(2, 1, 12, 12))[1] == [(2, 5)]
    args_t, outs_t, _ = s.infer_type(data="float32")
    assert all(t is onp.float32 for t in args_t) and outs_t == [onp.float32]
    built = sym.FullyConnected(sym.var("data"), num_hidden=3, name="fc")
    args_t, outs_t, _ = built.infer_type(data="float64")
    assert args_t == [onp.float64] * 3 and outs_t == [onp.float64]
    # too little to go on
    assert sym.FullyConnected(sym.var("x"), num_hidden=3).infer_shape() == (None, None, None)


def test_arithmetic_and_eval():
    a, b = sym.var("a"), sym.var("b")
    c = (a + b) * 2 - a / b + 1
    assert [n["op"] for n in json.loads(c.tojson())["nodes"] if n["op"] != "null"] == \
        ["elemwise_add", "_mul_scalar", "elemwise_div", "elemwise_sub", "_plus_scalar"]
    x, y = onp.array([1.0, 2.0], "float32"), onp.array([3.0, 4.0], "float32")
    out = c.eval(a=np.array(x), b=np.array(y))[0]
    onp.testing.assert_allclose(out.asnumpy(), (x + y) * 2 - x / y + 1, rtol=1e-6)
    g = sym.Group([a + 1, b * 3])
    assert len(g) == 2 and len(g.list_outputs()) == 2
    composed = c(a=sym.var("z") * 2)
    assert composed.list_arguments() == ["z", "b"]


def test_save_and_load(tmp_path):
    s = sym.Activation(sym.var("data"), act_type="tanh", name="t")
    f = tmp_path / "m-symbol.json"
    s.save(str(f))
    assert sym.load(str(f)).tojson() == s.tojson()


def test_bad_files_raise_clear_errors(tmp_path):
    with pytest.raises(SymbolFileError, match="no such file"):
        sym.load(str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(SymbolFileError, match="not JSON"):
        sym.load(str(tmp_path / "bad.json"))
    (tmp_path / "bin.json").write_bytes(b"\x12\x01\x00\x00\xff\xfe")
    with pytest.raises(SymbolFileError, match="not UTF-8"):
        sym.load(str(tmp_path / "bin.json"))
    with pytest.raises(SymbolFileError, match="'nodes' and 'heads'"):
        sym.load_json('{"a": 1}')
    with pytest.raises(UnsupportedOpError, match="MysteryOp"):
        sym.load_json('{"nodes": [{"op": "null", "name": "x", "inputs": []}, '
                      '{"op": "MysteryOp", "name": "m", "inputs": [[0, 0, 0]]}], '
                      '"heads": [[1, 0, 0]]}')
    with pytest.raises(SymbolFileError, match="not an earlier node"):
        sym.load_json('{"nodes": [{"op": "relu", "name": "r", "inputs": [[3, 0, 0]]}], '
                      '"heads": [[0, 0, 0]]}')
    with pytest.raises(SymbolFileError, match="has 1 outputs"):
        sym.load_json('{"nodes": [{"op": "null", "name": "x", "inputs": []}], '
                      '"heads": [[0, 2, 0]]}')


def test_parameter_var():
    from ndengine.gluon import Parameter

    p = Parameter("w", shape=(3, 0), lr_mult=2.0)
    v = p.var()
    assert v.name == "w" and v.attr("__shape__") == "(3, -1)" and v.attr("__lr_mult__") == "2.0"
