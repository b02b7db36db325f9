"""Legacy mx.rnn and mx.mod.BucketingModule against real MXNet 1.9.1: the client code of
rnn_cases.py (every cell kind unrolled merged and per step, weights unpacked and
packed, FusedRNNCell and its unfused stack, BucketSentenceIter's batches, the bucketing
LSTM language model trained by fit, RNN checkpoints) runs unchanged on ndengine and
gives what MXNet gave (fixtures from tests/fixtures/mxnet_rnn/make_rnn_fixtures.py)."""
import json
import os
import sys

import pytest

import ndengine

ndengine.alias_as_mxnet()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import mxnet as mx  # noqa: E402

import rnn_cases  # noqa: E402
from compare import check  # noqa: E402

EXPECTED = json.load(open(os.path.join(HERE, "..", "fixtures", "mxnet_rnn", "expected.json")))


@pytest.mark.parametrize("name", sorted(rnn_cases.CASES))
def test_matches_mxnet(name):
    with mx.name.NameManager():     # auto-names counted per case, as the fixture script does
        got = rnn_cases.CASES[name]()
    check(got, EXPECTED[name], name)


def test_begin_state_variables_are_fed_and_modifiers_guard_the_base_cell():
    cell = mx.rnn.LSTMCell(3, prefix="v_")
    states = cell.begin_state(func=mx.sym.Variable)
    assert [s.name for s in states] == ["v_begin_state_0", "v_begin_state_1"]
    out, _ = cell.unroll(2, mx.sym.var("data"), begin_state=states)
    assert "v_begin_state_0" in mx.sym.Group(out).list_arguments()
    z = mx.rnn.ZoneoutCell(cell, zoneout_states=0.5)
    with pytest.raises(RuntimeError, match="modifier"):
        cell.begin_state()
    assert len(z.begin_state()) == 2
    with pytest.raises(TypeError, match="cannot be stepped"):
        mx.rnn.FusedRNNCell(3)(mx.sym.var("x"), [])
    with pytest.raises(ValueError, match="inputs are required"):
        cell.unroll(2, None)


def test_bucketing_module_shares_one_set_of_parameters():
    def sym_gen(n):
        data = mx.sym.var("data")
        fc = mx.sym.FullyConnected(mx.sym.Reshape(data, shape=(-1, 2)), num_hidden=3,
                                   name="fc")
        out = mx.sym.MakeLoss(mx.sym.sum(fc))
        return out, ("data",), None

    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=4)
    mod.bind([("data", (2, 4, 2))])
    mod.init_params(mx.init.One())
    mod.init_optimizer(optimizer_params={"learning_rate": 0.1})
    for key in (4, 2, 4, 3):
        batch = mx.io.DataBatch([mx.nd.ones((2, key, 2))], bucket_key=key,
                                provide_data=[("data", (2, key, 2))])
        mod.forward(batch, is_train=True)
        mod.backward()
        mod.update()
    assert sorted(mod._buckets) == [2, 3, 4]
    w = mod.get_params()[0]["fc_weight"].asnumpy()
    # each step subtracts lr * (batch rows) / batch_size from every weight (grad = rows)
    assert abs(w[0, 0] - (1 - 0.1 * (8 + 4 + 8 + 6) / 2)) < 1e-5
    with pytest.raises(ValueError, match="shared_module"):
        mod.bind([("data", (2, 4, 2))], force_rebind=True, shared_module=mod)
