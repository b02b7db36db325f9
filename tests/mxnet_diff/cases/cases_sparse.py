"""mx.nd.sparse (MXNet 1.x, np mode off): CSR and row-sparse arrays — creation, storage
types of results (which ops keep them, which fall back to dense), values, the stored
structure where MXNet's is well defined, dot products and their gradient, errors."""
from _diff import case

ND = dict(mode="nd")


def _sp(x, parts=True):
    """What a user looks at: class, storage type, shape, dtype name, dense values, and
    the stored structure of a sparse array (*parts*)."""
    out = [type(x).__name__, x.stype, tuple(x.shape), str(x.dtype.__name__), x.asnumpy()]
    if parts and x.stype == "csr":
        out += [x.data.asnumpy(), x.indices.asnumpy(), x.indptr.asnumpy()]
    elif parts and x.stype == "row_sparse":
        out += [x.data.asnumpy(), x.indices.asnumpy()]
    return tuple(out)


def _ab(mx):
    a = mx.nd.array([[0, 1, 0], [2, 0, 3], [0, 0, 0], [4, 0, 0]])
    b = mx.nd.array([[1, 1, 0], [0, 0, -3], [0, 0, 0], [0, 5, 0]])
    return a, b


@case(**ND)
def tostype_gives_the_components(mx, np, npx):
    a, _ = _ab(mx)
    c, r = a.tostype("csr"), a.tostype("row_sparse")
    return (_sp(c), _sp(r), str(c.indices.dtype.__name__), str(c.indptr.dtype.__name__),
            repr(c), str(r), isinstance(c, mx.nd.NDArray), c.context == mx.cpu(),
            _sp(mx.nd.cast_storage(a, "csr")), _sp(c.tostype("default")),
            _sp(mx.nd.cast_storage(r, "default")))


@case(**ND)
def csr_of_3d_is_an_error(mx, np, npx):
    return mx.nd.ones((2, 2, 2)).tostype("csr")


@case(**ND)
def csr_to_row_sparse_is_an_error(mx, np, npx):
    a, _ = _ab(mx)
    return a.tostype("csr").tostype("row_sparse")


@case(**ND)
def creation_functions(mx, np, npx):
    import numpy as onp
    a, _ = _ab(mx)
    sp = mx.nd.sparse
    return (_sp(sp.csr_matrix(([1., 2, 3], [0, 2, 1], [0, 1, 3]), shape=(2, 3))),
            _sp(sp.csr_matrix(a.asnumpy())), _sp(sp.csr_matrix((2, 3))),
            _sp(sp.row_sparse_array(([[1., 2], [3, 4]], [1, 3]), shape=(5, 2))),
            _sp(sp.row_sparse_array(([[1., 2], [3, 4]], [3, 1]), shape=(5, 2))),
            _sp(sp.row_sparse_array(([1., 2], [0, 1]), shape=(3,))),
            _sp(sp.row_sparse_array(a.asnumpy())),
            _sp(sp.row_sparse_array((4, 2), dtype="float16")),
            _sp(sp.zeros("row_sparse", (2, 3))), _sp(sp.zeros("csr", (2, 3), dtype="float64")),
            _sp(sp.empty("csr", (2, 3))), _sp(mx.nd.zeros((2, 3), stype="csr")),
            _sp(sp.array(a.tostype("csr"))), _sp(sp.array(a.tostype("csr"), dtype="float64")),
            _sp(sp.csr_matrix(onp.eye(3, dtype="float64"))))


@case(**ND)
def sparse_array_of_numpy_is_an_error(mx, np, npx):
    import numpy as onp
    return mx.nd.sparse.array(onp.ones((2, 2)))


@case(**ND)
def arithmetic_storage_types_and_values(mx, np, npx):
    a, b = _ab(mx)
    c, d = a.tostype("csr"), b.tostype("csr")
    r, s = a.tostype("row_sparse"), b.tostype("row_sparse")
    return (_sp(c + d, False), _sp(c - d, False), _sp(c * d, False), _sp(c / 2), _sp(-c),
            _sp(r + s), _sp(r - s), _sp(r * s, False), _sp(r - r), _sp(2 * r),
            _sp(r + a), _sp(c + a), _sp(c + 1), _sp(c * a), _sp(a * c), _sp(r * a),
            _sp(mx.nd.elemwise_add(r, s)), _sp(mx.nd.elemwise_mul(r, a)),
            _sp(mx.nd.sparse.add(c, c), False), _sp(mx.nd.sparse.elemwise_add(c, a)),
            _sp(mx.nd.sparse.multiply(c, a)), _sp(mx.nd.sparse.divide(c, 2)), _sp(c == c))


@case(**ND)
def elementwise_functions_keep_or_drop_sparsity(mx, np, npx):
    a, _ = _ab(mx)
    c, r = a.tostype("csr"), a.tostype("row_sparse")
    nd = mx.nd
    return (_sp(nd.exp(c)), _sp(nd.sqrt(c)), _sp(nd.square(r)), _sp(nd.abs(r)),
            _sp(nd.relu(c)), _sp(nd.sigmoid(c)), _sp(nd.sparse.negative(r)),
            _sp(nd.sparse.sqrt(r)), _sp(nd.sparse.exp(c)), _sp(nd.sparse.abs(c)),
            _sp(nd.clip(r, 0, 1)), _sp(nd.zeros_like(c)), _sp(nd.ones_like(c)),
            _sp(nd.norm(c)), _sp(nd.transpose(c)), _sp(c.T), _sp(nd.sparse.tanh(c)))


