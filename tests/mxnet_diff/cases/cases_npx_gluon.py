"""gluon layers written on npx ops (BatchNorm, LayerNorm, Embedding, the activations),
and save_parameters / load_parameters in MXNet's .params format."""
from _diff import case


def _x(np, *shape):
    n = 1
    for s in shape:
        n *= s
    return (np.arange(n, dtype="float32").reshape(shape) - n / 3) / 5


def _fill(np, block):
    for k, (name, p) in enumerate(sorted(block.collect_params().items())):
        n = 1
        for s in p.shape:
            n *= s
        v = ((np.arange(n, dtype="float32") * 7 + k * 3) % 11 - 5).reshape(p.shape) / 8
        if name.endswith("running_var"):
            v = 1 + np.abs(v) / 2
        p.set_data(v)


@case
def batchnorm_training_step_and_predict(mx, np, npx):
    from mxnet.gluon import nn

    bn = nn.BatchNorm(in_channels=3, momentum=0.8)
    bn.initialize()
    _fill(np, bn)
    x = _x(np, 4, 3, 2)
    x.attach_grad()
    with mx.autograd.record():
        y = bn(x)
        rm_before = bn.running_mean.data().copy()
        (y * np.arange(24.0).reshape(4, 3, 2)).sum().backward()
    return (y, rm_before, bn.running_mean.data(), bn.running_var.data(), x.grad,
            bn.gamma.grad(), bn.beta.grad(), bn(x))


@case
def batchnorm_without_scale_and_center(mx, np, npx):
    from mxnet.gluon import nn

    bn = nn.BatchNorm(axis=-1, scale=False, center=False, epsilon=0.01, in_channels=2)
    bn.initialize()
    x = _x(np, 5, 2)
    with mx.autograd.record():
        y = bn(x)
    y.backward()
    return y, bn.running_mean.data(), bn.running_var.data(), bn(x)


@case
def layernorm_layer(mx, np, npx):
    from mxnet.gluon import nn

    ln = nn.LayerNorm(in_channels=4, epsilon=1e-3)
    ln.initialize()
    _fill(np, ln)
    x = _x(np, 2, 3, 4)
    x.attach_grad()
    with mx.autograd.record():
        y = ln(x)
    y.backward()
    return y, x.grad, ln.gamma.grad()


@case
def embedding_layer_clips(mx, np, npx):
    from mxnet.gluon import nn

    emb = nn.Embedding(4, 3)
    emb.initialize()
    _fill(np, emb)
    return emb(np.array([[0, 3], [7, -2]], dtype="int32")), emb(np.array([1.9, 2.2]))


@case
def activation_layers(mx, np, npx):
    from mxnet.gluon import nn

    x = _x(np, 2, 3, 2)
    pre = nn.PReLU(in_channels=3)
    pre.initialize()
    pre.alpha.set_data(np.array([0.1, 0.2, 0.3]))
    one = nn.PReLU()
    one.initialize()
    return (nn.ELU(alpha=0.5)(x), nn.SELU()(x), nn.GELU()(x), nn.Swish(beta=2.0)(x),
            nn.LeakyReLU(0.1)(x), pre(x), one(x), nn.Activation("softsign")(x))


@case
def prelu_layer_grad(mx, np, npx):
    from mxnet.gluon import nn

    pre = nn.PReLU(in_channels=3)
    pre.initialize()
    x = _x(np, 2, 3, 2)
    x.attach_grad()
    with mx.autograd.record():
        (pre(x) * np.arange(12.0).reshape(2, 3, 2)).sum().backward()
    return x.grad, pre.alpha.grad()


@case
def dense_relu_and_flatten_false(mx, np, npx):
    from mxnet.gluon import nn

    d = nn.Dense(3, activation="relu", in_units=4)
    d.initialize()
    _fill(np, d)
    e = nn.Dense(2, flatten=False, in_units=4)
    e.initialize()
    _fill(np, e)
    x = _x(np, 2, 3, 4)
    return d(x.reshape(6, 4)), e(x)


def _net(nn):
    net = nn.Sequential()
    net.add(nn.Dense(3, in_units=2), nn.Dense(1, in_units=3))
    return net


@case
def load_parameters_allow_missing_and_ignore_extra(mx, np, npx):
    from mxnet.gluon import nn

    net = _net(nn)
    net.initialize(mx.init.Constant(0.5))
    net.save_parameters("n.params")
    bigger = nn.Sequential()
    bigger.add(nn.Dense(3, in_units=2), nn.Dense(1, in_units=3), nn.Dense(2, in_units=1))
    bigger.initialize(mx.init.Constant(2.0))
    bigger.load_parameters("n.params", allow_missing=True)
    smaller = nn.Sequential()
    smaller.add(nn.Dense(3, in_units=2))
    smaller.load_parameters("n.params", ignore_extra=True)
    return bigger[0].weight.data(), bigger[2].weight.data(), smaller[0].bias.data()


@case
def load_parameters_missing_raises(mx, np, npx):
    from mxnet.gluon import nn

    net = _net(nn)
    net.initialize()
    net.save_parameters("n.params")
    bigger = nn.Sequential()
    bigger.add(nn.Dense(3, in_units=2), nn.Dense(1, in_units=3), nn.Dense(2, in_units=1))
    bigger.load_parameters("n.params")


@case
def load_parameters_extra_raises(mx, np, npx):
    from mxnet.gluon import nn

    net = _net(nn)
    net.initialize()
    net.save_parameters("n.params")
    smaller = nn.Sequential()
    smaller.add(nn.Dense(3, in_units=2))
    smaller.load_parameters("n.params")


@case
def load_parameters_cast_dtype(mx, np, npx):
    from mxnet.gluon import nn

    net = _net(nn)
    net.initialize(mx.init.Constant(0.25))
    net.save_parameters("n.params")
    half = _net(nn)
    half.cast("float16")
    half.load_parameters("n.params", cast_dtype=True)
    saved = _net(nn)
    saved.cast("float16")
    saved.load_parameters("n.params", cast_dtype=True, dtype_source="saved")
    return half[0].weight.data(), saved[0].weight.data()


@case
def save_parameters_deduplicate(mx, np, npx):
    from mxnet.gluon import nn

    a = nn.Dense(2, in_units=2)
    net = nn.Sequential()
    net.add(a, nn.Dense(2, in_units=2, params=a.params))
    net.initialize()
    net.save_parameters("all.params")
    net.save_parameters("dedup.params", deduplicate=True)
    other = nn.Sequential()
    b = nn.Dense(2, in_units=2)
    other.add(b, nn.Dense(2, in_units=2, params=b.params))
    other.load_parameters("dedup.params")
    return (sorted(npx.load("all.params")), sorted(npx.load("dedup.params")),
            other[1].weight.data().shape)


@case
def save_parameters_file_is_npx_loadable_list_of_names(mx, np, npx):
    from mxnet.gluon import nn

    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(2, in_units=3), nn.BatchNorm(in_channels=2))
    net.initialize()
    net.save_parameters("n.params")
    loaded = npx.load("n.params")
    return sorted((k, v.shape, str(v.dtype)) for k, v in loaded.items())
