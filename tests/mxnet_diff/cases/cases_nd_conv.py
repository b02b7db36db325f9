"""nd.Convolution and nd.Pooling against MXNet 1.9.1 (np mode off): values, gradients,
parameter defaults and errors."""
from _diff import case

ND = dict(mode="nd", rtol=1e-4, atol=1e-5)


def _x(mx, shape):
    n = 1
    for s in shape:
        n *= s
    return (mx.nd.arange(n).reshape(shape) % 7) / 3 - 1


@case(**ND)
def convolution_forms(mx, np, npx):
    nd = mx.nd
    x = _x(mx, (2, 4, 6, 6))
    w = _x(mx, (6, 4, 3, 3))
    wg = _x(mx, (6, 2, 3, 3))
    b = nd.arange(6)
    return (nd.Convolution(x, w, b, kernel=(3, 3), num_filter=6),
            nd.Convolution(x, w, b, kernel=(3, 3), num_filter=6, stride=(2, 2), pad=(1, 1)),
            nd.Convolution(x, w, kernel=(3, 3), num_filter=6, no_bias=True, dilate=(2, 1)),
            nd.Convolution(x, wg, b, kernel=(3, 3), num_filter=6, num_group=2),
            nd.Convolution(_x(mx, (2, 3, 8)), _x(mx, (4, 3, 3)), nd.ones(4), kernel=(3,),
                           num_filter=4, stride=(2,)),
            nd.Convolution(_x(mx, (1, 2, 4, 4, 4)), _x(mx, (3, 2, 2, 2, 2)), nd.zeros(3),
                           kernel=(2, 2, 2), num_filter=3))


@case(**ND)
def convolution_gradients(mx, np, npx):
    nd = mx.nd
    x = _x(mx, (2, 4, 5, 5))
    w = _x(mx, (6, 2, 3, 3))
    b = nd.arange(6)
    for a in (x, w, b):
        a.attach_grad()
    with mx.autograd.record():
        y = nd.Convolution(x, w, b, kernel=(3, 3), num_filter=6, num_group=2, stride=(2, 1),
                           pad=(1, 1))
        l = (y * y).sum()
    l.backward()
    return x.grad, w.grad, b.grad


@case(**ND)
def convolution_bad_weight(mx, np, npx):
    nd = mx.nd
    return nd.Convolution(nd.ones((1, 3, 5, 5)), nd.ones((4, 2, 3, 3)), nd.ones(4),
                          kernel=(3, 3), num_filter=4)


@case(**ND)
def pooling_forms(mx, np, npx):
    nd = mx.nd
    x = _x(mx, (2, 3, 5, 5))
    return (nd.Pooling(x, kernel=(2, 2)), nd.Pooling(x, kernel=(2, 2), stride=(2, 2)),
            nd.Pooling(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg"),
            nd.Pooling(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg",
                       count_include_pad=False),
            nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pooling_convention="full"),
            nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type="avg",
                       pooling_convention="full"),
            nd.Pooling(x, kernel=(2, 2), pool_type="sum"),
            nd.Pooling(x, global_pool=True, pool_type="avg"),
            nd.Pooling(x, global_pool=True, kernel=(1, 1), pool_type="max"),
            nd.Pooling(x, kernel=(2, 2), pool_type="lp", p_value=2),
            nd.Pooling(_x(mx, (1, 2, 9)), kernel=(3,), stride=(3,)))


@case(**ND)
def pooling_gradients(mx, np, npx):
    nd = mx.nd
    out = []
    for kw in ({"pool_type": "max"}, {"pool_type": "avg", "pad": (1, 1)},
               {"pool_type": "avg", "pooling_convention": "full"}, {"pool_type": "sum"}):
        x = nd.arange(50).reshape((1, 2, 5, 5)) / 10
        x.attach_grad()
        with mx.autograd.record():
            y = nd.Pooling(x, kernel=(3, 3), stride=(2, 2), **kw)
        y.backward(nd.ones_like(y) * 2)
        out.append(x.grad)
    return out


@case(**ND)
def pooling_unknown_type(mx, np, npx):
    return mx.nd.Pooling(mx.nd.ones((1, 1, 4, 4)), kernel=(2, 2), pool_type="median")


@case(**ND)
def deconvolution_forms(mx, np, npx):
    nd = mx.nd
    x = _x(mx, (2, 4, 3, 3))
    w = _x(mx, (4, 3, 3, 3))
    wg = _x(mx, (4, 2, 3, 3))
    return (nd.Deconvolution(x, w, kernel=(3, 3), num_filter=3),
            nd.Deconvolution(x, w, nd.arange(3), kernel=(3, 3), num_filter=3, stride=(2, 2),
                             pad=(1, 1), adj=(1, 1), no_bias=False),
            nd.Deconvolution(x, wg, kernel=(3, 3), num_filter=4, num_group=2),
            nd.Deconvolution(_x(mx, (1, 2, 5)), _x(mx, (2, 3, 4)), kernel=(4,), stride=(2,),
                             num_filter=3))


@case(**ND)
def deconvolution_gradients(mx, np, npx):
    nd = mx.nd
    x = _x(mx, (2, 4, 3, 3))
    w = _x(mx, (4, 2, 3, 3))
    b = nd.arange(4)
    for a in (x, w, b):
        a.attach_grad()
    with mx.autograd.record():
        y = nd.Deconvolution(x, w, b, kernel=(3, 3), num_filter=4, num_group=2, stride=(2, 2),
                             pad=(1, 1), no_bias=False)
        l = (y * y).sum()
    l.backward()
    return y, x.grad, w.grad, b.grad
