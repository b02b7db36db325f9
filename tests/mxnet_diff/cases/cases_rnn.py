"""gluon.rnn (the fused layers in np mode; the cells on legacy arrays, as MXNet 1.9.1's
cells are written with legacy ops), npx.rnn, and the sequence ops: outputs, states,
shapes, parameter names and files, gradients, errors."""
from _diff import case

ND = dict(mode="nd", rtol=1e-4, atol=1e-5)
NP = dict(rtol=1e-4, atol=1e-5)


def _fill(arr, block):
    """Deterministic weights, by sorted parameter name (arr: np.array or mx.nd.array)."""
    import numpy as onp

    for k, (name, p) in enumerate(sorted(block.collect_params().items())):
        n = int(onp.prod(p.shape))
        v = ((onp.arange(n) * 7 + k * 3) % 11 - 5).reshape(p.shape) / 12
        p.set_data(arr(v.astype("float32")))


def _seq(arr, *shape):
    import numpy as onp

    n = int(onp.prod(shape))
    return arr((((onp.arange(n) * 5) % 13 - 6) / 7).reshape(shape).astype("float32"))


def _names(block):
    return [k[len(block.prefix):] for k in block.collect_params()]


# ----------------------------------------------------------------------------- layers (np)
@case(**NP)
def layer_lstm_bidirectional_two_layers(mx, np, npx):
    from mxnet.gluon import rnn

    layer = rnn.LSTM(4, num_layers=2, bidirectional=True, input_size=3, prefix="lstm_")
    layer.initialize()
    _fill(np.array, layer)
    x = _seq(np.array, 5, 2, 3)
    states = [_seq(np.array, 4, 2, 4), _seq(np.array, 4, 2, 4) / 2]
    out, new = layer(x, states)
    return (out, new, _names(layer), [p.shape for p in layer.collect_params().values()],
            layer(x), repr(layer))


@case(**NP)
def layer_gru_ntc_and_rnn_modes(mx, np, npx):
    from mxnet.gluon import rnn

    res = []
    for layer in (rnn.GRU(3, layout="NTC", input_size=2, prefix="gru_"),
                  rnn.RNN(3, num_layers=2, input_size=2, prefix="rnnrelu_"),
                  rnn.RNN(3, activation="tanh", bidirectional=True, input_size=2,
                          prefix="rnntanh_")):
        layer.initialize()
        _fill(np.array, layer)
        x = _seq(np.array, 4, 3, 2)
        res.append(layer(x))
        n = x.shape[0] if layer._layout == "NTC" else x.shape[1]
        out, states = layer(x, layer.begin_state(n))
        res += [out, states, _names(layer)]
    return res


@case(**NP)
def layer_deferred_input_size_and_begin_state(mx, np, npx):
    from mxnet.gluon import rnn

    layer = rnn.LSTM(5, num_layers=2, prefix="def_")
    shapes_before = [p.shape for p in layer.collect_params().values()]
    layer.initialize()
    y = layer(np.ones((3, 2, 7)))
    states = layer.begin_state(batch_size=6)
    return (shapes_before, [p.shape for p in layer.collect_params().values()], y.shape,
            [s.shape for s in states], [s.dtype for s in states], states[0])


@case(**NP)
def layer_gradients(mx, np, npx):
    from mxnet.gluon import rnn

    layer = rnn.GRU(3, num_layers=2, bidirectional=True, input_size=2, prefix="g_")
    layer.initialize()
    _fill(np.array, layer)
    x = _seq(np.array, 4, 2, 2)
    x.attach_grad()
    h = _seq(np.array, 4, 2, 3)
    h.attach_grad()
    with mx.autograd.record():
        out, (hn,) = layer(x, [h])
        loss = (out * out).sum() + (hn * _seq(np.array, 4, 2, 3)).sum()
    loss.backward()
    return [x.grad, h.grad] + [p.grad() for _, p in sorted(layer.collect_params().items())]


@case(**NP)
def layer_bad_state_shape(mx, np, npx):
    from mxnet.gluon import rnn

    layer = rnn.GRU(3, input_size=2)
    layer.initialize()
    return layer(np.ones((4, 2, 2)), [np.zeros((2, 2, 3))])


@case(**NP)
def layer_parameter_file_names(mx, np, npx):
    from mxnet.gluon import rnn

    out = []
    for layer in (rnn.LSTM(2, input_size=3), rnn.GRU(2, bidirectional=True, input_size=3)):
        layer.initialize()
        _fill(np.array, layer)
        layer.save_parameters("rnn.params")
        loaded = npx.load("rnn.params")
        out.append(sorted(loaded))
        out.append([loaded[k] for k in sorted(loaded)])
    return out


