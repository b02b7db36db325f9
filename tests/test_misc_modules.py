"""The small top-level modules: mx.util, runtime, error, log, libinfo, io, callback, name,
attribute (their MXNet behaviour is checked against MXNet in
tests/mxnet_diff/cases/cases_misc_modules.py; here what ndengine adds or guarantees)."""
from __future__ import annotations

import logging
import os
import threading
from collections import namedtuple

import numpy as onp
import pytest

import ndengine as mx
from ndengine import npx
from ndengine import numpy as np
from ndengine.base import MXNetError

Param = namedtuple("Param", ["epoch", "nbatch", "eval_metric", "locals"])


@pytest.fixture
def legacy_mode():
    npx.reset_np()
    yield
    npx.set_np()


# ------------------------------------------------------------------------- util
def _modes():
    return npx.is_np_shape(), npx.is_np_array()


def test_use_np_function_turns_np_mode_on_and_restores_it(legacy_mode):
    seen = []

    @mx.util.use_np
    def f(fail=False):
        seen.append(_modes())
        if fail:
            raise KeyError("x")
        return 1

    assert f() == 1 and seen == [(True, True)]
    assert _modes() == (False, False)
    with pytest.raises(KeyError):
        f(fail=True)
    assert _modes() == (False, False)


def test_use_np_shape_and_array_separately(legacy_mode):
    shape_only = mx.util.use_np_shape(_modes)
    array_only = mx.util.use_np_array(_modes)
    assert shape_only() == (True, False) and array_only() == (False, True)
    both = mx.util.use_np_shape(array_only)
    assert both() == (True, True) and both.__wrapped__ is _modes     # wrapped once
    assert mx.util.use_np(both) is both
    assert _modes() == (False, False)


def test_use_np_keeps_np_mode_on_when_it_was_on():
    mx.util.use_np(lambda: None)()
    assert _modes() == (True, True)


def test_use_np_class_keeps_static_and_class_methods(legacy_mode):
    class Base:
        def inherited(self):
            return npx.is_np_array()

    @mx.util.use_np
    class C(Base):
        @staticmethod
        def st(x):
            return x, npx.is_np_array()

        @classmethod
        def cm(cls):
            return cls.__name__, npx.is_np_array()

        @property
        def p(self):
            return npx.is_np_shape()

        @p.setter
        def p(self, v):
            self.v = (v, npx.is_np_array())

    c = C()
    assert c.st(1) == (1, True) and C.st(2) == (2, True)
    assert c.cm() == ("C", True) and C.cm() == ("C", True)
    assert c.p is True and c.inherited() is True
    c.p = 5
    assert c.v == (5, True)
    assert Base().inherited() is False          # the base class itself is untouched
    assert _modes() == (False, False)


