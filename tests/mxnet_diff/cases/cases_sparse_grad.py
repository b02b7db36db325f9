"""Row-sparse gradients in Gluon (MXNet 1.x, np mode off): ``nn.Embedding(sparse_grad=
True)`` / ``Parameter(grad_stype='row_sparse')`` — the gradient's class and stored rows,
zero_grad, the optimizers' lazy updates (SGD, Adam, NAG, GroupAdaGrad) and dense
fallbacks (RMSProp, FTRL...), AdaGrad's error, several devices, hybridized blocks, and
the refusals (grad_req 'add' at backward, np mode at initialize, unknown stypes)."""
from _diff import case

ND = dict(mode="nd")


def _rsp(g):
    return (type(g).__name__, g.stype, tuple(g.shape), g.indices.asnumpy(),
            g.data.asnumpy(), str(g.indices.dtype.__name__))


def _emb(mx, rows=6, dim=3, **kw):
    import numpy as onp
    rs = onp.random.RandomState(0)
    emb = mx.gluon.nn.Embedding(rows, dim, sparse_grad=True, **kw)
    emb.initialize()
    emb.weight.set_data(mx.nd.array(rs.rand(rows, dim).astype("float32")))
    return emb


def _train(mx, name, params, batches=([1, 3, 1], [2, 3, 3], [5, 5, 0, 1]), dense=False):
    emb = _emb(mx)
    blocks = [emb]
    if dense:
        d = mx.gluon.nn.Dense(2, flatten=False)
        d.initialize(mx.init.Constant(0.25))
        blocks.append(d)
    ps = emb.collect_params()
    for b in blocks[1:]:
        ps.update(b.collect_params())
    tr = mx.gluon.Trainer(ps, name, params)
    for idx in batches:
        x = mx.nd.array(idx)
        with mx.autograd.record():
            y = emb(x)
            if dense:
                y = blocks[1](y)
            w = mx.nd.arange(len(idx)).reshape(-1, 1) + 1
            loss = (y * y * w).sum()
        loss.backward()
        tr.step(2)
    return [b.weight.data().asnumpy() for b in blocks]


@case(**ND)
def embedding_gradient_holds_the_rows_looked_up(mx, np, npx):
    emb = _emb(mx, rows=10, dim=4)
    x = mx.nd.array([[1, 3], [1, 7], [9, 3]])
    with mx.autograd.record():
        y = emb(x)
        loss = (y * mx.nd.arange(24).reshape(3, 2, 4)).sum()
    loss.backward()
    g = emb.weight.grad()
    first = _rsp(g)
    emb.weight.zero_grad()
    return first, _rsp(emb.weight.grad()), emb.weight._grad_stype, g.asnumpy()


@case(**ND)
def fresh_row_sparse_parameter_gradient_is_empty(mx, np, npx):
    p = mx.gluon.Parameter("w", shape=(3, 4), grad_stype="row_sparse")
    p.initialize()
    return _rsp(p.grad())


@case(**ND)
def embedding_used_twice_and_densely(mx, np, npx):
    emb = _emb(mx)
    with mx.autograd.record():
        loss = emb(mx.nd.array([1, 1])).sum() + (emb(mx.nd.array([4, 1])) * 2).sum()
    loss.backward()
    twice = _rsp(emb.weight.grad())
    with mx.autograd.record():
        loss = emb(mx.nd.array([1])).sum() + (emb.weight.data()[5] * 3).sum()
    loss.backward()
    return twice, _rsp(emb.weight.grad())


@case(**ND)
def sgd_lazy_updates_only_the_rows(mx, np, npx):
    return (_train(mx, "sgd", {"learning_rate": 0.1, "wd": 0.1}),
            _train(mx, "sgd", {"learning_rate": 0.1, "wd": 0.1, "momentum": 0.9,
                               "clip_gradient": 5.0}, dense=True),
            _train(mx, "sgd", {"learning_rate": 0.1, "wd": 0.1, "momentum": 0.9,
                               "lazy_update": False}))


@case(**ND)
def adam_lazy_updates_only_the_rows(mx, np, npx):
    return (_train(mx, "adam", {"learning_rate": 0.05, "wd": 0.1}, dense=True),
            _train(mx, "adam", {"learning_rate": 0.05, "wd": 0.1, "lazy_update": False}))


@case(**ND)
def nag_and_group_adagrad_with_sparse_gradients(mx, np, npx):
    return (_train(mx, "nag", {"learning_rate": 0.1, "wd": 0.1}),
            _train(mx, "nag", {"learning_rate": 0.1, "wd": 0.1, "momentum": 0.9}),
            _train(mx, "groupadagrad", {"learning_rate": 0.1}))


@case(**ND)
def lars_and_lbsgd_lazy_updates(mx, np, npx):
    p = {"learning_rate": 0.1, "wd": 0.1}
    return (_train(mx, "lars", p), _train(mx, "lars", dict(p, momentum=0.9)),
            _train(mx, "lars", dict(p, momentum=0.9, lazy_update=False)),
            _train(mx, "lbsgd", p), _train(mx, "lbsgd", dict(p, momentum=0.9)))


@case(**ND)
def row_sparse_plus_zero_stays_row_sparse(mx, np, npx):
    g = mx.nd.sparse.row_sparse_array(([[1., 2]], [1]), shape=(3, 2))
    return [(type(r).__name__, r.stype, r.asnumpy()) for r in (g + 0, 0 + g, g - 0, g + 1)]


