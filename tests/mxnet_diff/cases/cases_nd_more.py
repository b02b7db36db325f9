"""More of the legacy mx.nd namespace: linalg, padding, depth/space, upsampling, group
norm, index raveling, regression output layers, per-element samplers."""
from _diff import case

ND = dict(mode="nd")


def _ab(mx):
    return mx.nd.array([[4., 2], [2, 3]]), mx.nd.array([[1., 2], [3, 4]])


@case(**ND)
def linalg_products(mx, np, npx):
    nd = mx.nd
    A, B = _ab(mx)
    batch = nd.stack(A, B)
    return (nd.linalg.gemm2(A, B, transpose_b=True, alpha=2), nd.linalg.gemm2(batch, batch),
            nd.linalg.gemm(A, B, B, alpha=1, beta=2), nd.linalg_gemm2(A, B, transpose_a=True),
            nd.linalg.syrk(B), nd.linalg.syrk(B, transpose=True, alpha=0.5))


@case(**ND)
def linalg_factorizations(mx, np, npx):
    nd = mx.nd
    A, B = _ab(mx)
    L = nd.linalg.potrf(A)
    return (L, nd.linalg.potri(L), nd.linalg.trsm(L, B), nd.linalg.trsm(L, B, transpose=True,
                                                                        rightside=True),
            nd.linalg.trsm(L, B, alpha=2, transpose=True), nd.linalg.trmm(L, B),
            nd.linalg.trmm(L, B, rightside=True, transpose=True), nd.linalg.inverse(A),
            nd.linalg.det(A), nd.linalg.slogdet(A), nd.linalg.sumlogdiag(A))


@case(**ND)
def linalg_diagonals_and_triangles(mx, np, npx):
    nd = mx.nd
    A, B = _ab(mx)
    m = nd.arange(9).reshape((3, 3))
    return (nd.linalg.extractdiag(B), nd.linalg.extractdiag(m, offset=1),
            nd.linalg.extractdiag(m, offset=-1), nd.linalg.makediag(nd.array([1, 2])),
            nd.linalg.makediag(nd.array([1, 2]), offset=-1),
            nd.linalg.makediag(nd.array([[1, 2], [3, 4]]), offset=1),
            nd.linalg.extracttrian(m), nd.linalg.extracttrian(m, lower=False),
            nd.linalg.extracttrian(m, offset=1), nd.linalg.maketrian(nd.array([1, 2, 3])),
            nd.linalg.maketrian(nd.array([1, 2, 3]), lower=False))


@case(**ND)
def linalg_gradients(mx, np, npx):
    nd = mx.nd
    A, B = _ab(mx)
    A.attach_grad()
    B.attach_grad()
    with mx.autograd.record():
        y = nd.linalg.gemm2(A, B).sum() + nd.linalg.sumlogdiag(nd.linalg.potrf(A)).sum() + \
            nd.linalg.trsm(nd.linalg.potrf(A), B).sum()
    y.backward()
    return A.grad, B.grad


@case(**ND)
def pad_modes(mx, np, npx):
    nd = mx.nd
    x = nd.arange(8).reshape((1, 1, 2, 4))
    return (nd.pad(x, mode="constant", pad_width=(0, 0, 0, 0, 1, 1, 2, 0), constant_value=9),
            nd.pad(x, mode="edge", pad_width=(0, 0, 0, 0, 1, 1, 1, 1)),
            nd.pad(x, mode="reflect", pad_width=(0, 0, 0, 0, 1, 1, 1, 1)),
            nd.Pad(x, mode="constant", pad_width=(0, 0, 0, 0, 0, 0, 1, 1)))


@case(**ND)
def depth_space(mx, np, npx):
    nd = mx.nd
    x = nd.arange(32).reshape((1, 8, 2, 2))
    y = nd.arange(32).reshape((2, 1, 4, 4))
    return nd.depth_to_space(x, 2), nd.space_to_depth(y, 2), \
        nd.depth_to_space(nd.space_to_depth(y, 2), 2)


