"""Custom ops written against MXNet 1.9.1's ``mx.operator`` API, imported unchanged by
the fixture script (run with real MXNet) and by the tests (on ndengine, aliased as
``mxnet``).  Each is the kind research code writes: a loss with its own gradient, an
op with two inputs, one with several outputs, one with an auxiliary state."""
import mxnet as mx
import numpy as np


class Softmax(mx.operator.CustomOp):
    """The MXNet example's softmax loss: numpy inside, gradient p - onehot(label)."""

    def forward(self, is_train, req, in_data, out_data, aux):
        x = in_data[0].asnumpy()
        y = np.exp(x - x.max(axis=1).reshape((x.shape[0], 1)))
        y /= y.sum(axis=1).reshape((x.shape[0], 1))
        self.assign(out_data[0], req[0], mx.nd.array(y))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        label = in_data[1].asnumpy().ravel().astype(int)
        y = out_data[0].asnumpy()
        y[np.arange(label.shape[0]), label] -= 1.0
        self.assign(in_grad[0], req[0], mx.nd.array(y))


@mx.operator.register("test_softmax")
class SoftmaxProp(mx.operator.CustomOpProp):
    def __init__(self):
        super(SoftmaxProp, self).__init__(need_top_grad=False)

    def list_arguments(self):
        return ["data", "label"]

    def list_outputs(self):
        return ["output"]

    def infer_shape(self, in_shape):
        data_shape = in_shape[0]
        label_shape = (in_shape[0][0],)
        output_shape = in_shape[0]
        return [data_shape, label_shape], [output_shape], []

    def create_operator(self, ctx, shapes, dtypes):
        return Softmax()


class ScaledProduct(mx.operator.CustomOp):
    """out = scale * a * a * b, written with mx.nd ops (no numpy)."""

    def __init__(self, scale):
        super(ScaledProduct, self).__init__()
        self.scale = scale

    def forward(self, is_train, req, in_data, out_data, aux):
        a, b = in_data
        self.assign(out_data[0], req[0], self.scale * a * a * b)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        a, b = in_data
        g = out_grad[0]
        self.assign(in_grad[0], req[0], 2 * self.scale * a * b * g)
        self.assign(in_grad[1], req[1], self.scale * a * a * g)


@mx.operator.register("test_scaled_product")
class ScaledProductProp(mx.operator.CustomOpProp):
    def __init__(self, scale="1.0"):
        super(ScaledProductProp, self).__init__(need_top_grad=True)
        self.scale = float(scale)

    def list_arguments(self):
        return ["a", "b"]

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return ScaledProduct(self.scale)


class PlusTimes(mx.operator.CustomOp):
    """Two outputs: x + 1 and x * k."""

    def __init__(self, k):
        super(PlusTimes, self).__init__()
        self.k = k

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] + 1)
        self.assign(out_data[1], req[1], in_data[0] * self.k)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] + out_grad[1] * self.k)


@mx.operator.register("test_plus_times")
class PlusTimesProp(mx.operator.CustomOpProp):
    def __init__(self, k="2"):
        super(PlusTimesProp, self).__init__(need_top_grad=True)
        self.k = int(k)

    def list_outputs(self):
        return ["plus", "times"]

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0], in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return PlusTimes(self.k)


class Counted(mx.operator.CustomOp):
    """out = data * (count + 1); each training forward adds one to the aux state."""

    def forward(self, is_train, req, in_data, out_data, aux):
        count = aux[0]
        self.assign(out_data[0], req[0], in_data[0] * (count + 1))
        if is_train:
            self.assign(aux[0], "write", count + 1)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] * aux[0])


@mx.operator.register("test_counted")
class CountedProp(mx.operator.CustomOpProp):
    def list_auxiliary_states(self):
        return ["count"]

    def infer_shape(self, in_shape):
        return [in_shape[0]], [in_shape[0]], [(1,)]

    def create_operator(self, ctx, shapes, dtypes):
        return Counted()


class Failing(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        raise ValueError("deliberate failure in forward")


@mx.operator.register("test_failing")
class FailingProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        return Failing()
