"""Where MXNet's np arrays behave unlike NumPy's, or unlike a naive async design: views
that write through, float indices, results of sync points, in-place updates."""
from _diff import case


@case
def creation_defaults_to_float32(mx, np, npx):
    return (np.array([1, 2, 3]), np.zeros((2, 3)), np.ones(2), np.arange(3), np.arange(3.0),
            np.full((2,), 7), np.array([True, False]), np.linspace(0, 1, 5))


@case
def row_view_writes_through_to_its_parent(mx, np, npx):
    y = np.arange(12.0).reshape(3, 4)
    row = y[1]
    row += 1
    return y, row


@case
def slice_view_writes_through(mx, np, npx):
    y = np.arange(12.0).reshape(4, 3)
    s = y[1:3]
    s *= 10
    return y


@case
def setitem_on_a_row_view(mx, np, npx):
    y = np.zeros((3, 4))
    r = y[2]
    r[1:3] = 5
    return y


@case
def parent_write_shows_in_the_view(mx, np, npx):
    y = np.zeros((3, 2))
    row = y[0]
    y += 1
    y[0, 1] = 9
    return row


@case
def full_overwrite_through_view(mx, np, npx):
    y = np.zeros((2, 3))
    y[1][:] = 4
    return y


@case
def grad_slice_scaled_in_place(mx, np, npx):
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        l = (x * x).sum()
    l.backward()
    x.grad[:] *= 0.5
    return x.grad


@case
def float_array_as_index(mx, np, npx):
    x = np.arange(10.0) * 2
    idx = np.array([0, 2, 5])
    return x[idx], idx.dtype


@case
def float_array_as_row_index(mx, np, npx):
    x = np.arange(12.0).reshape(4, 3)
    return x[np.array([3, 1])]


@case
def take_with_float_indices(mx, np, npx):
    x = np.arange(6.0).reshape(2, 3)
    return np.take(x, np.array([2, 0]), axis=1)


@case
def wait_to_read_returns_none(mx, np, npx):
    x = np.ones(3)
    return x.wait_to_read(), npx.waitall()


@case
def item_and_scalars(mx, np, npx):
    x = np.array([2.5])
    return x.item(), float(x), int(np.array([3])), bool(np.array([1])), x.tolist()


@case
def advanced_index_is_a_copy(mx, np, npx):
    y = np.arange(6.0).reshape(3, 2)
    z = y[np.array([0, 1], dtype="int32")]
    z += 100
    return y


@case
def column_slice(mx, np, npx):
    y = np.arange(12.0).reshape(3, 4)
    c = y[:, 1]
    c += 1
    return y, c


@case
def strided_slice(mx, np, npx):
    y = np.arange(8.0)
    s = y[::2]
    s += 1
    return y, s


@case
def reshape_result(mx, np, npx):
    y = np.arange(6.0)
    r = y.reshape(2, 3)
    r += 1
    return y, r


@case
def scalar_index_of_a_vector(mx, np, npx):
    y = np.arange(4.0)
    e = y[2]
    e += 10
    return y, e


@case
def repr_and_str(mx, np, npx):
    return (repr(np.array([1.0, 2.0])), str(np.array([[1, 2], [3, 4]])),
            repr(np.array([1, 2], dtype="int32")), repr(np.array(3.5)))


@case
def mixed_dtype_arithmetic(mx, np, npx):
    i = np.array([1, 2], dtype="int32")
    f = np.array([0.5, 1.5])
    return i + f, i * 2, i / 2, f + np.array([1, 2], dtype="float64"), i + np.array(1.5)


@case(differs="an int array with a float scalar keeps the float, as NumPy does")
def int_array_with_float_scalar(mx, np, npx):
    i = np.array([1, 2], dtype="int32")
    return i + 1.5, i * 2.5, 1.5 + i


@case(differs="float functions of int arrays give float32, not truncated ints")
def float_function_of_int_array(mx, np, npx):
    return np.sqrt(np.array([1, 2], dtype="int32")), np.exp(np.array([0, 1]))


@case
def comparison_gives_bool(mx, np, npx):
    x = np.array([1.0, 2.0, 3.0])
    return x > 1.5, (x == 2).dtype