def test_use_np_on_a_gluon_block(legacy_mode):
    from ndengine.gluon import nn

    @mx.util.use_np
    class Net(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            self.dense = nn.Dense(3)

        def forward(self, x):
            return self.dense(x) * 2

    net = Net()
    net.initialize()
    y = net(np.ones((2, 4)))
    assert y.shape == (2, 3) and type(y) is np.ndarray
    assert type(net.dense.weight.data()) is np.ndarray


def test_np_scopes_are_decorators_and_nest(legacy_mode):
    @mx.util.np_shape(True)
    def g():
        with mx.util.np_array(True):
            inner = _modes()
        return _modes(), inner

    assert g() == ((True, False), (True, True))
    assert _modes() == (False, False)
    with mx.util.np_shape(None):            # None: leaves the switch alone
        assert _modes() == (False, False)


def test_set_np_shape_returns_previous_state(legacy_mode):
    assert mx.util.set_np_shape(True) is False
    assert mx.util.set_np_shape(True) is True
    assert _modes() == (True, False)
    assert mx.util.set_np_shape(False) is True
    npx.set_np()
    with pytest.raises(ValueError, match="reset_np"):
        mx.util.set_np_shape(False)


def test_getenv_setenv_are_os_environ():
    name = "NDENGINE_TEST_MISC_VAR"
    mx.util.setenv(name, "v")
    assert os.environ[name] == "v" and mx.util.getenv(name) == "v"
    mx.util.setenv(name, None)
    assert name not in os.environ and mx.util.getenv(name) is None


def test_gpu_queries_without_gpu():
    if mx.num_gpus():
        assert mx.util.get_gpu_count() == mx.num_gpus()
        free, total = mx.util.get_gpu_memory(0)
        assert 0 <= free <= total
        assert mx.util.get_cuda_compute_capability(mx.gpu(0)) >= 30
        return
    assert mx.util.get_gpu_count() == 0
    with pytest.raises(MXNetError, match="get_gpu_memory"):
        mx.util.get_gpu_memory(0)
    with pytest.raises(OSError, match="no CUDA device"):
        mx.util.get_cuda_compute_capability(mx.gpu(0))
    with pytest.raises(ValueError, match="gpu context"):
        mx.util.get_cuda_compute_capability(mx.cpu())


def test_wrap_np_unary_func_on_an_np_function():
    sin = mx.util.wrap_np_unary_func(np.sin)
    x = np.array([0.0, 1.0])
    onp.testing.assert_allclose(sin(x, dtype=None, where=True).asnumpy(), onp.sin([0.0, 1.0]),
                                rtol=1e-6)
    with pytest.raises(NotImplementedError, match="casting=unsafe"):
        sin(x, casting="unsafe")
    with pytest.raises(TypeError, match="invalid keyword"):
        sin(x, axis=0)


# ------------------------------------------------------------------------- runtime, libinfo
def test_features_are_honest():
    f = mx.runtime.Features()
    assert f.is_enabled("CUDA") == (mx.num_gpus() > 0)
    assert f.is_enabled("profiler") and not f.is_enabled("OPENCV")
    assert len(f) == 32 and list(f)[0] == "CUDA" and list(f)[-1] == "TVM_OP"
    blas = onp.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"].lower()
    assert f.is_enabled("BLAS_OPEN") == ("openblas" in blas)
    assert repr(mx.runtime.Feature("X", True)) == "✔ X"
    with pytest.raises(RuntimeError, match="unknown"):
        f.is_enabled("NOT_A_FEATURE")


def test_libinfo_has_only_what_is_true():
    assert mx.libinfo.__version__ == mx.__version__
    assert not hasattr(mx.libinfo, "find_lib_path")


# ------------------------------------------------------------------------- error, log
def test_error_registry():
    from ndengine import error

    assert error.MXNetError is MXNetError
    assert isinstance(error.InternalError("x"), MXNetError)

    @error.register_error("NdengineTestError")
    class E(MXNetError):
        pass

    got = error.error_for("NdengineTestError: something broke\nmore")
    assert type(got) is E and "something broke" in str(got)
    assert type(error.error_for("ValueError: bad")) is ValueError
    assert type(error.error_for("no colon here")) is MXNetError
    with pytest.raises(TypeError):
        error.register_error(3)


def test_get_logger_to_a_file(tmp_path):
    path = tmp_path / "log.txt"
    logger = mx.log.get_logger("ndengine_test_file_logger", filename=str(path),
                               level=mx.log.INFO)
    logger.info("hello %d", 5)
    logger.debug("hidden")
    for h in logger.handlers:
        h.flush()
    assert path.read_text() == "hello 5\n"
    with pytest.warns(DeprecationWarning):
        assert mx.log.getLogger("ndengine_test_file_logger") is logger


# ------------------------------------------------------------------------- io
DATA = onp.arange(20, dtype="float32").reshape(10, 2)


def test_ndarrayiter_takes_np_arrays_and_hands_out_legacy_copies():
    src = np.array(DATA)
    it = mx.io.NDArrayIter(src, np.arange(10), batch_size=4)
    b = it.next()
    assert type(b.data[0]) is mx.nd.NDArray and b.data[0].dtype == onp.float32
    b.data[0][:] = -1                      # a batch is a copy: the source is untouched
    onp.testing.assert_array_equal(src.asnumpy(), DATA)
    assert b.label[0].dtype == onp.int64 or b.label[0].dtype == onp.float32


def test_ndarrayiter_shuffle_keeps_data_and_label_together():
    onp.random.seed(1)
    it = mx.io.NDArrayIter(DATA, DATA[:, 0].copy(), batch_size=5, shuffle=True)
    for _ in range(3):
        rows = [(b.data[0].asnumpy(), b.label[0].asnumpy()) for b in it]
        data = onp.concatenate([r[0] for r in rows])
        label = onp.concatenate([r[1] for r in rows])
        onp.testing.assert_array_equal(data[:, 0], label)
        assert sorted(data[:, 0].tolist()) == DATA[:, 0].tolist()
        it.reset()


@pytest.mark.parametrize("kwargs, err", [
    ({"last_batch_handle": "drop"}, ValueError),
    ({"batch_size": 0}, ValueError),
])
def test_ndarrayiter_bad_parameters(kwargs, err):
    with pytest.raises(err, match="NDArrayIter"):
        mx.io.NDArrayIter(DATA, **kwargs)


def test_ndarrayiter_bad_data():
    with pytest.raises(TypeError, match="NDArrayIter"):
        mx.io.NDArrayIter("not data")
    with pytest.raises(ValueError, match="data is required"):
        mx.io.NDArrayIter(None)


def test_ndarrayiter_used_up_needs_reset():
    it = mx.io.NDArrayIter(DATA, batch_size=5)
    assert len(list(it)) == 2
    with pytest.raises(AssertionError, match="reset"):
        it.getdata()


def test_resize_iter_restarts_its_iterator():
    it = mx.io.ResizeIter(mx.io.NDArrayIter(DATA, batch_size=5), 5)
    firsts = [b.data[0].asnumpy()[0, 0] for b in it]
    assert firsts == [0, 10, 0, 10, 0]


class _Failing(mx.io.DataIter):
    provide_data = [mx.io.DataDesc("data", (2, 2))]
    provide_label = []

    def __init__(self):
        super().__init__(2)

    def next(self):
        raise KeyError("broken source")


def test_prefetching_iter_raises_its_iterators_errors_in_the_caller():
    it = mx.io.PrefetchingIter(_Failing())
    with pytest.raises(KeyError, match="broken source"):
        it.next()
    it.close()
    assert not any(t.is_alive() for t in it._threads)


def test_prefetching_iter_mismatched_iterators():
    it = mx.io.PrefetchingIter([mx.io.NDArrayIter(DATA, batch_size=5),
                                mx.io.NDArrayIter(DATA[:5], batch_size=5)])
    it.next()
    with pytest.raises(MXNetError, match="different numbers"):
        it.next()
    it.close()


def _write(path, rows):
    path.write_text("\n".join(",".join(str(v) for v in r) for r in rows) + "\n")


def test_csviter_reads_a_directory_in_name_order(tmp_path):
    (tmp_path / "d").mkdir()
    _write(tmp_path / "d" / "b.csv", [[3, 3], [4, 4]])
    _write(tmp_path / "d" / "a.csv", [[1, 1], [2, 2]])
    it = mx.io.CSVIter(data_csv=str(tmp_path / "d"), data_shape=(2,), batch_size=4)
    b = it.next()
    onp.testing.assert_array_equal(b.data[0].asnumpy()[:, 0], [1, 2, 3, 4])
    assert b.index.dtype == onp.uint64


def test_csviter_batches_stay_valid_and_int64_is_exact(tmp_path):
    big = 2 ** 53 + 1
    _write(tmp_path / "d.csv", [[big], [1], [2], [3]])
    it = mx.io.CSVIter(data_csv=str(tmp_path / "d.csv"), data_shape=(1,), batch_size=2,
                       dtype="int64")
    first, second = it.next(), it.next()
    assert first.data[0].asnumpy()[0, 0] == big
    assert second.data[0].asnumpy()[:, 0].tolist() == [2, 3]
    assert first.data[0].asnumpy()[:, 0].tolist() == [big, 1]     # not overwritten


def test_csviter_errors(tmp_path):
    _write(tmp_path / "d.csv", [[1, 2], [3, "x"]])
    with pytest.raises(MXNetError, match="not a number"):
        mx.io.CSVIter(data_csv=str(tmp_path / "d.csv"), data_shape=(2,), batch_size=1)
    _write(tmp_path / "d.csv", [[1, 2], [3, 4]])
    _write(tmp_path / "l.csv", [[1]])
    with pytest.raises(MXNetError, match="has 2 rows but"):
        mx.io.CSVIter(data_csv=str(tmp_path / "d.csv"), data_shape=(2,), batch_size=1,
                      label_csv=str(tmp_path / "l.csv"))
    with pytest.raises(TypeError, match="unknown parameters"):
        mx.io.CSVIter(data_csv=str(tmp_path / "d.csv"), data_shape=(2,), batch_size=1,
                      shuffle=True)
    with pytest.raises(FileNotFoundError):
        mx.io.CSVIter(data_csv=str(tmp_path / "none.csv"), data_shape=(2,), batch_size=1)


# ------------------------------------------------------------------------- callback
def test_speedometer_without_metric_and_new_epoch(caplog, legacy_mode):
    sp = mx.callback.Speedometer(batch_size=4, frequent=1)
    with caplog.at_level(logging.INFO):
        for n in (0, 1, 2, 0, 1):
            sp(Param(epoch=0, nbatch=n, eval_metric=None, locals=None))
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3          # batch 0 of each epoch only starts the clock
    assert all(x.startswith("Iter[0] Batch [") and "samples/sec" in x for x in lines)


def test_callbacks_with_np_metric(caplog):
    m = mx.metric.Accuracy()
    m.update([np.array([0, 1])], [np.array([[0.9, 0.1], [0.1, 0.9]])])
    with caplog.at_level(logging.INFO):
        mx.callback.log_train_metric(1)(mx.callback.BatchEndParam(0, 3, m, None))
        mx.callback.LogValidationMetricsCallback()(mx.callback.BatchEndParam(1, 0, m, None))
    assert [r.getMessage() for r in caplog.records] == [
        "Iter[0] Batch[3] Train-accuracy=1.000000", "Epoch[1] Validation-accuracy=1.000000"]
    assert type(mx.callback.BatchEndParam(0, 0, None, None)).__name__ == "BatchEndParams"


# ------------------------------------------------------------------------- name, attribute
def test_name_manager_is_per_thread():
    with mx.name.Prefix("main_"):
        got = []
        t = threading.Thread(target=lambda: got.append(mx.name.current().get(None, "fc")))
        t.start()
        t.join()
        assert got == ["fc0"]
        assert mx.name.current().get(None, "fc") == "main_fc0"
    assert not isinstance(mx.name.current(), mx.name.Prefix)
    with pytest.warns(DeprecationWarning):
        assert mx.name.NameManager.current is mx.name.current()


def test_attr_scope_restores_the_outer_scope():
    outer = mx.attribute.current()
    with mx.AttrScope(ctx_group="a"):
        with mx.AttrScope(lr_mult="2"):
            assert mx.attribute.current().get(None) == {"ctx_group": "a", "lr_mult": "2"}
        assert mx.attribute.current().get(None) == {"ctx_group": "a"}
    assert mx.attribute.current() is outer
    with pytest.raises(ValueError, match="string"):
        mx.AttrScope(x=1)


# ------------------------------------------------------------------------- ImageRecordIter
def _rec(tmp_path, n=6, fmt=".png"):
    rs = onp.random.RandomState(0)
    idx, path = str(tmp_path / "r.idx"), str(tmp_path / "r.rec")
    rec = mx.recordio.MXIndexedRecordIO(idx, path, "w")
    for i in range(n):
        img = rs.randint(0, 256, (6 + i % 3, 7, 3)).astype("uint8")
        rec.write_idx(i, mx.recordio.pack_img(mx.recordio.IRHeader(0, float(i), i, 0), img,
                                              img_fmt=fmt))
    rec.close()
    return path, idx


def test_image_record_iter_seeded_randomness_is_reproducible(tmp_path):
    path, _ = _rec(tmp_path)
    kw = dict(path_imgrec=path, data_shape=(3, 4, 4), batch_size=3, rand_crop=True,
              rand_mirror=True, shuffle=True, seed=5)
    runs = [[b.data[0].asnumpy() for b in mx.io.ImageRecordIter(**kw)] for _ in range(2)]
    assert all(onp.array_equal(a, b) for a, b in zip(*runs))
    labels = sorted(x for b in mx.io.ImageRecordIter(**kw) for x in b.label[0].asnumpy())
    assert labels == list(range(6))


def test_image_record_iter_index_file_and_parts(tmp_path):
    path, idx = _rec(tmp_path, fmt=".jpg")
    scan = mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=6).next()
    indexed = mx.io.ImageRecordIter(path_imgrec=path, path_imgidx=idx, data_shape=(3, 4, 4),
                                    batch_size=6).next()
    onp.testing.assert_array_equal(scan.data[0].asnumpy(), indexed.data[0].asnumpy())
    assert scan.index.tolist() == list(range(6))
    parts = [[int(x) for b in mx.io.ImageRecordIter(
        path_imgrec=path, data_shape=(3, 4, 4), batch_size=1, num_parts=3, part_index=k)
        for x in b.label[0].asnumpy()] for k in range(3)]
    assert sorted(sum(parts, [])) == list(range(6)) and all(parts)


