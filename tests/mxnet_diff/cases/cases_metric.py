"""mx.metric: every metric's values, types and names after updates with lists and with
single arrays, local vs global stats, averages of F1/MCC/Pearson, create/register, and
the errors for mismatched inputs."""
import numpy as onp

from _diff import case

_R = onp.random.RandomState(3)
SCORES = [_R.uniform(0, 1, (6, 3)).astype("float32") for _ in range(3)]
SCORES = [s / s.sum(axis=1, keepdims=True) for s in SCORES]
LABELS = [onp.array([0, 1, 2, 2, 1, 0], "float32"), onp.array([1, 1, 0, 2, 2, 0], "float32"),
          onp.array([2, 0, 1, 1, 0, 2], "float32")]
BIN_SCORES = [_R.uniform(0, 1, (8, 2)).astype("float32") for _ in range(3)]
BIN_LABELS = [onp.array([0, 1, 1, 0, 1, 0, 0, 1], "float32"),
              onp.array([1, 1, 1, 0, 0, 0, 1, 1], "float32"),
              onp.array([0, 0, 0, 1, 1, 1, 0, 1], "float32")]
REG_P = [_R.standard_normal((5,)).astype("float32") for _ in range(3)]
REG_L = [_R.standard_normal((5,)).astype("float32") for _ in range(3)]


def _state(m):
    """What a user reads off a metric."""
    return (m.get(), m.get_global(), m.get_name_value(), m.get_global_name_value(),
            m.num_inst, m.sum_metric, m.global_num_inst, m.global_sum_metric)


def _feed(mx, np, m, labels, preds, as_list=True):
    for lab, pr in zip(labels, preds):
        if as_list:
            m.update([np.array(lab)], [np.array(pr)])
        else:
            m.update(np.array(lab), np.array(pr))
    return m


@case(differs="MXNet 1.9.1's metric calls a legacy op (argmax/pick/sum) on np arrays and raises TypeError; ndengine's metrics take np arrays")
def accuracy_lists(mx, np, npx):
    m = _feed(mx, np, mx.metric.Accuracy(), LABELS, SCORES)
    return _state(m)


@case(differs="MXNet 1.9.1's metric calls a legacy op (argmax/pick/sum) on np arrays and raises TypeError; ndengine's metrics take np arrays")
def accuracy_single_arrays_and_reset_local(mx, np, npx):
    m = _feed(mx, np, mx.metric.Accuracy(), LABELS[:2], SCORES[:2], as_list=False)
    before = _state(m)
    m.reset_local()
    _feed(mx, np, m, LABELS[2:], SCORES[2:])
    return before, _state(m)


@case
def accuracy_same_shape_predictions(mx, np, npx):
    m = mx.metric.Accuracy()
    m.update([np.array([1, 0, 2, 2])], [np.array([1.0, 0.0, 1.0, 2.0])])
    return _state(m)


@case(differs="MXNet 1.9.1's metric calls a legacy op (argmax/pick/sum) on np arrays and raises TypeError; ndengine's metrics take np arrays")
def accuracy_axis_0(mx, np, npx):
    m = mx.metric.Accuracy(axis=0)
    m.update([np.array([2, 0, 1])], [np.array(SCORES[0][:3].T)])
    return _state(m)


@case(differs="MXNet 1.9.1's metric calls a legacy op (argmax/pick/sum) on np arrays and raises TypeError; ndengine's metrics take np arrays")
def accuracy_two_outputs_in_one_update(mx, np, npx):
    m = mx.metric.Accuracy()
    m.update([np.array(LABELS[0]), np.array(LABELS[1])],
             [np.array(SCORES[0]), np.array(SCORES[1])])
    return _state(m)


@case
def accuracy_before_any_update(mx, np, npx):
    m = mx.metric.Accuracy()
    return m.get(), m.get_global(), m.num_inst, m.sum_metric, str(m)


@case
def error_accuracy_list_lengths_differ(mx, np, npx):
    m = mx.metric.Accuracy()
    m.update([np.array(LABELS[0])], [np.array(SCORES[0]), np.array(SCORES[1])])


@case
def topk_accuracy(mx, np, npx):
    m = _feed(mx, np, mx.metric.TopKAccuracy(top_k=2), LABELS, SCORES)
    return _state(m), m.name


@case
def topk_more_than_classes(mx, np, npx):
    m = _feed(mx, np, mx.metric.TopKAccuracy(top_k=5), LABELS[:1], SCORES[:1])
    return _state(m)


@case
def error_topk_of_one(mx, np, npx):
    return mx.metric.TopKAccuracy(top_k=1)


@case
def f1_macro(mx, np, npx):
    m = _feed(mx, np, mx.metric.F1(), BIN_LABELS, BIN_SCORES)
    return _state(m)