@case(**ND)
def upsampling_nearest(mx, np, npx):
    nd = mx.nd
    x = nd.arange(8).reshape((1, 2, 2, 2))
    return (nd.UpSampling(x, scale=2, sample_type="nearest"),
            nd.UpSampling(x, nd.arange(2).reshape((1, 2, 1, 1)), scale=2,
                          sample_type="nearest", num_args=2))


@case(**ND)
def group_norm(mx, np, npx):
    nd = mx.nd
    x = nd.arange(16).reshape((2, 4, 2))
    return (nd.GroupNorm(x, nd.ones(2), nd.zeros(2), num_groups=2),
            nd.GroupNorm(x, nd.array([1, 2]), nd.array([0, 1]), num_groups=2, eps=1e-3),
            nd.GroupNorm(x, nd.array([2.0]), nd.array([1.0])))


@case(**ND)
def index_raveling(mx, np, npx):
    nd = mx.nd
    return (nd.ravel_multi_index(nd.array([[0, 1, 2], [2, 3, 0]]), shape=(3, 4)),
            nd.unravel_index(nd.array([2, 7, 11]), shape=(3, 4)),
            nd.unravel_index(nd.array([5]), shape=(2, 3)), nd.crop(nd.arange(6).reshape((2, 3)),
                                                                   begin=(0, 1), end=(2, 3)))


@case(**ND)
def regression_outputs(mx, np, npx):
    nd = mx.nd
    out = []
    for op in (nd.LinearRegressionOutput, nd.LogisticRegressionOutput, nd.MAERegressionOutput):
        x = nd.array([[1., 2], [3, 4]])
        x.attach_grad()
        with mx.autograd.record():
            y = op(x, nd.array([[0, 0], [1, 5]]), grad_scale=2)
        y.backward(nd.ones_like(y) * 3)
        out += [y, x.grad]
    return out


@case(values=False, **ND)
def per_element_samplers(mx, np, npx):
    nd = mx.nd
    lo, hi = nd.array([0, 10]), nd.array([1, 11])
    return (nd.sample_uniform(lo, hi), nd.sample_uniform(lo, hi, shape=3),
            nd.sample_normal(lo, hi, shape=(2, 2)), nd.sample_gamma(hi, hi, shape=2),
            nd.sample_exponential(hi, shape=2), nd.sample_poisson(hi, shape=2),
            nd.sample_negative_binomial(hi, nd.array([0.5, 0.5]), shape=2),
            nd.sample_generalized_negative_binomial(hi, hi))


@case(**ND)
def sampler_ranges(mx, np, npx):
    nd = mx.nd
    s = nd.sample_uniform(nd.array([0, 10]), nd.array([1, 11]), shape=50)
    return (s[0].min() >= 0, s[0].max() < 1, s[1].min() >= 10, s[1].max() < 11)


@case(**ND)
def svm_output_gradients(mx, np, npx):
    nd = mx.nd
    out = []
    for kw in ({}, {"use_linear": True}, {"margin": 0.5, "regularization_coefficient": 2}):
        x = nd.array([[0.5, -0.2, 1.5], [2.0, 0.1, -1.0]])
        x.attach_grad()
        with mx.autograd.record():
            y = nd.SVMOutput(x, nd.array([0, 2]), **kw)
        y.backward(nd.ones_like(y) * 3)
        out += [y, x.grad]
    return out


@case(**ND)
def gelqf_factors(mx, np, npx):
    nd = mx.nd
    q, l = nd.linalg.gelqf(nd.array([[1., 2, 3], [4, 5, 6.5]]))
    q2, l2 = nd.linalg_gelqf(nd.array([[[2., 1], [1, 3]], [[1., 0], [0, 1]]]))
    return q, l, q2, l2
