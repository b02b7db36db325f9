"""Shape manipulation, joining and splitting against NumPy."""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine
from ndengine import np as mnp

from np_oracle import assert_same, data, oracle

X = (2, 3, 4)


@pytest.mark.parametrize("call", [
    lambda xp, x: xp.reshape(x, (4, 6)), lambda xp, x: xp.reshape(x, (-1, 4)),
    lambda xp, x: xp.reshape(x, -1), lambda xp, x: x.reshape(6, -1),
    lambda xp, x: xp.reshape(x, (4, 6), order="F"), lambda xp, x: x.reshape((-1, 2), order="F"),
    lambda xp, x: xp.reshape(x, -1, order="A"),
    lambda xp, x: x.reshape((2, -1, 2)), lambda xp, x: xp.transpose(x),
    lambda xp, x: xp.transpose(x, (1, 0, 2)), lambda xp, x: x.transpose(2, 0, 1),
    lambda xp, x: x.T, lambda xp, x: xp.swapaxes(x, 0, 2), lambda xp, x: x.swapaxes(-1, 1),
    lambda xp, x: xp.moveaxis(x, 0, -1), lambda xp, x: xp.expand_dims(x, 1),
    lambda xp, x: xp.expand_dims(x, -1), lambda xp, x: xp.expand_dims(x, (0, 2)),
    lambda xp, x: xp.squeeze(xp.expand_dims(x, 0)), lambda xp, x: xp.squeeze(x[:, :1], 1),
    lambda xp, x: xp.broadcast_to(x[:1], (5, 3, 4)), lambda xp, x: xp.tile(x, 2),
    lambda xp, x: xp.tile(x, (2, 1, 1, 1)), lambda xp, x: xp.repeat(x, 2),
    lambda xp, x: xp.repeat(x, 3, axis=1), lambda xp, x: xp.flip(x),
    lambda xp, x: xp.flip(x, 1), lambda xp, x: xp.flip(x, (0, 2)), lambda xp, x: xp.ravel(x),
    lambda xp, x: x.ravel(), lambda xp, x: x.flatten(), lambda xp, x: xp.atleast_2d(x[0, 0]),
    lambda xp, x: xp.fliplr(x[0]), lambda xp, x: xp.flipud(x[0]), lambda xp, x: xp.roll(x, 2),
    lambda xp, x: xp.roll(x, -1, axis=1), lambda xp, x: xp.rot90(x[0]),
    lambda xp, x: xp.rot90(x[0], 3), lambda xp, x: xp.rot90(x[0], 2),
    lambda xp, x: x.repeat(2, axis=0), lambda xp, x: x.squeeze(),
    lambda xp, x: xp.atleast_1d(x[0, 0, 0]), lambda xp, x: xp.atleast_3d(x[0]),
    lambda xp, x: x.astype("int32"), lambda xp, x: x.copy(), lambda xp, x: xp.copy(x),
    lambda xp, x: xp.take(x, xp.asarray(onp.array([0, 2])), axis=1),
    lambda xp, x: xp.take(x, xp.asarray(onp.array([1, 5, 23]))),
    lambda xp, x: x.take(xp.asarray(onp.array([[0, 1]])), axis=2),
])
@oracle()
def test_shape_ops(call, xp):
    return call(xp, xp.asarray(data(X)))


@pytest.mark.parametrize("axis", [0, 1, -1])
@oracle()
def test_concatenate_and_stack(axis, xp):
    a, b = xp.asarray(data((2, 3))), xp.asarray(data((2, 3)))
    return (xp.concatenate([a, b], axis=axis), xp.stack([a, b], axis=axis),
            xp.stack((a, b, a), axis=axis))


@oracle()
def test_joining_variants(xp):
    a, b = xp.asarray(data((2, 3))), xp.asarray(data((2, 3)))
    v = xp.asarray(data((3,)))
    return (xp.vstack([a, b]), xp.hstack([a, b]), xp.dstack([a, b]), xp.vstack([v, v]),
            xp.hstack([v, v]), xp.column_stack([v, v]), xp.concatenate([a, b], axis=None),
            xp.concatenate([a, xp.asarray(data((4, 3)))]))


@oracle(dtype_rule=None)
def test_concatenate_promotes_like_mxnet(xp):
    a = xp.asarray(data((2,), "int32"))
    b = xp.asarray(data((2,), "int64"))
    return xp.concatenate([a, b])


@pytest.mark.parametrize("ios,axis", [(2, 0), (3, 1), ([1, 3], 2), ([2], 1), (1, 0),
                                      ([0, 2, 2], 1)])
@oracle()
def test_split(ios, axis, xp):
    return xp.split(xp.asarray(data((4, 3, 4))), ios, axis=axis)


@oracle()
def test_split_variants(xp):
    x = xp.asarray(data((4, 6)))
    return xp.array_split(x, 3, axis=1), xp.hsplit(x, 2), xp.vsplit(x, [1])


