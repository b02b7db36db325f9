"""The legacy mx.nd.NDArray (MXNet 1.x, np mode off): creation defaults, repr, dtypes of
arithmetic, shapes of indexing and reductions, reshape codes, conversions."""
from _diff import case

ND = dict(mode="nd")


@case(**ND)
def array_defaults_to_float32(mx, np, npx):
    import numpy as onp
    nd = mx.nd
    return (nd.array([1, 2, 3]), nd.array(onp.array([1, 2], dtype="int64")),
            nd.array(onp.array([1.5, 2])), nd.array([True, False]),
            nd.array([1, 2], dtype="int32"), nd.array((1, 2)),
            nd.array(nd.array([1, 2], dtype="int32")))


@case(**ND)
def array_of_a_scalar_is_0d(mx, np, npx):
    return mx.nd.array(5), repr(mx.nd.array(5))


@case(**ND)
def array_of_a_string_is_an_error(mx, np, npx):
    return mx.nd.array("abc")


@case(**ND)
def dtype_is_the_numpy_type(mx, np, npx):
    a = mx.nd.array([1, 2])
    return str(a.dtype), a.dtype, str(mx.nd.ones(2, dtype="int32").dtype)


@case(**ND)
def repr_and_str(mx, np, npx):
    nd = mx.nd
    return (repr(nd.array([1, 2, 3])), str(nd.zeros((2, 3))), repr(nd.zeros((2, 2, 2))),
            repr(nd.array([[1, 2], [3, 4]], dtype="int64")), repr(nd.array([True, False],
                                                                          dtype="bool")),
            repr(nd.ones((2,), ctx=mx.cpu(1))), repr(nd.arange(100)),
            repr(nd.array([1.5, 2 ** 20, 1e-8])))


@case(**ND)
def properties(mx, np, npx):
    x = mx.nd.ones((2, 3))
    return (x.shape, x.size, x.ndim, str(x.context), str(x.ctx), x.stype, x.T.shape,
            len(x), x.grad is None)


@case(**ND)
def creation_functions(mx, np, npx):
    nd = mx.nd
    return (nd.zeros(3), nd.ones((2, 2), dtype="int64"), nd.full((2,), 7),
            nd.full((2,), 7, dtype="int32"), nd.empty((2, 3)).shape, nd.arange(3),
            nd.arange(0, 1, 0.25), nd.arange(3, repeat=2), nd.arange(2, 8, 2, dtype="int32"),
            nd.linspace(0, 1, 5), nd.eye(2, 3, k=1), nd.eye(3),
            nd.zeros_like(nd.ones((2,), dtype="int32")), nd.ones_like(nd.zeros((2, 1))))


@case(**ND)
def full_reductions_have_shape_1(mx, np, npx):
    x = mx.nd.arange(12).reshape((3, 4))
    return (x.sum(), x.mean(), x.max(), x.min(), x.prod(), x.norm(), mx.nd.sum(x),
            x.argmax(), mx.nd.norm(x))


@case(**ND)
def reductions_with_axis_keepdims_exclude(mx, np, npx):
    nd = mx.nd
    x = nd.arange(24).reshape((2, 3, 4))
    return (x.sum(axis=1), x.sum(axis=(0, 2)), x.sum(axis=1, keepdims=True),
            x.sum(axis=1, exclude=True), nd.mean(x, axis=0, exclude=True),
            nd.max(x, axis=-1), nd.min(x, axis=(1, 2), keepdims=True),
            nd.prod(x[0], axis=0), nd.norm(x, axis=1), nd.norm(x, ord=1, axis=2),
            nd.nansum(x, axis=0), nd.sum_axis(x, axis=2), x.sum(axis=()))


@case(**ND)
def reductions_keep_the_integer_dtype(mx, np, npx):
    i = mx.nd.array([3, -3, 5], dtype="int32")
    return i.sum(), i.mean(), mx.nd.prod(i), i.max(), mx.nd.argmax(i)


@case(**ND)
def argmax_gives_float_indices(mx, np, npx):
    nd = mx.nd
    x = nd.array([[1, 5, 2], [7, 0, 7]])
    return (nd.argmax(x, axis=1), nd.argmin(x, axis=0), x.argmax(axis=1, keepdims=True),
            nd.argmax_channel(x), nd.argmax(x))


