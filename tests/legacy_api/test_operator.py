"""mx.operator Custom ops against real MXNet 1.9.1: the client code of custom_cases.py
runs unchanged on ndengine and gives what MXNet gave (fixtures from
tests/fixtures/mxnet_custom/make_custom_fixtures.py); then the engine semantics."""
import json
import os
import sys
import time

import numpy as onp
import pytest

import ndengine

ndengine.alias_as_mxnet()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import mxnet as mx  # noqa: E402

import custom_cases  # noqa: E402
from compare import check  # noqa: E402

FIX = os.path.join(HERE, "..", "fixtures", "mxnet_custom", "expected.json")
EXPECTED = json.load(open(FIX))


@pytest.mark.parametrize("name", sorted(custom_cases.CASES))
def test_matches_mxnet(name):
    got = custom_cases.CASES[name]()
    check(got, EXPECTED[name], name)


def test_forward_is_asynchronous_and_runs_on_the_engine():
    import threading

    seen = {}

    class Slow(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            seen["thread"] = threading.current_thread().name
            time.sleep(0.3)
            self.assign(out_data[0], req[0], in_data[0] * 2)

    @mx.operator.register("test_slow")
    class SlowProp(mx.operator.CustomOpProp):
        def create_operator(self, ctx, shapes, dtypes):
            return Slow()

    x = mx.nd.ones((2, 2))
    t0 = time.perf_counter()
    y = mx.nd.Custom(x, op_type="test_slow")
    issued = time.perf_counter() - t0
    assert y.shape == (2, 2)
    if ndengine.engine.get_engine().kind == "threaded":
        assert issued < 0.2
        time.sleep(0.5)             # a worker runs it while this thread does not wait
        assert seen["thread"] != threading.current_thread().name
    assert (y.asnumpy() == 2).all()


def test_errors_surface_at_the_sync_point_naming_the_op_type():
    x = mx.nd.ones((2, 2))
    y = mx.nd.Custom(x, op_type="test_failing")     # returns: the error is stored
    z = y + 1
    with pytest.raises(mx.base.MXNetError, match="test_failing.*deliberate failure"):
        z.asnumpy()
    assert (x.asnumpy() == 1).all()       # the engine goes on


def test_bad_calls_fail_early():
    x = mx.nd.ones((2, 2))
    with pytest.raises(mx.base.MXNetError, match="cannot find custom operator 'nope'"):
        mx.nd.Custom(x, op_type="nope")
    with pytest.raises(mx.base.MXNetError, match="input 'b' is missing"):
        mx.nd.Custom(x, op_type="test_scaled_product")
    with pytest.raises(TypeError, match="op_type"):
        mx.nd.Custom(x)
    with pytest.raises(TypeError, match="CustomOpProp subclass"):
        mx.operator.register("bad")(object)


def test_np_mode_inputs_give_np_outputs():
    from ndengine import np

    a = np.array([[1.0, 2.0]])
    b = np.array([[3.0, 4.0]])
    z = mx.nd.Custom(a, b, op_type="test_scaled_product", scale=2)
    assert isinstance(z, np.ndarray)
    onp.testing.assert_allclose(z.asnumpy(), [[6.0, 32.0]])


def test_symbol_json_round_trip_keeps_the_custom_node():
    s = mx.sym.Custom(mx.sym.var("a"), mx.sym.var("b"), op_type="test_scaled_product",
                      scale=3, name="sp")
    s2 = mx.sym.load_json(s.tojson())
    assert s2.list_arguments() == ["a", "b"]
    out = s2.eval(a=mx.nd.ones((1, 2)), b=mx.nd.ones((1, 2)) * 2)[0]
    onp.testing.assert_allclose(out.asnumpy(), [[6.0, 6.0]])


def test_registered_names():
    names = mx.operator.get_all_registered_operators()
    assert "test_softmax" in names and "FullyConnected" in names
    args = mx.operator.get_operator_arguments("test_scaled_product")
    assert args.names == ["scale"]
