"""Functions of the legacy mx.nd namespace (MXNet 1.x, np mode off): elementwise math,
broadcast_*/elemwise_*, shape manipulation, indexing ops, sorting, linear algebra."""
from _diff import case

ND = dict(mode="nd")


def _x(mx):
    return mx.nd.arange(12).reshape((3, 4))


@case(**ND)
def unary_math(mx, np, npx):
    nd = mx.nd
    x = nd.array([0.25, 1, 2.5])
    return (nd.sqrt(x), nd.rsqrt(x), nd.exp(x), nd.log(x), nd.log2(x), nd.log10(x),
            nd.log1p(x), nd.expm1(x), nd.square(x), nd.abs(-x), nd.negative(x), nd.sign(x - 1),
            nd.sin(x), nd.cos(x), nd.tanh(x), nd.arctan(x), nd.reciprocal(x), nd.cbrt(x),
            nd.rcbrt(x), nd.degrees(x), nd.radians(x), nd.sigmoid(x), nd.relu(x - 1),
            nd.softsign(x), nd.erf(x), nd.gamma(x), nd.gammaln(x), nd.erfinv(x / 3))


@case(**ND)
def rounding(mx, np, npx):
    nd = mx.nd
    x = nd.array([0.5, 1.5, 2.5, -0.5, -1.7, 1.2])
    return nd.round(x), nd.rint(x), nd.fix(x), nd.floor(x), nd.ceil(x), nd.trunc(x)


@case(**ND)
def unary_math_keeps_int_dtype(mx, np, npx):
    nd = mx.nd
    i = nd.array([1, 4, 9], dtype="int32")
    return nd.sqrt(i), nd.exp(i), nd.sigmoid(i), nd.square(i), nd.abs(-i)


@case(**ND)
def unary_needs_an_ndarray(mx, np, npx):
    return mx.nd.sqrt(4.0)


@case(**ND)
def binary_functions_with_scalars(mx, np, npx):
    nd = mx.nd
    f = nd.array([1.5, 2, 3])
    return (nd.add(f, f), nd.add(f, 1), nd.add(1, f), nd.subtract(5, f), nd.multiply(f, 2),
            nd.divide(f, 2), nd.true_divide(3, f), nd.modulo(f, 2), nd.power(f, 2),
            nd.power(2, f), nd.maximum(f, 2), nd.maximum(2, f), nd.minimum(f, f * 0),
            nd.equal(f, 2), nd.not_equal(f, 2), nd.greater(f, 2), nd.greater_equal(f, 2),
            nd.lesser(f, 2), nd.lesser_equal(f, 2), nd.add(1, 2), nd.maximum(1, 2))


@case(**ND)
def logical_functions(mx, np, npx):
    nd = mx.nd
    a = nd.array([0, 1, 2, 0])
    b = nd.array([0, 0, 3, 5])
    return (nd.logical_and(a, b), nd.logical_or(a, b), nd.logical_xor(a, b),
            nd.logical_not(a))


@case(**ND)
def broadcast_ops(mx, np, npx):
    nd = mx.nd
    a = nd.arange(6).reshape((2, 3))
    b = nd.array([[1], [2]])
    return (nd.broadcast_add(a, b), nd.broadcast_plus(a, b), nd.broadcast_sub(a, b),
            nd.broadcast_minus(a, b), nd.broadcast_mul(a, b), nd.broadcast_div(a, b),
            nd.broadcast_mod(a, b), nd.broadcast_power(a, b), nd.broadcast_maximum(a, b),
            nd.broadcast_minimum(a, b), nd.broadcast_equal(a, b), nd.broadcast_not_equal(a, b),
            nd.broadcast_greater(a, b), nd.broadcast_greater_equal(a, b),
            nd.broadcast_lesser(a, b), nd.broadcast_lesser_equal(a, b),
            nd.broadcast_logical_and(a, b), nd.broadcast_logical_or(a, b),
            nd.broadcast_logical_xor(a, b), nd.broadcast_hypot(a, b))


@case(**ND)
def broadcast_of_incompatible_shapes(mx, np, npx):
    return mx.nd.broadcast_add(mx.nd.ones((2, 3)), mx.nd.ones((2,)))


@case(**ND)
def elemwise_ops(mx, np, npx):
    nd = mx.nd
    a = nd.arange(6).reshape((2, 3))
    b = nd.ones((2, 3)) * 2
    return nd.elemwise_add(a, b), nd.elemwise_sub(a, b), nd.elemwise_mul(a, b), \
        nd.elemwise_div(a, b)


@case(**ND)
def elemwise_does_not_broadcast(mx, np, npx):
    return mx.nd.elemwise_add(mx.nd.ones((2, 3)), mx.nd.ones((3,)))


