"""The kvstore with legacy mx.nd arrays (MXNet 1.x's kvstore tutorial): init, push of one
array and of a list over devices, pull into given arrays, an updater, pushpull."""
from _diff import case

ND = dict(mode="nd")


@case(**ND)
def kvstore_tutorial_on_nd_arrays(mx, np, npx):
    shape = (2, 3)
    kv = mx.kv.create("local")
    kv.init(3, mx.nd.ones(shape) * 2)
    a = mx.nd.zeros(shape)
    kv.pull(3, out=a)
    out = [a.copy()]
    kv.push(3, mx.nd.ones(shape) * 8)
    kv.pull(3, out=a)
    out.append(a.copy())
    b = [mx.nd.ones(shape, ctx) for ctx in (mx.cpu(0), mx.cpu(1))]
    kv.push(3, b)
    kv.pull(3, out=b)
    out += [b[1], type(b[1]).__name__]

    def update(key, value, stored):
        stored += value * 2
    kv._set_updater(update)
    kv.push(3, mx.nd.ones(shape))
    kv.pull(3, out=a)
    out.append(a)
    kv2 = mx.kv.create("device")
    kv2.init("w", mx.nd.ones(shape))
    o = mx.nd.zeros(shape)
    kv2.pushpull("w", mx.nd.ones(shape) * 3, out=o)
    return out + [o, kv.type, kv.rank, kv.num_workers]


@case(**ND)
def kvstore_list_of_keys(mx, np, npx):
    kv = mx.kv.create("local")
    kv.init([5, 7], [mx.nd.ones((2,)), mx.nd.zeros((3,))])
    kv.push([5, 7], [mx.nd.ones((2,)) * 4, mx.nd.ones((3,)) * 2])
    outs = [mx.nd.zeros((2,)), mx.nd.zeros((3,))]
    kv.pull([5, 7], out=outs)
    return outs
