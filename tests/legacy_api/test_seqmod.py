"""mx.mod.SequentialModule, PythonModule and PythonLossModule against real MXNet 1.9.1:
the client code of seqmod_cases.py (fit on a chain of two symbol modules, auto-wired and
taking labels; forward/backward/update by hand with input gradients; a Python loss
module's grad_func) runs unchanged on ndengine and gives what MXNet gave (fixtures from
tests/fixtures/mxnet_seqmod/make_seqmod_fixtures.py)."""
import json
import os
import sys

import numpy as onp
import pytest

import ndengine

ndengine.alias_as_mxnet()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import mxnet as mx  # noqa: E402

import seqmod_cases  # noqa: E402
from compare import check  # noqa: E402

EXPECTED = json.load(open(os.path.join(HERE, "..", "fixtures", "mxnet_seqmod",
                                       "expected.json")))


@pytest.mark.parametrize("name", sorted(seqmod_cases.CASES))
def test_matches_mxnet(name):
    with mx.name.NameManager():
        got = seqmod_cases.CASES[name]()
    check(got, EXPECTED[name], name)


def _chain(inputs_need_grad=True):
    m1, m2 = seqmod_cases._mods(False)
    seq = mx.mod.SequentialModule().add(m1).add(m2, take_labels=True)
    seq.bind(data_shapes=[("data", (8, 6))], label_shapes=[("softmax_label", (8,))],
             inputs_need_grad=inputs_need_grad)
    seq.init_params(arg_params=seqmod_cases._params(seqmod_cases.SHAPES, seed=4))
    return seq, m1


def test_the_chain_gives_its_first_modules_input_gradients():
    """Where MXNet 1.9.1's SequentialModule.get_input_grads always fails (its bind never
    records inputs_need_grad), ndengine gives the first module's, which equal the
    gradient of the chain's loss by finite differences."""
    seq, m1 = _chain()
    x, y = seqmod_cases._data(8, 6, 3, seed=2)
    batch = mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)])
    seq.forward(batch, is_train=True)
    seq.backward()
    g = seq.get_input_grads()[0].asnumpy()
    onp.testing.assert_array_equal(g, m1.get_input_grads()[0].asnumpy())
    # SoftmaxOutput's gradient is that of the summed cross-entropy
    def loss(xv):
        seq.forward(mx.io.DataBatch([mx.nd.array(xv)], [mx.nd.array(y)]), is_train=False)
        p = seq.get_outputs()[0].asnumpy().astype("float64")
        return -onp.log(p[onp.arange(8), y.astype(int)]).sum()
    eps = 1e-2
    i, j = 3, 4
    xp, xm = x.copy(), x.copy()
    xp[i, j] += eps
    xm[i, j] -= eps
    assert (loss(xp) - loss(xm)) / (2 * eps) == pytest.approx(g[i, j], rel=2e-2, abs=1e-4)
    seq2, _ = _chain(inputs_need_grad=False)
    seq2.forward(batch, is_train=True)
    seq2.backward()
    with pytest.raises(RuntimeError, match="inputs_need_grad"):
        seq2.get_input_grads()


def test_errors_name_what_is_wrong():
    seq = mx.mod.SequentialModule()
    with pytest.raises(ValueError, match='unknown meta "take_label"'):
        seq.add(mx.mod.PythonLossModule(), take_label=True)
    with pytest.raises(TypeError, match="expected a module"):
        seq.add(mx.sym.Variable("x"))
    with pytest.raises(ValueError, match="add at least one module"):
        seq.bind(data_shapes=[("data", (2, 3))])
    m1, _ = seqmod_cases._mods(False)
    m1b, _ = seqmod_cases._mods(False)
    seq = mx.mod.SequentialModule().add(m1).add(m1b, auto_wiring=True)
    seq.bind(data_shapes=[("data", (4, 6))], for_training=False)
    with pytest.raises(ValueError, match="duplicated parameter name 'fc1_weight'.*layer 1"):
        seq.init_params()
    # auto-wiring a module of two inputs after one output
    two = mx.mod.Module(mx.sym.Variable("a") + mx.sym.Variable("b"), data_names=["a", "b"],
                        label_names=None)
    m1, _ = seqmod_cases._mods(False)
    seq = mx.mod.SequentialModule().add(m1).add(two, auto_wiring=True)
    with pytest.raises(ValueError, match=r"module 1 \(Module\) takes 2 inputs"):
        seq.bind(data_shapes=[("data", (4, 6))])
    with pytest.raises(RuntimeError, match="call bind"):
        mx.mod.SequentialModule().add(m1).forward(None)
    loss = mx.mod.PythonLossModule()
    with pytest.raises(TypeError, match="grad_func must be callable"):
        mx.mod.PythonLossModule(grad_func=3)
    loss.bind(data_shapes=[("data", (2, 3))], label_shapes=[("softmax_label", (2,))])
    loss.forward(mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.zeros((2,))]), is_train=True)
    with pytest.raises(TypeError, match="give grad_func"):
        loss.backward()
    with pytest.raises(ValueError, match="no out_grads"):
        loss.backward(out_grads=[mx.nd.ones((2, 3))])