@case(**ND)
def other_optimizers_use_the_dense_gradient(mx, np, npx):
    p = {"learning_rate": 0.1, "wd": 0.1}
    return tuple(_train(mx, name, p) for name in ("rmsprop", "ftrl", "signum", "adadelta",
                                                  "adamax", "nadam"))


@case(**ND)
def adagrad_lazy_without_weight_decay(mx, np, npx):
    return (_train(mx, "adagrad", {"learning_rate": 0.1}),
            _train(mx, "adagrad", {"learning_rate": 0.1, "clip_gradient": 0.5}, dense=True))


@case(**ND)
def adagrad_with_weight_decay_and_a_sparse_gradient_is_an_error(mx, np, npx):
    return _train(mx, "adagrad", {"learning_rate": 0.1, "wd": 0.1})


@case(**ND)
def sparse_gradients_summed_across_devices(mx, np, npx):
    emb = mx.gluon.nn.Embedding(6, 3, sparse_grad=True)
    emb.initialize(mx.init.Constant(0.5), ctx=[mx.cpu(0), mx.cpu(1)])
    tr = mx.gluon.Trainer(emb.collect_params(), "sgd", {"learning_rate": 0.1,
                                                        "momentum": 0.9})
    for _ in range(2):
        with mx.autograd.record():
            ls = [(emb(mx.nd.array([1, 2], ctx=mx.cpu(0))) ** 2).sum(),
                  (emb(mx.nd.array([2, 4], ctx=mx.cpu(1))) ** 2).sum()]
        mx.autograd.backward(ls)
        tr.step(1)
    return ([_rsp(g) for g in emb.weight.list_grad()],
            [d.asnumpy() for d in emb.weight.list_data()], tr._update_on_kvstore)


@case(**ND)
def hybridized_embedding_gives_a_row_sparse_gradient(mx, np, npx):
    net = mx.gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(mx.gluon.nn.Embedding(6, 3, sparse_grad=True),
                mx.gluon.nn.Dense(2, flatten=False))
    net.initialize(mx.init.Constant(0.5))
    net.hybridize()
    out = []
    for _ in range(2):
        with mx.autograd.record():
            loss = net(mx.nd.array([[1, 2], [2, 5]])).sum()
        loss.backward()
        out.append(_rsp(net[0].weight.grad()))
    return out


@case(**ND)
def attach_grad_row_sparse(mx, np, npx):
    w = mx.nd.ones((5, 2))
    w.attach_grad(stype="row_sparse")
    fresh = _rsp(w.grad)
    with mx.autograd.record():
        y = mx.nd.Embedding(mx.nd.array([4, 0, 4]), w, input_dim=5, output_dim=2,
                            sparse_grad=True)
    y.backward()
    return fresh, _rsp(w.grad)


@case(**ND)
def grad_req_add_is_refused_by_the_sparse_embedding(mx, np, npx):
    emb = _emb(mx)
    emb.weight.grad_req = "add"
    with mx.autograd.record():
        y = emb(mx.nd.array([1, 2]))
    y.backward()
    return emb.weight.grad().asnumpy()


@case(**ND)
def unknown_stype_is_an_assertion(mx, np, npx):
    return mx.gluon.Parameter("w", shape=(3, 4), stype="foo")


@case()
def np_mode_sparse_gradient_is_refused_at_initialize(mx, np, npx):
    emb = mx.gluon.nn.Embedding(10, 4, sparse_grad=True)
    emb.initialize()
    return emb.weight.data().shape


@case(**ND)
def nd_updates_with_a_row_sparse_gradient(mx, np, npx):
    g = mx.nd.sparse.row_sparse_array(([[1., 2], [-3, 0.5]], [1, 4]), shape=(5, 2))
    res = []
    for fn, nstates, kw in [(mx.nd.sgd_update, 0, {}),
                            (mx.nd.sgd_mom_update, 1, {"momentum": 0.9}),
                            (mx.nd.adam_update, 2, {"clip_gradient": 1.0}),
                            (mx.nd.sgd_update, 0, {"lazy_update": False}),
                            (mx.nd.rmsprop_update, 1, {}),
                            (mx.nd.sparse.sgd_update, 0, {}),
                            (mx.nd.sparse.adam_update, 2, {})]:
        w = mx.nd.ones((5, 2))
        states = [mx.nd.ones((5, 2)) * 0.5 for _ in range(nstates)]
        fn(w, g, *states, lr=0.1, wd=0.1, out=w, **kw)
        res.append((w.asnumpy(), [s.asnumpy() for s in states]))
    w = mx.nd.ones((5, 2))
    h = mx.nd.ones((5, 2)) * 0.5
    mx.nd.sparse.adagrad_update(w, g, h, lr=0.1, epsilon=1e-7, out=w)
    res.append((w.asnumpy(), h.asnumpy()))
    return res


@case(**ND)
def sparse_adagrad_update_is_in_place(mx, np, npx):
    g = mx.nd.sparse.row_sparse_array(([[1., 2]], [1]), shape=(3, 2))
    return mx.nd.sparse.adagrad_update(mx.nd.ones((3, 2)), g, mx.nd.zeros((3, 2)),
                                       lr=0.1).asnumpy()


@case(**ND)
def sparse_adagrad_update_with_weight_decay_is_an_error(mx, np, npx):
    g = mx.nd.sparse.row_sparse_array(([[1., 2]], [1]), shape=(3, 2))
    w = mx.nd.ones((3, 2))
    mx.nd.sparse.adagrad_update(w, g, mx.nd.zeros((3, 2)), lr=0.1, wd=0.1, out=w)
    return w.asnumpy()
