"""MXNet client code of mx.visualization.print_summary and mx.monitor.Monitor, run
unchanged on real MXNet 1.9.1 (tests/fixtures/mxnet_viz_monitor/make_viz_monitor_fixtures.py
saves what it returns) and on ndengine (tests/legacy_api/test_viz_monitor.py)."""
import contextlib
import io
import logging

import mxnet as mx
import numpy as np


def _net():
    data = mx.sym.var("data")
    c = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, name="conv1")
    b = mx.sym.BatchNorm(c, name="bn1")
    a = mx.sym.Activation(b, act_type="relu", name="relu1")
    p = mx.sym.Pooling(a, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool1")
    f = mx.sym.Flatten(p, name="flat")
    fc = mx.sym.FullyConnected(f, num_hidden=10, name="fc1")
    fc2 = mx.sym.FullyConnected(data=mx.sym.Flatten(data, name="flat2"), num_hidden=10,
                                no_bias=True, name="fc2")
    emb = mx.sym.Embedding(mx.sym.var("idx"), input_dim=7, output_dim=10, name="emb")
    s = mx.sym.elemwise_add(fc, fc2, name="plus")
    s = mx.sym.broadcast_add(s, mx.sym.sum(emb, axis=1), name="plus2")
    return mx.sym.SoftmaxOutput(s, name="softmax")


def case_summary():
    out = {}
    for key, shape in (("shaped", {"data": (2, 1, 8, 8), "idx": (2, 3)}), ("plain", None)):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            mx.viz.print_summary(_net(), shape=shape)
        out[key] = buf.getvalue()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        mx.visualization.print_summary(_net(), shape={"data": (2, 1, 8, 8), "idx": (2, 3)},
                                       line_length=80, positions=[30, 50, 60, 80])
    out["narrow"] = buf.getvalue()
    return out


def case_monitor():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc1")
    act = mx.sym.Activation(fc, act_type="relu", name="relu1")
    out = mx.sym.SoftmaxOutput(act, name="softmax")
    rs = np.random.RandomState(0)
    x = rs.uniform(-1, 1, (4, 4)).astype("float32")
    mod = mx.mod.Module(out, context=mx.cpu())
    mod.bind(data_shapes=[("data", (4, 4))], label_shapes=[("softmax_label", (4,))])
    mod.init_params(arg_params={"fc1_weight": mx.nd.array(rs.uniform(-1, 1, (3, 4))),
                                "fc1_bias": mx.nd.array([0.1, -0.2, 0.3])})
    mod.init_optimizer(optimizer_params={"learning_rate": 0.1})
    mon = mx.mon.Monitor(2, pattern="fc1.*|relu.*", sort=True)
    mod.install_monitor(mon)
    rows = []
    for step in range(4):
        mon.tic()
        mod.forward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array([0, 1, 2, 1])]),
                    is_train=True)
        mod.backward()
        mod.update()
        rows.append([list(r[:2]) + [[float(v) for v in r[2].split()]] for r in mon.toc()])
    # a stat_func of one's own, every batch, through fit
    seen = []
    mon2 = mx.monitor.Monitor(1, stat_func=lambda a: mx.nd.max(a), pattern="relu1_output")
    it = mx.io.NDArrayIter(x, np.array([0, 1, 2, 1], dtype="float32"), batch_size=2,
                           label_name="softmax_label")
    logging.getLogger().setLevel(logging.INFO)
    handler = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(handler)
    try:
        mod2 = mx.mod.Module(out, context=mx.cpu())
        mod2.fit(it, num_epoch=1, monitor=mon2, arg_params=mod.get_params()[0],
                 optimizer_params={"learning_rate": 0.1})
    finally:
        logging.getLogger().removeHandler(handler)
    log = [ln for ln in handler.stream.getvalue().splitlines() if ln.startswith("Batch:")]
    return {"rows": rows, "fit_log": [ln.split()[:3] + [float(ln.split()[3])] for ln in log]}


CASES = {"summary": case_summary, "monitor": case_monitor}
