"""MXNet client code of mx.mod.SequentialModule, PythonModule and PythonLossModule, run
unchanged on real MXNet 1.9.1 (by tests/fixtures/mxnet_seqmod/make_seqmod_fixtures.py,
which saves what each case returns) and on ndengine (tests/legacy_api/test_seqmod.py
compares).  Parameters and data come from seeded NumPy generators, so both run the
same numbers."""
import logging

import mxnet as mx
import numpy as np

logging.getLogger().setLevel(logging.WARNING)


def _data(n=12, d=6, k=3, seed=0):
    rs = np.random.RandomState(seed)
    x = rs.uniform(-1, 1, (n, d)).astype("float32")
    y = (rs.randint(0, k, n)).astype("float32")
    return x, y


def _params(shapes, seed=1, scale=0.4):
    rs = np.random.RandomState(seed)
    return {name: mx.nd.array(rs.uniform(-scale, scale, shape).astype("float32"))
            for name, shape in sorted(shapes.items())}


def _mods(auto_wiring):
    data = mx.sym.Variable("data")
    h = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=5, name="fc1"),
                          act_type="relu", name="relu1")
    m1 = mx.mod.Module(h, data_names=["data"], label_names=None, context=mx.cpu())
    # the second module's input is not called "data": auto_wiring renames relu1_output
    name = "hidden" if auto_wiring else "relu1_output"
    out = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.Variable(name), num_hidden=3,
                                                     name="fc2"), name="softmax")
    m2 = mx.mod.Module(out, data_names=[name], label_names=["softmax_label"],
                       context=mx.cpu())
    return m1, m2


SHAPES = {"fc1_weight": (5, 6), "fc1_bias": (5,), "fc2_weight": (3, 5), "fc2_bias": (3,)}


def _plain(params):
    return {k: v.asnumpy() for k, v in sorted(params.items())}


def fit_two_modules():
    """fit() on a chain of two symbol modules, the second auto-wired and taking labels."""
    x, y = _data()
    it = mx.io.NDArrayIter(x, y, batch_size=4, label_name="softmax_label")
    m1, m2 = _mods(True)
    seq = mx.mod.SequentialModule()
    seq.add(m1).add(m2, take_labels=True, auto_wiring=True)
    seq.fit(it, num_epoch=3, arg_params=_params(SHAPES), optimizer="sgd",
            optimizer_params=(("learning_rate", 0.5), ("momentum", 0.9)),
            eval_metric="acc")
    arg, aux = seq.get_params()
    score = seq.score(it, "ce")
    pred = seq.predict(it)
    return {"params": _plain(arg), "aux": sorted(aux), "score": [[n, float(v)] for n, v in score],
            "pred": pred.asnumpy(), "output_shapes": [[n, list(s)] for n, s in seq.output_shapes],
            "data_shapes": [[d[0], list(d[1])] for d in seq.data_shapes],
            "label_shapes": [[d[0], list(d[1])] for d in seq.label_shapes]}


def manual_steps_and_input_grads():
    """forward / backward / update by hand with inputs_need_grad: the chain's input
    gradients and its outputs per step."""
    x, y = _data(8, 6, 3, seed=2)
    m1, m2 = _mods(False)
    seq = mx.mod.SequentialModule()
    seq.add(m1).add(m2, take_labels=True)
    seq.bind(data_shapes=[("data", (8, 6))], label_shapes=[("softmax_label", (8,))],
             inputs_need_grad=True)
    seq.init_params(arg_params=_params(SHAPES, seed=4))
    seq.init_optimizer(optimizer="adam", optimizer_params=(("learning_rate", 0.05),))
    batch = mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)])
    out = []
    metric = mx.metric.create("acc")
    for _ in range(3):
        seq.forward(batch, is_train=True)
        seq.backward()
        # the first module's: MXNet 1.9.1's SequentialModule.get_input_grads always fails
        # (its bind never sets inputs_need_grad; see docs/mxnet-differences.md)
        out.append(m1.get_input_grads()[0].asnumpy())
        seq.update()
        seq.update_metric(metric, batch.label)
        out.append(seq.get_outputs()[0].asnumpy())
    out.append(_plain(seq.get_params()[0]))
    out.append(metric.get()[1])
    return out


