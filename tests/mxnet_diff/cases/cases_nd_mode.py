"""MXNet's default (legacy) mode against np mode: what gluon hands back outside
``npx.set_np()`` (parameters' data and grad, DataLoader batches), a whole 1.x-style
training loop, and the mode flags themselves."""
from _diff import case

ND = dict(mode="nd")


def _data(mx):
    import numpy as onp
    x = onp.linspace(-1, 1, 48, dtype="float32").reshape(12, 4)
    y = (x @ onp.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32")) + 0.25
    return mx.nd.array(x), mx.nd.array(y)


@case(**ND)
def mode_flags(mx, np, npx):
    out = [npx.is_np_array(), npx.is_np_shape()]
    npx.set_np()
    out += [npx.is_np_array(), npx.is_np_shape()]
    npx.reset_np()
    npx.set_np(array=False)
    out += [npx.is_np_array(), npx.is_np_shape()]
    npx.reset_np()
    try:
        npx.set_np(shape=False)
    except ValueError as e:
        out.append(str(e))
    return out


@case(**ND)
def legacy_training_loop(mx, np, npx):
    from mxnet import autograd, gluon
    from mxnet.gluon import nn
    X, Y = _data(mx)
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(X, Y), batch_size=4)
    net = nn.Sequential()
    net.add(nn.Dense(3, activation="relu"), nn.Dense(1))
    net.initialize(mx.init.Constant(0.1))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05})
    l2 = gluon.loss.L2Loss()
    metric = mx.metric.MSE()
    losses, kinds = [], set()
    for epoch in range(3):
        cum = 0.0
        for data, label in loader:
            kinds.add(type(data).__name__ + "/" + type(data).__module__.split(".")[-1])
            with autograd.record():
                out = net(data)
                loss = l2(out, label)
            loss.backward()
            trainer.step(data.shape[0])
            cum += float(loss.mean().asscalar())   # NumPy 2 keeps float32 here (NEP 50)
            metric.update([label], [out])
        losses.append(cum)
    w = net[0].weight.data()
    g = net[0].weight.grad()
    return (losses, metric.get()[1], sorted(kinds), w, g, isinstance(w, mx.nd.NDArray),
            isinstance(g, mx.nd.NDArray), net[0].weight.data() is w, nd_sum(mx, w))


def nd_sum(mx, w):
    return mx.nd.sum(w * mx.nd.ones_like(w)).asscalar()


@case(**ND)
def legacy_batchify_and_list_data(mx, np, npx):
    from mxnet import gluon
    import numpy as onp
    b = gluon.data.batchify.Stack()([onp.ones(2), onp.zeros(2)]) if hasattr(
        gluon.data, "batchify") else None
    d = gluon.data.dataloader.default_batchify_fn([onp.arange(3.0), onp.arange(3.0) + 1])
    p = gluon.Parameter("w", shape=(2, 2))
    p.initialize(mx.init.One(), ctx=[mx.cpu(0), mx.cpu(1)])
    return (type(d).__name__, d, [type(a).__name__ for a in p.list_data()],
            [type(a).__name__ for a in p.list_grad()], type(b).__name__)


@case
def np_mode_gives_np_arrays(mx, np, npx):
    from mxnet import gluon
    X = np.arange(8.0).reshape(4, 2)
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(X, X), batch_size=2)
    data, _ = next(iter(loader))
    p = gluon.Parameter("w", shape=(2,))
    p.initialize(mx.init.One())
    return (isinstance(data, np.ndarray), isinstance(p.data(), np.ndarray),
            isinstance(p.grad(), np.ndarray))
