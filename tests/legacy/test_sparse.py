"""mx.nd.sparse against NumPy on random sparse matrices (Hypothesis): every op that
keeps a storage type gives the dense result's values, its structure is valid, and the
work runs on the engine (a sparse op returns before a long op it depends on finishes)."""
from __future__ import annotations

import numpy as onp
import pytest
from hypothesis import given, settings, strategies as st

import ndengine
from ndengine import autograd, engine
from ndengine import legacy as nd
from ndengine.legacy.sparse import CSRNDArray, RowSparseNDArray, SparseFormatError


@st.composite
def sparse_matrix(draw, rows=st.integers(0, 7), cols=st.integers(1, 6)):
    m, n = draw(rows), draw(cols)
    seed = draw(st.integers(0, 2 ** 16))
    rng = onp.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(m, n)).astype(onp.float32)
    x[rng.random((m, n)) < draw(st.sampled_from([0.0, 0.5, 0.9, 1.0]))] = 0
    return x


def _valid_csr(c: CSRNDArray) -> None:
    c.check_format()
    d = onp.zeros(c.shape, onp.float32)
    p, i, v = c.indptr.asnumpy(), c.indices.asnumpy(), c.data.asnumpy()
    for r in range(c.shape[0]):
        d[r, i[p[r]:p[r + 1]]] = v[p[r]:p[r + 1]]
    onp.testing.assert_array_equal(d, c.asnumpy())


@settings(max_examples=60, deadline=None)
@given(sparse_matrix(), sparse_matrix(), st.integers(1, 4))
def test_ops_equal_numpy(x, y, k):
    y = y[:x.shape[0], :x.shape[1]] if y.shape[0] >= x.shape[0] and y.shape[1] >= x.shape[1] \
        else x[::-1].copy()
    c, d = nd.array(x).tostype("csr"), nd.array(y).tostype("csr")
    r, s = nd.array(x).tostype("row_sparse"), nd.array(y).tostype("row_sparse")
    for got, want, cls in [(c + d, x + y, CSRNDArray), (c - d, x - y, CSRNDArray),
                           (c * d, x * y, CSRNDArray), (r + s, x + y, RowSparseNDArray),
                           (r - s, x - y, RowSparseNDArray), (r * s, x * y, RowSparseNDArray),
                           (c * nd.array(y), x * y, CSRNDArray), (c * 3, x * 3, CSRNDArray),
                           (r / 2, x / 2, RowSparseNDArray), (nd.sqrt(nd.abs(c)),
                                                               onp.sqrt(abs(x)), CSRNDArray)]:
        assert type(got) is cls
        onp.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)
        if cls is CSRNDArray:
            _valid_csr(got)
        else:
            got.check_format()
    w = onp.arange(x.shape[1] * k, dtype=onp.float32).reshape(x.shape[1], k) - 2
    onp.testing.assert_allclose(nd.sparse.dot(c, nd.array(w)).asnumpy(), x @ w, rtol=1e-5)
    v = onp.arange(x.shape[0] * k, dtype=onp.float32).reshape(x.shape[0], k) - 1
    t = nd.sparse.dot(c, nd.array(v), transpose_a=True)
    assert type(t) is RowSparseNDArray
    onp.testing.assert_allclose(t.asnumpy(), x.T @ v, rtol=1e-5)
    if x.shape[0]:
        z = onp.arange(2 * x.shape[0], dtype=onp.float32).reshape(2, x.shape[0])
        onp.testing.assert_allclose(nd.dot(nd.array(z), c).asnumpy(), z @ x, rtol=1e-5)
    for ax in (0, 1):
        onp.testing.assert_allclose(nd.sum(c, axis=ax).asnumpy(), x.sum(axis=ax), rtol=1e-6)
    lo = x.shape[0] // 3
    _valid_csr(c[lo:x.shape[0]])
    onp.testing.assert_array_equal(c[lo:].asnumpy(), x[lo:])


def test_dot_gradient_reaches_the_dense_operand():
    rng = onp.random.default_rng(1)
    x = rng.random((20, 8)).astype(onp.float32)
    x[x < 0.7] = 0
    w = nd.array(rng.random((8, 3)))
    w.attach_grad()
    with autograd.record():
        y = nd.sparse.dot(nd.sparse.csr_matrix(x), w)
    y.backward(nd.ones((20, 3)))
    onp.testing.assert_allclose(w.grad.asnumpy(), x.T @ onp.ones((20, 3)), rtol=1e-5)


