"""Legacy neural-network ops, autograd on legacy arrays, random sampling, save/load
(MXNet 1.x, np mode off)."""
from _diff import case

ND = dict(mode="nd")


def _data(mx):
    return mx.nd.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


@case(**ND)
def activations(mx, np, npx):
    nd = mx.nd
    x = _data(mx)
    return (nd.Activation(x, act_type="relu"), nd.Activation(x, act_type="sigmoid"),
            nd.Activation(x, act_type="tanh"), nd.Activation(x, act_type="softrelu"),
            nd.Activation(x, act_type="softsign"), nd.relu(x), nd.sigmoid(x), nd.tanh(x))


@case(**ND)
def activation_unknown_type(mx, np, npx):
    return mx.nd.Activation(mx.nd.ones(2), act_type="swish")


@case(**ND)
def leaky_relu_forms(mx, np, npx):
    nd = mx.nd
    x = _data(mx)
    return (nd.LeakyReLU(x), nd.LeakyReLU(x, slope=0.1), nd.LeakyReLU(x, act_type="elu"),
            nd.LeakyReLU(x, act_type="selu"), nd.LeakyReLU(x, act_type="gelu"),
            nd.LeakyReLU(x, act_type="prelu", gamma=nd.array([0.1, 0.2, 0.3])))


@case(**ND)
def softmax_forms(mx, np, npx):
    nd = mx.nd
    x = _data(mx)
    return (nd.softmax(x), nd.softmax(x, axis=0), nd.softmax(x, temperature=2.0),
            nd.log_softmax(x), nd.log_softmax(x, axis=0), nd.softmin(x),
            nd.SoftmaxActivation(x),
            nd.softmax(x, length=nd.array([2, 3], dtype="int32"), use_length=True),
            x.softmax(), x.log_softmax(axis=0))


@case(**ND)
def fully_connected(mx, np, npx):
    nd = mx.nd
    x = nd.arange(12).reshape((2, 2, 3))
    w = nd.arange(24).reshape((4, 6)) / 10
    b = nd.array([1, 2, 3, 4])
    w2 = nd.arange(12).reshape((4, 3)) / 10
    return (nd.FullyConnected(x, w, b, num_hidden=4),
            nd.FullyConnected(x, w, no_bias=True, num_hidden=4),
            nd.FullyConnected(x, w2, b, num_hidden=4, flatten=False))


@case(**ND)
def fully_connected_wrong_weight(mx, np, npx):
    nd = mx.nd
    return nd.FullyConnected(nd.ones((2, 3)), nd.ones((4, 5)), nd.ones(4), num_hidden=4)


@case(**ND)
def batch_norm_inference_and_training(mx, np, npx):
    nd = mx.nd
    x = nd.arange(12).reshape((2, 3, 2))
    g = nd.array([1, 2, 3])
    b = nd.array([0, 1, 0])
    mm = nd.array([1, 1, 1])
    mv = nd.array([2, 2, 2])
    inf = nd.BatchNorm(x, g, b, mm, mv)
    inf2 = nd.BatchNorm(x, g, b, mm, mv, fix_gamma=False, eps=1e-5)
    with mx.autograd.record():
        tr = nd.BatchNorm(x, g, b, mm, mv, fix_gamma=False)
    return inf, inf2, tr, mm, mv


@case(**ND)
def layer_and_instance_norm(mx, np, npx):
    nd = mx.nd
    x = nd.arange(12).reshape((2, 2, 3))
    return (nd.LayerNorm(x, nd.array([1, 2, 3]), nd.array([0, 0, 1])),
            nd.LayerNorm(x, nd.array([1, 2]), nd.array([0, 1]), axis=1),
            nd.InstanceNorm(x, nd.array([1, 2]), nd.array([0, 1])),
            nd.L2Normalization(x), nd.L2Normalization(x, mode="channel"),
            nd.L2Normalization(x, mode="spatial"))


@case(**ND)
def embedding_rows(mx, np, npx):
    nd = mx.nd
    w = nd.arange(12).reshape((4, 3))
    return (nd.Embedding(nd.array([[0, 3], [1, 1]]), w, input_dim=4, output_dim=3),
            nd.Embedding(nd.array([2, 9]), w, input_dim=4, output_dim=3))


@case(**ND)
def dropout_modes(mx, np, npx):
    nd = mx.nd
    x = nd.ones((4, 5))
    a = nd.Dropout(x, p=0.5)                 # not training: identity
    with mx.autograd.train_mode():
        b = nd.Dropout(x, p=0.0)
    c = nd.Dropout(x, p=0.5, mode="always")
    vals = set(c.asnumpy().ravel().tolist())
    return a, b, sorted(vals) if vals <= {0.0, 2.0} else "bad", c.shape