@case
def f1_micro_and_reset_local(mx, np, npx):
    m = _feed(mx, np, mx.metric.F1(average="micro"), BIN_LABELS[:2], BIN_SCORES[:2])
    before = _state(m)
    m.reset_local()
    _feed(mx, np, m, BIN_LABELS[2:], BIN_SCORES[2:])
    return before, _state(m)


@case
def error_f1_more_than_two_classes(mx, np, npx):
    m = mx.metric.F1()
    m.update([np.array([0, 1, 2])], [np.array(SCORES[0][:3, :2])])


@case
def mcc_macro_and_micro(mx, np, npx):
    a = _feed(mx, np, mx.metric.MCC(), BIN_LABELS, BIN_SCORES)
    b = _feed(mx, np, mx.metric.MCC(average="micro"), BIN_LABELS, BIN_SCORES)
    return _state(a), _state(b)


@case
def mcc_all_one_class(mx, np, npx):
    m = mx.metric.MCC()
    m.update([np.array([1, 1, 1])], [np.array([[0.1, 0.9], [0.2, 0.8], [0.3, 0.7]])])
    return _state(m)


@case(differs="MXNet 1.9.1's metric calls a legacy op (argmax/pick/sum) on np arrays and raises TypeError; ndengine's metrics take np arrays")
def perplexity(mx, np, npx):
    m = mx.metric.Perplexity(ignore_label=None)
    _feed(mx, np, m, LABELS, SCORES)
    return _state(m)


@case(differs="MXNet 1.9.1's metric calls a legacy op (argmax/pick/sum) on np arrays and raises TypeError; ndengine's metrics take np arrays")
def perplexity_ignore_label(mx, np, npx):
    m = mx.metric.Perplexity(ignore_label=2)
    _feed(mx, np, m, LABELS, SCORES)
    return _state(m)


@case
def error_perplexity_shape_mismatch(mx, np, npx):
    m = mx.metric.Perplexity(ignore_label=None)
    m.update([np.array(LABELS[0][:4])], [np.array(SCORES[0])])


@case
def mae_mse_rmse(mx, np, npx):
    out = []
    for m in (mx.metric.MAE(), mx.metric.MSE(), mx.metric.RMSE()):
        _feed(mx, np, m, REG_L, REG_P)
        out.append(_state(m))
    return out


@case
def mse_two_dims_single_array(mx, np, npx):
    m = mx.metric.MSE()
    m.update(np.array(REG_L[0].reshape(5, 1)), np.array(REG_P[0].reshape(5, 1)))
    return _state(m)


@case
def cross_entropy_and_nll(mx, np, npx):
    a = _feed(mx, np, mx.metric.CrossEntropy(), LABELS, SCORES)
    b = _feed(mx, np, mx.metric.NegativeLogLikelihood(eps=1e-6), LABELS, SCORES)
    return _state(a), _state(b)


@case
def error_cross_entropy_batch_mismatch(mx, np, npx):
    m = mx.metric.CrossEntropy()
    m.update(np.array(LABELS[0][:4]), np.array(SCORES[0][:5]))


@case
def pearson_macro(mx, np, npx):
    m = _feed(mx, np, mx.metric.PearsonCorrelation(), REG_L, REG_P)
    return _state(m)


@case
def pearson_micro(mx, np, npx):
    m = _feed(mx, np, mx.metric.PearsonCorrelation(average="micro"), REG_L, REG_P)
    return m.get(), m.num_inst


@case
def error_pearson_shape_mismatch(mx, np, npx):
    m = mx.metric.PearsonCorrelation()
    m.update([np.array(REG_L[0])], [np.array(REG_P[0][:4])])


@case
def pcc_multiclass(mx, np, npx):
    m = _feed(mx, np, mx.metric.PCC(), LABELS, SCORES)
    return _state(m), m.k


@case
def pcc_grows_with_new_classes(mx, np, npx):
    m = mx.metric.PCC()
    m.update([np.array([0, 1, 1, 0])], [np.array([0, 1, 0, 0])])
    m.update([np.array([3, 2, 1, 0])], [np.array([3, 1, 1, 0])])
    return _state(m), m.k


@case(differs="MXNet 1.9.1's metric calls a legacy op (argmax/pick/sum) on np arrays and raises TypeError; ndengine's metrics take np arrays")
def loss_metric(mx, np, npx):
    m = mx.metric.Loss()
    m.update(None, [np.array(REG_P[0]), np.array(REG_P[1])])
    m.update(None, np.array(REG_P[2]))
    t = mx.metric.Torch()
    t.update(None, [np.array(REG_P[0])])
    return _state(m), t.get(), mx.metric.Caffe().name


@case
def custom_metric_value_and_tuple(mx, np, npx):
    def mean_abs(label, pred):
        return onp.abs(label - pred).mean()

    def count_close(label, pred):
        return int((onp.abs(label - pred) < 0.5).sum()), label.size

    a = _feed(mx, np, mx.metric.CustomMetric(mean_abs), REG_L, REG_P)
    b = _feed(mx, np, mx.metric.create(count_close), REG_L, REG_P)
    c = mx.metric.CustomMetric(lambda l, p: 1.0)
    d = mx.metric.np(mean_abs, name="mine")
    _feed(mx, np, d, REG_L, REG_P)
    return (a.get(), a.num_inst, b.get(), b.sum_metric, b.num_inst, c.name, d.get())