@case(**ND)
def add_n_sums(mx, np, npx):
    nd = mx.nd
    return nd.add_n(nd.ones(3), nd.arange(3), nd.ones(3)), nd.ElementWiseSum(nd.ones(2),
                                                                             nd.ones(2))


@case(**ND)
def concat_stack_split(mx, np, npx):
    nd = mx.nd
    x = _x(mx)
    parts = nd.split(x, num_outputs=2, axis=1)
    sq = nd.split(x, num_outputs=3, axis=0, squeeze_axis=True)
    return (nd.concat(x, x, dim=0), nd.concat(x, x), nd.Concat(x, x, x, dim=1).shape,
            nd.stack(x, x, axis=1).shape, nd.stack(x, x), parts, sq,
            nd.split(x, num_outputs=1), nd.concat(*[x, x], dim=1).shape,
            nd.SliceChannel(x, num_outputs=4).__len__())


@case(**ND)
def split_uneven_is_an_error(mx, np, npx):
    return mx.nd.split(mx.nd.ones((3, 4)), num_outputs=3)


@case(**ND)
def shape_functions(mx, np, npx):
    nd = mx.nd
    a = nd.arange(24).reshape((2, 3, 4))
    return (a.flatten().shape, nd.flatten(a).shape, nd.Flatten(a).shape,
            a.expand_dims(1).shape, nd.expand_dims(a, axis=-1).shape,
            nd.squeeze(nd.ones((1, 3, 1))).shape, nd.squeeze(nd.ones((1, 3, 1)), axis=0).shape,
            nd.squeeze(nd.ones((1, 1))).shape, nd.tile(a, reps=(2, 1, 1)).shape,
            nd.repeat(a, repeats=2, axis=1).shape, nd.repeat(nd.arange(3), repeats=2),
            nd.flip(a, axis=1)[0, :, 0], nd.reverse(a, axis=0)[0, 0],
            nd.swapaxes(a, dim1=0, dim2=2).shape, nd.SwapAxis(a, 1, 2).shape,
            nd.moveaxis(a, 0, 2).shape, nd.transpose(a).shape)


@case(**ND)
def slicing_functions(mx, np, npx):
    nd = mx.nd
    x = _x(mx)
    return (nd.slice(x, begin=(0, 1), end=(2, 3)), nd.slice(x, begin=(None, 1), end=(None, 3)),
            nd.slice(x, begin=(0,), end=(3,), step=(2,)), nd.slice_axis(x, axis=1, begin=1,
                                                                        end=3),
            nd.slice_axis(x, axis=0, begin=-2, end=None), x.slice_axis(axis=1, begin=0, end=1),
            nd.slice_like(x, nd.ones((2, 2))), nd.slice_like(x, nd.ones((2, 2)), axes=(1,)),
            x.slice(begin=(1, 1), end=(3, 4)))


@case(**ND)
def take_pick_one_hot(mx, np, npx):
    nd = mx.nd
    x = _x(mx)
    return (nd.take(x, nd.array([0, 2])), nd.take(x, nd.array([1, 5]), axis=1),
            nd.take(x, nd.array([-1, 7])), nd.take(x, nd.array([3, 4]), mode="wrap"),
            nd.pick(x, nd.array([0, 1, 2]), axis=1), nd.pick(x, nd.array([0, 1, 2, 0]), axis=0),
            nd.pick(x, nd.array([0, 1, 2]), axis=1, keepdims=True),
            nd.one_hot(nd.array([0, 2]), 3), nd.one_hot(nd.array([1, 0]), 3, dtype="int32"),
            nd.one_hot(nd.array([1, 5]), 3, on_value=2, off_value=-1),
            x.take(nd.array([1])), x.pick(nd.array([3, 2, 1])),
            nd.batch_take(x, nd.array([0, 1, 3], dtype="int32")))


@case(**ND)
def where_and_clip(mx, np, npx):
    nd = mx.nd
    x = _x(mx)
    return (nd.where(x > 5, x, -x), nd.where(nd.array([1, 0, 1]), x, x * 0),
            nd.clip(x, 2, 5), x.clip(0, 3), nd.clip(nd.array([1, 5, 9], dtype="int32"), 2, 6))


@case(**ND)
def broadcast_to_forms(mx, np, npx):
    nd = mx.nd
    a = nd.array([[1], [2]])
    return (nd.broadcast_to(a, shape=(2, 3)), a.broadcast_to((2, 4)),
            nd.broadcast_to(a, shape=(0, 3)), nd.broadcast_axis(a, axis=1, size=3),
            nd.broadcast_axes(nd.ones((1, 2, 1)), axis=(0, 2), size=(2, 3)).shape,
            nd.broadcast_like(a, nd.ones((2, 5))))


