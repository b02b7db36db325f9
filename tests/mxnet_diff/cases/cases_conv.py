"""gluon.nn convolution, pooling and normalization layers (and the npx ops under them)
against MXNet 1.9.1 in np mode: outputs and gradients with set weights, parameter names
and shapes (deferred input channels), reprs, errors."""
from _diff import case

TOL = dict(rtol=1e-4, atol=1e-5)


def _x(A, *shape):
    """Deterministic data; *A* is mx.np or (legacy cases) mx.nd."""
    n = 1
    for s in shape:
        n *= s
    return ((A.arange(n, dtype="float32") * 7) % 13 - 6).reshape(shape) / 6


def _fill(A, block):
    """Deterministic values for every parameter (after a first forward fixed the
    deferred shapes)."""
    for k, (name, p) in enumerate(sorted(block.collect_params().items())):
        n = 1
        for s in p.shape:
            n *= s
        p.set_data(((A.arange(n, dtype="float32") * 5 + k * 3) % 11 - 5).reshape(p.shape)
                   / 10)


def _run(mx, A, block, x, head=None):
    """Initialize *block* (deferred shapes from *x*), set its parameters, and return
    its output, the gradients of the input and of every parameter, the parameters'
    names and shapes."""
    block.initialize()
    block(x)
    _fill(A, block)
    x = x.copy()
    x.attach_grad()
    with mx.autograd.record():
        y = block(x)
        w = A.arange(y.size, dtype="float32").reshape(y.shape) % 5 - 2 \
            if head is None else head
        (y * w).sum().backward()
    params = sorted(block.collect_params().items())
    return (y, x.grad, [p.grad() for _, p in params if p.grad_req != "null"],
            [(n, tuple(p.shape)) for n, p in params])


@case(**TOL)
def conv2d_layers(mx, np, npx):
    from mxnet.gluon import nn

    out = []
    for blk in (nn.Conv2D(4, 3), nn.Conv2D(4, (3, 2), strides=(2, 1), padding=(1, 0),
                                           dilation=(1, 2)),
                nn.Conv2D(6, 3, padding=1, groups=2, use_bias=False, activation="relu"),
                nn.Conv2D(2, 1, in_channels=4, activation="sigmoid")):
        out.append(_run(mx, np, blk, _x(np, 2, 4, 7, 6)))
    return out


@case(**TOL)
def conv1d_conv3d_layers(mx, np, npx):
    from mxnet.gluon import nn

    return (_run(mx, np, nn.Conv1D(3, 3, strides=2, padding=1, dilation=2), _x(np, 2, 2, 9)),
            _run(mx, np, nn.Conv1D(4, 2, groups=2, activation="tanh"), _x(np, 1, 4, 5)),
            _run(mx, np, nn.Conv3D(2, (2, 1, 2), padding=(1, 0, 0)), _x(np, 1, 3, 3, 4, 4)))


@case(**TOL)
def conv_transpose_layers(mx, np, npx):
    from mxnet.gluon import nn

    return (_run(mx, np, nn.Conv2DTranspose(3, 3, strides=2, padding=1, output_padding=1),
                 _x(np, 2, 4, 3, 3)),
            _run(mx, np, nn.Conv2DTranspose(4, (2, 3), dilation=(2, 1), in_channels=2,
                                            use_bias=False), _x(np, 1, 2, 3, 4)),
            _run(mx, np, nn.Conv2DTranspose(4, 2, groups=2, in_channels=4), _x(np, 1, 4, 3, 3)),
            _run(mx, np, nn.Conv1DTranspose(2, 4, strides=3, padding=1), _x(np, 2, 3, 4)),
            _run(mx, np, nn.Conv3DTranspose(2, 2, strides=2), _x(np, 1, 2, 2, 2, 3)))


@case(**TOL)
def pooling_layers(mx, np, npx):
    from mxnet.gluon import nn

    x2 = _x(np, 2, 3, 7, 6)
    blocks = [(nn.MaxPool2D(), x2), (nn.MaxPool2D(3, 2, 1), x2),
              (nn.MaxPool2D((2, 3), ceil_mode=True), x2),
              (nn.AvgPool2D(3, 2, 1), x2), (nn.AvgPool2D(3, 2, 1, count_include_pad=False), x2),
              (nn.AvgPool2D(2, ceil_mode=True), x2),
              (nn.MaxPool1D(3, 2), _x(np, 2, 2, 9)), (nn.AvgPool1D(2, 1, 1), _x(np, 2, 2, 5)),
              (nn.MaxPool3D(2), _x(np, 1, 2, 4, 4, 5)),
              (nn.AvgPool3D((1, 2, 2), ceil_mode=True), _x(np, 1, 2, 3, 3, 5)),
              (nn.GlobalMaxPool2D(), x2), (nn.GlobalAvgPool2D(), x2),
              (nn.GlobalMaxPool1D(), _x(np, 2, 3, 5)), (nn.GlobalAvgPool1D(), _x(np, 2, 3, 5)),
              (nn.GlobalMaxPool3D(), _x(np, 1, 2, 2, 3, 3)),
              (nn.GlobalAvgPool3D(), _x(np, 1, 2, 2, 3, 3))]
    return [_run(mx, np, b, x)[:2] + (repr(b),) for b, x in blocks]


@case(**TOL)
def layer_norm_layer_and_reprs(mx, np, npx):
    from mxnet.gluon import nn

    return (_run(mx, np, nn.LayerNorm(axis=1), _x(np, 2, 4, 3, 5)),
            [repr(b) for b in (nn.InstanceNorm(in_channels=3), nn.GroupNorm(2),
                               nn.LayerNorm(in_channels=4))])