@case(**NP)
def npx_rnn_modes_and_states(mx, np, npx):
    import numpy as onp

    res = []
    for mode, g in (("lstm", 4), ("gru", 3), ("rnn_tanh", 1), ("rnn_relu", 1)):
        n = 2 * (g * 3 * 2 + g * 3 * 3 + 2 * g * 3)
        w = np.array(((onp.arange(n) * 3) % 11 - 5).astype("float32") / 15)
        x = _seq(np.array, 4, 2, 2)
        h0 = _seq(np.array, 2, 2, 3)
        args = [x, w, h0] + ([h0 / 2] if mode == "lstm" else [])
        res.append(npx.rnn(*args, state_size=3, num_layers=1, bidirectional=True, mode=mode,
                           state_outputs=True))
        res.append(npx.rnn(*args, state_size=3, num_layers=1, bidirectional=True, mode=mode))
    return res


@case(**NP)
def npx_rnn_wrong_parameter_count(mx, np, npx):
    return npx.rnn(np.ones((3, 2, 4)), np.ones(10), np.ones((1, 2, 5)), state_size=5,
                   num_layers=1, mode="gru")


@case(**NP)
def sequence_last_and_reverse(mx, np, npx):
    x = _seq(np.array, 4, 3, 2)
    n = np.array([2.0, 4.0, 1.0])
    last = getattr(npx, "sequence_last", None)
    if last is None:      # MXNet 1.9.1's npx lacks them: its legacy operators
        def last(d, ln=None, use_sequence_length=False, axis=0):
            return mx.nd.SequenceLast(d.as_nd_ndarray(), None if ln is None else
                                      ln.as_nd_ndarray(), use_sequence_length,
                                      axis=axis).as_np_ndarray()

        def rev(d, ln=None, use_sequence_length=False):
            return mx.nd.SequenceReverse(d.as_nd_ndarray(), None if ln is None else
                                         ln.as_nd_ndarray(), use_sequence_length).as_np_ndarray()
    else:
        rev = npx.sequence_reverse
    return (last(x, n, use_sequence_length=True), last(x),
            last(np.swapaxes(x, 0, 1), n, use_sequence_length=True, axis=1),
            rev(x, n, use_sequence_length=True), rev(x))


# ----------------------------------------------------------------------------- cells (nd)
@case(**ND)
def cells_one_step(mx, np, npx):
    from mxnet.gluon import rnn

    nd = mx.nd
    res = []
    for cell in (rnn.LSTMCell(3, input_size=2, prefix="lstm_"),
                 rnn.GRUCell(3, input_size=2, prefix="gru_"),
                 rnn.RNNCell(3, activation="relu", input_size=2, prefix="rnn_")):
        cell.initialize()
        _fill(nd.array, cell)
        x = _seq(nd.array, 4, 2)
        states = [_seq(nd.array, 4, 3) / (i + 1) for i in range(len(cell.state_info()))]
        out, new = cell(x, states)
        res += [out, new, _names(cell), [s["shape"] for s in cell.state_info(4)],
                [b.shape for b in cell.begin_state(batch_size=4)]]
    return res


@case(**ND)
def cells_unroll_forms_and_valid_length(mx, np, npx):
    from mxnet.gluon import rnn

    nd = mx.nd
    cell = rnn.LSTMCell(3, input_size=2, prefix="u_")
    cell.initialize()
    _fill(nd.array, cell)
    x = _seq(nd.array, 3, 4, 2)       # NTC
    merged, s1 = cell.unroll(4, x, merge_outputs=True)
    listed, s2 = cell.unroll(4, x, merge_outputs=False)
    tnc, s3 = cell.unroll(4, nd.swapaxes(x, 0, 1), layout="TNC", merge_outputs=True)
    vl = nd.array([2, 4, 1])
    masked, s4 = cell.unroll(4, x, merge_outputs=True, valid_length=vl)
    return merged, s1, listed, s2, tnc, s3, masked, s4


@case(**ND)
def cells_stacked_residual_dropout(mx, np, npx):
    from mxnet.gluon import rnn

    nd = mx.nd
    stack = rnn.SequentialRNNCell(prefix="stack_")
    with stack.name_scope():
        stack.add(rnn.GRUCell(2, input_size=2))
        stack.add(rnn.DropoutCell(0.5))
        stack.add(rnn.ResidualCell(rnn.RNNCell(2, input_size=2)))
    stack.initialize()
    _fill(nd.array, stack)
    x = _seq(nd.array, 3, 4, 2)
    out, states = stack.unroll(4, x, merge_outputs=True)
    listed, _ = stack.unroll(4, x, merge_outputs=False)
    # one step of a stack (MXNet cannot step a DropoutCell: its empty state list; and a
    # modifier cell's begin_state gives symbols there: the states are made here)
    hs = rnn.HybridSequentialRNNCell(prefix="hs_")
    with hs.name_scope():
        hs.add(rnn.LSTMCell(2, input_size=2))
        hs.add(rnn.ResidualCell(rnn.GRUCell(2, input_size=2)))
    hs.initialize()
    _fill(nd.array, hs)
    step, step_states = hs(x[:, 0], [_seq(nd.array, 3, 2) / (i + 1) for i in range(3)])
    return (out, states, listed, step, step_states, _names(stack), _names(hs), len(stack),
            hs.unroll(4, x, merge_outputs=True))


