"""``autograd.get_symbol``: the recorded graph of an array as a Symbol — its JSON
(ops, attributes, inputs, variables), arguments, outputs and values when evaluated.

MXNet numbers the variables (``var<k>`` / ``null<k>``) and ops (``node_<j>``) with
process-wide counters as it records, so across the cases of one fixture process the
numbers run on; each case renumbers the names in the order the JSON lists them (both
sides alike).  tests/autograd/test_get_symbol.py checks the numbers themselves against
a fresh MXNet process."""
import json
import re

from _diff import case

ND = dict(mode="nd")


def _canon(sym):
    """(JSON as a dict with renumbered names, list_arguments, list_outputs)."""
    graph = json.loads(sym.tojson())
    ren = {}
    counts = {"var": 0, "node": 0}
    for n in graph["nodes"]:
        m = re.fullmatch(r"(var|null)(\d+)|node_(\d+)", n["name"])
        assert m, n["name"]
        if m.group(1):
            ren[n["name"]] = f"{m.group(1)}{counts['var']}"
            counts["var"] += 1
        else:
            ren[n["name"]] = f"node_{counts['node']}"
            counts["node"] += 1
        n["name"] = ren[n["name"]]

    def fix(names):
        return [re.sub(r"^(node_\d+|var\d+|null\d+)", lambda m: ren[m.group(1)], s)
                for s in names]
    return graph, fix(sym.list_arguments()), fix(sym.list_outputs())


@case(**ND)
def legacy_graph(mx, np, npx):
    x = mx.nd.array([[1, 2], [3, 4]])
    x.attach_grad()
    w = mx.nd.array([[0.5, 1], [1, 2]])
    with mx.autograd.record():
        y = mx.nd.dot(x, w) + 1
        z = mx.nd.relu(y) * x
        s = z.sum()
    sym = mx.autograd.get_symbol(s)
    args = dict(zip(sym.list_arguments(), [x, w]))
    ex = sym.bind(mx.cpu(), args)
    return _canon(sym), ex.forward()[0].asnumpy(), s.asnumpy()


@case(**ND)
def legacy_graph_ops(mx, np, npx):
    a = mx.nd.array([[1., -2, 3], [0.5, 4, -1]])
    b = mx.nd.array([[2., 1, 1], [1, 3, 2]])
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        c = mx.nd.exp(a * 0.5) - b / 2
        d = mx.nd.tanh(c) + mx.nd.sigmoid(a) * mx.nd.square(b)
        e = (3 - d).mean(axis=1)
    sym = mx.autograd.get_symbol(e)
    feed = dict(zip(sym.list_arguments(), [a, b]))
    return _canon(sym), sym.bind(mx.cpu(), feed).forward()[0].asnumpy(), e.asnumpy()


@case()
def np_mode_graph(mx, np, npx):
    x = np.array([[1., 2], [3, 4]])
    x.attach_grad()
    w = np.array([[0.5, 1], [1, 2]])
    b = np.array([0.1, -0.2])
    with mx.autograd.record():
        h = npx.relu(np.dot(x, w) + b)
        y = (np.exp(-h) * 2 + x).sum(axis=0)
    sym = mx.autograd.get_symbol(y)
    feed = dict(zip(sym.list_arguments(), [x, w, b]))
    return _canon(sym), sym.eval(**feed)[0].asnumpy(), y.asnumpy()


@case()
def np_mode_intermediate_and_reused_input(mx, np, npx):
    x = np.array([1., 2, 3])
    x.attach_grad()
    with mx.autograd.record():
        y = x * x
        z = y + x
        w = z * 2
    sym = mx.autograd.get_symbol(z)
    return _canon(sym), sym.eval(**{sym.list_arguments()[0]: x})[0].asnumpy(), w.shape


@case()
def np_mode_gluon_dense_layers(mx, np, npx):
    net = mx.gluon.nn.Sequential()
    net.add(mx.gluon.nn.Dense(3, activation="relu", in_units=2),
            mx.gluon.nn.Dense(1, in_units=3))
    net.initialize(mx.init.Constant(0.5))
    x = np.array([[1., 2], [3, 4]])
    with mx.autograd.record():
        y = net(x)
    sym = mx.autograd.get_symbol(y)
    params = [p.data() for p in net.collect_params().values()]
    feed = dict(zip(sym.list_arguments(), [x] + params))
    return _canon(sym), sym.eval(**feed)[0].asnumpy(), y.asnumpy()
