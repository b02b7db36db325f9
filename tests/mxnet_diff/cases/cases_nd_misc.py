"""Legacy mx.nd odds and ends (MXNet 1.x, np mode off): fused optimizer updates, densities,
histogram, finiteness checks, LRN, the 0-index element ops, reset_arrays."""
from _diff import case

ND = dict(mode="nd")


@case(**ND)
def optimizer_updates(mx, np, npx):
    nd = mx.nd
    w = nd.array([1.0, -2.0, 3.0])
    g = nd.array([0.5, 0.5, -1.0])
    r = nd.sgd_update(w, g, lr=0.1, wd=0.01)
    m = nd.zeros(3)
    r2 = nd.sgd_mom_update(w, g, m, lr=0.1, momentum=0.9)
    w2 = w.copy()
    nd.sgd_mom_update(w2, g, m, lr=0.1, momentum=0.9, out=w2)
    mean, var = nd.zeros(3), nd.zeros(3)
    r3 = nd.adam_update(w, g, mean, var, lr=0.01, clip_gradient=0.6)
    n = nd.zeros(3)
    r4 = nd.rmsprop_update(w, g, n, lr=0.01)
    mom = nd.zeros(3)
    r5 = nd.nag_mom_update(w, g, mom, lr=0.1, momentum=0.9)
    r6 = nd.signsgd_update(w, g, lr=0.1)
    return w, r, r2, m, w2, r3, mean, var, r4, n, r5, mom, r6


@case(**ND)
def densities(mx, np, npx):
    nd = mx.nd
    s = nd.array([[0.5, 1.0], [2.0, 3.0]])
    k = nd.array([[0, 1], [2, 3]])
    return (nd.random_pdf_normal(s, nd.array([0, 1]), nd.array([1, 2])),
            nd.random_pdf_normal(s, nd.array([0, 1]), nd.array([1, 2]), is_log=True),
            nd.random_pdf_uniform(s, nd.array([0, 1]), nd.array([1, 4])),
            nd.random_pdf_exponential(s, nd.array([1, 2]), is_log=True),
            nd.random_pdf_gamma(s, nd.array([1, 2]), nd.array([1, 0.5])),
            nd.random_pdf_poisson(k, nd.array([1, 2])),
            nd.random_pdf_negative_binomial(k, nd.array([1, 2]), nd.array([0.5, 0.3])),
            nd.random_pdf_generalized_negative_binomial(k, nd.array([1, 2]),
                                                        nd.array([0.5, 0.3])),
            nd.random_pdf_dirichlet(nd.array([[0.2, 0.8], [0.5, 0.5]]), nd.array([1, 2])))


@case(**ND)
def histogram_forms(mx, np, npx):
    nd = mx.nd
    x = nd.array([1, 2, 2, 3, 5])
    return nd.histogram(x, bins=4, range=(0, 5)), nd.histogram(x, bins=nd.array([0, 2, 4, 6]))


@case(**ND)
def finiteness_and_sums(mx, np, npx):
    nd = mx.nd
    return (nd.all_finite(nd.array([1, float("inf")])), nd.all_finite(nd.ones(3)),
            nd.multi_all_finite(nd.ones(2), nd.ones(3), num_arrays=2),
            nd.multi_all_finite(nd.ones(2), nd.array([float("nan")]), num_arrays=2),
            nd.multi_sum_sq(nd.ones(2), nd.ones(3) * 2, num_arrays=2))


@case(**ND)
def lrn_values(mx, np, npx):
    nd = mx.nd
    return nd.LRN(nd.arange(8).reshape((1, 4, 1, 2)), nsize=3), \
        nd.LRN(nd.arange(20).reshape((1, 5, 2, 2)) / 3, alpha=0.1, beta=0.5, knorm=1, nsize=5)


@case(**ND)
def lrn_needs_4d(mx, np, npx):
    return mx.nd.LRN(mx.nd.ones((1, 5, 2)), nsize=3)


@case(**ND)
def element_0index_ops(mx, np, npx):
    nd = mx.nd
    return (nd.choose_element_0index(nd.arange(6).reshape((2, 3)), nd.array([2, 0])),
            nd.fill_element_0index(nd.zeros((2, 3)), nd.array([5, 7]), nd.array([1, 2])))


@case(**ND)
def reset_arrays_zeroes(mx, np, npx):
    a = mx.nd.ones(2)
    b = mx.nd.ones((2, 2))
    r = mx.nd.reset_arrays(a, b, num_arrays=2)
    return r, a, b


@case(**ND)
def cached_op_calls_a_graph(mx, np, npx):
    """mx.nd.CachedOp: every input in list_inputs() order, one output or a list, out=,
    gradients under record, BatchNorm's running statistics updated in training."""
    nd, sym = mx.nd, mx.sym
    x, w = sym.var("x"), sym.var("w")
    fc = sym.FullyConnected(x, w, num_hidden=2, no_bias=True, name="fc")
    op = nd.CachedOp(fc, flags=[("static_alloc", True)])
    a = nd.array([[1.0, -2.0, 0.5]])
    b = nd.array([[0.5, 0.25, -1.0], [1.0, 2.0, 3.0]])
    b.attach_grad()
    with mx.autograd.record():
        o = op(a, b)
        l = (o * o).sum()
    l.backward()
    both = nd.CachedOp(sym.Group([fc, sym.relu(fc) * 2]))(a, b)
    out = nd.zeros((1, 2))
    op(a, b, out=out)
    bn = nd.CachedOp(sym.BatchNorm(x, name="bn", fix_gamma=False))
    xs = nd.array([[1.0, 2.0], [3.0, 5.0], [0.0, -1.0]])
    gm, bt = nd.array([1.0, 2.0]), nd.array([0.0, 0.5])
    mm, mv = nd.zeros(2), nd.ones(2)
    with mx.autograd.record(train_mode=True):
        y = bn(xs, gm, bt, mm, mv)
    yp = bn(xs, gm, bt, mm, mv)
    return [o, b.grad, both[0], both[1], out, y, mm, mv, yp]