@oracle()
def test_broadcast_arrays(xp):
    return xp.broadcast_arrays(xp.asarray(data((3, 1))), xp.asarray(data((4,))))


def test_results_are_independent_values_not_views():
    """Functions give values (as MXNet's np does); only basic indexing of a contiguous
    block gives a view (``x[0]``: see tests/numpy/test_np_indexing.py)."""
    x = mnp.arange(6.0).reshape(2, 3)
    y = x.reshape(3, 2)
    t = x.T
    s = x[0]
    x[0, 0] = 100.0
    y[0, 1] = -1.0
    assert y.tolist() == [[0.0, -1.0], [2.0, 3.0], [4.0, 5.0]]
    assert t.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert s.tolist() == [100.0, 1.0, 2.0]          # a view of x's first row
    assert x.tolist() == [[100.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_shape_helpers():
    x = mnp.ones((2, 3))
    assert mnp.shape(x) == (2, 3) and mnp.size(x) == 6 and mnp.ndim(x) == 2
    assert mnp.size(x, 1) == 3


@pytest.mark.parametrize("call,match", [
    (lambda x: x.reshape(4, 2), r"reshape: cannot reshape array of size 6 .*\(2, 3\).*\(4, 2\)"),
    (lambda x: x.reshape(-1, -1), r"reshape: can only specify one unknown dimension"),
    (lambda x: x.reshape(-1, 4), r"reshape: cannot reshape"),
    (lambda x: mnp.transpose(x, (0, 0)), r"transpose"),
    (lambda x: mnp.swapaxes(x, 0, 2), r"swapaxes: axis 2 is out of bounds"),
    (lambda x: mnp.squeeze(x, 0), r"squeeze: cannot select an axis"),
    (lambda x: mnp.expand_dims(x, 4), r"expand_dims: axis 4"),
    (lambda x: mnp.broadcast_to(x, (3, 3)), r"broadcast_to: cannot broadcast shape \(2, 3\)"),
    (lambda x: mnp.concatenate([x, mnp.ones((2, 2))]), r"concatenate: all the input array"),
    (lambda x: mnp.concatenate([x, mnp.ones(3)]), r"concatenate"),
    (lambda x: mnp.stack([x, mnp.ones((3, 2))]), r"stack: all input arrays must have"),
    (lambda x: mnp.split(x, 4, axis=1), r"split: array split does not result in an equal"),
    (lambda x: mnp.flip(x, 2), r"flip: axis 2"),
    (lambda x: mnp.repeat(x, 2, axis=3), r"repeat: axis 3"),
    (lambda x: mnp.moveaxis(x, 0, 5), r"moveaxis"),
])
def test_shape_errors_at_call_name_op_shape_device(call, match):
    x = mnp.ones((2, 3))
    with pytest.raises(ndengine.base.MXNetError, match=match) as ei:
        call(x)
    assert "cpu(0)" in str(ei.value) and "(2, 3)" in str(ei.value)


def test_reshape_keyword_and_order():
    x = mnp.arange(6.0)
    assert mnp.reshape(x, newshape=(2, 3)).shape == (2, 3)
    assert x.reshape(shape=(3, 2)).shape == (3, 2)
    with pytest.raises(ValueError, match="order must be one of"):
        mnp.reshape(x, (2, 3), order="K")
    with pytest.raises(TypeError, match="'reverse' is an invalid keyword.*npx.reshape"):
        x.reshape((2, 3), reverse=True)          # MXNet's np.ndarray.reshape refuses it too
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        mnp.reshape(x, (2, 3), foo=1)


@pytest.mark.parametrize("view", [
    lambda x: x.reshape(3, 2), lambda x: x.T, lambda x: mnp.expand_dims(x, 0),
    lambda x: mnp.swapaxes(x, 0, 1), lambda x: mnp.split(x, 3, axis=1)[1],
    lambda x: mnp.broadcast_to(x, (2, 2, 3)), lambda x: x[:, 1], lambda x: x[:, ::2],
    lambda x: mnp.squeeze(x.reshape(1, 2, 3)), lambda x: x.ravel(),
    lambda x: mnp.moveaxis(x, 0, 1), lambda x: mnp.flip(x, 0)])
@pytest.mark.parametrize("write", ["iadd", "setitem", "shuffle"])
def test_in_place_write_never_changes_an_earlier_view(view, write):
    """Views share buffers internally (cheap), but an in-place write of the source copies
    first: the view keeps the values it had when it was computed, whatever the schedule."""
    x = mnp.zeros((2, 3))
    y = view(x)
    want = y.asnumpy()               # y has run: it views x's buffer now
    for _ in range(2):               # the second write must copy too
        if write == "iadd":
            x += 1
        elif write == "setitem":
            x[:] = 7.0
        else:
            mnp.random.shuffle(x)
        x.wait_to_read()             # the write has run
        onp.testing.assert_array_equal(y.asnumpy(), want)
    z = view(x)                      # a view of the written array sees the new values
    onp.testing.assert_array_equal(z.asnumpy(), view(mnp.array(x.asnumpy())).asnumpy())
