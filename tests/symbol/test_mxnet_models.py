"""MXNet's model files in and out: ``SymbolBlock.imports`` of files real MXNet 1.9.1
wrote, and ``HybridBlock.export`` files real MXNet loaded.

Fixtures (tests/fixtures/mxnet_models): ``make_models.py``, run with MXNet, wrote the
``<name>-symbol.json`` / ``-0000.params`` / ``-input.npy`` / ``-output.npy`` files;
``from_ndengine/`` holds ndengine's exports (``export_ndengine.py``) with the output
MXNet computed from them (``-mxnet_output.npy``, written by ``make_models.py
--check-only``)."""
from __future__ import annotations

import filecmp
import importlib.util
import json
import os

import numpy as onp
import pytest

import ndengine as mx
from ndengine import autograd, np, npx
from ndengine.gluon import nn

FIX = os.path.join(os.path.dirname(__file__), "..", "fixtures", "mxnet_models")
FROM_ND = os.path.join(FIX, "from_ndengine")
MXNET_MODELS = ["mlp_np", "lenet_np", "ops_np", "mlp_nd", "ops_nd"]
ND_MODELS = ["mlp_np", "lenet_np", "ops_np", "mlp_nd"]


def _mode(name: str) -> None:
    if name.endswith("_np"):
        npx.set_np()
    else:
        npx.reset_np()


def _load(d: str, name: str):
    return nn.SymbolBlock.imports(os.path.join(d, f"{name}-symbol.json"), ["data"],
                                  os.path.join(d, f"{name}-0000.params"))


