"""The rest of the legacy names: small functions and the method forms of NDArray."""
from _diff import case

ND = dict(mode="nd")


@case(**ND)
def small_functions(mx, np, npx):
    import numpy as onp
    nd = mx.nd
    x = nd.arange(6).reshape((2, 3))
    o = nd.zeros((2, 4))
    nd.onehot_encode(nd.array([1, 3]), o)
    return (o, nd.from_numpy(onp.array([1, 2], dtype="int64")), x.tostype("default"),
            nd.khatri_rao(nd.array([[1, 2], [3, 4]]), nd.array([[1, 0], [2, 1], [0, 3]])),
            nd.split_v2(x, 3, axis=1), nd.split_v2(x, (1,), axis=0),
            nd.concatenate([x, x], axis=1), nd.nanprod(nd.array([1, float("nan"), 3])),
            nd.make_loss(x), nd.MakeLoss(x), nd.Softmax(x, nd.array([0, 1])),
            nd.identity(x), nd.argsort(x, axis=0, is_ascend=False))


@case(atol=1e-5, **ND)     # MXNet's float32 log_softmax is off by ~3e-6 here
def method_forms(mx, np, npx):
    nd = mx.nd
    x = nd.array([[1.5, -2, 3], [0.5, 4, -1]])
    return (x.sum(axis=1), x.mean(), x.max(axis=0), x.min(), x.prod(axis=1), x.nansum(),
            x.norm(), x.argmax(axis=1), x.argmin(), x.abs(), x.sign(), x.sqrt().shape,
            x.square(), x.exp(), x.log1p().shape, x.sin(), x.tanh(), x.floor(), x.ceil(),
            x.round(), x.rint(), x.fix(), x.trunc(), x.reciprocal(), x.relu(), x.sigmoid(),
            x.clip(-1, 1), x.expand_dims(0).shape, x.flatten().shape, x.squeeze().shape,
            x.tile((2, 1)).shape, x.repeat(2, axis=0).shape, x.flip(axis=1), x.swapaxes(0, 1),
            x.split(num_outputs=3, axis=1)[2], x.slice(begin=(0, 0), end=(1, 2)),
            x.slice_axis(axis=0, begin=1, end=2), x.take(nd.array([1])),
            x.pick(nd.array([0, 1])), x.one_hot(3).shape, x.topk(k=1), x.sort(), x.argsort(),
            x.softmax(), x.log_softmax(), x.broadcast_to((2, 2, 3)).shape,
            x.broadcast_like(nd.ones((2, 2, 3))).shape, x.reshape_like(nd.ones((3, 2))),
            x.zeros_like(), x.ones_like(), x.diag(), x.shape_array(), x.size_array(),
            x.transpose(), x.transpose((1, 0)).shape, x.reshape(3, 2).shape,
            x.softmin(), x.rsqrt().shape, x.degrees(), x.split_v2(3, axis=1)[0])


@case(**ND)
def more_optimizers(mx, np, npx):
    nd = mx.nd
    w = nd.array([1.0, -2.0, 3.0])
    g = nd.array([0.5, 0.5, -1.0])
    d, v, z = nd.zeros(3), nd.zeros(3), nd.zeros(3)
    r = nd.ftml_update(w, g, d, v, z, lr=0.1, t=1)
    z2, n2 = nd.zeros(3), nd.zeros(3)
    r2 = nd.ftrl_update(w, g, z2, n2, lr=0.1)
    mom = nd.zeros(3)
    r3 = nd.signum_update(w, g, mom, lr=0.1, momentum=0.9)
    n3, g3, d3 = nd.zeros(3), nd.zeros(3), nd.zeros(3)
    r4 = nd.rmspropalex_update(w, g, n3, g3, d3, lr=0.01)
    return r, d, v, z, r2, z2, n2, r3, mom, r4, n3, g3, d3


@case(**ND)
def update_unknown_parameter(mx, np, npx):
    nd = mx.nd
    return nd.sgd_update(nd.ones(2), nd.ones(2), lr=0.1, momentum=0.9)


@case(differs="NumPy conversion gives the values, not an object array of NDArrays", **ND)
def numpy_conversion_of_legacy_arrays(mx, np, npx):
    import numpy as onp
    a = onp.asarray(mx.nd.array([[1, 2], [3, 4]]))
    return str(a.dtype), a.shape


@case(differs="integer L2 norm is sqrt(sum of squares), truncated once", **ND)
def int_norm(mx, np, npx):
    return mx.nd.norm(mx.nd.array([3, -3, 5], dtype="int32"))


@case(**ND)
def dilated_deconvolution(mx, np, npx):
    nd = mx.nd
    x = nd.ones((1, 2, 3, 3))
    return nd.Deconvolution(x, nd.ones((2, 2, 3, 3)), kernel=(3, 3), num_filter=2,
                            dilate=(2, 1)).asnumpy()