@case(**ND)
def scalar_arithmetic_keeps_dtype(mx, np, npx):
    i = mx.nd.array([3, -3, 5], dtype="int32")
    return i * 1.5, i + 1.5, i / 2, i % 2, i ** 2, -i, abs(i), 10 - i, 7 / i


@case(**ND)
def uint8_wraps_around(mx, np, npx):
    return mx.nd.array([250, 3], dtype="uint8") + 10


@case(**ND)
def float_arithmetic(mx, np, npx):
    f = mx.nd.array([1.5, 2, 3])
    return (f / 2, 2 / f, 2 ** f, f ** f, 1 - f, 2.5 % f, f + True, -f, f * f,
            mx.nd.array([1, 2], dtype="float64") * 2)


@case(**ND)
def arithmetic_with_numpy_scalars(mx, np, npx):
    import numpy as onp
    x = mx.nd.ones(2)
    return x + onp.float32(2), x * onp.float64(2), onp.float32(3) - x


@case(**ND)
def arithmetic_with_a_numpy_array_is_an_error(mx, np, npx):
    import numpy as onp
    return mx.nd.ones(3) + onp.array([1, 2, 3])


@case(**ND)
def mixed_dtypes_are_an_error(mx, np, npx):
    return mx.nd.array([1, 2], dtype="int32") + mx.nd.array([1, 2])


@case(**ND)
def operators_broadcast(mx, np, npx):
    nd = mx.nd
    return nd.ones((2, 3)) + nd.ones((3,)), nd.ones((2, 1)) * nd.arange(3), \
        nd.arange(3).reshape((3, 1)) - nd.arange(2)


@case(**ND)
def comparisons_give_the_input_dtype(mx, np, npx):
    f = mx.nd.array([1.5, 2, 3])
    i = mx.nd.array([3, -3, 5], dtype="int32")
    return f > 1.5, f == 2, f != 2, f <= f, 2 < f, i == 3, i >= 0


@case(**ND)
def comparison_with_none_is_an_error(mx, np, npx):
    return mx.nd.ones(2) == None  # noqa: E711


@case(**ND)
def inplace_ops(mx, np, npx):
    x = mx.nd.ones((2, 2))
    y = x
    x += 1
    x *= mx.nd.array([[1, 2], [3, 4]])
    x -= 0.5
    x /= 2
    i = mx.nd.array([5, 7], dtype="int32")
    i /= 2
    i += 1.7
    return y, i


@case(**ND)
def no_floor_division(mx, np, npx):
    return mx.nd.ones(2) // 2


@case(**ND)
def index_shapes(mx, np, npx):
    x = mx.nd.arange(12).reshape((3, 4))
    v = mx.nd.arange(3)
    return (v[1], v[-1], x[1], x[1, 2], x[:, 1], x[1:2], x[1:2, None].shape,
            x[mx.nd.array([0, 2])], x[[0, 2]], x[..., 1], x[1][2])


@case(**ND)
def index_out_of_range(mx, np, npx):
    return mx.nd.ones(3)[5]


@case(**ND)
def setitem_forms(mx, np, npx):
    nd = mx.nd
    x = nd.zeros((3, 4))
    x[:] = 1
    x[0] = nd.array([1, 2, 3, 4])
    x[1, :] = 7
    x[2, 1:3] = nd.array([9, 9])
    x[:, 0] = 5
    x[2, 3] = -1
    y = nd.zeros((3, 2))
    y[nd.array([0, 2])] = 3
    import numpy as onp
    z = nd.zeros((2, 2))
    z[:] = onp.array([[1, 2], [3, 4]])
    return x, y, z


@case(**ND)
def iteration_and_len(mx, np, npx):
    rows = [r for r in mx.nd.arange(6).reshape((3, 2))]
    return rows, len(rows), [r for r in mx.nd.arange(3)]


@case(**ND)
def reshape_codes(mx, np, npx):
    a = mx.nd.arange(24).reshape((2, 3, 4))
    return (a.reshape((0, -1)).shape, a.reshape((-3, -2)).shape, a.reshape((-2,)).shape,
            a.reshape((-4, 1, 2, -2)).shape, a.reshape((0, -4, -1, 1, 0)).shape,
            a.reshape((-1, 0), reverse=True).shape, a.reshape(6, 4).shape,
            a.reshape(shape=(4, 6)).shape, mx.nd.reshape(a, shape=(-1,)).shape,
            mx.nd.Reshape(a, shape=(4, -1)).shape, a.reshape((0, 0, -1)).shape,
            a.reshape((-1, 12)))