@pytest.mark.parametrize("name", MXNET_MODELS)
def test_mxnet_files_load_and_give_mxnets_outputs(name):
    _mode(name)
    net = _load(FIX, name)
    x = onp.load(os.path.join(FIX, f"{name}-input.npy"))
    want = onp.load(os.path.join(FIX, f"{name}-output.npy"))
    onp.testing.assert_allclose(net(np.array(x)).asnumpy(), want, rtol=1e-5, atol=1e-6)
    net.hybridize()
    for _ in range(2):
        onp.testing.assert_allclose(net(np.array(x)).asnumpy(), want, rtol=1e-5, atol=1e-6)
    if name.endswith("_nd"):
        y = net(mx.nd.array(x))            # MXNet 1.x: legacy arrays in, legacy out
        assert isinstance(y, mx.nd.NDArray)
        onp.testing.assert_allclose(y.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_imported_block_names_and_trains():
    net = _load(FIX, "mlp_np")
    params = net.collect_params()
    assert "hybridsequential0_dense0_weight" in params
    assert params["hybridsequential0_batchnorm0_running_mean"].grad_req == "null"
    x = np.array(onp.load(os.path.join(FIX, "mlp_np-input.npy")))
    before = params["hybridsequential0_batchnorm0_running_mean"].data().asnumpy()
    with autograd.record():
        # not net(x).sum(): a batch sum after a training BatchNorm does not depend on
        # its input, so the first layer's gradient is 0 (up to rounding)
        y = (net(x) ** 2).sum()
    y.backward()
    g = params["hybridsequential0_dense0_weight"].grad().asnumpy()
    assert g.shape == (8, 5) and onp.abs(g).sum() > 0
    after = params["hybridsequential0_batchnorm0_running_mean"].data().asnumpy()
    assert not onp.allclose(before, after)       # BatchNorm trained: moving stats moved


def test_symbolblock_from_symbols_infers_shapes():
    data = mx.sym.var("data")
    out = mx.sym.FullyConnected(mx.sym.Activation(data, act_type="tanh"), num_hidden=3,
                                name="fc")
    net = nn.SymbolBlock(out, data)
    net.initialize()
    x = onp.random.RandomState(0).randn(2, 4).astype("float32")
    y = net(np.array(x)).asnumpy()
    w = net.collect_params()["fc_weight"].data().asnumpy()
    b = net.collect_params()["fc_bias"].data().asnumpy()
    assert w.shape == (3, 4)
    onp.testing.assert_allclose(y, onp.tanh(x) @ w.T + b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="no input"):
        nn.SymbolBlock(out, mx.sym.var("nope"))


@pytest.mark.parametrize("name", ND_MODELS)
def test_ndengine_exports_load_in_mxnet(name):
    """MXNet 1.9.1 loaded these files (made by ndengine) and computed mxnet_output."""
    _mode(name)
    x = onp.load(os.path.join(FROM_ND, f"{name}-input.npy"))
    mx_out = onp.load(os.path.join(FROM_ND, f"{name}-mxnet_output.npy"))
    nd_out = onp.load(os.path.join(FROM_ND, f"{name}-output.npy"))
    onp.testing.assert_allclose(nd_out, mx_out, rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(_load(FROM_ND, name)(np.array(x)).asnumpy(), mx_out,
                                rtol=1e-5, atol=1e-6)


def _export_script():
    spec = importlib.util.spec_from_file_location(
        "export_ndengine", os.path.join(FIX, "export_ndengine.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", ND_MODELS)
def test_export_writes_what_mxnet_loaded(name, tmp_path):
    """A fresh export writes the same files as the ones MXNet loaded (so the check
    by MXNet still holds), and the graph has MXNet's structure."""
    x, y = _export_script().export(name, str(tmp_path))
    assert filecmp.cmp(tmp_path / f"{name}-symbol.json",
                       os.path.join(FROM_ND, f"{name}-symbol.json"), shallow=False)
    got = mx.npx.load(str(tmp_path / f"{name}-0000.params"))
    want = mx.npx.load(os.path.join(FROM_ND, f"{name}-0000.params"))
    assert sorted(got) == sorted(want)
    for k in got:
        onp.testing.assert_array_equal(got[k].asnumpy(), want[k].asnumpy())
    g = json.loads((tmp_path / f"{name}-symbol.json").read_text())
    assert set(g) == {"nodes", "arg_nodes", "node_row_ptr", "heads", "attrs"}
    assert g["attrs"]["mxnet_version"] == ["int", 10901]
    assert all(k.startswith(("arg:", "aux:")) for k in got)


def test_export_needs_a_hybridized_call(tmp_path):
    net = nn.HybridSequential()
    net.add(nn.Dense(2, in_units=3))
    net.initialize()
    with pytest.raises(RuntimeError, match="hybridize"):
        net.export(str(tmp_path / "m"))


def test_export_then_import_round_trip(tmp_path):
    net = nn.HybridSequential()
    net.add(nn.Dense(6, activation="relu"), nn.BatchNorm(), nn.Dense(2))
    net.initialize()
    net.hybridize()
    x = np.array(onp.random.RandomState(1).randn(3, 4).astype("float32"))
    want = net(x).asnumpy()
    sym_file, param_file = net.export(str(tmp_path / "m"), epoch=7)
    assert param_file.endswith("m-0007.params")
    back = nn.SymbolBlock.imports(sym_file, "data", param_file)
    onp.testing.assert_allclose(back(x).asnumpy(), want, rtol=1e-6, atol=1e-7)


def test_export_rejects_what_mxnet_files_cannot_hold(tmp_path):
    outside = np.ones((2, 2))

    class Closure(nn.HybridBlock):
        def forward(self, x):
            return x + outside

    class Creates(nn.HybridBlock):
        def forward(self, x):
            return x + np.ones(x.shape)

    for cls, msg in ((Closure, "neither an input nor a parameter"),
                     (Creates, "ndengine op 'full', which has no MXNet op")):
        k = cls()
        k.hybridize()
        onp.testing.assert_array_equal(k(np.ones((2, 2))).asnumpy(), 2 * onp.ones((2, 2)))
        with pytest.raises(ValueError, match=msg):
            k.export(str(tmp_path / "k"))


def test_corrupt_params_file_names_the_file(tmp_path):
    bad = tmp_path / "bad-0000.params"
    bad.write_bytes(b"\x12\x01" + b"\x00" * 5)
    with pytest.raises(ValueError, match="bad-0000.params"):
        nn.SymbolBlock.imports(os.path.join(FIX, "mlp_np-symbol.json"), ["data"], str(bad))
