"""Helpers of the autograd tests: finite-difference gradient checks and fresh engines.

(Not in conftest.py: several test directories have one, and ``from conftest import``
would pick whichever was imported first.)"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as onp
import pytest

import ndengine
from ndengine import autograd
from ndengine import engine as _engine
from ndengine import np
from ndengine.ndarray.ndarray import NDArray

F64 = onp.dtype("float64")


def graph_ops(heads):
    """Names of the recorded ops reachable from *heads*."""
    seen, names = set(), set()
    stack = [h._node[0] for h in heads if h._node is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        names.add(node.op.name)
        for a in _arrays(node.args):
            if a._node is not None:
                stack.append(a._node[0])
    return names


def _arrays(args):
    for a in args:
        if isinstance(a, NDArray):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from (x for x in a if isinstance(x, NDArray))


def _eval(fn, arrays):
    out = fn(*[np.array(a) if isinstance(a, onp.ndarray) else a for a in arrays])
    return out.asnumpy().astype(F64)


def numeric_grad(fn, inputs, i, head, eps):
    """Central finite differences of ``sum(fn(*inputs) * head)`` wrt input *i*."""
    x = inputs[i]
    grad = onp.zeros_like(x)
    flat = x.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        fp = (_eval(fn, inputs) * head).sum()
        flat[j] = old - eps
        fm = (_eval(fn, inputs) * head).sum()
        flat[j] = old
        grad.reshape(-1)[j] = (fp - fm) / (2 * eps)
    return grad


def check_grad(opname, fn, inputs, eps=1e-6, rtol=1e-5, atol=1e-6, seed=0):
    """The gradient autograd pushes for ``fn(*inputs)`` (float64 NumPy inputs are the
    variables; others are passed as they are) equals central finite differences, for a
    random head gradient; and *opname* is one of the ops recorded."""
    rng = onp.random.default_rng(seed)
    inputs = [onp.array(a, copy=True) if isinstance(a, onp.ndarray) else a for a in inputs]
    xs = [np.array(a) if isinstance(a, onp.ndarray) else a for a in inputs]
    wrt = [i for i, a in enumerate(inputs) if isinstance(a, onp.ndarray) and a.dtype == F64]
    assert wrt, "no float64 input to differentiate"
    for i in wrt:
        xs[i].attach_grad()
    with autograd.record():
        y = fn(*xs)
    assert isinstance(y, NDArray), f"{opname}: case must return one array"
    assert opname in graph_ops([y]), f"{opname} was not recorded (got {graph_ops([y])})"
    head = rng.standard_normal(y.shape)
    y.backward(np.array(head.astype(y.dtype)))
    for i in wrt:
        got = xs[i].grad.asnumpy()
        want = numeric_grad(fn, inputs, i, head, eps)
        onp.testing.assert_allclose(got, want, rtol=rtol, atol=atol,
                                    err_msg=f"{opname}: gradient of input {i}")


@contextmanager
def fresh_engine(kind="threaded", workers=1, monkeypatch=None):
    """A new engine bound for the block (the old one is restored, pending work done)."""
    old = _engine.get_engine()
    old.wait_all()
    if monkeypatch is not None:
        monkeypatch.setenv("NDENGINE_CPU_WORKERS", str(workers))
    new = ndengine.engine.ThreadedEngine() if kind == "threaded" else ndengine.engine.NaiveEngine()
    _engine._bind(new)
    try:
        yield new
    finally:
        try:
            new.drain()
            with new._lock:
                new._errors.clear()
        finally:
            _engine._bind(old)
            new.shutdown(10)
