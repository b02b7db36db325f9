"""2-bit gradient compression on MXNet 1.9.1's 'device' kvstore with several CPU contexts
(no GPU needed): pushes from two devices and one, pushpull, an optimizer on the store,
a Trainer on two contexts, and the errors of bad parameters and of stores that refuse."""
from _diff import case

ND = dict(mode="nd")


def _grads(mx, step, shape, dev):
    # deterministic values around the threshold (no random generator: both sides agree)
    import numpy as onp
    n = int(onp.prod(shape))
    v = onp.sin(onp.arange(n, dtype=onp.float64) * (1.3 + 0.7 * dev) + step) * 0.8
    return mx.nd.array(v.reshape(shape).astype("float32"), ctx=mx.cpu(dev))


@case(**ND)
def device_store_two_contexts_several_pushes(mx, np, npx):
    kv = mx.kv.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": 0.5})
    shape = (5, 7)
    kv.init(3, mx.nd.zeros(shape))
    outs = []
    for step in range(4):
        kv.push(3, [_grads(mx, step, shape, d) for d in (0, 1)])
        o = [mx.nd.zeros(shape, ctx=mx.cpu(d)) for d in (0, 1)]
        kv.pull(3, out=o)
        outs += o
    return outs


@case(**ND)
def device_store_one_context_is_compressed(mx, np, npx):
    kv = mx.kv.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": 0.25})
    kv.init("w", mx.nd.ones((9,)))
    outs = []
    for step in range(3):
        kv.push("w", _grads(mx, step, (9,), 0))
        o = mx.nd.zeros((9,))
        kv.pull("w", out=o)
        outs.append(o)
    return outs


@case(**ND)
def device_store_pushpull_list_of_keys(mx, np, npx):
    kv = mx.kv.create("device")
    kv.set_gradient_compression({"type": "2bit"})          # default threshold 0.5
    kv.init([1, 2], [mx.nd.zeros((4,)), mx.nd.zeros((2, 3))])
    outs = []
    for step in range(3):
        vals = [[_grads(mx, step, s, d) for d in (0, 1)] for s in ((4,), (2, 3))]
        kv.pushpull([1, 2], vals)
        outs += [vals[0][1], vals[1][0]]
    return outs


@case(**ND)
def device_store_optimizer_gets_the_compressed_sum(mx, np, npx):
    kv = mx.kv.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": 0.3})
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    kv.init(0, mx.nd.ones((3, 4)))
    for step in range(3):
        kv.push(0, [_grads(mx, step, (3, 4), d) for d in (0, 1)])
    o = mx.nd.zeros((3, 4))
    kv.pull(0, out=o)
    return o


@case(**ND)
def trainer_two_contexts_with_compression(mx, np, npx):
    from mxnet import autograd, gluon
    ctx = [mx.cpu(0), mx.cpu(1)]
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Constant(0.1), ctx=ctx)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5},
                            compression_params={"type": "2bit", "threshold": 0.2})
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    x = [mx.nd.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], ctx=c) for c in ctx]
    y = [mx.nd.array([0, 1], ctx=ctx[0]), mx.nd.array([1, 1], ctx=ctx[1])]
    for _ in range(4):
        with autograd.record():
            ls = [loss(net(a), b) for a, b in zip(x, y)]
        autograd.backward(ls)
        trainer.step(4)
    return net.weight.data(ctx[1]), net.bias.data(ctx[0])


@case(**ND)
def local_store_refuses_compression(mx, np, npx):
    mx.kv.create("local").set_gradient_compression({"type": "2bit", "threshold": 0.5})


@case(**ND)
def unknown_compression_type(mx, np, npx):
    mx.kv.create("device").set_gradient_compression({"type": "1bit"})


@case(**ND)
def compression_without_type(mx, np, npx):
    mx.kv.create("device").set_gradient_compression({"threshold": 0.5})


@case(**ND)
def compression_threshold_zero(mx, np, npx):
    mx.kv.create("device").set_gradient_compression({"type": "2bit", "threshold": 0})


@case(**ND)
def compression_threshold_not_a_number(mx, np, npx):
    mx.kv.create("device").set_gradient_compression({"type": "2bit", "threshold": "abc"})


@case(differs="an unknown compression parameter is an error (MXNet ignores it)", **ND)
def compression_unknown_parameter(mx, np, npx):
    kv = mx.kv.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": 0.5, "thresold": 1.0})
    return kv.type
