"""MXNet client code of mx.contrib (nd, sym, autograd), run unchanged on real MXNet 1.9.1
(tests/fixtures/mxnet_contrib/make_contrib_fixtures.py saves what it returns) and on
ndengine (tests/legacy_api/test_contrib.py)."""
import json

import mxnet as mx
import numpy as np


def case_ndarray():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    old = mx.nd.zeros((4, 2))
    copied = mx.contrib.nd.index_copy(old, mx.nd.array([0, 2]), mx.nd.ones((2, 2)))
    masked = mx.contrib.ndarray.boolean_mask(x, mx.nd.array([1, 0, 1]))
    quad = mx.contrib.nd.quadratic(x, a=1, b=2, c=3)
    arange = mx.contrib.nd.arange_like(x, start=1, axis=1)
    return {"copied": copied.asnumpy(), "masked": masked.asnumpy(), "quad": quad.asnumpy(),
            "arange": arange.asnumpy(), "div": mx.contrib.nd.div_sqrt_dim(x).asnumpy(),
            "has_foreach": hasattr(mx.contrib.nd, "foreach")}


def case_symbol():
    data = mx.sym.var("data")
    q = mx.contrib.sym.quadratic(data, a=0.5, b=-1, c=2, name="q")
    d = mx.contrib.symbol.div_sqrt_dim(q, name="d")
    ic = mx.contrib.sym.index_copy(mx.sym.var("old"), mx.sym.var("idx"), mx.sym.var("new"),
                                   name="ic")
    x = mx.nd.array([[1.0, 2.0, 3.0, 4.0]])
    out = d.eval(ctx=mx.cpu(), data=x)[0]
    out2 = ic.eval(ctx=mx.cpu(), old=mx.nd.zeros((3, 2)), idx=mx.nd.array([1]),
                   new=mx.nd.ones((1, 2)))[0]
    nodes = [(n["op"], n["name"]) for n in json.loads(d.tojson())["nodes"]]
    return {"out": out.asnumpy(), "index_copy": out2.asnumpy(), "nodes": nodes,
            "args": ic.list_arguments()}


def case_autograd():
    def f(a, b):
        return mx.nd.sum(a * a * b)

    a = mx.nd.array([1.0, 2.0, 3.0])
    b = mx.nd.array([0.5, -1.0, 2.0])
    grads, loss = mx.contrib.autograd.grad_and_loss(f)(a, b)
    only_b = mx.contrib.autograd.grad(f, argnum=1)(a, b)
    x = mx.nd.array([1.0, -2.0])
    gx = mx.nd.zeros((2,))
    mx.contrib.autograd.mark_variables([x], [gx])
    with mx.contrib.autograd.train_section():
        y = mx.nd.Dropout(x, p=0.0) * 3
        with mx.contrib.autograd.test_section():
            z = x * 5            # not recorded
    mx.contrib.autograd.compute_gradient([y])
    return {"ga": grads[0].asnumpy(), "gb": grads[1].asnumpy(), "loss": loss.asnumpy(),
            "only_b": only_b[0].asnumpy(), "gx": gx.asnumpy(), "z": z.asnumpy()}


CASES = {"ndarray": case_ndarray, "symbol": case_symbol, "autograd": case_autograd}