def test_image_record_iter_refuses_what_it_does_not_do(tmp_path):
    path, _ = _rec(tmp_path)
    with pytest.raises(TypeError, match="not_a_parameter"):
        mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=2,
                              not_a_parameter=0.2)
    with pytest.raises(TypeError, match="bilinear"):
        mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=2,
                              rotate=10, inter_method=2)
    with pytest.raises(MXNetError, match="data_shape"):
        mx.io.ImageRecordIter(path_imgrec=path, data_shape=(4, 4), batch_size=2)
    with pytest.raises(MXNetError, match="No such file"):
        mx.io.ImageRecordIter(path_imgrec=str(tmp_path / "none.rec"), data_shape=(3, 4, 4),
                              batch_size=2)


# ------------------------------------------------------------------------- MNISTIter
def _mnist(tmp_path, n=7, n_labels=None, gz=False):
    import gzip
    import struct

    imgs = onp.arange(n * 4 * 4, dtype=onp.int64).reshape(n, 4, 4).astype(onp.uint8)
    nl = n if n_labels is None else n_labels
    img = struct.pack(">IIII", 2051, n, 4, 4) + imgs.tobytes()
    lab = struct.pack(">II", 2049, nl) + onp.arange(nl, dtype=onp.uint8).tobytes()
    if gz:
        img, lab = gzip.compress(img), gzip.compress(lab)
    (tmp_path / "img").write_bytes(img)
    (tmp_path / "lab").write_bytes(lab)
    return imgs, dict(image=str(tmp_path / "img"), label=str(tmp_path / "lab"))


