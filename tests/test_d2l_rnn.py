"""The book's recurrent models from its ``d2l`` package (1.0.3, ``d2l/mxnet.py``: RNN,
GRU, RNNLM, Seq2SeqEncoder, and the chapter's concise LSTM) on ndengine through
``alias_as_mxnet()``: a few SGD steps of a language model from fixed weights give the
losses real MXNet 1.9.1 gives with the same d2l (numbers below made by running this
scenario there).  Skipped when d2l is not installed."""
from __future__ import annotations

import numpy as onp
import pytest

pytest.importorskip("d2l")
pytest.importorskip("matplotlib")
pytest.importorskip("IPython")
pytest.importorskip("matplotlib_inline")
pytest.importorskip("pandas")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import ndengine  # noqa: E402

ndengine.alias_as_mxnet()

from d2l import mxnet as d2l  # noqa: E402
from mxnet import autograd, gluon, np, npx  # noqa: E402
from mxnet.gluon import rnn  # noqa: E402

# MXNet 1.9.1 + d2l 1.0.3 on the same scenario
MXNET = {
    "rnn": [2.4422285556793213, 2.3531830310821533, 2.2811739444732666],
    "gru": [2.4595553874969482, 2.3842620849609375, 2.3271000385284424],
    "lstm": [2.4563100337982178, 2.4030683040618896, 2.360154867172241],
    "predict": "abcccccc",
    "enc": [-0.4641599953174591, 5.7985429763793945, (6, 4, 8), (2, 4, 8)],
}

V, T, B, H = 12, 6, 4, 8


class LSTM(d2l.RNN):
    """The book's concise LSTM (sec_lstm), which the package does not export."""

    def __init__(self, num_hiddens, num_layers=1):
        d2l.Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = rnn.LSTM(num_hiddens, num_layers)

    def forward(self, inputs, H_C=None):
        if H_C is None:
            H_C = self.rnn.begin_state(inputs.shape[1], ctx=inputs.ctx)
        return self.rnn(inputs, H_C)


def _data():
    npx.set_np()
    rs = onp.random.RandomState(0)
    return np.array(rs.randint(0, V, (B, T))), np.array(rs.randint(0, V, (B, T)))


def _fill(block):
    """Fixed weights, in the order of the names without their (counter) prefixes."""
    params = sorted(block.collect_params().items(), key=lambda kv: kv[0].split("_", 1)[-1])
    for k, (_, p) in enumerate(params):
        n = int(onp.prod(p.shape))
        p.set_data(np.array((onp.sin(onp.arange(n) * 0.37 + k) * 0.3)
                            .reshape(p.shape).astype("float32")))


@pytest.mark.parametrize("name", ["rnn", "gru", "lstm"])
def test_language_model_trains_as_on_mxnet(name):
    X, Y = _data()
    net = {"rnn": lambda: d2l.RNN(num_hiddens=H),
           "gru": lambda: d2l.GRU(num_hiddens=H, num_layers=2),
           "lstm": lambda: LSTM(H, 2)}[name]()
    model = d2l.RNNLM(net, vocab_size=V, lr=1)
    model(X)                          # the deferred input sizes
    _fill(model)
    trainer = gluon.Trainer(model.collect_params(), "sgd", {"learning_rate": 1})
    losses = []
    for _ in range(3):
        with autograd.record():
            loss = model.loss(model(X), Y)
        loss.backward()
        trainer.step(1)
        losses.append(float(loss))
    onp.testing.assert_allclose(losses, MXNET[name], rtol=2e-6)
    assert model.predict("abc", 5, d2l.Vocab(list("abcdefghijk"))) == MXNET["predict"]


def test_seq2seq_encoder_as_on_mxnet():
    X, _ = _data()
    enc = d2l.Seq2SeqEncoder(V, 4, H, 2)
    enc(X)
    _fill(enc)
    out, state = enc(X)
    assert out.shape == MXNET["enc"][2] and state.shape == MXNET["enc"][3]
    onp.testing.assert_allclose([float(out.sum()), float((state * state).sum())],
                                MXNET["enc"][:2], rtol=1e-5)