def python_loss_module():
    """A symbol module followed by a PythonLossModule whose grad_func is softmax minus
    one-hot labels (a hand-written softmax cross-entropy)."""
    x, y = _data(10, 6, 3, seed=5)

    def grad(scores, labels):
        s = scores.asnumpy()
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(p)), labels.asnumpy().astype(int)] -= 1
        return p / len(p)

    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    m1 = mx.mod.Module(net, data_names=["data"], label_names=None, context=mx.cpu())
    loss = mx.mod.PythonLossModule(grad_func=grad)
    seq = mx.mod.SequentialModule()
    seq.add(m1).add(loss, take_labels=True, auto_wiring=True)
    seq.bind(data_shapes=[("data", (10, 6))], label_shapes=[("softmax_label", (10,))])
    seq.init_params(arg_params=_params({"fc_weight": (3, 6), "fc_bias": (3,)}, seed=6))
    seq.init_optimizer(optimizer="sgd", optimizer_params=(("learning_rate", 1.0),))
    batch = mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)])
    out = []
    for _ in range(4):
        seq.forward(batch, is_train=True)
        seq.backward()
        seq.update()
    out.append(_plain(seq.get_params()[0]))
    seq.forward(batch, is_train=False)
    out.append(seq.get_outputs()[0].asnumpy())
    out.append([[n, list(s)] for n, s in seq.output_shapes])
    out.append(loss.output_names)
    return out


def _error(fn):
    try:
        fn()
    except Exception as e:      # the kind only: messages are worded differently
        return type(e).__mro__[1].__name__ if type(e).__name__ == "MXNetError" else "error"
    return "no error"


def errors():
    """What fails (that it fails; MXNet's assertions and ndengine's errors differ in
    kind, see docs/mxnet-differences.md)."""
    seq = mx.mod.SequentialModule()
    out = []
    try:
        seq.add(mx.mod.PythonLossModule(), take_label=True)
        out.append("no error")
    except Exception:
        out.append("error")
    m1, _ = _mods(False)
    m1b, _ = _mods(False)      # the same parameter names twice
    seq = mx.mod.SequentialModule().add(m1).add(m1b, auto_wiring=True)
    try:
        seq.bind(data_shapes=[("data", (4, 6))], for_training=False)
        seq.init_params()
        out.append("no error")
    except Exception:
        out.append("error")
    return out


CASES = {f.__name__: f for f in (fit_two_modules, manual_steps_and_input_grads,
                                 python_loss_module, errors)}


def module_gradient_compression():
    """Module on two CPU contexts with kvstore 'device' and 2-bit gradient compression
    (each context's gradient quantized with its own residual, the codes summed): the
    parameters after a few SGD steps; and with one context, where MXNet makes no kvstore
    and so compresses nothing."""
    x, y = _data(8, 6, 3, seed=7)
    out = []
    for ctxs in ([mx.cpu(0), mx.cpu(1)], [mx.cpu(0)]):
        data = mx.sym.Variable("data")
        h = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=5, name="fc1"),
                              act_type="relu")
        net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=3, name="fc2"),
                                   name="softmax")
        mod = mx.mod.Module(net, context=ctxs,
                            compression_params={"type": "2bit", "threshold": 0.05})
        mod.bind(data_shapes=[("data", (8, 6))], label_shapes=[("softmax_label", (8,))])
        mod.init_params(arg_params=_params(SHAPES, seed=8))
        mod.init_optimizer(kvstore="device", optimizer="sgd",
                           optimizer_params=(("learning_rate", 0.5), ("rescale_grad", 1.0)))
        batch = mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)])
        for _ in range(4):
            mod.forward(batch, is_train=True)
            mod.backward()
            mod.update()
        out.append(_plain(mod.get_params()[0]))
    return out


CASES["module_gradient_compression"] = module_gradient_compression