@case(**ND)
def reductions(mx, np, npx):
    a, _ = _ab(mx)
    c, r = a.tostype("csr"), a.tostype("row_sparse")
    return (_sp(c.sum()), _sp(c.sum(axis=0)), _sp(mx.nd.sum(c, axis=1)),
            _sp(mx.nd.mean(c, axis=1)), _sp(mx.nd.sum(r, axis=0)),
            _sp(mx.nd.sparse.sum(c, axis=1)), _sp(mx.nd.sparse.mean(c)),
            _sp(c.sum(axis=1, keepdims=True)))


@case(**ND)
def dot_storage_rules(mx, np, npx):
    a, _ = _ab(mx)
    c = a.tostype("csr")
    nd = mx.nd
    return (_sp(nd.sparse.dot(c, nd.ones((3, 2)))),
            _sp(nd.sparse.dot(c, nd.arange(8).reshape((4, 2)), transpose_a=True)),
            _sp(nd.dot(c, nd.ones((3, 2)).tostype("row_sparse"))),
            _sp(nd.dot(nd.arange(8).reshape((2, 4)), c)),
            _sp(nd.dot(c, nd.ones((2, 3)), transpose_b=True)),
            _sp(nd.dot(a.tostype("row_sparse"), nd.ones((3, 2)))),
            _sp(nd.sparse.dot(c, nd.ones((3, 2)).tostype("csr"))),
            _sp(nd.sparse.dot(nd.ones((4, 2)), c, transpose_a=True)))


@case(**ND, rtol=1e-4, atol=1e-4)
def dot_of_random_csr_and_its_gradient(mx, np, npx):
    import numpy as onp
    rng = onp.random.RandomState(0)
    x = rng.rand(50, 30).astype("float32")
    x[x < 0.8] = 0
    c = mx.nd.sparse.csr_matrix(x)
    w = mx.nd.array(rng.rand(30, 4))
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.sparse.dot(c, w)
        loss = (y * y).sum()
    loss.backward()
    t = mx.nd.sparse.dot(c, mx.nd.array(rng.rand(50, 4)), transpose_a=True)
    return _sp(y), _sp(w.grad), _sp(t), _sp(c.sum(axis=0)), _sp(c[10:20])


@case(**ND)
def dot_dtype_mismatch_is_an_error(mx, np, npx):
    a, _ = _ab(mx)
    return mx.nd.sparse.dot(a.tostype("csr"), mx.nd.ones((3, 2), dtype="float64"))


@case(**ND)
def slicing_and_retain(mx, np, npx):
    a, _ = _ab(mx)
    c, r = a.tostype("csr"), a.tostype("row_sparse")
    return (_sp(c[1:3]), _sp(mx.nd.slice(c, begin=(1,), end=(3,))), _sp(c[1]), _sp(c[-1]),
            _sp(c[:]), _sp(r[:]),
            _sp(mx.nd.sparse.retain(r, mx.nd.array([0, 3, 2]))),
            _sp(mx.nd.sparse.retain(r, mx.nd.array([1, 3]))))


@case(**ND)
def row_sparse_slice_is_an_error(mx, np, npx):
    a, _ = _ab(mx)
    return a.tostype("row_sparse")[1:3]


@case(**ND)
def copies_and_casts(mx, np, npx):
    a, _ = _ab(mx)
    c, r = a.tostype("csr"), a.tostype("row_sparse")
    return (_sp(c.astype("int32")), _sp(r.copy()), _sp(c.copyto(mx.cpu(1))),
            str(c.as_in_context(mx.cpu(1)).context), _sp(mx.nd.sparse.zeros_like(r)),
            len(c), c.ndim)


@case(**ND)
def reshape_of_sparse_is_an_error(mx, np, npx):
    a, _ = _ab(mx)
    return a.tostype("csr").reshape((3, 4))


@case(**ND)
def csr_with_out_of_range_columns_is_an_error(mx, np, npx):
    return mx.nd.sparse.csr_matrix(([1., 2], [5, 1], [0, 1, 2]), shape=(2, 3)).check_format()


@case(**ND)
def kvstore_row_sparse_pull(mx, np, npx):
    kv = mx.kv.create("local")
    kv.init("w", mx.nd.array([[1, 2], [3, 4], [5, 6], [7, 8]]).tostype("row_sparse"))
    out = mx.nd.sparse.zeros("row_sparse", (4, 2))
    kv.row_sparse_pull("w", out=out, row_ids=mx.nd.array([3, 1, 1]))
    first = _sp(out)
    outs = [mx.nd.sparse.zeros("row_sparse", (4, 2)) for _ in range(2)]
    kv.row_sparse_pull("w", out=outs, row_ids=[mx.nd.array([0]), mx.nd.array([2, 3])])
    kv.push("w", mx.nd.ones((4, 2)).tostype("row_sparse"))
    kv.row_sparse_pull("w", out=out, row_ids=mx.nd.array([0, 1, 2, 3]))
    return first, _sp(outs[0]), _sp(outs[1]), _sp(out)


@case(**ND)
def kvstore_row_sparse_pull_into_a_dense_array_is_an_error(mx, np, npx):
    kv = mx.kv.create("local")
    kv.init("w", mx.nd.ones((4, 2)).tostype("row_sparse"))
    kv.row_sparse_pull("w", out=mx.nd.zeros((4, 2)), row_ids=mx.nd.array([0]))
