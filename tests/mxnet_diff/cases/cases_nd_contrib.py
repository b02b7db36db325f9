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


@case(**ND)
def im2col_col2im(mx, np, npx):
    nd = mx.nd
    x = nd.arange(32).reshape((1, 2, 4, 4))
    c = nd.im2col(x, kernel=(2, 2))
    c2 = nd.im2col(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1))
    back = nd.col2im(c, output_size=(4, 4), kernel=(2, 2))
    back2 = nd.col2im(c2, output_size=(4, 4), kernel=(3, 3), stride=(2, 2), pad=(1, 1))
    return c, c2, back, back2


@case(**ND)
def crop_op(mx, np, npx):
    nd = mx.nd
    x = nd.arange(32).reshape((1, 2, 4, 4))
    return (nd.Crop(x, h_w=(2, 3), offset=(1, 0)), nd.Crop(x, h_w=(2, 2), center_crop=True),
            nd.Crop(x, nd.zeros((1, 1, 3, 3)), num_args=2))


@case(**ND)
def ctc_loss_forms(mx, np, npx):
    nd = mx.nd
    data = (nd.arange(40).reshape((5, 2, 4)) % 7) / 3
    label = nd.array([[1, 2, 2], [3, 3, 1]])
    return (nd.ctc_loss(data, label), nd.CTCLoss(data, label),
            nd.ctc_loss(data, label, nd.array([4, 5]), use_data_lengths=True))


@case(**ND)
def cast_storage_default(mx, np, npx):
    return mx.nd.cast_storage(mx.nd.ones(2), stype="default")


@case(**ND)
def image_ops(mx, np, npx):
    nd = mx.nd
    img = nd.array((nd.arange(48).reshape((4, 4, 3)) * 5).asnumpy(), dtype="uint8")
    t = nd.image.to_tensor(img)
    return (t, nd.image.normalize(t, mean=(0.5, 0.4, 0.3), std=(0.2, 0.2, 0.2)),
            nd.image.resize(img, size=(2, 2)), nd.image.flip_left_right(img),
            nd.image.flip_top_bottom(img), nd.image.crop(img, 1, 1, 2, 2))


@case(**ND)
def utils_and_v1_names(mx, np, npx):
    nd = mx.nd
    x = nd.arange(16).reshape((1, 1, 4, 4))
    return (nd.utils.zeros((2,)), nd.utils.empty(2).shape, nd.utils.array([1, 2]),
            nd.Pooling_v1(x, kernel=(2, 2), stride=(2, 2)),
            nd.Convolution_v1(x, nd.ones((1, 1, 2, 2)), nd.zeros(1), kernel=(2, 2),
                              num_filter=1))
