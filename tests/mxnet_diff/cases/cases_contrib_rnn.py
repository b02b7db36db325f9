"""gluon.contrib.rnn (the convolutional RNN / LSTM / GRU cells in 1-D, 2-D and 3-D,
LSTMPCell, VariationalDropoutCell outside training, dynamic_unroll) and gluon.contrib.nn's
SparseEmbedding and SyncBatchNorm (one device), on legacy arrays as MXNet 1.9.1's cells
are written with legacy ops: parameter names and shapes, state_info, begin_state, one
step, unroll (merged, listed, TNC, valid_length), gradients, the settings' errors.
Parameters are set by name from a seeded NumPy generator."""
from _diff import case

ND = dict(mode="nd", rtol=1e-4, atol=1e-5)


def _fill(mx, block, scale=0.3):
    """Every parameter from a NumPy generator seeded by its name (prefix dropped)."""
    import zlib

    import numpy as onp

    for name, p in block.collect_params().items():
        rs = onp.random.RandomState(zlib.crc32(name[len(block.prefix):].encode()))
        p.set_data(mx.nd.array((rs.randn(*p.shape) * scale).astype("float32")))


def _data(mx, seed, *shape):
    import numpy as onp

    return mx.nd.array(onp.random.RandomState(seed).randn(*shape).astype("float32"))


def _params(block):
    return [(k[len(block.prefix):], p.shape) for k, p in block.collect_params().items()]


def _conv_cell(mx, kind, dims, **kw):
    from mxnet.gluon.contrib import rnn as crnn

    cls = getattr(crnn, f"Conv{dims}D{kind}Cell")
    spatial = {1: (7,), 2: (5, 4), 3: (4, 3, 5)}[dims]
    cell = cls((2,) + spatial, 3, i2h_kernel=kw.pop("i2h_kernel", 3),
               h2h_kernel=kw.pop("h2h_kernel", 3), prefix=f"c{dims}{kind.lower()}_", **kw)
    cell.initialize()
    _fill(mx, cell)
    return cell, spatial


def _conv_run(mx, kind, dims, **kw):
    cell, spatial = _conv_cell(mx, kind, dims, **kw)
    x = _data(mx, dims, 2, 3, 2, *spatial)               # NTC... (batch 2, 3 steps)
    info = cell.state_info(2)
    states = [_data(mx, 10 + i, *s["shape"]) * 0.5 for i, s in enumerate(info)]
    # (one step on an input of its own: MXNet cannot slice a 6-D array)
    step, step_states = cell(_data(mx, 20 + dims, 2, 2, *spatial), states)
    merged, s1 = cell.unroll(3, x, begin_state=states, merge_outputs=True)
    listed, s2 = cell.unroll(3, x, merge_outputs=False)
    tnc, s3 = cell.unroll(3, mx.nd.swapaxes(x, 0, 1), layout="TNC", merge_outputs=True)
    masked, s4 = cell.unroll(3, x, begin_state=states, merge_outputs=True,
                             valid_length=mx.nd.array([2, 3]))
    return (_params(cell), info, [b.shape for b in cell.begin_state(batch_size=2)],
            step, step_states, merged, s1, listed, s2, tnc, s3, masked, s4, repr(cell))


# ----------------------------------------------------------------------------- conv cells
@case(**ND)
def conv1d_rnn_cell(mx, np, npx):
    return _conv_run(mx, "RNN", 1)


@case(**ND)
def conv2d_rnn_cell_relu_pad_dilate(mx, np, npx):
    return _conv_run(mx, "RNN", 2, i2h_pad=(1, 0), i2h_dilate=(2, 1), h2h_dilate=2,
                     activation="relu")


@case(**ND)
def conv3d_rnn_cell(mx, np, npx):
    return _conv_run(mx, "RNN", 3, i2h_kernel=(1, 3, 3), h2h_kernel=(3, 1, 3), i2h_pad=1)


@case(**ND)
def conv1d_lstm_cell(mx, np, npx):
    return _conv_run(mx, "LSTM", 1, i2h_kernel=5, i2h_pad=2, h2h_kernel=5)


@case(**ND)
def conv2d_lstm_cell(mx, np, npx):
    return _conv_run(mx, "LSTM", 2, i2h_pad=1, h2h_dilate=(2, 1))


