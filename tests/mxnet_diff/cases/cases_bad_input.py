"""Bad input a new user meets first: the kind of error MXNet 1.9.1 raises (ndengine's
errors are MXNetError and the builtin kind at once), or where ndengine is stricter on
purpose (``differs``, see docs/mxnet-differences.md)."""
from _diff import case


@case
def ones_dtype_str(mx, np, npx):
    return np.ones(3, dtype=str)


@case
def zeros_dtype_unicode(mx, np, npx):
    return np.zeros(3, dtype="U3")


@case
def array_of_strings(mx, np, npx):
    return np.array(["a", "b"])


@case
def array_of_number_strings(mx, np, npx):
    return np.array(["1", "2"])


@case
def full_string_fill(mx, np, npx):
    return np.full(3, "a")


@case
def add_string(mx, np, npx):
    return np.ones(4) + "x"


@case
def add_list_of_strings(mx, np, npx):
    return np.ones(4) + ["a"] * 4


@case
def string_radd(mx, np, npx):
    return "x" + np.ones(2)


@case
def add_none(mx, np, npx):
    return np.ones(2) + None


@case
def zeros_float_shape(mx, np, npx):
    return np.zeros((2.5, 3))


@case
def zeros_integral_float_shape(mx, np, npx):
    return np.zeros((2.0, 3))


@case
def ones_float_shape(mx, np, npx):
    return np.ones(2.5)


@case
def full_float_shape(mx, np, npx):
    return np.full((2.5,), 1)


@case
def empty_float_shape(mx, np, npx):
    return np.empty((2.5,))


@case
def bool_mask_setitem_wrong_shape(mx, np, npx):
    b = np.zeros((2, 3))
    b[np.array([True, False, True], dtype=bool)] = 1
    return b


@case
def bool_mask_getitem_wrong_shape(mx, np, npx):
    return np.zeros((2, 3))[np.array([True, False, True], dtype=bool)]


@case
def bool_mask_setitem_right_shape(mx, np, npx):
    b = np.zeros((2, 3))
    b[np.array([True, False], dtype=bool)] = 1
    return b


@case
def fancy_index_out_of_range_at_sync(mx, np, npx):
    return np.arange(4.0)[np.array([0, 7])]


@case
def fancy_index_out_of_range_axis1_at_sync(mx, np, npx):
    return np.zeros((3, 4))[:, np.array([0, 4])]


@case
def take_index_array_out_of_range(mx, np, npx):
    return np.take(np.arange(4.0), np.array([0, 7]))


@case
def take_clip_and_wrap(mx, np, npx):
    a = np.arange(4.0)
    return (np.take(a, np.array([0, 7]), mode="clip"),
            np.take(a, np.array([0, 7]), mode="wrap"))


@case
def integer_index_out_of_range(mx, np, npx):
    return np.arange(4.0)[7]


@case
def dense_called_with_a_list(mx, np, npx):
    d = mx.gluon.nn.Dense(2)
    d.initialize()
    return d([[1.0, 2.0]])


@case
def dense_called_with_a_numpy_array(mx, np, npx):
    import numpy as onp

    d = mx.gluon.nn.Dense(2)
    d.initialize()
    return d(onp.array([[1.0, 2.0]]))


@case
def activation_called_with_a_list(mx, np, npx):
    return mx.gluon.nn.Activation("relu")([[1.0, -2.0]])


@case(differs="a label outside the classes is an error at the sync point (MXNet's pick "
              "clips it and returns a number)")
def softmax_ce_label_outside_the_classes(mx, np, npx):
    loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    return loss(np.array([[1.0, 2.0, 3.0]]), np.array([5]))


@case
def softmax_ce_labels_in_range(mx, np, npx):
    loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    return loss(np.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]]), np.array([2, 0]))


@case(differs="cpu(i) from NDENGINE_MAX_CPU_DEVICES (64) on is a DeviceError at the call "
              "(MXNet accepts any CPU id)")
def cpu_device_id_99(mx, np, npx):
    return str(np.zeros(2, ctx=mx.cpu(99)).ctx)


@case
def cpu_device_id_3(mx, np, npx):
    return str(np.zeros(2, ctx=mx.cpu(3)).ctx)
