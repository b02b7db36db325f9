"""Behaviour the book sweep (d2l chapters on builders, CNNs, RNNs, attention and
performance run unchanged on ndengine) found different from MXNet 1.9.1: each case is
the smallest program showing it, compared against real MXNet."""
from _diff import case


@case
def deferred_layer_reprs_np_shape(mx, np, npx):
    # under np shape semantics an unknown input size is -1, and MXNet prints it
    from mxnet.gluon import nn
    net = nn.Sequential()
    net.add(nn.Dense(256, activation="relu"), nn.Dense(10), nn.Conv2D(6, 5),
            nn.BatchNorm(), nn.Conv1D(2, 3, in_channels=4))
    return repr(net)


@case(mode="legacy")
def deferred_layer_reprs_legacy_shape(mx, np, npx):
    # without np shape an unknown size is 0, printed None
    from mxnet.gluon import nn
    net = nn.Sequential()
    net.add(nn.Dense(256, activation="relu"), nn.Conv2D(6, 5), nn.BatchNorm())
    return repr(net)


@case
def print_inside_hybridized_forward(mx, np, npx):
    # the book's hybridize section prints F, x and an intermediate inside
    # hybrid_forward: symbols while hybridized, values otherwise; the cached call
    # runs no Python
    from mxnet.gluon import nn
    seen = []

    class Net(nn.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = nn.Dense(4)
            self.output = nn.Dense(2)

        def hybrid_forward(self, F, x):
            seen.append(F.__name__.split(".")[-1])
            seen.append(str(x))
            h = F.npx.relu(self.hidden(x))
            seen.append(repr(h))
            return self.output(h)

    net = Net(prefix="net_")
    net.initialize(mx.init.Constant(0.5))
    x = np.array([[1.0, -2.0, 3.0]])
    outs = [net(x)]
    net.hybridize()
    outs += [net(x), net(x)]
    return outs, seen


@case
def np_array_text_on_other_cpus(mx, np, npx):
    # multiple-gpus-concise on cpu contexts prints parameters on cpu(1): MXNet shows
    # no device for any cpu, and shows cpu_pinned
    out = []
    for ctx in (mx.cpu(1), mx.cpu_pinned(0)):
        for a in (np.ones((2,), ctx=ctx), np.array([1, 2], dtype="int32", ctx=ctx),
                  np.array(2.0, ctx=ctx)):
            out += [repr(a), str(a)]
    return out


@case
def setitem_element_from_size_one_array(mx, np, npx):
    # the book's sequence section: preds[i] = model(x) with a (1, 1) result
    a = np.zeros(5)
    a[1] = np.array([[2.5]])
    b = np.zeros((2, 3))
    b[1, 2] = np.array([[[4.0]]])
    b[0] = np.array([[1.0, 2.0, 3.0]])
    return a, b
