"""MXNet client code using Custom ops, run unchanged on real MXNet 1.9.1 (by
tests/fixtures/mxnet_custom/make_custom_fixtures.py, which saves what it returns) and
on ndengine (tests/legacy_api/test_operator.py compares).  Each case returns a dict of
NumPy arrays / lists."""
import mxnet as mx
import numpy as np

import custom_ops  # noqa: F401  (registers the ops)


def _data():
    rs = np.random.RandomState(7)
    return {"x": rs.uniform(-1, 1, (4, 3)).astype("float32"),
            "y": rs.uniform(-1, 1, (4, 3)).astype("float32"),
            "w": rs.uniform(-0.5, 0.5, (5, 6)).astype("float32"),
            "b": rs.uniform(-0.1, 0.1, (5,)).astype("float32"),
            "feat": rs.uniform(-1, 1, (8, 6)).astype("float32"),
            "label": rs.randint(0, 5, (8,)).astype("float32")}


def case_autograd():
    d = _data()
    a = mx.nd.array(d["x"])
    b = mx.nd.array(d["y"])
    a.attach_grad()
    with mx.autograd.record():
        z = mx.nd.Custom(a, b, op_type="test_scaled_product", scale=1.5)
        loss = (z * z).sum()
    loss.backward()
    p, t = mx.nd.Custom(a, op_type="test_plus_times", k=3)
    a2 = mx.nd.array(d["x"])
    a2.attach_grad()
    with mx.autograd.record():
        p2, t2 = mx.nd.Custom(a2, op_type="test_plus_times", k=3)
        l2 = (p2 * t2).sum()
    l2.backward()
    return {"z": z.asnumpy(), "a_grad": a.grad.asnumpy(), "plus": p.asnumpy(),
            "times": t.asnumpy(), "a2_grad": a2.grad.asnumpy()}


def case_symbol():
    s = mx.sym.Custom(mx.sym.var("a"), mx.sym.var("b"), op_type="test_scaled_product",
                      scale=2, name="sp")
    m = mx.sym.Custom(data=mx.sym.var("x"), op_type="test_plus_times", name="pt")
    c = mx.sym.Custom(mx.sym.var("x"), op_type="test_counted", name="cnt")
    arg, out, aux = s.infer_shape(a=(2, 3), b=(2, 3))
    carg, cout, caux = c.infer_shape(x=(4, 3))
    return {"sp_args": s.list_arguments(), "sp_outputs": s.list_outputs(),
            "sp_shapes": [list(map(list, arg)), list(map(list, out)), list(map(list, aux))],
            "pt_outputs": m.list_outputs(), "cnt_args": c.list_arguments(),
            "cnt_aux": c.list_auxiliary_states(),
            "cnt_shapes": [list(map(list, carg)), list(map(list, cout)),
                           list(map(list, caux))],
            "sp_attrs": s.attr_dict()["sp"]}


def case_executor():
    d = _data()
    s = mx.sym.Custom(mx.sym.var("a"), mx.sym.var("b"), op_type="test_scaled_product",
                      scale=0.5)
    exe = s.simple_bind(mx.cpu(), a=(4, 3), b=(4, 3))
    exe.arg_dict["a"][:] = d["x"]
    exe.arg_dict["b"][:] = d["y"]
    out = exe.forward(is_train=True)[0].asnumpy()
    exe.backward(mx.nd.ones((4, 3)) * 2)
    c = mx.sym.Custom(mx.sym.var("x"), op_type="test_counted", name="cnt")
    ce = c.simple_bind(mx.cpu(), x=(4, 3))
    ce.arg_dict["x"][:] = d["x"]
    ce.aux_dict["cnt_count"][:] = 1
    o1 = ce.forward(is_train=True)[0].asnumpy()
    o2 = ce.forward(is_train=True)[0].asnumpy()
    ce.backward(mx.nd.ones((4, 3)))
    o3 = ce.forward(is_train=False)[0].asnumpy()
    return {"out": out, "grad_a": exe.grad_dict["a"].asnumpy(),
            "grad_b": exe.grad_dict["b"].asnumpy(), "cnt_o1": o1, "cnt_o2": o2, "cnt_o3": o3,
            "cnt_count": ce.aux_dict["cnt_count"].asnumpy(),
            "cnt_grad": ce.grad_dict["x"].asnumpy()}


def case_module():
    """The MXNet example's shape: FullyConnected into the numpy softmax loss, trained
    by Module with SGD."""
    d = _data()
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=5, name="fc")
    net = mx.sym.Custom(data=fc, op_type="test_softmax", name="softmax")
    mod = mx.mod.Module(net, data_names=["data"], label_names=["softmax_label"],
                        context=mx.cpu())
    it = mx.io.NDArrayIter(d["feat"], d["label"], batch_size=4, label_name="softmax_label")
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    mod.init_params(arg_params={"fc_weight": mx.nd.array(d["w"]),
                                "fc_bias": mx.nd.array(d["b"])})
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5})
    metric = mx.metric.create("acc")
    outs = []
    for epoch in range(3):
        it.reset()
        metric.reset()
        for batch in it:
            mod.forward(batch, is_train=True)
            mod.update_metric(metric, batch.label)
            mod.backward()
            mod.update()
            outs.append(mod.get_outputs()[0].asnumpy())
    args, _ = mod.get_params()
    return {"args": net.list_arguments(), "outputs": net.list_outputs(),
            "weight": args["fc_weight"].asnumpy(), "bias": args["fc_bias"].asnumpy(),
            "last_out": outs[-1], "acc": metric.get()[1]}


CASES = {"autograd": case_autograd, "symbol": case_symbol, "executor": case_executor,
         "module": case_module}