@case(**ND)
def sorting(mx, np, npx):
    nd = mx.nd
    x = nd.array([[3, 1, 2], [0, 5, 4]])
    return (nd.sort(x), nd.sort(x, axis=0), nd.sort(x, is_ascend=False), nd.argsort(x),
            nd.argsort(x, is_ascend=False), nd.argsort(x, axis=None),
            nd.argsort(x, dtype="int32"), x.sort(), x.argsort(axis=0))


@case(**ND)
def topk_forms(mx, np, npx):
    nd = mx.nd
    x = nd.array([[3, 1, 2, 7], [0, 5, 4, 6]])
    return (nd.topk(x, k=2), nd.topk(x, k=2, ret_typ="value"), nd.topk(x, k=1, axis=0),
            nd.topk(x, k=2, ret_typ="both"), nd.topk(x, k=2, ret_typ="mask"),
            nd.topk(x, k=2, is_ascend=True), nd.topk(x, k=3, dtype="int32"),
            x.topk(k=1))


@case(**ND)
def dot_forms(mx, np, npx):
    nd = mx.nd
    a = nd.arange(6).reshape((2, 3))
    b = nd.arange(12).reshape((3, 4))
    v = nd.arange(3)
    t = nd.arange(24).reshape((2, 3, 4))
    return (nd.dot(a, b), nd.dot(a, a, transpose_b=True), nd.dot(a, a, transpose_a=True),
            nd.dot(v, v), nd.dot(a, v), nd.dot(t, nd.ones((4, 2))).shape,
            nd.dot(nd.ones((5, 2)), t).shape)


@case(**ND)
def dot_of_mismatched_shapes(mx, np, npx):
    return mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((2, 3)))


@case(**ND)
def batch_dot_forms(mx, np, npx):
    nd = mx.nd
    a = nd.arange(12).reshape((2, 2, 3))
    b = nd.arange(12).reshape((2, 3, 2))
    return (nd.batch_dot(a, b), nd.batch_dot(a, a, transpose_b=True),
            nd.batch_dot(a, a, transpose_a=True).shape)


@case(**ND)
def misc_functions(mx, np, npx):
    nd = mx.nd
    x = _x(mx)
    return (nd.diag(x), nd.diag(x, k=1), nd.diag(x, k=-1), nd.diag(nd.array([1, 2])),
            nd.diag(nd.array([1, 2]), k=1), nd.shape_array(x), nd.size_array(x),
            nd.reshape_like(x, nd.ones((4, 3))), nd.identity(x), nd.zeros_like(x),
            nd.ones_like(x), nd.stop_gradient(x), nd.BlockGrad(x), nd.cumsum(x, axis=1),
            nd.moments(x, axes=(1,)))


@case(**ND)
def gather_scatter(mx, np, npx):
    nd = mx.nd
    x = _x(mx)
    idx = nd.array([[0, 2], [1, 3]])
    return (nd.gather_nd(x, idx), nd.gather_nd(x, nd.array([[0, 2]])),
            nd.scatter_nd(nd.array([5, 7]), idx, shape=(3, 4)))


@case(**ND)
def sequence_ops(mx, np, npx):
    nd = mx.nd
    x = nd.arange(24).reshape((4, 2, 3))      # time, batch, features
    n = nd.array([2, 3])
    return (nd.SequenceMask(x, n, use_sequence_length=True),
            nd.SequenceMask(x, n, use_sequence_length=True, value=-1),
            nd.SequenceMask(nd.arange(8).reshape((2, 4)), n, use_sequence_length=True, axis=1),
            nd.SequenceLast(x), nd.SequenceLast(x, n, use_sequence_length=True),
            nd.SequenceReverse(x), nd.SequenceReverse(x, n, use_sequence_length=True))


@case(**ND)
def smooth_l1_and_friends(mx, np, npx):
    nd = mx.nd
    x = nd.array([-2, -0.5, 0, 0.3, 1.5])
    return (nd.smooth_l1(x), nd.smooth_l1(x, scalar=2), nd.hard_sigmoid(x),
            nd.softmax_cross_entropy(nd.array([[1, 2, 3], [1, 1, 1]]), nd.array([2, 0])))


@case(**ND)
def out_argument(mx, np, npx):
    nd = mx.nd
    o = nd.zeros((3,))
    r = nd.add(nd.ones(3), nd.ones(3), out=o)
    nd.sqrt(nd.array([4, 9, 16]), out=o)
    return o, r is o
