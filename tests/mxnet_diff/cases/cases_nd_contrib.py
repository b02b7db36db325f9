"""mx.nd.contrib: the imperative control flow and a few array ops (np mode off)."""
from _diff import case

ND = dict(mode="nd")


@case(**ND)
def control_flow(mx, np, npx):
    nd = mx.nd
    c = nd.contrib

    def step(data, states):
        return data * 2, [states[0] + data]
    out, st = c.foreach(step, nd.arange(6).reshape((3, 2)), [nd.zeros(2)])

    def step2(data, states):
        a, b = data
        return [a + b, a * b], states
    outs2, st2 = c.foreach(step2, [nd.arange(3), nd.ones(3)], nd.zeros(1))
    res, lv = c.while_loop(lambda i, s: i < 3, lambda i, s: (i * 10, [i + 1, s + i]),
                           [nd.array([0]), nd.array([0])], max_iterations=3)
    return (out, st, outs2, st2, res, lv, c.cond(nd.array([1]), lambda: nd.ones(1),
                                                 lambda: nd.zeros(1)),
            c.cond(nd.array([0]), lambda: nd.ones(1), lambda: nd.zeros(1)))


@case(**ND)
def contrib_ops(mx, np, npx):
    nd = mx.nd
    c = nd.contrib
    return (c.arange_like(nd.ones((2, 3))), c.arange_like(nd.ones((2, 3)), axis=1, start=1,
                                                          step=2),
            c.div_sqrt_dim(nd.ones((2, 4))),
            c.boolean_mask(nd.arange(6).reshape((3, 2)), nd.array([1, 0, 1])),
            c.index_copy(nd.zeros((3, 2)), nd.array([2, 0]), nd.ones((2, 2)) * 5),
            c.isinf(nd.array([1, float("inf")])), c.isnan(nd.array([float("nan"), 1])),
            c.isfinite(nd.array([1, float("inf")])), c.quadratic(nd.array([1, 2]), a=1, b=2, c=3),
            c.index_array(nd.ones((2, 2))), c.index_array(nd.ones((2, 3)), axes=(1,)))
