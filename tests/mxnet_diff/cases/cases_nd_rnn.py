"""nd.RNN, MXNet's fused recurrent layer (np mode off): every mode, stacked and
bidirectional, final states, gradients of data, parameters and initial states."""
from _diff import case

ND = dict(mode="nd", rtol=1e-4, atol=1e-5)
_G = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _inputs(mx, mode, L, D, T=3, N=2, I=4, H=5):
    nd = mx.nd
    G = _G[mode]
    n = sum(D * (G * H * (I if l == 0 else H * D) + G * H * H + 2 * G * H) for l in range(L))
    w = (nd.arange(n) % 11 - 5) / 20
    x = (nd.arange(T * N * I).reshape((T, N, I)) % 7 - 3) / 4
    h0 = (nd.arange(L * D * N * H).reshape((L * D, N, H)) % 5 - 2) / 5
    c0 = (nd.arange(L * D * N * H).reshape((L * D, N, H)) % 3 - 1) / 3
    return w, x, h0, c0


def _run(mx, mode, L, bi, **kw):
    nd = mx.nd
    w, x, h0, c0 = _inputs(mx, mode, L, 2 if bi else 1)
    args = dict(state_size=5, num_layers=L, bidirectional=bi, mode=mode, **kw)
    return nd.RNN(x, w, h0, c0, **args) if mode == "lstm" else nd.RNN(x, w, h0, **args)


@case(**ND)
def rnn_modes(mx, np, npx):
    out = []
    for mode in ("lstm", "gru", "rnn_tanh", "rnn_relu"):
        out.append(_run(mx, mode, 1, False))
        out.append(_run(mx, mode, 2, True, state_outputs=True))
    return out


@case(**ND)
def rnn_gradients(mx, np, npx):
    nd = mx.nd
    out = []
    for mode in ("lstm", "gru"):
        w, x, h0, c0 = _inputs(mx, mode, 2, 2)
        for a in (w, x, h0, c0):
            a.attach_grad()
        with mx.autograd.record():
            args = dict(state_size=5, num_layers=2, bidirectional=True, mode=mode)
            y = nd.RNN(x, w, h0, c0, **args) if mode == "lstm" else nd.RNN(x, w, h0, **args)
            l = (y * y).sum()
        l.backward()
        out += [w.grad, x.grad, h0.grad] + ([c0.grad] if mode == "lstm" else [])
    return out


@case(**ND)
def rnn_wrong_parameter_count(mx, np, npx):
    nd = mx.nd
    return nd.RNN(nd.ones((3, 2, 4)), nd.ones(10), nd.ones((1, 2, 5)), state_size=5,
                  num_layers=1, mode="gru")