@case(**ND)
def cells_bidirectional_with_valid_length(mx, np, npx):
    from mxnet.gluon import rnn

    nd = mx.nd
    bi = rnn.BidirectionalCell(rnn.GRUCell(2, input_size=2, prefix="l_"),
                               rnn.GRUCell(2, input_size=2, prefix="r_"))
    bi.initialize()
    _fill(nd.array, bi)
    x = _seq(nd.array, 4, 3, 2)       # TNC
    out, states = bi.unroll(4, x, layout="TNC", merge_outputs=True)
    vout, vstates = bi.unroll(4, x, layout="TNC", merge_outputs=True,
                              valid_length=nd.array([4, 2, 3]))
    listed, _ = bi.unroll(4, x, layout="TNC", merge_outputs=False)
    return out, states, vout, vstates, listed, sorted(bi.collect_params())


@case(**ND)
def cells_zoneout_outside_training(mx, np, npx):
    from mxnet.gluon import rnn

    nd = mx.nd
    cell = rnn.ZoneoutCell(rnn.LSTMCell(2, input_size=2, prefix="z_"), 0.5, 0.5)
    cell.initialize()
    _fill(nd.array, cell)
    out, states = cell.unroll(3, _seq(nd.array, 2, 3, 2), merge_outputs=True)
    return out, states, cell.prefix


@case(**ND)
def cells_bidirectional_cannot_step(mx, np, npx):
    from mxnet.gluon import rnn

    bi = rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2))
    return bi(mx.nd.ones((2, 2)), [])


# ----------------------------------------------------------------------------- on purpose
@case(differs="MXNet's CPU operator ignores the lengths; ndengine stops each sequence "
              "at its length, as cuDNN does", **NP)
def npx_rnn_use_sequence_length(mx, np, npx):
    import numpy as onp

    n = 4 * 3 * 2 + 4 * 3 * 3 + 2 * 4 * 3
    w = np.array(((onp.arange(n) * 3) % 11 - 5).astype("float32") / 15)
    x = _seq(np.array, 4, 2, 2)
    h0 = _seq(np.array, 1, 2, 3)
    return npx.rnn(x, w, h0, h0 / 2, np.array([2.0, 4.0]), state_size=3, num_layers=1,
                   mode="lstm", state_outputs=True, use_sequence_length=True)


@case(differs="MXNet 1.9.1's cells call legacy operators, which reject np arrays; "
              "ndengine's cells compute in np mode", **NP)
def cells_in_np_mode(mx, np, npx):
    from mxnet.gluon import rnn

    cell = rnn.GRUCell(3, input_size=2, prefix="npgru_")
    cell.initialize()
    _fill(np.array, cell)
    return cell.unroll(4, _seq(np.array, 3, 4, 2), merge_outputs=True)


@case(**NP)
def layer_parameter_file_bytes(mx, np, npx):
    import numpy as onp
    from mxnet.gluon import rnn

    layer = rnn.LSTM(2, num_layers=2, bidirectional=True, input_size=3)
    layer.initialize()
    _fill(np.array, layer)
    layer.save_parameters("lstm.params")
    with open("lstm.params", "rb") as f:
        raw = onp.frombuffer(f.read(), dtype=onp.uint8)
    other = rnn.LSTM(2, num_layers=2, bidirectional=True, input_size=3)
    other.load_parameters("lstm.params")
    return raw, other(_seq(np.array, 3, 2, 3))


@case(differs="MXNet's CPU operator ignores the LSTM state clip; ndengine clips, as cuDNN "
              "does", **NP)
def npx_rnn_lstm_state_clip(mx, np, npx):
    x = np.ones((2, 1, 1))
    w = np.ones(16) * 3
    h0 = np.zeros((1, 1, 1))
    return npx.rnn(x, w, h0, h0, state_size=1, num_layers=1, mode="lstm", state_outputs=True,
                   lstm_state_clip_min=-0.5, lstm_state_clip_max=0.5)


@case(**NP)
def layer_lstm_projection(mx, np, npx):
    from mxnet.gluon import rnn

    # forward only: MXNet 1.9.1 has no gradient for LSTMP on a CPU
    layer = rnn.LSTM(4, num_layers=2, bidirectional=True, projection_size=2, input_size=3,
                     prefix="lstmp_")
    layer.initialize()
    _fill(np.array, layer)
    x = _seq(np.array, 5, 2, 3)
    states = [_seq(np.array, 4, 2, 2), _seq(np.array, 4, 2, 4) / 2]
    out, new = layer(x, states)
    return (out, new, _names(layer), [p.shape for p in layer.collect_params().values()],
            [s.shape for s in layer.begin_state(3)], layer(x), repr(layer))