def test_mnistiter_reads_gzip_and_drops_the_rest(tmp_path):
    imgs, files = _mnist(tmp_path, gz=True)
    it = mx.io.MNISTIter(batch_size=3, shuffle=False, **files)
    batches = list(it)
    assert len(batches) == 2                         # 7 images: 2 full batches
    onp.testing.assert_array_equal(batches[1].data[0].asnumpy()[:, 0], imgs[3:6] / 256)
    assert batches[1].index.tolist() == [3, 4, 5]
    assert batches[1].label[0].asnumpy().tolist() == [3, 4, 5]


def test_mnistiter_errors(tmp_path):
    _, files = _mnist(tmp_path, n_labels=5)
    with pytest.raises(MXNetError, match="7 images but"):
        mx.io.MNISTIter(batch_size=2, **files)
    _, files = _mnist(tmp_path)
    with pytest.raises(MXNetError, match="larger than"):
        mx.io.MNISTIter(batch_size=8, **files)
    with pytest.raises(MXNetError, match="not an MNIST idx file"):
        mx.io.MNISTIter(image=files["label"], label=files["label"], batch_size=2)


def test_image_record_iter_bad_image_fails_at_the_sync_point(tmp_path):
    path = str(tmp_path / "bad.rec")
    rec = mx.recordio.MXRecordIO(path, "w")
    rec.write(mx.recordio.pack(mx.recordio.IRHeader(0, 1.0, 0, 0), b"not an image"))
    rec.close()
    it = mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=1)
    batch = it.next()                    # pushed: the decode runs on an engine worker
    assert batch.label[0].asnumpy().tolist() == [1.0]
    with pytest.raises(MXNetError, match="not an image"):
        batch.data[0].asnumpy()


