"""autograd's API and semantics: grad_req, head gradients, retain_graph, control flow,
detach, pause, train/predict mode, errors, autograd.grad, Function, mark_variables."""
from __future__ import annotations

import gc
import threading
import weakref

import numpy as onp
import pytest

import ndengine as mx
from ndengine import autograd, np, npx
from ndengine.base import MXNetError


def arr(*vals, dtype="float64"):
    return np.array(onp.array(vals, dtype=dtype))


def close(a, b, **kw):
    onp.testing.assert_allclose(a.asnumpy() if hasattr(a, "asnumpy") else a,
                                b.asnumpy() if hasattr(b, "asnumpy") else b, **kw)


# ------------------------------------------------------------------ basics
def test_attach_grad_gives_zero_grad_on_the_same_device():
    x = np.ones((2, 3))
    assert x.grad is None
    assert x.grad_req == "null"
    x.attach_grad()
    assert x.grad.shape == (2, 3) and x.grad.dtype == x.dtype
    assert x.grad.device == x.device
    assert x.grad_req == "write"
    close(x.grad, onp.zeros((2, 3)))


def test_simple_backward():
    x = arr(1.0, 2.0, 3.0)
    x.attach_grad()
    with autograd.record():
        y = 2 * (x * x).sum()
    y.backward()
    close(x.grad, 4 * x.asnumpy())


def test_same_variable_used_twice_accumulates_within_one_backward():
    x = arr(1.0, -2.0, 3.0)
    x.attach_grad()
    with autograd.record():
        y = x * x + x
        z = y * x
    z.backward()
    xv = x.asnumpy()
    close(x.grad, 3 * xv ** 2 + 2 * xv)


def test_grad_buffer_is_written_in_place_of_its_var():
    """The gradient buffer stays the same array across backward calls (an engine write
    of its var), so an update that reads it is ordered after backward."""
    w = arr(1.0, 2.0)
    w.attach_grad()
    g = w.grad
    for step in range(3):
        with autograd.record():
            loss = (w * w).sum()
        loss.backward()
        assert w.grad is g
        w = w - 0.25 * w.grad          # pushed at once, reads the grad's var
        w.attach_grad()
        g = w.grad
    close(w, onp.array([1.0, 2.0]) * 0.5 ** 3)


def test_grad_req_add_accumulates_across_backward_calls():
    x = arr(1.0, 2.0)
    x.attach_grad(grad_req="add")
    for _ in range(3):
        with autograd.record():
            y = (x * x).sum()
        y.backward()
    close(x.grad, 3 * 2 * x.asnumpy())


def test_grad_req_write_overwrites():
    x = arr(1.0, 2.0)
    x.attach_grad()
    for k in (1.0, 5.0):
        with autograd.record():
            y = (x * k).sum()
        y.backward()
    close(x.grad, [5.0, 5.0])


def test_grad_req_null_skips_and_setter():
    x = arr(1.0, 2.0)
    w = arr(3.0, 4.0)
    x.attach_grad()
    w.attach_grad(grad_req="null")
    with autograd.record():
        y = (x * w).sum()
    y.backward()
    close(x.grad, [3.0, 4.0])
    close(w.grad, [0.0, 0.0])
    w.grad_req = "write"
    with autograd.record():
        y = (x * w).sum()
    y.backward()
    close(w.grad, [1.0, 2.0])
    with pytest.raises(ValueError, match="grad_req"):
        w.grad_req = "sometimes"
    with pytest.raises(ValueError, match="grad_req"):
        x.attach_grad(grad_req="bogus")


def test_unused_inputs_get_zero_gradients():
    x = arr(1.0, 2.0, 3.0, 4.0)
    y = arr(5.0, 6.0)
    x.attach_grad()
    y.attach_grad()
    y.grad[:] = 7.0
    with autograd.record():
        a, b = np.split(x, 2)
        z = (a * 3).sum() + np.floor(y).sum()     # b unused; floor has a zero gradient
    z.backward()
    close(x.grad, [3.0, 3.0, 0.0, 0.0])
    close(y.grad, [0.0, 0.0])


def test_head_that_is_a_variable():
    x = arr(1.0, 2.0)
    x.attach_grad()
    x.backward()
    close(x.grad, [1.0, 1.0])


def test_attach_grad_on_an_intermediate_makes_it_a_leaf():
    x = arr(1.0, 2.0)
    x.attach_grad()
    with autograd.record():
        y = x * 3
        y.attach_grad()
        z = (y * y).sum()
    z.backward()
    close(y.grad, 2 * 3 * x.asnumpy())
    close(x.grad, [0.0, 0.0])      # the history of y was cut: x got nothing


