"""MXNet client code of the legacy symbolic RNN API (mx.rnn cells, BucketSentenceIter,
BucketingModule, RNN checkpoints), run unchanged on real MXNet 1.9.1 (by
tests/fixtures/mxnet_rnn/make_rnn_fixtures.py, which saves what it returns) and on
ndengine (tests/legacy_api/test_rnn.py compares).  Parameters come from a seeded NumPy
generator by name, so both run the same numbers."""
import os
import random
import tempfile

import mxnet as mx
import numpy as np


def _params(sym, shapes, seed=3, scale=0.3):
    """Seeded values for every argument of *sym* that is not an input."""
    rs = np.random.RandomState(seed)
    arg_shapes, _, aux_shapes = sym.infer_shape(**shapes)
    out = {}
    for name, shape in zip(sym.list_arguments(), arg_shapes):
        if name not in shapes:
            out[name] = rs.uniform(-scale, scale, shape).astype("float32")
    return out


def _run(sym, data, params):
    exe = sym.simple_bind(mx.cpu(), grad_req="null", data=data.shape)
    exe.arg_dict["data"][:] = data
    for k, v in params.items():
        exe.arg_dict[k][:] = v
    return [o.asnumpy() for o in exe.forward(is_train=False)]


def _flat(states):
    out = []
    for s in states:
        out.extend(_flat(s) if isinstance(s, list) else [s])
    return out


def _cells():
    return {
        "rnn_relu": lambda: mx.rnn.RNNCell(5, activation="relu", prefix="r_"),
        "lstm": lambda: mx.rnn.LSTMCell(5, prefix="l_"),
        "gru": lambda: mx.rnn.GRUCell(5, prefix="g_"),
        "stack": lambda: _stack(),
        "bidir": lambda: mx.rnn.BidirectionalCell(mx.rnn.LSTMCell(3, prefix="bl_"),
                                                  mx.rnn.GRUCell(3, prefix="br_"),
                                                  output_prefix="bi_"),
        "residual": lambda: mx.rnn.ResidualCell(mx.rnn.GRUCell(4, prefix="rg_")),
        "zoneout": lambda: mx.rnn.ZoneoutCell(mx.rnn.LSTMCell(5, prefix="z_"),
                                              zoneout_outputs=0.3, zoneout_states=0.2),
        "fused": lambda: mx.rnn.FusedRNNCell(4, num_layers=2, mode="lstm",
                                             bidirectional=True, get_next_state=True,
                                             prefix="f_"),
        "fused_gru": lambda: mx.rnn.FusedRNNCell(3, num_layers=1, mode="gru", prefix="fg_",
                                                 get_next_state=True),
    }


def _stack():
    s = mx.rnn.SequentialRNNCell()
    s.add(mx.rnn.LSTMCell(5, prefix="s0_"))
    s.add(mx.rnn.DropoutCell(0.5, prefix="sd_"))
    s.add(mx.rnn.GRUCell(4, prefix="s1_"))
    return s


def case_cells():
    rs = np.random.RandomState(11)
    data = rs.uniform(-1, 1, (2, 3, 4)).astype("float32")
    res = {}
    for name, make in sorted(_cells().items()):
        cell = make()
        for merge in (True, False):
            outs, states = cell.unroll(3, inputs=mx.sym.var("data"), layout="NTC",
                                       merge_outputs=merge)
            outs = [outs] if isinstance(outs, mx.sym.Symbol) else list(outs)
            sym = mx.sym.Group(outs + _flat(states))
            params = _params(sym, {"data": data.shape})
            key = "%s_%s" % (name, "merged" if merge else "steps")
            res[key + "_args"] = sym.list_arguments()
            res[key + "_outputs"] = sym.list_outputs()
            res[key + "_values"] = _run(sym, data, params)
            if merge:
                unpacked = cell.unpack_weights({k: mx.nd.array(v) for k, v in params.items()})
                res[key + "_unpacked"] = {k: v.asnumpy() for k, v in unpacked.items()}
                packed = cell.pack_weights(unpacked)
                res[key + "_repacked"] = {k: v.asnumpy() for k, v in packed.items()}
        res[name + "_state_info"] = [{k: list(v) if isinstance(v, tuple) else v
                                      for k, v in i.items()} for i in cell.state_info]
    # the unfused stack computes what the fused op does, from the unpacked weights
    fused = _cells()["fused"]()
    outs, _ = fused.unroll(3, inputs=mx.sym.var("data"), layout="NTC", merge_outputs=True)
    params = _params(outs, {"data": data.shape})
    unpacked = fused.unpack_weights({k: mx.nd.array(v) for k, v in params.items()})
    stack = fused.unfuse()
    souts, _ = stack.unroll(3, inputs=mx.sym.var("data"), layout="NTC", merge_outputs=True)
    res["unfused_args"] = souts.list_arguments()
    repacked = stack.pack_weights(unpacked)
    res["unfused_values"] = _run(souts, data, {k: v.asnumpy() for k, v in repacked.items()})
    return res


