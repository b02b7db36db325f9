"""gluon outside np mode (MXNet's default): what it hands back is mx.nd arrays, and
ndengine's own layers still compute on the np arrays behind them."""
import numpy as onp

import ndengine as mx
from ndengine import autograd, gluon, nd, np, npx


def test_parameters_and_batches_are_legacy_outside_np_mode():
    npx.reset_np()
    p = gluon.Parameter("w", shape=(2, 2))
    p.initialize(mx.init.One())
    assert isinstance(p.data(), nd.NDArray) and p.data() is p.data()
    assert isinstance(p.grad(), nd.NDArray)
    assert all(isinstance(a, nd.NDArray) for a in p.list_data() + p.list_grad())
    p.data()[:] = 3                              # writes through to the parameter
    assert p._arrays()[0].asnumpy().tolist() == [[3, 3], [3, 3]]
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(nd.ones((4, 2)), onp.arange(4)),
                                   batch_size=2)
    x, y = next(iter(loader))
    assert isinstance(x, nd.NDArray) and isinstance(y, nd.NDArray)
    npx.set_np()
    q = gluon.Parameter("w", shape=(2,))
    q.initialize(mx.init.One())
    assert isinstance(q.data(), np.ndarray)
    x, y = next(iter(loader))
    assert isinstance(x, np.ndarray)


def test_multi_device_layer_outside_np_mode():
    npx.reset_np()
    ctx = [mx.cpu(0), mx.cpu(1)]
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.One(), ctx=ctx)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    parts = gluon.utils.split_and_load(nd.ones((4, 3)), ctx)
    with autograd.record():
        losses = [net(x).sum() for x in parts]
    for loss in losses:
        loss.backward()
    trainer.step(4)
    assert all(isinstance(loss, nd.NDArray) for loss in losses)
    onp.testing.assert_allclose(net.weight.data(mx.cpu(1)).asnumpy(), onp.full((2, 3), 0.9),
                                rtol=1e-6)
    out = net(np.ones((2, 3), device=mx.cpu(1)))        # np input: np output
    assert isinstance(out, np.ndarray)
    onp.testing.assert_allclose(out.asnumpy(), onp.full((2, 2), 3 * 0.9 - 0.1), rtol=1e-6)