@case
def custom_metric_extra_outputs(mx, np, npx):
    m = mx.metric.CustomMetric(lambda l, p: float(onp.abs(l - p).sum()), name="x",
                               allow_extra_outputs=True)
    m.update([np.array(REG_L[0])], [np.array(REG_P[0]), np.array(REG_P[1])])
    return m.get(), m.num_inst


@case
def error_custom_metric_config(mx, np, npx):
    return mx.metric.CustomMetric(lambda l, p: 1.0).get_config()


@case
def composite_metric(mx, np, npx):
    m = mx.metric.CompositeEvalMetric()
    m.add(mx.metric.CrossEntropy())
    m.add("nll_loss")
    m.add(mx.metric.TopKAccuracy(top_k=2))
    _feed(mx, np, m, LABELS, SCORES)
    m2 = mx.metric.create(["acc", "mse"])
    return (m.get(), m.get_global(), m.get_name_value(), m.get_metric(1).name,
            type(m.get_metric(7)).__name__, [type(c).__name__ for c in m2.metrics])


@case
def composite_reset_local(mx, np, npx):
    m = mx.metric.create(["top_k_acc", "ce"], top_k=2)
    _feed(mx, np, m, LABELS[:2], SCORES[:2])
    m.reset_local()
    _feed(mx, np, m, LABELS[2:], SCORES[2:])
    a = (m.get(), m.get_global())
    m.reset()
    return a, m.get()


@case
def update_dict_with_names(mx, np, npx):
    m = mx.metric.CrossEntropy(output_names=["out1"], label_names=["lab1"])
    m.update_dict({"lab0": np.array(LABELS[0]), "lab1": np.array(LABELS[1])},
                  {"out0": np.array(SCORES[0]), "out1": np.array(SCORES[1])})
    c = mx.metric.CompositeEvalMetric(metrics=["ce"], output_names=["out0"],
                                      label_names=["lab0"])
    c.update_dict({"lab0": np.array(LABELS[0]), "lab1": np.array(LABELS[1])},
                  {"out0": np.array(SCORES[0]), "out1": np.array(SCORES[1])})
    return m.get(), c.get()


@case
def create_by_names_and_aliases(mx, np, npx):
    names = ["acc", "accuracy", "top_k_acc", "top_k_accuracy", "f1", "mcc", "mae", "mse",
             "rmse", "ce", "cross-entropy", "nll_loss", "pearsonr", "pcc", "loss", "torch",
             "caffe", "composite", "Accuracy", "CrossEntropy"]
    out = []
    for n in names:
        kw = {"top_k": 3} if n.startswith("top_k") else {}
        try:
            out.append(type(mx.metric.create(n, **kw)).__name__)
        except Exception as e:      # noqa: BLE001
            out.append(type(e).__name__)
    return out


@case
def create_perplexity_with_args_and_config(mx, np, npx):
    m = mx.metric.create("perplexity", -1, name="ppl")
    cfg = mx.metric.Accuracy(axis=2, name="a").get_config()
    again = mx.metric.create(cfg)
    return m.name, m.ignore_label, sorted(cfg.items()), type(again).__name__, again.axis


@case
def create_instance_passes_through(mx, np, npx):
    a = mx.metric.Accuracy()
    return mx.metric.create(a) is a


@case
def error_create_unknown(mx, np, npx):
    return mx.metric.create("nosuchmetric")


@case
def error_create_instance_with_args(mx, np, npx):
    return mx.metric.create(mx.metric.Accuracy(), 3)


@case
def register_a_new_metric(mx, np, npx):
    @mx.metric.register
    @mx.metric.alias("mymax")
    class MaxErr(mx.metric.EvalMetric):
        def __init__(self, name="maxerr", **kw):
            super().__init__(name, **kw)

        def update(self, labels, preds):
            for l, p in zip(labels, preds):
                self.sum_metric += float(onp.abs(l.asnumpy() - p.asnumpy()).max())
                self.num_inst += 1

    m = mx.metric.create("mymax")
    m.update([np.array(REG_L[0])], [np.array(REG_P[0])])
    return type(m).__name__, m.get(), type(mx.metric.create("maxerr")).__name__


@case
def check_label_shapes_helper(mx, np, npx):
    a, b = mx.metric.check_label_shapes(np.array([1, 2]), np.array([3, 4]), wrap=True)
    return len(a), len(b), type(a).__name__


@case
def error_check_label_shapes_shape(mx, np, npx):
    return mx.metric.check_label_shapes(np.zeros((2, 3)), np.zeros((2, 4)), shape=True)