def test_a_sparse_product_is_pushed_not_waited_for():
    """dot(csr, dense) on a dense operand still being computed returns at once."""
    gate = __import__("threading").Event()
    x = nd.array(onp.eye(4, dtype=onp.float32))
    c = x.tostype("csr")
    w = nd.ones((4, 2))
    dev = w.context
    engine.push(lambda: gate.wait(10), (), (w._arr._var,), dev, 0, "hold")
    y = nd.sparse.dot(c, w)                 # would hang here if it waited for w
    assert y.shape == (4, 2)
    gate.set()
    onp.testing.assert_array_equal(y.asnumpy(), onp.ones((4, 2)))


@pytest.mark.parametrize("parts,msg", [
    (([1.0, 2.0], [0, 1], [0, 1]), "indptr has 2 entries"),
    (([1.0, 2.0], [0, 3], [0, 1, 2]), "column indices must lie"),
    (([1.0, 2.0], [0, 1], [0, 2, 1]), "indptr must rise"),
    (([1.0], [0, 1], [0, 1, 2]), "1 values but 2 indices"),
])
def test_bad_csr_components_are_a_clear_error(parts, msg):
    with pytest.raises(SparseFormatError, match=msg):
        nd.sparse.csr_matrix(parts, shape=(2, 3))


def test_bad_row_sparse_components_are_a_clear_error():
    with pytest.raises(SparseFormatError, match="row indices repeat"):
        nd.sparse.row_sparse_array(([[1.0], [2.0]], [1, 1]), shape=(3, 1))
    with pytest.raises(SparseFormatError, match=r"must lie in \[0, 3\)"):
        nd.sparse.row_sparse_array(([[1.0]], [5]), shape=(3, 1))


def test_coo_input_sums_duplicates_without_scipy():
    c = nd.sparse.csr_matrix(([1.0, 2.0, 5.0], ([0, 1, 0], [2, 0, 2])), shape=(2, 3))
    onp.testing.assert_array_equal(c.asnumpy(), [[0, 0, 6], [2, 0, 0]])
    _valid_csr(c)


def test_mx_nd_ops_without_a_sparse_form_read_the_dense_value():
    x = onp.array([[0, 1], [2, 0]], onp.float32)
    c = nd.array(x).tostype("csr")
    onp.testing.assert_allclose(nd.exp(c).asnumpy(), onp.exp(x), rtol=1e-6)
    onp.testing.assert_allclose(nd.broadcast_add(c, nd.ones((1, 2))).asnumpy(), x + 1)
    assert type(nd.exp(c)) is nd.NDArray
    assert nd.sparse.sgd_update is nd.sgd_update


FIXTURE = __import__("pathlib").Path(__file__).parents[1] / "fixtures" / "sparse" / "sparse.nd"


def test_mxnet_written_sparse_file_loads_sparse_and_saves_the_same_bytes(tmp_path):
    d = nd.load(str(FIXTURE))
    assert type(d["csr"]) is CSRNDArray and type(d["rsp"]) is RowSparseNDArray
    onp.testing.assert_array_equal(d["csr"].asnumpy(), [[0, 1, 0], [2, 0, 3], [0, 0, 0],
                                                        [4, 0, 0]])
    assert d["rsp"].indices.asnumpy().tolist() == [0, 2]
    out = tmp_path / "again.nd"
    nd.save(str(out), d)
    assert out.read_bytes() == FIXTURE.read_bytes()
    # np mode reads them as dense arrays
    dense = ndengine.npx.load(str(FIXTURE))
    onp.testing.assert_array_equal(dense["rsp"].asnumpy(), [[0, 1], [0, 0], [3, 4]])


def test_a_stale_storage_shape_written_by_mxnet_is_read_by_the_aux_shapes():
    stale = FIXTURE.with_name("rsp_stale.nd")
    assert stale.read_bytes()[0xD0:0xD8] == bytes(8)     # MXNet wrote (0, 2) for (2, 2)
    r = nd.load(str(stale))["rsp"]
    assert type(r) is RowSparseNDArray and r.dtype is onp.float64
    onp.testing.assert_array_equal(r.asnumpy(), [[0, 1], [0, 0], [3, 4]])
    onp.testing.assert_array_equal(ndengine.npx.load(str(stale))["rsp"].asnumpy(),
                                   [[0, 1], [0, 0], [3, 4]])


def test_a_corrupt_sparse_record_names_the_file(tmp_path):
    raw = bytearray(FIXTURE.read_bytes())
    bad = tmp_path / "bad.nd"
    c = nd.sparse.csr_matrix(([1.0], [7], [0, 1]), shape=(1, 8))
    nd.save(str(bad), [c])
    raw = bytearray(bad.read_bytes())
    raw[-16:-8] = (9).to_bytes(8, "little")          # the column index past the shape
    bad.write_bytes(bytes(raw))
    with pytest.raises(ndengine.ndarray.serialization.NDArrayFileError,
                       match=r"bad\.nd.*column indices must lie"):
        nd.load(str(bad))
