"""The small top-level modules: mx.util (use_np on functions and classes, the np-shape
switch, env, GPU queries, ufunc keyword checks), mx.runtime.Features, mx.io
(NDArrayIter's last-batch handling, ResizeIter, PrefetchingIter, CSVIter on files in the
case's temporary directory), mx.callback's log lines, mx.name / mx.attribute scopes,
mx.error and mx.log."""
import logging
import re
from collections import namedtuple

import numpy as onp

from _diff import case

DATA = onp.arange(20, dtype="float32").reshape(10, 2)
LABEL = onp.arange(10, dtype="float32")
Param = namedtuple("BatchEndParams", ["epoch", "nbatch", "eval_metric", "locals"])


def _epochs(it, n=3):
    """Per epoch: (data, label, pad) of each batch."""
    out = []
    for _ in range(n):
        out.append([(b.data[0].asnumpy(), b.label[0].asnumpy() if b.label else None, b.pad)
                    for b in it])
        it.reset()
    return out


def _desc(descs):
    return [(d.name, tuple(d.shape), str(onp.dtype(d.dtype)), d.layout) for d in descs]


class _Capture(logging.Handler):
    """Collects the messages logged on the root logger at INFO."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())

    def __enter__(self):
        root = logging.getLogger()
        self._level = root.level
        root.setLevel(logging.INFO)
        root.addHandler(self)
        return self

    def __exit__(self, *exc):
        root = logging.getLogger()
        root.removeHandler(self)
        root.setLevel(self._level)


# ------------------------------------------------------------------------- util
@case(mode="nd")
def use_np_on_a_function(mx, np, npx):
    @mx.util.use_np
    def inside():
        return (mx.util.is_np_array(), mx.util.is_np_shape(), np.ones((2, 0)).shape,
                np.ones(()).shape)
    return inside(), inside.__name__, mx.util.is_np_array(), mx.util.is_np_shape()


@case(mode="nd")
def use_np_shape_and_use_np_array_alone(mx, np, npx):
    def flags():
        return mx.util.is_np_shape(), mx.util.is_np_array()
    return (mx.util.use_np_shape(flags)(), mx.util.use_np_array(flags)(),
            mx.util.use_np_shape(mx.util.use_np_array(flags))(), flags())


@case(mode="nd")
def use_np_on_a_class(mx, np, npx):
    @mx.util.use_np
    class Scalar:
        def __init__(self, v):
            self.flags_init = mx.util.is_np_shape()
            self.v = np.array(v)

        def double(self):
            return self.v * 2, mx.util.is_np_array()

        @property
        def value(self):
            return float(self.v), mx.util.is_np_shape()

        @staticmethod
        def make(v):
            return Scalar(v), mx.util.is_np_array()

    s, flag = Scalar.make(3.0)
    return s.flags_init, flag, s.double(), s.value, type(s).__name__


@case(mode="nd", differs="MXNet's use_np on a class turns its static and class methods into plain functions: called on an instance they get the instance as an extra argument (TypeError)")
def use_np_class_static_and_class_methods_on_an_instance(mx, np, npx):
    @mx.util.use_np
    class C:
        @staticmethod
        def st(x):
            return x

        @classmethod
        def cm(cls):
            return cls.__name__
    c = C()
    return C.st(1), C.cm(), c.st(2), c.cm()


@case(mode="nd")
def np_shape_switch_returns_previous_state(mx, np, npx):
    first = mx.util.set_np_shape(True)
    on = mx.util.is_np_shape(), mx.util.is_np_array()
    second = mx.util.set_np_shape(False)
    return first, on, second, mx.util.is_np_shape()


@case
def np_shape_off_in_np_mode_raises(mx, np, npx):
    mx.util.set_np_shape(False)


@case(mode="nd")
def np_shape_scope(mx, np, npx):
    with mx.util.np_shape(True):
        inside = mx.util.is_np_shape(), mx.util.is_np_array()
    with mx.util.np_array(True):
        inside_array = mx.util.is_np_shape(), mx.util.is_np_array()
    return inside, inside_array, mx.util.is_np_shape(), mx.util.is_np_array()


@case
def util_names_are_npx_names(mx, np, npx):
    u = mx.util
    return (u.set_np is npx.set_np, u.reset_np is npx.reset_np,
            u.is_np_array is npx.is_np_array, u.is_np_shape is npx.is_np_shape)


@case
def use_np_refuses_a_non_callable(mx, np, npx):
    mx.util.use_np(3)


@case
def getenv_setenv(mx, np, npx):
    name = "NDENGINE_DIFF_CASE_VAR"
    before = mx.util.getenv(name)
    mx.util.setenv(name, "42")
    during = mx.util.getenv(name)
    mx.util.setenv(name, None)
    return before, during, mx.util.getenv(name)


@case
def gpu_count(mx, np, npx):
    return mx.util.get_gpu_count()


@case
def gpu_memory_without_gpu(mx, np, npx):
    mx.util.get_gpu_memory(0)


@case(message="Expecting a gpu context")
def compute_capability_of_cpu(mx, np, npx):
    mx.util.get_cuda_compute_capability(mx.cpu())


@case
def compute_capability_without_gpu(mx, np, npx):
    mx.util.get_cuda_compute_capability(mx.gpu(0))


@case
def set_module_decorator(mx, np, npx):
    @mx.util.set_module("mxnet.numpy")
    def f():
        pass
    return f.__module__


@case
def wrap_np_unary_func_keywords(mx, np, npx):
    def neg(x, out=None):
        return -x
    f = mx.util.wrap_np_unary_func(neg)
    out = [f(2), f(2, where=True, casting="same_kind", order="K", dtype=None, subok=True)]
    for kw in ({"foo": 1}, {"casting": "unsafe"}, {"casting": "wrong"}, {"dtype": "float32"},
               {"subok": "x"}):
        try:
            f(2, **kw)
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    return out


@case
def wrap_np_binary_func_keywords(mx, np, npx):
    def add(x1, x2, out=None):
        return x1 + x2
    f = mx.util.wrap_np_binary_func(add)
    out = [f(2, 3), f.__name__]
    for kw in ({"bar": 1}, {"order": "C"}, {"casting": "wrong"}):
        try:
            f(2, 3, **kw)
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    return out


# ------------------------------------------------------------------------- runtime
@case
def features(mx, np, npx):
    f = mx.runtime.Features()
    lst = mx.runtime.feature_list()
    return (list(f.keys()), [x.name for x in lst], f.is_enabled("cuda"), repr(f["CUDA"]),
            f["CUDA"].enabled, f is mx.runtime.Features(), repr(f).startswith("[✖ CUDA, "))


@case(differs="ndengine reports its own features: no OpenCV (images are decoded with Pillow), no MKL-DNN, no distributed kvstore, a profiler, 64-bit tensor sizes")
def feature_values(mx, np, npx):
    f = mx.runtime.Features()
    return {k: f.is_enabled(k) for k in ("OPENCV", "MKLDNN", "DIST_KVSTORE", "PROFILER",
                                          "INT64_TENSOR_SIZE", "CUDA", "CUDNN", "TVM_OP")}


@case(differs="ndengine's libinfo has its own version and no shared library to find")
def libinfo_contents(mx, np, npx):
    return mx.libinfo.__version__, hasattr(mx.libinfo, "find_lib_path")


@case(message="Feature 'NOPE' is unknown")
def unknown_feature(mx, np, npx):
    mx.runtime.Features().is_enabled("nope")


# ------------------------------------------------------------------------- io
@case
def ndarrayiter_pad(mx, np, npx):
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=4)
    return _epochs(it, 2), _desc(it.provide_data), _desc(it.provide_label)


@case
def ndarrayiter_discard(mx, np, npx):
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=3, last_batch_handle="discard")
    return _epochs(it, 2)


@case
def ndarrayiter_roll_over(mx, np, npx):
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=4, last_batch_handle="roll_over")
    return _epochs(it, 4)


@case
def ndarrayiter_roll_over_hard_reset(mx, np, npx):
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=4, last_batch_handle="roll_over")
    first = _epochs(it, 1)
    it.hard_reset()
    return first, [b.data[0].asnumpy() for b in it]


@case
def ndarrayiter_pad_more_than_the_data(mx, np, npx):
    it = mx.io.NDArrayIter(DATA[:3], LABEL[:3], batch_size=8)
    return _epochs(it, 1)


@case
def ndarrayiter_dict_and_list_inputs(mx, np, npx):
    it = mx.io.NDArrayIter({"b": DATA, "a": DATA * 2}, {"y": LABEL}, batch_size=5)
    batch = it.next()
    it2 = mx.io.NDArrayIter([DATA, DATA[:, :1]], batch_size=5)
    b2 = it2.next()
    return (_desc(it.provide_data), _desc(it.provide_label), [d.asnumpy() for d in batch.data],
            _desc(it2.provide_data), _desc(it2.provide_label), b2.label, str(b2),
            type(batch.data[0]).__name__)


@case
def ndarrayiter_int_numpy_becomes_float32(mx, np, npx):
    it = mx.io.NDArrayIter(onp.arange(6).reshape(3, 2), onp.arange(3), batch_size=2)
    b = it.next()
    return b.data[0], b.label[0], _desc(it.provide_data)


@case
def ndarrayiter_nd_input_keeps_dtype(mx, np, npx):
    it = mx.io.NDArrayIter(mx.nd.array(DATA, dtype="int32"), batch_size=4,
                           data_name="x", label_name="y")
    b = it.next()
    return b.data[0], _desc(it.provide_data), it.getpad(), it.getindex()


@case
def ndarrayiter_shuffle_numpy_seeded(mx, np, npx):
    onp.random.seed(7)
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=4, shuffle=True)
    return _epochs(it, 2)


@case
def ndarrayiter_layout_ntc(mx, np, npx):
    seq = onp.arange(24, dtype="float32").reshape(2, 3, 4)     # T=2, N=3, C=4
    it = mx.io.NDArrayIter(seq, batch_size=2, layout="TNC", last_batch_handle="discard")
    return _desc(it.provide_data), [b.data[0].asnumpy() for b in it]


@case(differs="MXNet's NDArrayIter cannot cut mx.np arrays (AttributeError: no slice_axis); ndengine takes them")
def ndarrayiter_np_array_input(mx, np, npx):
    it = mx.io.NDArrayIter(np.array(DATA), np.array(LABEL), batch_size=4)
    return _epochs(it, 1)


@case(differs="MXNet accepts any last_batch_handle (an unknown one acts as 'discard'); ndengine raises ValueError")
def ndarrayiter_unknown_last_batch_handle(mx, np, npx):
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=4, last_batch_handle="drop")
    return _epochs(it, 1)


@case
def data_desc_and_batch(mx, np, npx):
    d = mx.io.DataDesc("x", (2, 3))
    lst = mx.io.DataDesc.get_list([("a", (1,)), ("b", (2,))], [("a", "int32"), ("b", "uint8")])
    batch = mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.zeros((2,))], pad=1)
    return (repr(d), d == ("x", (2, 3)), d.dtype is onp.float32, d.layout, [repr(x) for x in lst],
            mx.io.DataDesc.get_batch_axis("TNC"), mx.io.DataDesc.get_batch_axis(None),
            str(batch), batch.pad, batch.index)


@case
def resize_iter(mx, np, npx):
    base = mx.io.NDArrayIter(DATA, LABEL, batch_size=4)
    it = mx.io.ResizeIter(base, 5)
    first = [(b.data[0].asnumpy(), b.pad) for b in it]
    it.reset()
    return first, len(list(it)), it.batch_size, _desc(it.provide_data)


@case
def prefetching_iter(mx, np, npx):
    a = mx.io.NDArrayIter({"data": DATA}, {"label": LABEL}, batch_size=4)
    b = mx.io.NDArrayIter({"data": DATA * 10}, {"label": LABEL * 10}, batch_size=4)
    it = mx.io.PrefetchingIter([a, b], rename_data=[{"data": "d1"}, {"data": "d2"}],
                               rename_label=[{"label": "l1"}, {"label": "l2"}])
    out = []
    for _ in range(2):
        out.append([([d.asnumpy() for d in x.data], [lab.asnumpy() for lab in x.label], x.pad)
                    for x in it])
        it.reset()
    return out, _desc(it.provide_data), _desc(it.provide_label), it.batch_size


def _write(name, rows):
    with open(name, "w") as f:
        f.write("\n".join(",".join(str(v) for v in r) for r in rows) + "\n")


CSV_ROWS = [[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]]


def _csv_epochs(it, n):
    out = []
    for _ in range(n):
        out.append([(b.data[0].asnumpy(), b.label[0].asnumpy(), b.pad, b.index) for b in it])
        it.reset()
    return out


@case
def csviter_round_batch(mx, np, npx):
    _write("d.csv", CSV_ROWS)
    it = mx.io.CSVIter(data_csv="d.csv", data_shape=(3,), batch_size=3)
    return _csv_epochs(it, 4), _desc(it.provide_data), _desc(it.provide_label), it.batch_size


@case
def csviter_no_round_batch_labels_int32(mx, np, npx):
    _write("d.csv", CSV_ROWS)
    _write("l.csv", [[1], [2], [3], [4]])
    it = mx.io.CSVIter(data_csv="d.csv", data_shape=(3,), batch_size=3, round_batch=False,
                       label_csv="l.csv", dtype="int32")
    return _csv_epochs(it, 2), _desc(it.provide_data)


@case
def csviter_shapes(mx, np, npx):
    _write("d.csv", CSV_ROWS)
    _write("l.csv", [[1, 2], [3, 4], [5, 6], [7, 8]])
    it = mx.io.CSVIter(data_csv="d.csv", data_shape=(1, 3), batch_size=2, label_csv="l.csv",
                       label_shape=(2,))
    b = it.next()
    return (b.data[0], b.label[0], _desc(it.provide_data), _desc(it.provide_label),
            type(b.data[0]).__name__, it.getdata().shape, it.getpad())


@case
def csviter_batch_larger_than_file_without_round_batch(mx, np, npx):
    _write("d.csv", CSV_ROWS)
    it = mx.io.CSVIter(data_csv="d.csv", data_shape=(3,), batch_size=6, round_batch=False)
    b = it.next()
    return b.data[0].asnumpy()[:4], b.pad, b.index[:4]      # the rest is not written


@case
def csviter_row_length_mismatch(mx, np, npx):
    _write("d.csv", CSV_ROWS)
    mx.io.CSVIter(data_csv="d.csv", data_shape=(2,), batch_size=2)


@case
def csviter_batch_larger_than_file(mx, np, npx):
    _write("d.csv", CSV_ROWS)
    it = mx.io.CSVIter(data_csv="d.csv", data_shape=(3,), batch_size=5)
    return _csv_epochs(it, 3)


@case
def csviter_batch_larger_than_twice_the_file(mx, np, npx):
    _write("d.csv", CSV_ROWS)
    mx.io.CSVIter(data_csv="d.csv", data_shape=(3,), batch_size=9)


@case
def csviter_round_batch_runs_out_in_the_second_epoch(mx, np, npx):
    _write("d.csv", CSV_ROWS)
    it = mx.io.CSVIter(data_csv="d.csv", data_shape=(3,), batch_size=7)
    first = [b.pad for b in it]
    it.reset()
    return first, [b.pad for b in it]


@case
def csviter_missing_file(mx, np, npx):
    mx.io.CSVIter(data_csv="no_such_file.csv", data_shape=(3,), batch_size=2)


# ------------------------------------------------------------------------- callback
def _metric(mx):
    m = mx.metric.Accuracy()
    m.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])])
    return m


@case(mode="nd")
def speedometer_lines(mx, np, npx):
    with _Capture() as cap:
        for auto_reset in (True, False):
            sp = mx.callback.Speedometer(batch_size=2, frequent=2, auto_reset=auto_reset)
            m = _metric(mx)
            for n in range(5):
                sp(Param(epoch=1, nbatch=n, eval_metric=m, locals=None))
        sp = mx.callback.Speedometer(batch_size=2, frequent=2)
        for n in range(3):
            sp(Param(epoch=0, nbatch=n, eval_metric=None, locals=None))
    return [re.sub(r"Speed: [0-9.]+|Speed: inf", "Speed: S", x) for x in cap.lines]


@case(mode="nd")
def progress_bar_and_metric_logs(mx, np, npx):
    with _Capture() as cap:
        bar = mx.callback.ProgressBar(total=4, length=8)
        for n in (1, 2, 4):
            bar(Param(epoch=0, nbatch=n, eval_metric=None, locals=None))
        m = _metric(mx)
        mx.callback.LogValidationMetricsCallback()(Param(2, 0, m, None))
        cb = mx.callback.log_train_metric(2, auto_reset=True)
        for n in range(3):
            cb(Param(3, n, m, None))
        after = m.get()
    return cap.lines, after


# ------------------------------------------------------------------------- name, attribute
@case
def name_manager_and_prefix(mx, np, npx):
    nm = mx.name.NameManager()
    out = [nm.get(None, "fc"), nm.get(None, "fc"), nm.get(None, "conv"), nm.get("mine", "fc")]
    with mx.name.Prefix("net_") as p:
        out += [p.get(None, "fc"), p.get("x", "fc"), p.get(None, "fc")]
        with mx.name.NameManager() as inner:
            out.append(inner.get(None, "fc"))
    return out, type(p).__mro__[1].__name__


@case
def attr_scope_nesting(mx, np, npx):
    out = []
    with mx.AttrScope(group="a", lr_mult="1") as s1:
        out.append(s1.get(None))
        with mx.attribute.AttrScope(group="b") as s2:
            out.append(s2.get({"own": "x"}))
        out.append(s1.get({"lr_mult": "2"}))
    out.append(mx.attribute.AttrScope().get(None))
    return out


@case
def attr_scope_needs_strings(mx, np, npx):
    mx.AttrScope(lr_mult=2)


# ------------------------------------------------------------------------- error, log
@case
def error_classes(mx, np, npx):
    e = mx.error.InternalError("broken")

    @mx.error.register
    class MyError(mx.error.MXNetError):
        pass

    @mx.error.register("OtherName")
    class Other(ValueError):
        pass

    return (mx.error.MXNetError is mx.base.MXNetError, isinstance(e, mx.MXNetError),
            [c.__name__ for c in type(e).__mro__], str(e).startswith("broken\n"),
            MyError.__name__, Other.__name__, mx.error.register is mx.error.register_error)


@case
def raise_internal_error(mx, np, npx):
    raise mx.error.InternalError("x")


@case
def logger_format(mx, np, npx):
    logger = mx.log.get_logger("ndengine_diff_case_logger", level=mx.log.INFO)
    again = mx.log.get_logger("ndengine_diff_case_logger", level=mx.log.DEBUG)
    fmt = logger.handlers[0].formatter
    out = []
    for level in (mx.log.DEBUG, mx.log.INFO, mx.log.WARNING, mx.log.ERROR, mx.log.CRITICAL, 5):
        rec = logging.LogRecord("n", level, "/a/b.py", 7, "hello %s", ("you",), None, "fn")
        rec.process = 4242
        line = fmt.format(rec)
        out.append(re.sub(r"\d{4} \d\d:\d\d:\d\d", "DATE", line))
    return (out, logger.level, again is logger, len(logger.handlers),
            (mx.log.CRITICAL, mx.log.ERROR, mx.log.WARNING, mx.log.INFO, mx.log.DEBUG,
             mx.log.NOTSET))


# ------------------------------------------------------------------------- ImageRecordIter
REC_SIZES = [(6, 8), (8, 6), (10, 10), (5, 7), (7, 9)]


def _make_rec(mx, name="t", labels=None):
    """A RecordIO file of PNG images (lossless: both sides decode the same pixels)."""
    import io as _io

    from PIL import Image

    rs = onp.random.RandomState(0)
    rec = mx.recordio.MXIndexedRecordIO(name + ".idx", name + ".rec", "w")
    for i, (h, w) in enumerate(REC_SIZES):
        img = rs.randint(0, 256, (h, w, 3)).astype("uint8")
        buf = _io.BytesIO()
        Image.fromarray(img).save(buf, format="PNG")
        label = float(i) if labels is None else labels[i]
        rec.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, label, i, 0), buf.getvalue()))
    rec.close()
    return name + ".rec"


def _rec_epochs(it, n):
    out = []
    for _ in range(n):
        out.append([(b.data[0].asnumpy(), b.label[0].asnumpy(), b.pad) for b in it])
        it.reset()
    return out


@case
def imagerecorditer_centre_crop_round_batch(mx, np, npx):
    # two epochs: MXNet's third one sometimes reports a stale pad (a race in its
    # prefetcher, seen twice when making the fixture)
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4), batch_size=2,
                               preprocess_threads=1)
    return (_rec_epochs(it, 2), _desc(it.provide_data), _desc(it.provide_label),
            type(it.next().data[0]).__name__)


@case
def imagerecorditer_small_images_are_enlarged(mx, np, npx):
    path = _make_rec(mx)
    out = []
    for shape in ((3, 6, 6), (3, 4, 9), (3, 9, 4)):
        it = mx.io.ImageRecordIter(path_imgrec=path, data_shape=shape, batch_size=5)
        out.append(it.next().data[0].asnumpy())
    return out


@case
def imagerecorditer_resize_shorter_edge(mx, np, npx):
    path = _make_rec(mx)
    return [mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, s, s), batch_size=5,
                                  resize=r).next().data[0].asnumpy()
            for r, s in ((5, 4), (7, 5))]


@case
def imagerecorditer_mean_std_scale(mx, np, npx):
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4), batch_size=5,
                               mean_r=10, mean_g=20, mean_b=30, std_r=2, std_g=4, std_b=5,
                               scale=0.5)
    return it.next().data[0]


@case
def imagerecorduint8iter(mx, np, npx):
    it = mx.io.ImageRecordUInt8Iter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4),
                                    batch_size=5)
    b = it.next()
    return b.data[0], b.label[0], _desc(it.provide_data)


@case
def imagerecorditer_label_width(mx, np, npx):
    labels = [onp.array([i, 10 * i, 100 * i], "float32") for i in range(5)]
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx, labels=labels), data_shape=(3, 4, 4),
                               batch_size=5, label_width=3)
    return it.next().label[0], _desc(it.provide_label)


@case
def imagerecorditer_label_width_mismatch(mx, np, npx):
    labels = [onp.array([i, 10 * i, 100 * i], "float32") for i in range(5)]
    mx.io.ImageRecordIter(path_imgrec=_make_rec(mx, labels=labels), data_shape=(3, 4, 4),
                          batch_size=5, label_width=2).next()


@case(values=False)   # the grey values are mx.image.imdecode(flag=0)'s: Pillow's rounding
def imagerecorditer_greyscale(mx, np, npx):
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(1, 4, 4), batch_size=5)
    return it.next().data[0], _desc(it.provide_data)


@case(values=False)
def imagerecorditer_random_crop_mirror_shuffle(mx, np, npx):
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4), batch_size=5,
                               rand_crop=True, rand_mirror=True, shuffle=True, seed=1)
    out = []
    for _ in range(2):
        for b in it:
            out.append((b.data[0], sorted(b.label[0].asnumpy().tolist())))
        it.reset()
    return out


@case
def imagerecorditer_parts(mx, np, npx):
    path = _make_rec(mx)
    return [mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=1,
                                  num_parts=2, part_index=p, round_batch=False)
            .next().label[0] for p in (0, 1)]


@case(differs="MXNet's ImageRecordIter reports pad 0 for the incomplete last batch of round_batch=False; ndengine reports the places not filled")
def imagerecorditer_no_round_batch_pad(mx, np, npx):
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4), batch_size=3,
                               round_batch=False)
    return [(b.label[0].asnumpy()[:2], b.pad) for b in it]


# ------------------------------------------------------------------------- MNISTIter
def _make_mnist(n=10):
    import struct

    rs = onp.random.RandomState(0)
    imgs = rs.randint(0, 256, (n, 28, 28)).astype("uint8")
    labs = rs.randint(0, 10, n).astype("uint8")
    with open("img", "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, 28, 28) + imgs.tobytes())
    with open("lab", "wb") as f:
        f.write(struct.pack(">II", 2049, n) + labs.tobytes())


@case
def mnistiter_batches(mx, np, npx):
    _make_mnist()
    it = mx.io.MNISTIter(image="img", label="lab", batch_size=4, shuffle=False)
    out = []
    for _ in range(2):
        out.append([(b.data[0].asnumpy(), b.label[0].asnumpy(), b.pad) for b in it])
        it.reset()
    return out, _desc(it.provide_data), _desc(it.provide_label)


@case
def mnistiter_flat_and_parts(mx, np, npx):
    _make_mnist()
    flat = mx.io.MNISTIter(image="img", label="lab", batch_size=4, shuffle=False, flat=True)
    parts = [[b.label[0].asnumpy() for b in mx.io.MNISTIter(
        image="img", label="lab", batch_size=1, shuffle=False, num_parts=3, part_index=k)]
        for k in range(3)]
    return flat.next().data[0], _desc(flat.provide_data), parts


@case(values=False)
def mnistiter_shuffle_keeps_its_order(mx, np, npx):
    _make_mnist()
    it = mx.io.MNISTIter(image="img", label="lab", batch_size=5, seed=3)
    first = [b.label[0].asnumpy() for b in it]
    it.reset()
    second = [b.label[0].asnumpy() for b in it]
    return first, [bool((a == b).all()) for a, b in zip(first, second)]


@case
def mnistiter_missing_file(mx, np, npx):
    _make_mnist()
    mx.io.MNISTIter(image="no_such_file", label="lab", batch_size=4)


@case
def imagerecorditer_pad_and_fill_value(mx, np, npx):
    path = _make_rec(mx)
    return [mx.io.ImageRecordIter(path_imgrec=path, data_shape=shape, batch_size=5, **kw)
            .next().data[0].asnumpy()
            for shape, kw in (((3, 8, 8), {"pad": 2, "fill_value": 7}),
                              ((3, 9, 9), {"pad": 1}))]


@case
def imagerecorditer_crop_size(mx, np, npx):
    path = _make_rec(mx)
    return [mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=5,
                                  min_crop_size=5, max_crop_size=5, inter_method=m)
            .next().data[0].asnumpy() for m in (1, 2, 9)]


@case
def imagerecorditer_crop_size_larger_than_image(mx, np, npx):
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4), batch_size=5,
                               min_crop_size=9, max_crop_size=9)
    return it.next().data[0].asnumpy()


@case
def imagerecorditer_auto_interp_resize(mx, np, npx):
    path = _make_rec(mx)
    return [mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, s, s), batch_size=5,
                                  resize=r, inter_method=9).next().data[0].asnumpy()
            for r, s in ((4, 4), (12, 6))]


@case
def imagerecorditer_mirror(mx, np, npx):
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4), batch_size=5,
                               mirror=True)
    return it.next().data[0]


@case
def imagerecorditer_image_list_labels(mx, np, npx):
    path = _make_rec(mx)
    with open("t.lst", "w") as f:
        f.write("".join(f"{i}\t{i + 5}.0\t{10 * i}\timg{i}.png\n" for i in range(5)))
    out = []
    for width in (1, 2):
        it = mx.io.ImageRecordIter(path_imgrec=path, path_imglist="t.lst", data_shape=(3, 4, 4),
                                   batch_size=2, label_width=width)
        out.append([(b.label[0].asnumpy(), b.pad) for b in it])
    return out


@case
def imagerecorditer_image_list_missing_id(mx, np, npx):
    path = _make_rec(mx)
    with open("t.lst", "w") as f:
        f.write("3\t8.0\td.png\n")
    mx.io.ImageRecordIter(path_imgrec=path, path_imglist="t.lst", data_shape=(3, 4, 4),
                          batch_size=2).next()


# ------------------------------------------------------------------------- checkpoints
@case(mode="nd")
def do_checkpoint_files(mx, np, npx):
    import os

    d = mx.sym.var("data")
    net = mx.sym.BatchNorm(mx.sym.FullyConnected(d, num_hidden=3, name="fc"), name="bn")
    arg = {"fc_weight": mx.nd.array(onp.arange(6).reshape(3, 2)), "fc_bias": mx.nd.zeros((3,)),
           "bn_gamma": mx.nd.ones((3,)), "bn_beta": mx.nd.zeros((3,))}
    aux = {"bn_moving_mean": mx.nd.zeros((3,)), "bn_moving_var": mx.nd.ones((3,))}
    cb = mx.callback.do_checkpoint("m", period=2)
    with _Capture() as cap:
        for epoch in range(4):
            cb(epoch, net, arg, aux)
    loaded = mx.nd.load("m-0004.params")
    sym = mx.sym.load("m-symbol.json")
    return (sorted(os.listdir(".")), cap.lines, {k: loaded[k] for k in sorted(loaded)},
            sym.list_arguments(), sym.list_auxiliary_states(), sym.list_outputs())


@case(atol=1e-4)     # MXNet sums the mean image in float32
def imagerecorditer_mean_img_made_then_used(mx, np, npx):
    path = _make_rec(mx)
    # one decoding thread: with more, MXNet 1.9.1 averages the mean image wrongly
    it = mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=5,
                               mean_img="mean.bin", preprocess_threads=1)
    made = mx.nd.load("mean.bin")
    again = mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=5,
                                  mean_img="mean.bin", scale=0.5, std_r=2)
    return list(made), made["mean_img"], it.next().data[0], again.next().data[0]


@case
def imagerecorditer_fixed_affine_warps(mx, np, npx):
    path = _make_rec(mx)
    return [mx.io.ImageRecordIter(path_imgrec=path, batch_size=5, **kw).next().data[0].asnumpy()
            for kw in ({"data_shape": (3, 4, 4), "min_random_scale": 1.5, "max_random_scale": 1.5},
                       {"data_shape": (3, 4, 4), "rotate": 90},
                       {"data_shape": (3, 4, 4), "rotate": 30, "fill_value": 0},
                       {"data_shape": (3, 3, 3), "min_random_scale": 0.7, "max_random_scale": 0.7},
                       {"data_shape": (3, 4, 4), "rotate": 45, "resize": 8, "pad": 1},
                       {"data_shape": (3, 5, 5), "max_img_size": 6, "min_random_scale": 2,
                        "max_random_scale": 2})]


@case(values=False)
def imagerecorditer_random_affine_shapes(mx, np, npx):
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4), batch_size=5,
                               max_rotate_angle=20, max_shear_ratio=0.1, max_aspect_ratio=0.2,
                               min_random_scale=0.9, max_random_scale=1.2, rand_crop=True)
    return [b.data[0] for b in it]


@case
def imagerecorditer_affine_area_interp_and_nearest_refused(mx, np, npx):
    path = _make_rec(mx)
    out = [mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=5,
                                 rotate=30, inter_method=3).next().data[0].asnumpy()]
    try:
        mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=5, rotate=30,
                              inter_method=0).next()
    except Exception as e:
        out.append(isinstance(e, mx.base.MXNetError))
    return out


@case
def imagerecorditer_hls_round_trip(mx, np, npx):
    # random_l=1 draws shifts that truncate to 0: the HLS conversions alone
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4), batch_size=5,
                               random_l=1)
    return it.next().data[0]


@case(values=False)
def imagerecorditer_random_hls_shapes(mx, np, npx):
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4), batch_size=5,
                               random_h=20, random_s=30, random_l=30)
    return it.next().data[0]


@case(values=False)
def imagerecorditer_colour_jitter_shapes(mx, np, npx):
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4), batch_size=5,
                               brightness=0.3, contrast=0.3, saturation=0.3, pca_noise=0.1)
    return it.next().data[0]


@case(values=False)
def imagerecorditer_random_resized_crop_shapes(mx, np, npx):
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4), batch_size=5,
                               random_resized_crop=True, min_random_area=0.3,
                               max_random_area=1.0, max_aspect_ratio=4 / 3,
                               min_aspect_ratio=3 / 4)
    return it.next().data[0]


@case(values=False)
def imagerecorditer_random_contrast_illumination_shapes(mx, np, npx):
    it = mx.io.ImageRecordIter(path_imgrec=_make_rec(mx), data_shape=(3, 4, 4), batch_size=5,
                               max_random_contrast=0.3, max_random_illumination=10)
    return it.next().data[0]