def test_a_python_module_subclass_needs_its_output_shapes():
    class Half(mx.mod.PythonModule):
        def __init__(self):
            super().__init__(["data"], None, ["half_output"])

        def _compute_output_shapes(self):
            return [("half_output", self._data_shapes[0][1])]

        def forward(self, data_batch, is_train=None):
            self._out = data_batch.data[0] / 2

        def get_outputs(self, merge_multi_context=True):
            return [self._out]

    class Broken(mx.mod.PythonModule):
        def __init__(self):
            super().__init__(["data"], None, ["o"])

    h = Half()
    h.bind(data_shapes=[("data", (2, 3))], for_training=False)
    assert h.output_shapes == [("half_output", (2, 3))]
    h.init_params()
    assert h.get_params() == ({}, {})
    seq = mx.mod.SequentialModule().add(h).add(Half(), auto_wiring=True)
    seq.bind(data_shapes=[("data", (2, 3))], for_training=False)
    seq.init_params()
    seq.forward(mx.io.DataBatch([mx.nd.ones((2, 3)) * 8]), is_train=False)
    onp.testing.assert_array_equal(seq.get_outputs()[0].asnumpy(), onp.full((2, 3), 2.0))
    with pytest.raises(TypeError, match="must define _compute_output_shapes"):
        Broken().bind(data_shapes=[("data", (2, 3))])


def test_a_monitor_on_a_chain_watches_its_symbol_modules():
    x, y = seqmod_cases._data(10, 6, 3, seed=5)
    m1 = mx.mod.Module(mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=3,
                                             name="fc"), label_names=None)
    loss = mx.mod.PythonLossModule(grad_func=lambda s, l: s * 0)
    seq = mx.mod.SequentialModule().add(m1).add(loss, take_labels=True, auto_wiring=True)
    seq.bind(data_shapes=[("data", (10, 6))], label_shapes=[("softmax_label", (10,))])
    seq.init_params()
    mon = mx.mon.Monitor(1, pattern="fc.*")
    seq.install_monitor(mon)
    mon.tic()
    seq.forward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]), is_train=True)
    names = [name for _, name, _ in mon.toc()]
    assert "fc_output" in names


def test_module_compression_is_refused_where_mxnet_refuses_it():
    """With several contexts a 'local' kvstore cannot compress (MXNet's
    set_gradient_compression raises); bad parameters fail as the kvstore's do; with one
    context nothing is compressed (MXNet makes no kvstore) and nothing is checked."""
    def mod(ctxs, params):
        m = mx.mod.Module(mx.sym.SoftmaxOutput(mx.sym.FullyConnected(
            mx.sym.Variable("data"), num_hidden=3, name="fc"), name="softmax"),
            context=ctxs, compression_params=params)
        m.bind(data_shapes=[("data", (4, 6))], label_shapes=[("softmax_label", (4,))])
        m.init_params()
        return m

    two = [mx.cpu(0), mx.cpu(1)]
    with pytest.raises(mx.kvstore.KVStoreError, match="not supported for the 'local' kvstore"):
        mod(two, {"type": "2bit"}).init_optimizer(kvstore="local")
    with pytest.raises(Exception, match="1bit|type"):
        mod(two, {"type": "1bit"}).init_optimizer(kvstore="device")
    m = mod([mx.cpu(0)], {"type": "nonsense"})
    m.init_optimizer(kvstore="device")          # one context: no kvstore, no check
    assert m._compression is None
    m = mod(two, {"type": "2bit", "threshold": 0.1})
    m.init_optimizer(kvstore=None)              # no kvstore: nothing compressed
    assert m._compression is None