@case(**ND)
def conv3d_lstm_cell_softsign(mx, np, npx):
    return _conv_run(mx, "LSTM", 3, i2h_kernel=(2, 1, 3), h2h_kernel=1,
                     activation="softsign")


@case(**ND)
def conv1d_gru_cell(mx, np, npx):
    return _conv_run(mx, "GRU", 1, i2h_dilate=2)


@case(**ND)
def conv2d_gru_cell(mx, np, npx):
    return _conv_run(mx, "GRU", 2, i2h_kernel=(3, 1), i2h_pad=(1, 0), h2h_kernel=(1, 3))


@case(**ND)
def conv3d_gru_cell_leaky_activation_steps(mx, np, npx):
    # a Block activation becomes a child of the cell, whose reset() (unroll's first
    # call) then fails on MXNet 1.9.1: two steps by hand
    from mxnet.gluon import nn

    cell, spatial = _conv_cell(mx, "GRU", 3, i2h_pad=1, activation=nn.LeakyReLU(0.2))
    h = [_data(mx, 30, *cell.state_info(2)[0]["shape"])]
    outs = []
    for t in range(2):
        out, h = cell(_data(mx, 31 + t, 2, 2, *spatial), h)
        outs += [out, h]
    return outs


@case(**ND)
def conv_cells_default_prefixes_and_channels_last_shapes(mx, np, npx):
    from mxnet.gluon.contrib import rnn as crnn

    cells = [crnn.Conv1DRNNCell((2, 7), 4, 3, 3), crnn.Conv2DLSTMCell((2, 5, 5), 4, 3, 3),
             crnn.Conv3DGRUCell((2, 4, 4, 4), 4, 3, 3),
             crnn.Conv1DGRUCell((7, 2), 4, 3, 3, conv_layout="NWC"),
             crnn.Conv2DLSTMCell((5, 6, 2), 4, (3, 1), 3, conv_layout="NHWC"),
             crnn.Conv3DRNNCell((4, 5, 6, 2), 4, 3, 3, i2h_pad=1, conv_layout="NDHWC")]
    return [(c.prefix[:-1].rstrip("0123456789"), _params(c), c.state_info(3), repr(c))
            for c in cells]


@case(**ND)
def conv_lstm_cell_gradients(mx, np, npx):
    cell, spatial = _conv_cell(mx, "LSTM", 2, i2h_pad=1)
    x = _data(mx, 3, 2, 3, 2, *spatial)
    x.attach_grad()
    with mx.autograd.record():
        out, states = cell.unroll(3, x, merge_outputs=True)
        loss = (out * out).sum() + (states[1] * 0.5).sum()
    loss.backward()
    return [x.grad] + [p.grad() for _, p in sorted(cell.collect_params().items())]


@case(**ND)
def conv_gru_cell_gradients_1d(mx, np, npx):
    cell, spatial = _conv_cell(mx, "GRU", 1, i2h_pad=1)
    x = _data(mx, 4, 2, 3, 2, *spatial)
    x.attach_grad()
    with mx.autograd.record():
        out, _ = cell.unroll(3, x, merge_outputs=True)
        loss = (out * _data(mx, 5, *out.shape)).sum()
    loss.backward()
    return [x.grad] + [p.grad() for _, p in sorted(cell.collect_params().items())]


@case(**ND)
def conv_cell_even_h2h_kernel(mx, np, npx):
    from mxnet.gluon.contrib import rnn as crnn

    return crnn.Conv2DRNNCell((2, 5, 5), 3, 3, (3, 2))


@case(**ND)
def conv_cell_setting_of_wrong_length(mx, np, npx):
    from mxnet.gluon.contrib import rnn as crnn

    return crnn.Conv2DGRUCell((2, 5, 5), 3, (3, 3, 3), 3)


# ----------------------------------------------------------------------------- LSTMP
@case(**ND)
def lstmp_cell_step_unroll_and_names(mx, np, npx):
    from mxnet.gluon.contrib import rnn as crnn

    cell = crnn.LSTMPCell(5, 3, input_size=4, prefix="lstmp_")
    before = repr(crnn.LSTMPCell(5, 3))
    cell.initialize()
    _fill(mx, cell)
    x = _data(mx, 1, 2, 4, 4)
    states = [_data(mx, 2, 2, 3), _data(mx, 3, 2, 5)]
    step, step_states = cell(x[:, 0], states)
    merged, s1 = cell.unroll(4, x, begin_state=states, merge_outputs=True)
    listed, s2 = cell.unroll(4, x, merge_outputs=False)
    masked, s3 = cell.unroll(4, x, merge_outputs=True, valid_length=mx.nd.array([1, 3]))
    return (_params(cell), cell.state_info(2), before, repr(cell), step, step_states,
            merged, s1, listed, s2, masked, s3)