def test_prefetching_iter_threads_stop_when_it_is_dropped():
    import gc

    it = mx.io.PrefetchingIter(mx.io.NDArrayIter(DATA, batch_size=5))
    it.next()
    threads = list(it._threads)
    del it
    gc.collect()
    for t in threads:
        t.join(timeout=5)
    assert not any(t.is_alive() for t in threads)


def test_module_checkpoint_calls_the_module_every_period():
    calls = []

    class Mod:
        def save_checkpoint(self, prefix, epoch, save_optimizer_states):
            calls.append((prefix, epoch, save_optimizer_states))

    cb = mx.callback.module_checkpoint(Mod(), "p", period=2, save_optimizer_states=True)
    for epoch in range(5):
        cb(epoch)
    assert calls == [("p", 2, True), ("p", 4, True)]


def test_save_checkpoint_without_symbol(tmp_path):
    prefix = str(tmp_path / "w")
    mx.callback.save_checkpoint(prefix, 3, None, {"w": mx.nd.ones((2,))}, {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w-0003.params"]
    assert list(mx.nd.load(prefix + "-0003.params")) == ["arg:w"]


def test_image_record_iter_lightness_shift_keeps_grey_grey(tmp_path):
    path = str(tmp_path / "grey.rec")
    rec = mx.recordio.MXRecordIO(path, "w")
    for i in range(4):
        img = onp.full((6, 6, 3), 40 * i + 20, onp.uint8)
        rec.write(mx.recordio.pack_img(mx.recordio.IRHeader(0, float(i), i, 0), img,
                                       img_fmt=".png"))
    rec.close()
    it = mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=4,
                               random_l=100, seed=2)
    d = it.next().data[0].asnumpy()
    assert (d == d[:, :1, :1, :1]).all()            # each image one grey level
    assert not onp.array_equal(d[:, 0, 0, 0], [20, 60, 100, 140])   # shifted
    with pytest.raises(MXNetError, match="colour"):
        mx.io.ImageRecordIter(path_imgrec=path, data_shape=(1, 4, 4), batch_size=4,
                              random_h=5)


def test_image_record_iter_colour_jitter_stays_in_range(tmp_path):
    path, _ = _rec(tmp_path)
    kw = dict(path_imgrec=path, data_shape=(3, 4, 4), batch_size=6, seed=3)
    plain = mx.io.ImageRecordIter(**kw).next().data[0].asnumpy()
    for jitter in ({"brightness": 0.4}, {"contrast": 0.4}, {"saturation": 0.4},
                   {"pca_noise": 0.1}):
        d = mx.io.ImageRecordIter(**kw, **jitter).next().data[0].asnumpy()
        assert d.shape == plain.shape and 0 <= d.min() and d.max() <= 255
        assert not onp.array_equal(d, plain), jitter
    grey = mx.io.ImageRecordIter(**kw, saturation=1.0, seed_aug=0)
    assert grey.next().data[0].shape == (6, 3, 4, 4)


def test_image_record_iter_random_resized_crop(tmp_path):
    path, _ = _rec(tmp_path)
    kw = dict(path_imgrec=path, data_shape=(3, 4, 4), batch_size=6, random_resized_crop=True,
              min_random_area=0.3, max_random_area=1.0, max_aspect_ratio=4 / 3,
              min_aspect_ratio=3 / 4)
    a = mx.io.ImageRecordIter(seed=1, **kw).next().data[0].asnumpy()
    b = mx.io.ImageRecordIter(seed=2, **kw).next().data[0].asnumpy()
    assert a.shape == (6, 3, 4, 4) and not onp.array_equal(a, b)
    from ndengine.io._augment import _resized_crop_box
    assert _resized_crop_box(10, 10, ((0.25, 1.0, 0.0, 0.99),)) == (0, 5, 5, 5)
    assert _resized_crop_box(10, 10, ((1.0, 4.0, 0.0, 0.0),)) is None   # too wide: fallback
    with pytest.raises(ValueError, match="random_resized_crop"):
        mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=2,
                              random_resized_crop=True, min_random_area=0)


def test_image_record_iter_random_contrast_and_illumination(tmp_path):
    path, _ = _rec(tmp_path)
    kw = dict(path_imgrec=path, data_shape=(3, 4, 4), batch_size=6, mean_r=100, mean_g=100,
              mean_b=100, scale=0.5)
    base = mx.io.ImageRecordIter(**kw).next().data[0].asnumpy()
    d = mx.io.ImageRecordIter(max_random_contrast=0.5, max_random_illumination=20,
                              **kw).next().data[0].asnumpy()
    for k in range(6):          # d = a * base + c per image, a in [0.5, 1.5], |c| <= 10
        a, c = onp.polyfit(base[k].ravel(), d[k].ravel(), 1)
        assert 0.5 <= a <= 1.5 and abs(c) <= 10 + 1e-4
