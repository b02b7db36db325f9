"""backward() pushes its gradient ops and returns: reading x.grad is the sync point; the
same gradients come out of the naive and the threaded engines."""
from __future__ import annotations

import threading

import numpy as onp
import pytest

from ndengine import autograd
from ndengine import engine as _engine
from ndengine import np, npx

from ag_helpers import fresh_engine


def _pending(eng):
    return eng.statistics()["devices"]["cpu(0)"]["pending"]


def test_backward_returns_before_the_gradients_are_computed(monkeypatch):
    """A single-worker engine whose worker is held by an op that writes the head
    gradient's var: backward must return, with its gradient ops (and the update pushed
    after it) pending; releasing the worker lets everything finish in order."""
    with fresh_engine("threaded", workers=1, monkeypatch=monkeypatch) as eng:
        x = np.array(onp.linspace(-1, 1, 12).reshape(3, 4))
        w = np.array(onp.linspace(0.5, 2, 8).reshape(4, 2))
        w.attach_grad()
        with autograd.record():
            y = np.tanh(x @ w) * 2
        head = np.ones(y.shape, dtype=y.dtype)
        head.wait_to_read()
        y.wait_to_read()
        gate = threading.Event()
        started = threading.Event()

        def hold():
            started.set()
            assert gate.wait(60), "test gate never opened"

        eng.push(hold, (), (head._var,), x.device, 0, "hold")
        try:
            assert started.wait(60)
            before = _pending(eng)
            y.backward(head)                       # must not block
            w2 = w - 0.1 * w.grad                  # an update reading the gradient
            after = _pending(eng)
            assert after - before >= 4, (before, after)   # gradient ops + write + update
            assert not gate.is_set()
        finally:
            gate.set()
        xv, wv = x.asnumpy(), w.asnumpy()
        t = onp.tanh(xv @ wv)
        want = xv.T @ (2 * (1 - t * t))
        onp.testing.assert_allclose(w.grad.asnumpy(), want, rtol=1e-12)
        onp.testing.assert_allclose(w2.asnumpy(), wv - 0.1 * want, rtol=1e-12)


def _program(seed=0):
    """A small classifier's forward and backward, returning the gradients."""
    rng = onp.random.default_rng(seed)
    X = np.array(rng.standard_normal((16, 5)))
    labels = np.array(rng.integers(0, 3, 16))
    W1 = np.array(rng.standard_normal((5, 8)) * 0.5)
    b1 = np.array(onp.zeros(8))
    W2 = np.array(rng.standard_normal((8, 3)) * 0.5)
    params = [W1, b1, W2]
    for p in params:
        p.attach_grad()
    b1.attach_grad(grad_req="add")
    for _ in range(2):
        with autograd.record():
            h = npx.relu(X @ W1 + b1)
            h = np.concatenate([h[:, :4] * 2, h[:, 4:]], axis=1)
            logits = np.dot(h, W2)
            loss = -npx.pick(npx.log_softmax(logits), labels).mean()
            loss = loss + 0.01 * (W1 ** 2).sum() + 0.01 * np.linalg.norm(W2)
        loss.backward()
    return [p.grad.asnumpy() for p in params] + [loss.asnumpy()]


@pytest.mark.parametrize("workers", [1, 2])
def test_same_gradients_under_naive_and_threaded_engines(monkeypatch, workers):
    with fresh_engine("naive", monkeypatch=monkeypatch):
        naive = _program()
    with fresh_engine("threaded", workers=workers, monkeypatch=monkeypatch):
        threaded = _program()
    for a, b in zip(naive, threaded):
        assert onp.array_equal(a, b)
    assert onp.abs(naive[0]).sum() > 0


def test_naive_engine_runs_backward_at_once(monkeypatch):
    with fresh_engine("naive", monkeypatch=monkeypatch) as eng:
        x = np.array(onp.array([1.0, 2.0]))
        x.attach_grad()
        with autograd.record():
            y = (x * x).sum()
        y.backward()
        assert _pending(eng) == 0
        onp.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0])


def test_a_shape_error_in_a_gradient_is_raised_by_backward():
    """Gradient ops are checked when pushed, like any op: the error names the op."""
    from ndengine.base import MXNetError

    class Boom(autograd.Function):
        def forward(self, x):
            return x * 1

        def backward(self, dy):
            return dy.astype("float64") @ np.ones((5, 5), dtype="float64")  # bad shape

    x = np.array(onp.array([1.0, 2.0]))
    x.attach_grad()
    with autograd.record():
        y = Boom()(x)
    with pytest.raises(MXNetError, match="matmul"):
        y.backward()
    _engine.wait_all()
