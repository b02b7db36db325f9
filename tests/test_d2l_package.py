"""The book's ``d2l`` package (1.0.3, ``d2l/mxnet.py``) running unchanged on ndengine
through ``alias_as_mxnet()``.

Each scenario is deterministic (fixed data, fixed initial weights, NumPy's seed for the
loaders' shuffling) and its expected numbers come from running the same scenario on
real MXNet 1.9.1 with the same d2l (the FashionMNIST files are small synthetic ones in
the real format, under a temporary MXNET_HOME).  Skipped when d2l is not installed
(the test extra installs it: see run.sh).
"""
from __future__ import annotations

import gzip
import os
import struct

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

# MXNet 1.9.1 + d2l 1.0.3 on the same scenarios
MXNET = {
    "concise": [0.6412802934646606, -0.8107917904853821, 0.831972599029541],
    "scratch": [0.6399718523025513, -0.80864018201828, 0.835098147392273],
    "clipped": [0.15512891113758087, -0.25882747769355774, 0.13138575851917267],
    "fm_batch_sum": 32782.56640625,
    "fm_labels_first": [8, 8, 5, 8, 4, 1, 1, 0],
    "fm_text": ["bag", "bag", "sandal"],
    "fm_abs_weight_sum": 52.64487075805664,
    "fm_acc": 0.0625,
    "fm_loss": 4.365266799926758,
}

_rs = onp.random.RandomState(0)
XH = _rs.randn(96, 2).astype("float32")
YH = (XH @ onp.array([[2.0], [-3.4]], "float32") + 4.2 + 0.01 * _rs.randn(96, 1)) \
    .astype("float32")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    d2l.plt.close("all")


def _regression_data():
    data = d2l.SyntheticRegressionData(w=np.array([2, -3.4]), b=4.2, num_train=64, num_val=32,
                                       batch_size=16)
    assert data.X.shape == (96, 2) and data.y.shape == (96, 1)
    data.X, data.y = np.array(XH), np.array(YH)
    return data


def test_the_package_imports_through_the_alias():
    assert d2l.USE_MXNET
    assert d2l.nn_Module is ndengine.gluon.nn.Block
    assert d2l.transforms is ndengine.gluon.data.vision.transforms
    assert d2l.image is ndengine.image


def test_trainer_fits_linear_regression_as_on_mxnet():
    data = _regression_data()
    model = d2l.LinearRegression(lr=0.03)
    model.net(np.zeros((1, 2)))
    model.net.weight.set_data(np.array([[0.1, -0.2]]))
    model.net.bias.set_data(np.array([0.05]))
    onp.random.seed(0)
    trainer = d2l.Trainer(max_epochs=2)
    trainer.fit(model, data)
    assert trainer.num_train_batches == 4 and trainer.num_val_batches == 2
    w, b = model.get_w_b()
    onp.testing.assert_allclose(onp.concatenate([w.asnumpy().ravel(), b.asnumpy()]),
                                MXNET["concise"], rtol=1e-5)
    assert model.board.data["train_loss"] and model.board.data["val_loss"]


def _scratch(clip):
    data = _regression_data()
    model = d2l.LinearRegressionScratch(2, lr=0.03)
    model.w, model.b = np.array([[0.1], [-0.2]]), np.array([0.05])
    model.w.attach_grad()
    model.b.attach_grad()
    onp.random.seed(1)
    d2l.Trainer(max_epochs=2, gradient_clip_val=clip).fit(model, data)
    return onp.concatenate([model.w.asnumpy().ravel(), model.b.asnumpy()])


def test_scratch_regression_with_d2l_sgd_as_on_mxnet():
    onp.testing.assert_allclose(_scratch(0), MXNET["scratch"], rtol=1e-5)


def test_gradient_clipping_writes_through_grad_views_as_on_mxnet():
    onp.testing.assert_allclose(_scratch(0.5), MXNET["clipped"], rtol=1e-5)


