"""mx.nd.CachedOp beyond the MXNet case (cases_nd_misc.cached_op_calls_a_graph): errors
name the graph's inputs; np-mode arrays in give np-mode arrays out; the ops are pushed
asynchronously like any other."""
import numpy as onp
import pytest

import ndengine as mx
from ndengine import np


def _fc():
    x, w = mx.sym.var("x"), mx.sym.var("w")
    return mx.sym.FullyConnected(x, w, num_hidden=2, no_bias=True, name="fc")


def test_errors_name_the_inputs():
    op = mx.nd.CachedOp(_fc())
    with pytest.raises(ValueError, match=r"takes 2 inputs \['x', 'w'\], got 1"):
        op(mx.nd.ones((1, 3)))
    with pytest.raises(TypeError, match="input 'w' must be an array"):
        op(mx.nd.ones((1, 3)), 3.0)
    with pytest.raises(TypeError, match="sym must be a Symbol"):
        mx.nd.CachedOp(mx.nd.ones(2))
    with pytest.raises(TypeError, match="flags must be"):
        mx.nd.CachedOp(_fc(), flags=3)
    with pytest.raises(ValueError, match=r"out of shape \(2, 2\)"):
        op(mx.nd.ones((1, 3)), mx.nd.ones((2, 3)), out=mx.nd.zeros((2, 2)))
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        op(mx.nd.ones((1, 3)), mx.nd.ones((2, 3)), foo=1)


def test_np_arrays_in_give_np_arrays_out():
    op = mx.nd.CachedOp(_fc())
    y = op(np.ones((1, 3)), np.ones((2, 3)))
    assert type(y) is type(np.ones(1))          # the np-mode class, not mx.nd.NDArray
    onp.testing.assert_array_equal(y.asnumpy(), [[3.0, 3.0]])
    assert "CachedOp(inputs=['x', 'w']" in repr(op)
