"""npx.embedding's weight gradient (ndarray/ops_nn.py): repeated indices summed, on
both of its kernels (one bincount over the flat cells; add.at for a table much larger
than the batch), against np.add.at in float64, with clipped indices and a float32
table."""
from __future__ import annotations

import numpy as onp
import pytest

from ndengine import autograd, np, npx


@pytest.mark.parametrize("bincount_rows", [0, 10 ** 9])       # add.at; bincount
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_embedding_gradient_sums_repeated_rows(monkeypatch, bincount_rows, dtype):
    from ndengine.ndarray import ops_nn

    monkeypatch.setattr(ops_nn, "_EMB_BINCOUNT_ROWS", bincount_rows)
    rng = onp.random.default_rng(3)
    rows, d = 7, 5
    idx = rng.integers(-2, rows + 2, size=(4, 6))              # out of range: clipped
    ws = rng.standard_normal((rows, d)).astype(dtype)
    g = rng.standard_normal((4, 6, d)).astype(dtype)
    w = np.array(ws)
    w.attach_grad()
    with autograd.record():
        y = npx.embedding(np.array(idx.astype("float32")), w, input_dim=rows, output_dim=d)
    y.backward(np.array(g))
    want = onp.zeros((rows, d))
    onp.add.at(want, onp.clip(idx, 0, rows - 1).reshape(-1), g.reshape(-1, d).astype("float64"))
    got = w.grad.asnumpy()
    assert got.dtype == onp.dtype(dtype)
    tol = 1e-12 if dtype == "float64" else 1e-5
    onp.testing.assert_allclose(got, want, rtol=tol, atol=tol)