def _fashion_files(home):
    root = os.path.join(home, "datasets", "fashion-mnist")
    os.makedirs(root)
    rs = onp.random.RandomState(1)
    for prefix, m in (("train", 256), ("t10k", 64)):
        imgs = rs.randint(0, 256, (m, 28, 28)).astype("uint8")
        labels = rs.randint(0, 10, m).astype("uint8")
        with gzip.open(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"), "wb") as f:
            f.write(struct.pack(">IIII", 2051, m, 28, 28) + imgs.tobytes())
        with gzip.open(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz"), "wb") as f:
            f.write(struct.pack(">II", 2049, m) + labels.tobytes())


def test_fashion_mnist_softmax_regression_as_on_mxnet(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    monkeypatch.setenv("MXNET_GLUON_REPO", (tmp_path / "no-repo").as_uri())
    _fashion_files(str(tmp_path))
    data = d2l.FashionMNIST(batch_size=64, resize=(32, 32))
    assert data.num_workers == 4 and len(data.train) == 256 and len(data.val) == 64
    X, y = next(iter(data.val_dataloader()))
    assert X.shape == (64, 1, 32, 32) and X.dtype == onp.float32
    assert y.shape == (64,) and y.dtype == onp.int32
    assert float(X.sum()) == pytest.approx(MXNET["fm_batch_sum"], rel=1e-6)
    assert y.asnumpy()[:8].tolist() == MXNET["fm_labels_first"]
    assert data.text_labels(y[:3]) == MXNET["fm_text"]

    model = d2l.SoftmaxRegression(num_outputs=10, lr=0.1)
    model.net(np.zeros((1, 1, 32, 32)))
    model.net.weight.set_data(np.array(onp.linspace(-0.01, 0.01, 10 * 1024)
                                       .reshape(10, 1024).astype("float32")))
    onp.random.seed(2)
    d2l.Trainer(max_epochs=1).fit(model, data)
    w = model.net.weight.data().asnumpy()
    assert onp.abs(w).sum() == pytest.approx(MXNET["fm_abs_weight_sum"], rel=1e-5)
    assert float(model.accuracy(model(X), y)) == pytest.approx(MXNET["fm_acc"])
    assert float(model.loss(model(X), y)) == pytest.approx(MXNET["fm_loss"], rel=1e-5)
    assert model.accuracy(model(X), y, averaged=False).shape == (64,)


def test_load_data_fashion_mnist_and_evaluate_accuracy(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    _fashion_files(str(tmp_path))
    train_iter, test_iter = d2l.load_data_fashion_mnist(32, resize=14)
    X, y = next(iter(train_iter))
    assert X.shape == (32, 1, 14, 14) and y.shape == (32,)
    net = gluon.nn.Dense(10)
    net.initialize()
    acc = d2l.evaluate_accuracy(net, test_iter)
    assert 0.0 <= acc <= 1.0
    assert d2l.evaluate_accuracy_gpu(net, test_iter) == pytest.approx(acc)


def test_fashion_mnist_visualize(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    _fashion_files(str(tmp_path))
    data = d2l.FashionMNIST(batch_size=8)
    batch = next(iter(data.val_dataloader()))
    data.visualize(batch, nrows=2, ncols=4)
    axes = d2l.plt.gcf().axes
    assert len(axes) == 8 and axes[0].get_title() in ["t-shirt", "trouser", "pullover", "dress",
                                                       "coat", "sandal", "shirt", "sneaker",
                                                       "bag", "ankle boot"]
    assert axes[0].images[0].get_array().shape == (28, 28)


def test_accuracy_helpers():
    y_hat = np.array([[0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.9, 0.05, 0.05]])
    y = np.array([1, 0, 1, 1], dtype="int32")
    assert d2l.accuracy(y_hat, y) == 2.0
    assert float(d2l.Classifier.accuracy(None, y_hat, y)) == 0.5
    onp.testing.assert_array_equal(
        d2l.Classifier.accuracy(None, y_hat, y, averaged=False).asnumpy(), [1, 1, 0, 0])


def test_synthetic_data_load_array_and_sgd():
    X, y = d2l.synthetic_data(np.array([2, -3.4]), 4.2, 10)
    assert X.shape == (10, 2) and y.shape == (10, 1)
    batches = [(a.shape, b.shape) for a, b in d2l.load_array((X, y), 4, is_train=False)]
    assert batches == [((4, 2), (4, 1)), ((4, 2), (4, 1)), ((2, 2), (2, 1))]
    labels = np.array((XH[:10].sum(1) > 0.5).astype("float32"))
    acc = d2l.evaluate_accuracy(lambda X: X.sum(axis=1) > 0,
                                d2l.load_array((np.array(XH[:10]), labels), 5, False))
    assert acc == pytest.approx(0.9)
    p = np.array([1.0, 2.0])
    p.attach_grad()
    with autograd.record():
        loss = (p * p).sum()
    loss.backward()
    d2l.sgd([p], 0.1, 2)
    onp.testing.assert_allclose(p.asnumpy(), [0.9, 1.8], rtol=1e-6)


def test_plot_set_figsize_and_progress_board():
    d2l.set_figsize((4, 3))
    assert tuple(d2l.plt.rcParams["figure.figsize"]) == (4, 3)
    x = np.arange(0, 3, 0.5)
    d2l.plot(x, [x * 2, np.sin(x)], "x", "f(x)", legend=["2x", "sin"])
    ax = d2l.plt.gca()
    assert len(ax.lines) == 2 and ax.get_xlabel() == "x"
    onp.testing.assert_allclose(ax.lines[0].get_ydata(), onp.arange(0, 3, 0.5) * 2)
    board = d2l.ProgressBoard("epoch", display=True)
    for i in range(4):
        board.draw(i, float(np.array(i * 1.5)), "loss", every_n=2)
    assert [p.y for p in board.data["loss"]] == [0.75, 3.75]
    animator = d2l.Animator(xlabel="epoch", legend=["a"])
    animator.add(1, np.array(0.5).item())
    assert animator.Y == [[0.5]]


def test_timer_accumulator_and_devices():
    timer = d2l.Timer()
    timer.stop()
    assert len(timer.times) == 1 and timer.sum() >= 0
    acc = d2l.Accumulator(2)
    acc.add(1, np.array(2.0))
    acc.add(3, 4)
    assert (acc[0], acc[1]) == (4.0, 6.0)
    assert d2l.num_gpus() == npx.num_gpus()
    if d2l.num_gpus() == 0:
        assert str(d2l.try_gpu()) == "cpu(0)" and d2l.try_all_gpus() == []
    assert str(d2l.cpu()) == "cpu(0)"


def test_module_and_data_module_basics():
    class Data(d2l.DataModule):
        def __init__(self):
            super().__init__()
            self.batch_size = 2
            self.X = np.arange(12.0).reshape(6, 2)

        def get_dataloader(self, train):
            return self.get_tensorloader((self.X,), train, slice(0, 4 if train else None))

    d = Data()
    assert d.root == "../data" and d.num_workers == 4
    assert [b.shape for b in d.train_dataloader()] == [(2, 2), (2, 2)]
    onp.testing.assert_array_equal(onp.concatenate([b.asnumpy() for b in d.val_dataloader()]),
                                   onp.arange(12.0).reshape(6, 2))
    model = d2l.Module()
    model.lr = 0.1
    model.net = gluon.nn.Dense(3)
    model.net.initialize()
    assert model(np.ones((2, 4))).shape == (2, 3)
    assert isinstance(model.configure_optimizers(), gluon.Trainer)