@case(**ND)
def lstmp_cell_deferred_input_size_and_gradients(mx, np, npx):
    from mxnet.gluon.contrib import rnn as crnn

    cell = crnn.LSTMPCell(4, 2, prefix="p_")
    shapes = [p.shape for p in cell.collect_params().values()]
    cell.initialize()
    x = _data(mx, 4, 3, 2, 6)
    cell.unroll(2, x)
    _fill(mx, cell)
    x.attach_grad()
    with mx.autograd.record():
        out, states = cell.unroll(2, x, merge_outputs=True)
        loss = (out * out).sum() + states[1].sum()
    loss.backward()
    return ([shapes, [p.shape for p in cell.collect_params().values()], x.grad]
            + [p.grad() for _, p in sorted(cell.collect_params().items())])


@case(**ND)
def lstmp_in_a_stack_and_bidirectional(mx, np, npx):
    from mxnet.gluon import rnn
    from mxnet.gluon.contrib import rnn as crnn

    stack = rnn.SequentialRNNCell(prefix="s_")
    with stack.name_scope():
        stack.add(crnn.LSTMPCell(4, 3, input_size=2))
        stack.add(rnn.GRUCell(2, input_size=3))
    stack.initialize()
    _fill(mx, stack)
    bi = rnn.BidirectionalCell(crnn.LSTMPCell(3, 2, input_size=2, prefix="l_"),
                               crnn.LSTMPCell(3, 2, input_size=2, prefix="r_"))
    bi.initialize()
    _fill(mx, bi)
    x = _data(mx, 7, 3, 4, 2)
    return (stack.unroll(4, x, merge_outputs=True), bi.unroll(4, x, merge_outputs=True),
            sorted(stack.collect_params()), sorted(bi.collect_params()))


# ----------------------------------------------------------------------------- vardrop
@case(**ND)
def variational_dropout_outside_training_is_the_base_cell(mx, np, npx):
    from mxnet.gluon import rnn
    from mxnet.gluon.contrib import rnn as crnn

    res = []
    for states in (0.0, 0.4):
        cell = crnn.VariationalDropoutCell(rnn.LSTMCell(3, input_size=2, prefix="v_"),
                                           drop_inputs=0.5, drop_states=states,
                                           drop_outputs=0.3)
        cell.initialize()
        _fill(mx, cell)
        x = _data(mx, 8, 2, 4, 2)
        res += [cell.prefix, repr(cell), _params(cell),
                cell.unroll(4, x, merge_outputs=True), cell.unroll(4, x),
                cell.unroll(4, [x[:, i] for i in range(4)]),
                cell.unroll(4, x, merge_outputs=True, valid_length=mx.nd.array([4, 2]))]
        cell.reset()      # (MXNet's modifier-cell begin_state gives symbols: zeros here)
        res.append(cell(x[:, 0], [mx.nd.zeros((2, 3)), mx.nd.zeros((2, 3))]))
    return res


@case(**ND)
def variational_dropout_bidirectional_states_refused(mx, np, npx):
    from mxnet.gluon import rnn
    from mxnet.gluon.contrib import rnn as crnn

    return crnn.VariationalDropoutCell(
        rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2)), drop_states=0.5)


@case(**ND)
def variational_dropout_over_a_conv_cell(mx, np, npx):
    from mxnet.gluon.contrib import rnn as crnn

    base, spatial = _conv_cell(mx, "GRU", 1, i2h_pad=1)
    cell = crnn.VariationalDropoutCell(base, drop_inputs=0.2, drop_outputs=0.2)
    x = _data(mx, 9, 2, 3, 2, *spatial)
    return cell.unroll(3, x, layout="NTC", merge_outputs=True), cell.prefix