@case(**ND)
def softmax_output_forward_and_gradient(mx, np, npx):
    nd = mx.nd
    x = _data(mx)
    lab = nd.array([2, 0])
    x.attach_grad()
    with mx.autograd.record():
        y = nd.SoftmaxOutput(x, lab)
    y.backward()
    g1 = x.grad.copy()
    with mx.autograd.record():
        y = nd.SoftmaxOutput(x, lab, grad_scale=2, normalization="batch")
    y.backward(nd.ones_like(y) * 5)          # the head gradient is ignored
    g2 = x.grad.copy()
    with mx.autograd.record():
        y = nd.SoftmaxOutput(x, nd.array([2, -1]), use_ignore=True)
    y.backward()
    return y, g1, g2, x.grad


@case(**ND)
def autograd_on_legacy_arrays(mx, np, npx):
    nd = mx.nd
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = (x * x).sum() + nd.sum(nd.exp(x)) * 0.5
    y.backward()
    g = x.grad
    w = nd.array([[1.0, 2.0], [3.0, 4.0]])
    w.attach_grad()
    with mx.autograd.record():
        z = nd.dot(w, w).reshape((-1,))[1:3].mean()
    z.backward()
    return y, g, type(g).__name__, w.grad


@case(**ND)
def autograd_through_nn_ops(mx, np, npx):
    nd = mx.nd
    x = _data(mx)
    w = nd.arange(12).reshape((4, 3)) / 10
    b = nd.zeros(4)
    for a in (x, w, b):
        a.attach_grad()
    with mx.autograd.record():
        h = nd.FullyConnected(x, w, b, num_hidden=4)
        h = nd.Activation(h, act_type="tanh")
        loss = nd.log_softmax(h).mean()
    loss.backward()
    return loss, x.grad, w.grad, b.grad


@case(**ND)
def grad_add_accumulates(mx, np, npx):
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad(grad_req="add")
    for _ in range(2):
        with mx.autograd.record():
            y = x * 3
        y.backward()
    return x.grad


@case(**ND)
def detach_cuts_the_graph(mx, np, npx):
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = x * x.detach() + x
    y.backward()
    return x.grad


@case(values=False, **ND)
def random_shapes_and_dtypes(mx, np, npx):
    nd = mx.nd
    return (nd.random.uniform(shape=(2, 3)), nd.random.uniform(-1, 1, shape=5),
            nd.random.uniform(), nd.random.normal(0, 1, shape=(2,)), nd.random.normal(),
            nd.random.randint(0, 10, shape=(3,)), nd.random.randint(0, 5, shape=(2,),
                                                                    dtype="int64"),
            nd.random.exponential(shape=(2,)), nd.random.gamma(2, 2, shape=(2,)),
            nd.random.poisson(3, shape=(4,)), nd.random.negative_binomial(3, 0.5, shape=(2,)),
            nd.random.uniform(nd.zeros(3), nd.ones(3), shape=(2,)),
            nd.random.normal(nd.zeros((2, 2)), nd.ones((2, 2))),
            nd.random_uniform(shape=(2,)), nd.random_normal(shape=(2,)),
            nd.random.randn(2, 3), nd.random.uniform(shape=(2,), dtype="float64"))


@case(values=False, **ND)
def multinomial_and_shuffle(mx, np, npx):
    nd = mx.nd
    p = nd.array([[0.1, 0.9, 0.0], [0.5, 0.0, 0.5]])
    s = nd.random.multinomial(p)
    s2 = nd.random.multinomial(p, shape=(4,))
    s3, lp = nd.random.multinomial(p, shape=2, get_prob=True)
    one = nd.random.multinomial(nd.array([0.2, 0.8]))
    sh = nd.random.shuffle(nd.arange(6).reshape((3, 2)))
    return s, s2, s3, lp, one, sh


@case(**ND)
def random_values_in_range(mx, np, npx):
    nd = mx.nd
    u = nd.random.uniform(2, 3, shape=(100,))
    r = nd.random.randint(5, 8, shape=(100,))
    p = nd.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    m = nd.random.multinomial(p, shape=(3,))
    sh = nd.random.shuffle(nd.arange(10))
    return (bool((u >= 2).min().asscalar() and (u < 3).min().asscalar()),
            bool((r >= 5).min().asscalar() and (r < 8).min().asscalar()), m,
            nd.sort(sh))


@case(**ND)
def save_and_load(mx, np, npx):
    nd = mx.nd
    a = nd.arange(6).reshape((2, 3))
    b = nd.array([1, 2], dtype="int32")
    nd.save("list.params", [a, b])
    nd.save("dict.params", {"a": a, "b": b})
    nd.save("one.params", a)
    l1 = nd.load("list.params")
    d = nd.load("dict.params")
    one = nd.load("one.params")
    with open("dict.params", "rb") as f:
        buf = f.read()
    fb = nd.load_frombuffer(buf)
    return l1, d, one, fb, type(l1).__name__, sorted(d)


@case(**ND)
def load_missing_file(mx, np, npx):
    return mx.nd.load("no-such-file.params")


@case(**ND)
def waitall_returns_none(mx, np, npx):
    mx.nd.ones(3) * 2
    return mx.nd.waitall()
