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