# ----------------------------------------------------------------------------- dynamic_unroll
@case(**ND)
def dynamic_unroll_tnc_and_ntc_with_valid_length(mx, np, npx):
    from mxnet.gluon import rnn
    from mxnet.gluon.contrib.rnn.rnn_cell import dynamic_unroll

    cell = rnn.LSTMCell(3, input_size=2, prefix="d_")
    cell.initialize()
    _fill(mx, cell)
    x = _data(mx, 11, 4, 2, 2)
    states = [_data(mx, 12, 2, 3), _data(mx, 13, 2, 3)]
    vl = mx.nd.array([2, 4])
    return (dynamic_unroll(cell, x, states, layout="TNC"),
            dynamic_unroll(cell, x, states, layout="TNC", valid_length=vl),
            dynamic_unroll(cell, mx.nd.swapaxes(x, 0, 1), states, layout="NTC",
                           valid_length=vl))


# ----------------------------------------------------------------------------- contrib.nn
@case(**ND)
def sparse_embedding_lookup_gradient_and_sgd_step(mx, np, npx):
    from mxnet.gluon.contrib import nn as cnn

    emb = cnn.SparseEmbedding(6, 3, prefix="se_")
    emb.initialize()
    tr = mx.gluon.Trainer(emb.collect_params(), "sgd", {"learning_rate": 0.5})
    w = onp_rand(6, 3)
    emb.weight.set_data(mx.nd.array(w))
    x = mx.nd.array([[1, 3], [1, 5]])
    with mx.autograd.record():
        y = emb(x)
        loss = (y * y).sum()
    loss.backward()
    g = emb.weight.grad()
    res = [repr(emb), _params(emb), y, type(g).__name__, g.stype, g.indices, g.data,
           ]
    tr.step(1)
    res.append(emb(mx.nd.arange(6)))
    return res


def onp_rand(*shape):
    import numpy as onp

    return onp.random.RandomState(42).rand(*shape).astype("float32")


@case(**ND)
def sync_batch_norm_one_device(mx, np, npx):
    from mxnet.gluon.contrib import nn as cnn

    bn = cnn.SyncBatchNorm(in_channels=3, num_devices=1, prefix="sbn_")
    bn.initialize()
    _fill(mx, bn)
    bn.running_var.set_data(mx.nd.array([1.0, 2.0, 0.5]))
    x = _data(mx, 14, 4, 3, 2, 2)
    x.attach_grad()
    with mx.autograd.record():
        y = bn(x)
        loss = (y * _data(mx, 15, 4, 3, 2, 2)).sum()
    loss.backward()
    return (repr(bn), _params(bn), y, x.grad, bn.gamma.grad(), bn.beta.grad(),
            bn.running_mean.data(), bn.running_var.data(), bn(x))


# ----------------------------------------------------------------------------- on purpose
@case(differs="channels-last conv cells are computed; MXNet's CPU convolution rejects "
              "NHWC", **ND)
def conv_lstm_cell_channels_last(mx, np, npx):
    from mxnet.gluon.contrib import rnn as crnn

    cell = crnn.Conv2DLSTMCell((5, 4, 2), 3, 3, 3, i2h_pad=1, conv_layout="NHWC",
                               prefix="nhwc_")
    cell.initialize()
    _fill(mx, cell)
    out = cell.unroll(3, _data(mx, 1, 2, 3, 5, 4, 2), merge_outputs=True)
    mx.nd.waitall()             # (MXNet's error comes from its engine)
    return out


@case(differs="SyncBatchNorm normalizes each device's part of the batch by its own "
              "statistics; MXNet shares them across the num_devices parts", **ND)
def sync_batch_norm_two_cpu_devices(mx, np, npx):
    from mxnet.gluon.contrib import nn as cnn

    bn = cnn.SyncBatchNorm(in_channels=2, num_devices=2, prefix="sbn2_")
    ctx = [mx.cpu(0), mx.cpu(1)]
    bn.initialize(ctx=ctx)
    x = _data(mx, 16, 4, 2, 3)
    parts = [x[:2].as_in_context(ctx[0]), x[2:].as_in_context(ctx[1])]
    with mx.autograd.record():
        ys = [bn(p) for p in parts]
    for y in ys:
        y.backward()
    return ys, [bn.running_mean.data(c) for c in ctx]


@case(differs="SparseEmbedding's weight is stored dense: it runs without a Trainer "
              "(MXNet's row-sparse weight needs one to pull its rows)", **ND)
def sparse_embedding_without_trainer(mx, np, npx):
    from mxnet.gluon.contrib import nn as cnn

    emb = cnn.SparseEmbedding(5, 2, prefix="set_")
    emb.initialize(mx.init.Constant(0.5))
    return emb(mx.nd.array([0, 3]))
