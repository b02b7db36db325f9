"""gluon Blocks on legacy mx.nd arrays (MXNet 1.x without set_np): what a block returns,
what a user's hybrid_forward gets, a training step."""
from _diff import case

ND = dict(mode="nd")


def _net(mx):
    from mxnet.gluon import nn
    net = nn.Sequential()
    net.add(nn.Dense(4, activation="relu"), nn.Dense(2))
    net.initialize(mx.init.Constant(0.1))
    return net


def _x(mx):
    return mx.nd.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


@case(**ND)
def sequential_returns_legacy_arrays(mx, np, npx):
    net = _net(mx)
    y = net(_x(mx))
    return y, isinstance(y, mx.nd.NDArray), type(net[0](_x(mx))).__name__


@case(**ND)
def user_hybrid_forward_gets_nd(mx, np, npx):
    from mxnet import gluon
    from mxnet.gluon import nn
    seen = []

    class Net(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.w = self.params.get("w", shape=(2, 3), init=mx.init.Constant(0.5))
                self.d = nn.Dense(2, in_units=3)

        def hybrid_forward(self, F, x, w):
            seen.append((F is mx.nd, type(x).__name__, type(w).__name__))
            return F.FullyConnected(x, w, no_bias=True, num_hidden=2) + self.d(x)

    net = Net()
    net.initialize(mx.init.Constant(0.2))
    y = net(_x(mx))
    return y, seen[0]


@case(**ND)
def user_forward_block(mx, np, npx):
    from mxnet import gluon
    from mxnet.gluon import nn

    class Net(gluon.Block):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.d = nn.Dense(2, in_units=3)

        def forward(self, x):
            return mx.nd.relu(self.d(x)) * 2

    net = Net()
    net.initialize(mx.init.Constant(0.3))
    return net(_x(mx))


@case(**ND)
def training_step(mx, np, npx):
    from mxnet import autograd, gluon
    net = _net(mx)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    x = _x(mx)
    y = mx.nd.array([0, 1])
    for _ in range(2):
        with autograd.record():
            l = loss(net(x), y)
        l.backward()
        trainer.step(2)
    return l, net(x), net[0].weight.data().asnumpy()


@case(**ND)
def l2_loss_and_metrics_inputs(mx, np, npx):
    from mxnet import gluon
    pred = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    lab = mx.nd.array([[1.5, 2.0], [2.0, 4.0]])
    return gluon.loss.L2Loss()(pred, lab), gluon.loss.L1Loss()(pred, lab)