def test_mark_variables():
    x = arr(1.0, 2.0)
    gx = np.zeros((2,), dtype="float64")
    autograd.mark_variables([x], [gx], "add")
    for _ in range(2):
        with autograd.record():
            y = (x * x * x).sum()
        y.backward()
    assert x.grad is gx
    close(gx, 2 * 3 * x.asnumpy() ** 2)
    with pytest.raises(ValueError, match="shape"):
        autograd.mark_variables(x, np.zeros((3,)))


def test_copy_to_another_device_is_differentiable():
    x = arr(1.0, 2.0, 3.0)
    x.attach_grad()
    with autograd.record():
        y = x.copyto(mx.cpu(1))
        z = (y * y).sum()
    z.backward()
    assert x.grad.device == mx.cpu(0)
    close(x.grad, 2 * x.asnumpy())


# ------------------------------------------------------------------ heads
def test_head_gradients():
    x = arr(1.0, 2.0, 3.0)
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward(arr(1.0, 10.0, 100.0))
    close(x.grad, [2.0, 40.0, 600.0])


def test_several_heads_with_head_gradients():
    x = arr(1.0, 2.0)
    x.attach_grad()
    with autograd.record():
        y1 = x * 2
        y2 = (x * x).sum()
    autograd.backward([y1, y2], [arr(1.0, 1.0), np.array(onp.float64(3.0))])
    close(x.grad, 2 + 3 * 2 * x.asnumpy())


def test_vector_head_defaults_to_ones():
    x = arr(1.0, 2.0)
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward()
    close(x.grad, 2 * x.asnumpy())


def test_head_gradient_of_the_wrong_shape_is_a_clear_error():
    x = arr(1.0, 2.0, 3.0)
    x.attach_grad()
    with autograd.record():
        y = x * 2
    with pytest.raises(MXNetError, match=r"head gradient 0 has shape \(2,\).*\(3,\)"):
        y.backward(arr(1.0, 2.0))
    with pytest.raises(MXNetError, match="2 heads but 1 head gradients"):
        autograd.backward([y, y], [arr(1.0, 1.0, 1.0)])