@case(**ND)
def reshape_bad_size(mx, np, npx):
    return mx.nd.arange(6).reshape((4, 2))


@case(**ND)
def reshape_two_unknowns(mx, np, npx):
    return mx.nd.arange(6).reshape((-1, -1))


@case(**ND)
def asscalar_and_asnumpy(mx, np, npx):
    x = mx.nd.array([[1, 2]])
    return (mx.nd.ones((1,)).asscalar(), mx.nd.ones((1,), dtype="int32").asscalar(),
            x.asnumpy(), x[0, 1].asscalar())


@case(**ND)
def asscalar_of_several_is_an_error(mx, np, npx):
    return mx.nd.ones((2,)).asscalar()


@case(**ND)
def bool_of_arrays(mx, np, npx):
    return bool(mx.nd.ones(1)), bool(mx.nd.zeros(1))


@case(**ND)
def bool_of_several_is_an_error(mx, np, npx):
    return bool(mx.nd.ones(2))


@case(**ND)
def copies_and_contexts(mx, np, npx):
    x = mx.nd.arange(4)
    y = x.copy()
    y += 1
    z = x.copyto(mx.cpu(1))
    w = mx.nd.zeros(4)
    r = x.copyto(w)
    return (x, y, z, str(z.context), w, r is w, x.as_in_context(mx.cpu()) is x,
            str(x.as_in_context(mx.cpu(2)).context), x.wait_to_read())


@case(**ND)
def astype_forms(mx, np, npx):
    x = mx.nd.array([1.7, -2.2])
    return (x.astype("int32"), x.astype("float64"), mx.nd.cast(x, dtype="int64"),
            mx.nd.Cast(x, dtype="uint8"), x.astype("float32", copy=False) is x)


@case(**ND)
def conversions_share_memory(mx, np, npx):
    c = mx.nd.ones(2)
    d = c.as_np_ndarray()
    d += 1
    npx.set_np()
    a = np.ones(3)
    b = a.as_nd_ndarray()
    b += 1
    npx.reset_np()
    return c, a.asnumpy(), isinstance(b, mx.nd.NDArray), isinstance(d, mx.np.ndarray)


@case(**ND)
def isinstance_of_np_arrays(mx, np, npx):
    npx.set_np()
    a = np.ones(2)
    r = isinstance(a, mx.nd.NDArray)
    npx.reset_np()
    return r, isinstance(mx.nd.ones(2), mx.nd.NDArray)


@case(**ND)
def pickle_roundtrip(mx, np, npx):
    import pickle
    x = mx.nd.array([[1, 2], [3, 4]], dtype="int32")
    return pickle.loads(pickle.dumps(x))


@case(**ND)
def hashable(mx, np, npx):
    x = mx.nd.ones(1)
    return len({x: 1, mx.nd.ones(1): 2})


@case(**ND)
def transpose_and_T(mx, np, npx):
    a = mx.nd.arange(24).reshape((2, 3, 4))
    return (a.transpose().shape, a.transpose((1, 0, 2)).shape,
            mx.nd.transpose(a, axes=(2, 0, 1)).shape, a.swapaxes(0, 2).shape,
            mx.nd.arange(6).reshape((2, 3)).T)


@case(**ND)
def views_write_through(mx, np, npx):
    x = mx.nd.arange(12).reshape((3, 4))
    s = x[0:2]
    s += 1000
    r = x[1]
    r[:] = 0
    e = x[2, 1]
    e += 5
    c = x[:, 1:3]
    c += 100          # not contiguous: a copy
    return x, e.shape


@case(**ND)
def parent_writes_show_in_views(mx, np, npx):
    x = mx.nd.zeros((3, 2))
    row = x[0]
    x += 1
    x[0, 1] = 9
    return row


@case(**ND)
def reshape_is_a_view(mx, np, npx):
    x = mx.nd.arange(12).reshape((3, 4))
    r = x.reshape((4, 3))
    r += 1
    return x