@case(mode="nd", **TOL)
def norm_and_reflection_pad_layers_nd(mx, np, npx):
    """(legacy arrays: MXNet 1.9.1's InstanceNorm, GroupNorm and ReflectionPad2D call
    legacy ops, which reject np arrays; see the case below)"""
    from mxnet.gluon import nn

    A = mx.nd
    x = _x(A, 2, 4, 3, 5)
    return (_run(mx, A, nn.InstanceNorm(), x),
            _run(mx, A, nn.InstanceNorm(scale=True, epsilon=1e-3), x),
            _run(mx, A, nn.InstanceNorm(axis=2, scale=True, in_channels=3), x),
            _run(mx, A, nn.GroupNorm(2), x), _run(mx, A, nn.GroupNorm(4, center=False), x),
            _run(mx, A, nn.GroupNorm(1, epsilon=0.1), _x(A, 3, 2, 4)),
            _run(mx, A, nn.ReflectionPad2D(1), x),
            _run(mx, A, nn.ReflectionPad2D((0, 0, 0, 0, 1, 2, 2, 0)), x))


@case(differs="MXNet 1.9.1's InstanceNorm, GroupNorm and ReflectionPad2D layers call "
              "legacy ops that reject np arrays; ndengine's compute")
def norm_and_reflection_pad_layers_np(mx, np, npx):
    from mxnet.gluon import nn

    x = _x(np, 1, 2, 3, 3)
    out = []
    for b in (nn.InstanceNorm(), nn.GroupNorm(2), nn.ReflectionPad2D(1)):
        b.initialize()
        try:
            out.append(b(x))
        except Exception as e:            # noqa: BLE001  (what each one does)
            out.append(type(e).__name__)
    return out


@case(**TOL)
def lenet_training_step(mx, np, npx):
    """The book's LeNet: parameter names and shapes before and after the first
    forward, then loss and gradients for set weights, and one SGD step."""
    from mxnet import gluon
    from mxnet.gluon import nn

    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, kernel_size=5, padding=2, activation="sigmoid"),
            nn.AvgPool2D(pool_size=2, strides=2),
            nn.Conv2D(16, kernel_size=5, activation="sigmoid"),
            nn.AvgPool2D(pool_size=2, strides=2),
            nn.Dense(120, activation="sigmoid"), nn.Dense(84, activation="sigmoid"),
            nn.Dense(10))
    before = [(n, tuple(p.shape)) for n, p in net.collect_params().items()]
    net.initialize()
    x = _x(np, 4, 1, 28, 28)
    net(x)
    _fill(np, net)
    y = np.array([1, 3, 5, 7])
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    with mx.autograd.record():
        l = loss(net(x), y)
    l.backward()
    grads = [p.grad().copy() for p in net.collect_params().values()]
    trainer.step(4)
    return (before, l, grads, [p.data() for p in net.collect_params().values()],
            repr(net))


@case
def conv_layer_wrong_input_rank(mx, np, npx):
    from mxnet.gluon import nn

    c = nn.Conv2D(4, 3, in_channels=2)
    c.initialize()
    return c(np.ones((2, 2, 5)))


@case
def conv_layer_wrong_input_channels(mx, np, npx):
    from mxnet.gluon import nn

    c = nn.Conv2D(4, 3, in_channels=2)
    c.initialize()
    return c(np.ones((1, 3, 5, 5)))


@case
def pool_layer_window_too_large(mx, np, npx):
    from mxnet.gluon import nn

    return nn.MaxPool2D(4)(np.ones((1, 1, 3, 3)))


@case(**TOL)
def npx_conv_ops(mx, np, npx):
    x = _x(np, 2, 4, 6, 5)
    w = _x(np, 6, 2, 3, 3)
    b = np.arange(6, dtype="float32")
    wd = _x(np, 4, 3, 2, 2)
    return (npx.convolution(x, w, b, kernel=(3, 3), num_filter=6, num_group=2, stride=(2, 1),
                            pad=(1, 1), dilate=(1, 2)),
            npx.deconvolution(x, wd, kernel=(2, 2), num_filter=3, stride=(2, 2), adj=(1, 0)),
            npx.deconvolution(x, wd, kernel=(2, 2), num_filter=3, stride=(2, 2),
                              target_shape=(12, 10)),   # (MXNet 1.9.1 fails on any smaller)
            npx.pooling(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg",
                        pooling_convention="full"),
            npx.pooling(x, kernel=(2, 2), pool_type="lp", p_value=3),
            npx.pooling(x, kernel=(1, 1), global_pool=True, pool_type="sum"),
            # the 'full' convention's last window lies past the input: MXNet's lowest float
            npx.pooling(_x(np, 1, 1, 2), kernel=(1,), stride=(2,), pooling_convention="full"))


@case
def lenet_parameter_file(mx, np, npx):
    """save_parameters of a LeNet with set weights: the file's bytes (so a file either
    writes, the other loads), and its names and shapes read back with npx.load."""
    from mxnet.gluon import nn

    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, kernel_size=5, padding=2, activation="sigmoid"),
            nn.AvgPool2D(pool_size=2, strides=2), nn.Conv2D(16, kernel_size=3, groups=2),
            nn.Conv2DTranspose(4, 2, strides=2), nn.BatchNorm(), nn.LayerNorm(),
            nn.Dense(10))
    net.initialize()
    net(_x(np, 2, 1, 12, 12))
    _fill(np, net)
    net.save_parameters("lenet.params")
    with open("lenet.params", "rb") as f:
        raw = f.read()
    loaded = npx.load("lenet.params")
    return (np.array(list(raw), dtype="uint8"),
            sorted((k, tuple(v.shape)) for k, v in loaded.items()))