def _corpus():
    rs = np.random.RandomState(5)
    words = ["w%d" % i for i in range(10)]
    return [[words[j] for j in rs.randint(0, 10, rs.randint(2, 9))] for _ in range(60)]


def case_iterator():
    coded, vocab = mx.rnn.encode_sentences(_corpus(), invalid_label=0, start_label=1)
    random.seed(1)
    np.random.seed(1)
    it = mx.rnn.BucketSentenceIter(coded, 4, buckets=[4, 6, 8], invalid_label=0)
    batches = []
    for b in it:
        batches.append([b.bucket_key, b.data[0].asnumpy(), b.label[0].asnumpy(),
                        [list(d.shape) for d in b.provide_data]])
    tn = mx.rnn.BucketSentenceIter(coded, 5, invalid_label=0, layout="TN")
    first = tn.next()
    return {"coded": coded[:5], "vocab": sorted(vocab.items()), "batches": batches[:6],
            "nbatches": len(batches), "buckets": it.buckets,
            "default_key": it.default_bucket_key,
            "provide_data": [list(d.shape) for d in it.provide_data],
            "tn_buckets": tn.buckets, "tn_shape": list(first.data[0].shape)}


def case_bucketing():
    """The classic bucketing LSTM language model (example/rnn/bucketing), small."""
    coded, vocab = mx.rnn.encode_sentences(_corpus(), invalid_label=0, start_label=1)
    random.seed(2)
    np.random.seed(2)
    train = mx.rnn.BucketSentenceIter(coded, 4, buckets=[4, 6, 8], invalid_label=0)
    nvocab = len(vocab) + 1
    stack = mx.rnn.SequentialRNNCell()
    for i in range(2):
        stack.add(mx.rnn.LSTMCell(num_hidden=6, prefix="lstm_l%d_" % i))

    def sym_gen(seq_len):
        data = mx.sym.Variable("data")
        label = mx.sym.Variable("softmax_label")
        embed = mx.sym.Embedding(data=data, input_dim=nvocab, output_dim=5, name="embed")
        stack.reset()
        outputs, states = stack.unroll(seq_len, inputs=embed, merge_outputs=True)
        pred = mx.sym.Reshape(outputs, shape=(-1, 6))
        pred = mx.sym.FullyConnected(data=pred, num_hidden=nvocab, name="pred")
        label = mx.sym.Reshape(label, shape=(-1,))
        pred = mx.sym.SoftmaxOutput(data=pred, label=label, name="softmax")
        return pred, ("data",), ("softmax_label",)

    sym, _, _ = sym_gen(train.default_bucket_key)
    init = _params(sym, {"data": (4, 8), "softmax_label": (4, 8)}, seed=9)
    init = {k: mx.nd.array(v) for k, v in init.items()}
    model = mx.mod.BucketingModule(sym_gen=sym_gen,
                                   default_bucket_key=train.default_bucket_key,
                                   context=mx.cpu())
    seen = []
    model.fit(train_data=train, eval_metric=mx.metric.Perplexity(0),
              optimizer="sgd", optimizer_params={"learning_rate": 0.5, "momentum": 0.0,
                                                 "wd": 0.00001},
              arg_params=init, num_epoch=2,
              batch_end_callback=lambda p: seen.append(p.eval_metric.get()[1]))
    arg, _ = model.get_params()
    random.seed(3)
    np.random.seed(3)
    val = mx.rnn.BucketSentenceIter(coded, 4, buckets=[4, 6, 8], invalid_label=0)
    score = model.score(val, mx.metric.Perplexity(0))
    with tempfile.TemporaryDirectory() as d:
        prefix = os.path.join(d, "lm")
        mx.rnn.save_rnn_checkpoint(stack, prefix, 2, model.symbol, arg, {})
        saved = sorted(mx.nd.load(prefix + "-0002.params"))
        _, arg2, _ = mx.rnn.load_rnn_checkpoint(stack, prefix, 2)
        roundtrip = all(np.array_equal(arg[k].asnumpy(), arg2[k].asnumpy()) for k in arg)
    return {"perplexity": seen, "score": score[0][1], "buckets_bound": sorted(model._buckets),
            "params": {k: v.asnumpy() for k, v in arg.items()}, "saved_keys": saved,
            "roundtrip": roundtrip, "default_args": model.symbol.list_arguments()}


CASES = {"cells": case_cells, "iterator": case_iterator, "bucketing": case_bucketing}