# ------------------------------------------------------------------ graph lifetime
def test_second_backward_needs_retain_graph():
    x = arr(1.0, 2.0)
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    close(x.grad, 2 * x.asnumpy())
    with pytest.raises(MXNetError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_with_add_accumulates_twice():
    x = arr(1.0, 2.0)
    x.attach_grad(grad_req="add")
    with autograd.record():
        y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    close(x.grad, 4 * x.asnumpy())


def test_backward_of_an_unrecorded_array_is_a_clear_error():
    x = arr(1.0, 2.0)
    y = x * 2
    with pytest.raises(MXNetError, match="not computed inside autograd.record"):
        y.backward()
    x.attach_grad()
    y = x * 2                                  # attached, but not recorded
    with pytest.raises(MXNetError, match="not computed inside autograd.record"):
        y.backward()
    with autograd.record():
        z = np.ones(3) * 2                     # recorded, but depends on no variable
    with pytest.raises(MXNetError, match="not computed inside autograd.record"):
        z.backward()


def test_backward_without_variables_with_grad_is_a_clear_error():
    x = arr(1.0, 2.0)
    x.attach_grad()
    with autograd.record():
        y = x * 2
    x.grad_req = "null"
    with pytest.raises(MXNetError, match="do not depend on any array with attach_grad"):
        y.backward()


def test_graph_has_no_reference_cycles():
    """Arrays of a recorded graph die with their last handle, without the cyclic GC."""
    x = arr(1.0, 2.0)
    x.attach_grad()
    gc.disable()
    try:
        with autograd.record():
            y = x * 2
            z = y * y
        mx.waitall()                       # the engine holds arrays until their ops ran
        node = weakref.ref(z._node[0])
        ry = weakref.ref(y)
        del y
        assert ry() is not None            # held by z's node
        del z
        assert node() is None and ry() is None
    finally:
        gc.enable()


@pytest.mark.parametrize("case", ["svd_s", "svd_u", "eigh_w", "qr_r"])
def test_dropped_outputs_still_feed_the_gradient(case):
    """The gradient of svd(a)[1] needs U and Vh even when the caller dropped them (and
    the forward op has run, so nothing else holds them): it used to get zeros in
    their place, so the gradient came out 0 whenever the op finished before backward."""
    rng = onp.random.default_rng(1)
    a_np = rng.uniform(-1, 1, (4, 3))
    if case == "eigh_w":
        a_np = a_np.T @ a_np + onp.eye(3)
    pick = {"svd_s": lambda a: np.linalg.svd(a)[1],
            "svd_u": lambda a: np.linalg.svd(a, full_matrices=False)[0][0] ** 2,
            "eigh_w": lambda a: np.linalg.eigh(a)[0],
            "qr_r": lambda a: np.linalg.qr(a)[1]}[case]

    def grad_of(settle):
        a = np.array(a_np)
        a.attach_grad()
        gc.disable()
        try:
            with autograd.record():
                y = pick(a)
                if settle:
                    mx.waitall()           # the forward op ran and let go of its outputs
                s = y.sum()
            s.backward()
        finally:
            gc.enable()
        return a.grad.asnumpy()

    settled = grad_of(True)
    assert onp.abs(settled).max() > 1e-3
    onp.testing.assert_allclose(settled, grad_of(False), rtol=1e-10, atol=1e-12)


def test_backward_frees_the_graph_it_walked():
    x = arr(1.0, 2.0)
    x.attach_grad()
    with autograd.record():
        y = x * 2
        z = (y * y).sum()
    ry = weakref.ref(y)
    del y
    z.backward()
    mx.waitall()
    gc.collect()
    assert ry() is None                    # the node's saved inputs were dropped


def test_inplace_update_of_a_recorded_array_is_an_error():
    x = arr(1.0, 2.0)
    x.attach_grad()
    with autograd.record():
        y = x * 2
        with pytest.raises(MXNetError, match="in-place"):
            y += 1
        with pytest.raises(MXNetError, match="in-place"):
            x += 1
        with pytest.raises(MXNetError, match="in-place"):
            y[0] = 5.0
    x += 1                                 # outside record() it is allowed
    close(x, [2.0, 3.0])


# ------------------------------------------------------------------ control flow
def _f(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_python_control_flow_inside_record(sign):
    a = np.array(onp.array([0.3 * sign], dtype="float64"))
    a.attach_grad()
    with autograd.record():
        d = _f(a)
    d.backward()
    close(a.grad, d / a)


def test_detach_cuts_the_graph():
    x = arr(1.0, 2.0, 3.0)
    x.attach_grad()
    with autograd.record():
        y = x * x
        u = y.detach()
        z = u * x
    z.backward()
    close(x.grad, u)
    assert u._node is None and u.grad is None
    close(u, x.asnumpy() ** 2)


def test_detach_shares_values_but_in_place_writes_stay_apart():
    x = arr(1.0, 2.0)
    d = x.detach()
    d += 10
    close(x, [1.0, 2.0])
    close(d, [11.0, 12.0])
    x += 1
    close(d, [11.0, 12.0])


def test_pause_stops_recording():
    x = arr(1.0, 2.0)
    x.attach_grad()
    with autograd.record():
        assert autograd.is_recording()
        y = x * 2
        with autograd.pause():
            assert not autograd.is_recording()
            c = x * 100                    # a constant to autograd
        assert autograd.is_recording()
        z = (y * c).sum()
    assert not autograd.is_recording()
    assert c._node is None
    z.backward()
    close(x.grad, 2 * 100 * x.asnumpy())


def test_set_recording_and_set_training_return_previous_state():
    assert autograd.set_recording(True) is False
    assert autograd.is_recording()
    assert autograd.set_recording(False) is True
    assert autograd.set_training(True) is False
    assert autograd.is_training()
    assert autograd.set_training(False) is True


def test_train_and_predict_mode():
    x = np.ones((200,))
    assert not autograd.is_training()
    with autograd.record():
        assert autograd.is_training()
        assert (npx.dropout(x, 0.5) == 0).sum().item() > 0
        with autograd.predict_mode():
            assert not autograd.is_training() and autograd.is_recording()
            close(npx.dropout(x, 0.5), x)
        with autograd.pause():
            assert not autograd.is_training()
        with autograd.pause(train_mode=True):
            assert autograd.is_training()
    with autograd.record(train_mode=False):
        assert autograd.is_recording() and not autograd.is_training()
        close(npx.dropout(x, 0.5), x)
    with autograd.train_mode():
        assert autograd.is_training() and not autograd.is_recording()
        assert (npx.dropout(x, 0.5) == 0).sum().item() > 0
    close(npx.dropout(x, 0.5), x)


def test_recording_is_per_thread():
    seen = []
    with autograd.record():
        t = threading.Thread(target=lambda: seen.append(autograd.is_recording()))
        t.start()
        t.join()
    assert seen == [False]


def test_dropout_backward_uses_the_forward_mask():
    x = np.ones((100,), dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = npx.dropout(x, 0.5)
    y.backward()
    close(x.grad, y)


# ------------------------------------------------------------------ autograd.grad
def test_grad_returns_new_arrays_and_leaves_dot_grad_alone():
    x = arr(1.0, 2.0)
    w = arr(3.0, 4.0)
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = (x * w).sum()
    gx, gw = autograd.grad(y, [x, w])
    close(gx, [3.0, 4.0])
    close(gw, [1.0, 2.0])
    close(x.grad, [0.0, 0.0])
    with pytest.raises(MXNetError, match="retain_graph"):
        autograd.grad(y, [x])


def test_grad_of_an_unused_variable_is_zero():
    x = arr(1.0, 2.0)
    u = arr(1.0, 1.0, 1.0)
    x.attach_grad()
    u.attach_grad()
    with autograd.record():
        y = (x * 3).sum()
    gx, gu = autograd.grad(y, [x, u])
    close(gx, [3.0, 3.0])
    close(gu, onp.zeros(3))


def test_grad_with_respect_to_an_intermediate():
    x = arr(1.0, 2.0)
    x.attach_grad()
    with autograd.record():
        y = x * 3
        z = (y * y).sum()
    (gy,) = autograd.grad(z, [y])
    close(gy, 2 * y.asnumpy())


def test_create_graph_gives_higher_order_gradients():
    x = arr(0.5, 1.0, 2.0)
    x.attach_grad()
    with autograd.record():
        y = (x ** 3).sum()
        (dx,) = autograd.grad(y, [x], create_graph=True)
        z = dx.sum()
    close(dx, 3 * x.asnumpy() ** 2)
    z.backward()
    close(x.grad, 6 * x.asnumpy())


def test_create_graph_through_sin_and_getitem():
    x = arr(0.1, 0.7, 1.3)
    x.attach_grad()
    with autograd.record():
        y = np.sin(x)[np.array(onp.array([0, 2, 2]))].sum()
        (dx,) = autograd.grad(y, [x], create_graph=True)
        z = (dx * dx).sum()
    z.backward()
    xv = x.asnumpy()
    k = onp.array([1.0, 0.0, 2.0])
    # dx = k*cos(x); z = sum(k^2 cos^2) -> dz/dx = -2 k^2 cos sin
    close(x.grad, -2 * k ** 2 * onp.cos(xv) * onp.sin(xv), rtol=1e-12)


# ------------------------------------------------------------------ Function
class Sigmoid(autograd.Function):
    def forward(self, x):
        y = 1 / (1 + np.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y * (1 - y)


class MulAdd(autograd.Function):
    """(a*b, a+b): two inputs, two outputs."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b, a + b

    def backward(self, dprod, dsum):
        a, b = self.saved_tensors
        return dprod * b + dsum, dprod * a + dsum


def test_function_forward_and_backward():
    x = arr(-1.0, 0.0, 2.0)
    x.attach_grad()
    with autograd.record():
        y = Sigmoid()(x)
        z = (y * 3).sum()
    z.backward()
    s = 1 / (1 + onp.exp(-x.asnumpy()))
    close(y, s)
    close(x.grad, 3 * s * (1 - s))


def test_function_with_several_inputs_and_outputs():
    a = arr(1.0, 2.0)
    b = arr(3.0, 5.0)
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        p, s = MulAdd()(a, b)
        z = (p * 2).sum()                   # s unused: backward gets zeros for it
    z.backward()
    close(a.grad, 2 * b.asnumpy())
    close(b.grad, 2 * a.asnumpy())
    with autograd.record():
        p, s = MulAdd()(a, b)
        z = (p + s).sum()
    z.backward()
    close(a.grad, b.asnumpy() + 1)


def test_function_instance_is_called_once_and_forward_is_not_recorded():
    f = Sigmoid()
    x = arr(1.0)
    x.attach_grad()
    with autograd.record():
        y = f(x)
    assert y._node[0].op.name == "Sigmoid"
    with pytest.raises(RuntimeError, match="once"):
        f(x)


def test_function_backward_returning_the_wrong_count_is_an_error():
    class Bad(autograd.Function):
        def forward(self, a, b):
            return a * b

        def backward(self, dy):
            return dy

    a, b = arr(1.0), arr(2.0)
    a.attach_grad()
    with autograd.record():
        y = Bad()(a, b)
    with pytest.raises(ValueError, match="Bad.backward returned 1 gradients for 2 inputs"):
        y.backward()


def test_function_outside_record_just_runs_forward():
    y = Sigmoid()(arr(0.0))
    assert y._node is None
    close(y, [0.5])


def test_mxnet_alias():
    import importlib
    import sys

    mx.alias_as_mxnet()
    ag = importlib.import_module("mxnet.autograd")
    assert ag.record is autograd.record
    assert sys.modules["mxnet"] is mx
