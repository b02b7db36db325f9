"""gluon.loss against MXNet 1.9.1: values, shapes (the batch axis, the reduction),
weights, dtypes, and the errors for bad input.

MXNet 1.9.1's np mode runs only L1, L2, SigmoidBCE and SoftmaxCE: the other losses call
legacy operators there and raise TypeError (``huber_np_mode_fails_on_mxnet``).  Their
cases go through :func:`_legacy`, which on real MXNet hands the loss legacy NDArrays
(``as_nd_ndarray``) and converts the result back, so MXNet's own formulas give the
reference values; on ndengine the loss takes the np arrays as they are.
"""
from _diff import case


def _real(mx):
    return mx.__name__ == "mxnet"


def _legacy(mx, fn, *args):
    """fn(*args), through MXNet's legacy mode on real MXNet (see the module doc)."""
    if not _real(mx):
        return fn(*args)
    conv = [a.as_nd_ndarray() if isinstance(a, mx.np.ndarray) else a for a in args]
    mx.npx.reset_np()           # a Block may return legacy NDArrays only in legacy mode
    try:
        out = fn(*conv)
        out.wait_to_read()
    except Exception:
        try:                    # MXNet raises a failed op's error at waitall once more
            mx.nd.waitall()
        except Exception:       # noqa: BLE001
            pass
        raise
    finally:
        mx.npx.set_np()
    return out.as_np_ndarray()


def _pl(np, shape=(3, 4), k=1.0):
    n = 1
    for s in shape:
        n *= s
    p = np.sin(np.arange(n) * 0.7 * k).reshape(shape)
    y = np.cos(np.arange(n) * 0.3 + k).reshape(shape)
    return p, y


# ----------------------------------------------------------------------------- L2 / L1
@case
def l2_values(mx, np, npx):
    p, y = _pl(np)
    L = mx.gluon.loss
    return L.L2Loss()(p, y), L.L2Loss(weight=3.0)(p, y)


@case
def l2_label_reshaped_like_pred(mx, np, npx):
    p, y = _pl(np, (5, 1))
    L = mx.gluon.loss
    return L.L2Loss()(p, y.reshape(5)), L.L2Loss()(y.reshape(5), p)


@case
def l2_sample_weight_broadcasts(mx, np, npx):
    p, y = _pl(np)
    L = mx.gluon.loss
    sw_rows = np.array([[1.0], [0.0], [2.0]])
    sw_cols = np.array([[1.0, 2.0, 3.0, 4.0]])
    return L.L2Loss()(p, y, sw_rows), L.L2Loss()(p, y, sw_cols)


@case
def l2_sample_weight_wider_than_the_loss(mx, np, npx):
    p, y = _pl(np, (2, 3))
    return mx.gluon.loss.L2Loss()(p, y, np.ones((4, 2, 3)))


@case
def l2_three_axes_mean_over_the_rest(mx, np, npx):
    p, y = _pl(np, (2, 3, 4))
    return mx.gluon.loss.L2Loss()(p, y)


@case
def l2_one_and_zero_dims(mx, np, npx):
    L = mx.gluon.loss.L2Loss()
    return L(np.array([1.0, 2.0, 4.0]), np.array([0.0, 2.0, 1.0])), L(np.array(1.0), np.array(3.0))


@case
def l2_dtypes(mx, np, npx):
    p, y = _pl(np)
    L = mx.gluon.loss.L2Loss()
    return (L(p.astype("float64"), y.astype("float64")), L(p.astype("float16"), y.astype("float16")),
            L(p.astype("float64"), y))


@case(rtol=1e-3, atol=1e-3)
def l2_float16_values(mx, np, npx):
    p, y = _pl(np)
    return mx.gluon.loss.L2Loss()(p.astype("float16"), y.astype("float16"))


@case
def l2_size_mismatch_raises(mx, np, npx):
    return mx.gluon.loss.L2Loss()(np.ones((2, 3)), np.ones((4, 2)))


@case
def l2_label_of_same_size_other_shape(mx, np, npx):
    p, y = _pl(np, (2, 3))
    return mx.gluon.loss.L2Loss()(p, y.reshape(3, 2))


@case
def l2_sample_weight_not_broadcastable_raises(mx, np, npx):
    p, y = _pl(np, (2, 3))
    return mx.gluon.loss.L2Loss()(p, y, np.ones((3, 1)))


@case(differs="MXNet asserts (AssertionError); ndengine raises TypeError when made")
def loss_weight_must_be_a_number(mx, np, npx):
    p, y = _pl(np)
    return mx.gluon.loss.L2Loss(weight=np.array(2.0))(p, y)


@case(differs="MXNet's np mode ignores batch_axis in L2Loss (averages over axes 1..); "
              "ndengine honours it as MXNet's docs and legacy mode do")
def l2_batch_axis_np_mode(mx, np, npx):
    p, y = _pl(np, (2, 3, 4))
    return mx.gluon.loss.L2Loss(batch_axis=1)(p, y)


@case
def l2_batch_axis_as_legacy_mode(mx, np, npx):
    p, y = _pl(np, (2, 3, 4))
    return _legacy(mx, mx.gluon.loss.L2Loss(batch_axis=1), p, y)


@case
def l1_values_weight_sample_weight(mx, np, npx):
    p, y = _pl(np)
    L = mx.gluon.loss
    return (L.L1Loss()(p, y), L.L1Loss(weight=2.0)(p, y),
            L.L1Loss()(p, y, np.array([[1.0], [0.5], [0.0]])))


@case
def loss_repr(mx, np, npx):
    L = mx.gluon.loss
    return repr(L.L2Loss()), repr(L.L1Loss(weight=2.0, batch_axis=1)), repr(L.HuberLoss())


# ----------------------------------------------------------------------------- BCE
def _bce_inputs(np):
    p, _ = _pl(np)
    p = p * 4
    y = np.array([[0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    return p, y


@case
def sigmoid_bce_from_logits(mx, np, npx):
    p, y = _bce_inputs(np)
    L = mx.gluon.loss
    return L.SigmoidBinaryCrossEntropyLoss()(p, y), L.SigmoidBCELoss(weight=0.5)(p, y)


@case
def sigmoid_bce_from_sigmoid(mx, np, npx):
    p, y = _bce_inputs(np)
    return mx.gluon.loss.SigmoidBCELoss(from_sigmoid=True)(npx.sigmoid(p), y)


@case
def sigmoid_bce_pos_weight(mx, np, npx):
    p, y = _bce_inputs(np)
    pw = np.array([[2.0, 0.5, 1.0, 3.0]])
    L = mx.gluon.loss
    return (L.SigmoidBCELoss()(p, y, None, pw),
            L.SigmoidBCELoss(from_sigmoid=True)(npx.sigmoid(p), y, None, pw))


@case
def sigmoid_bce_sample_weight_and_soft_labels(mx, np, npx):
    p, y = _bce_inputs(np)
    return mx.gluon.loss.SigmoidBCELoss()(p, y * 0.8 + 0.1, np.array([[1.0], [2.0], [0.0]]))


@case
def sigmoid_bce_large_logits_stay_finite(mx, np, npx):
    p = np.array([[80.0, -80.0, 0.0], [-200.0, 200.0, 30.0]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    return mx.gluon.loss.SigmoidBCELoss()(p, y)


@case
def sigmoid_bce_label_reshaped(mx, np, npx):
    p = np.array([[0.5], [-1.0], [2.0]])
    return mx.gluon.loss.SigmoidBCELoss()(p, np.array([1.0, 0.0, 1.0]))


# ----------------------------------------------------------------------------- softmax CE
@case
def softmax_ce_sparse(mx, np, npx):
    p, _ = _pl(np)
    L = mx.gluon.loss
    lab = np.array([0, 3, 1])
    return L.SoftmaxCrossEntropyLoss()(p, lab), L.SoftmaxCELoss()(p, lab.reshape(3, 1))


@case
def softmax_ce_axis_1_of_three(mx, np, npx):
    p, _ = _pl(np, (2, 3, 4))
    lab = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
    return mx.gluon.loss.SoftmaxCELoss(axis=1)(p, lab)


@case(differs="labels outside the classes fail at the sync point; MXNet clips them")
def softmax_ce_float_labels_truncated_out_of_range_clipped(mx, np, npx):
    p, _ = _pl(np)
    L = mx.gluon.loss.SoftmaxCELoss()
    return L(p, np.array([0.7, 2.9, 1.5])), L(p, np.array([7, -1, 3]))


@case
def softmax_ce_int_labels(mx, np, npx):
    p, _ = _pl(np)
    return mx.gluon.loss.SoftmaxCELoss()(p, np.array([2, 0, 1], dtype="int32"))


@case
def softmax_ce_from_logits(mx, np, npx):
    p, _ = _pl(np)
    return mx.gluon.loss.SoftmaxCELoss(from_logits=True)(npx.log_softmax(p), np.array([1, 2, 3]))


@case
def softmax_ce_dense_labels(mx, np, npx):
    p, y = _pl(np)
    lab = npx.softmax(y * 3)
    L = mx.gluon.loss
    return (L.SoftmaxCELoss(sparse_label=False)(p, lab),
            L.SoftmaxCELoss(sparse_label=False, weight=0.5)(p, lab, np.array([[1.0], [2.0], [0.5]])))


@case
def softmax_ce_sample_weight_and_weight(mx, np, npx):
    p, _ = _pl(np)
    return mx.gluon.loss.SoftmaxCELoss(weight=2.0)(p, np.array([0, 1, 2]),
                                                  np.array([[1.0], [0.0], [3.0]]))


@case
def softmax_ce_float64(mx, np, npx):
    p, _ = _pl(np)
    return mx.gluon.loss.SoftmaxCELoss()(p.astype("float64"), np.array([0, 1, 2]))


@case
def softmax_ce_label_of_wrong_shape_raises(mx, np, npx):
    p, _ = _pl(np)
    return mx.gluon.loss.SoftmaxCELoss()(p, np.array([0, 2, 1, 1]))


@case
def softmax_ce_gradient(mx, np, npx):
    p, _ = _pl(np)
    p.attach_grad()
    with mx.autograd.record():
        l = mx.gluon.loss.SoftmaxCELoss()(p, np.array([0, 3, 1]))
    l.backward()
    return l, p.grad


# ----------------------------------------------------------------------------- legacy-op losses
@case(differs="MXNet 1.9.1's np-mode HuberLoss (and Hinge, Logistic, KLDiv, CTC, Triplet, "
              "PoissonNLL, CosineEmbedding, SDML) call legacy ops and raise TypeError; "
              "ndengine computes them")
def huber_np_mode_fails_on_mxnet(mx, np, npx):
    p, y = _pl(np)
    return mx.gluon.loss.HuberLoss()(p, y)


@case(rtol=1e-4, atol=1e-5)     # a sum of terms that cancel: float32 rounding
def kldiv_from_logits_sums_over_the_rest(mx, np, npx):
    p, y = _pl(np)
    lab = npx.softmax(y)
    return _legacy(mx, mx.gluon.loss.KLDivLoss(), npx.log_softmax(p), lab)


@case
def kldiv_from_scores_with_axis_and_weights(mx, np, npx):
    p, y = _pl(np, (2, 3, 4))
    lab = npx.softmax(y, axis=1)
    L = mx.gluon.loss
    return (_legacy(mx, L.KLDivLoss(from_logits=False, axis=1), p, lab),
            _legacy(mx, L.KLDivLoss(weight=2.0), p, lab, np.ones((2, 1, 4)) * 0.5))


@case
def huber_values(mx, np, npx):
    p, y = _pl(np)
    L = mx.gluon.loss
    return (_legacy(mx, L.HuberLoss(), p * 2, y), _legacy(mx, L.HuberLoss(rho=0.3), p, y),
            _legacy(mx, L.HuberLoss(weight=2.0), p, y, np.array([[1.0], [0.0], [0.5]])))


@case
def huber_batch_axis_1(mx, np, npx):
    p, y = _pl(np, (2, 3, 4))
    return _legacy(mx, mx.gluon.loss.HuberLoss(batch_axis=1), p, y)


@case
def hinge_and_squared_hinge(mx, np, npx):
    p, y = _pl(np)
    s = np.sign(y)
    L = mx.gluon.loss
    return (_legacy(mx, L.HingeLoss(), p, s), _legacy(mx, L.HingeLoss(margin=0.5), p, s),
            _legacy(mx, L.SquaredHingeLoss(), p, s), _legacy(mx, L.SquaredHingeLoss(margin=2), p, s))


@case
def logistic_signed_binary_and_soft_labels(mx, np, npx):
    p, y = _pl(np)
    s = np.sign(y)
    L = mx.gluon.loss
    return (_legacy(mx, L.LogisticLoss(), p * 3, s),
            _legacy(mx, L.LogisticLoss(label_format="binary"), p * 3, (s + 1) / 2),
            _legacy(mx, L.LogisticLoss(), p, y * 0.5))


@case
def logistic_bad_label_format_raises(mx, np, npx):
    return mx.gluon.loss.LogisticLoss(label_format="onehot")


@case
def triplet_values(mx, np, npx):
    p, y = _pl(np)
    n, _ = _pl(np, k=2.0)
    L = mx.gluon.loss
    return (_legacy(mx, L.TripletLoss(), p, y, n), _legacy(mx, L.TripletLoss(margin=0.3, weight=2.0), p, y, n),
            _legacy(mx, L.TripletLoss(), p, y.reshape(12), n))


@case
def triplet_three_axes_and_batch_axis(mx, np, npx):
    p, y = _pl(np, (2, 3, 4))
    n, _ = _pl(np, (2, 3, 4), k=2.0)
    L = mx.gluon.loss
    return _legacy(mx, L.TripletLoss(), p, y, n), _legacy(mx, L.TripletLoss(batch_axis=1), p, y, n)


@case(differs="MXNet's legacy mode (the only one that runs it) has no 0-d arrays and "
              "returns shape (1,); ndengine's np-mode mean over everything is 0-d")
def poisson_nll_is_a_global_mean(mx, np, npx):
    p, y = _pl(np)
    return _legacy(mx, mx.gluon.loss.PoissonNLLLoss(), p, np.abs(y) * 3)


@case
def poisson_nll_values(mx, np, npx):
    p, y = _pl(np)
    t = np.round(np.abs(y) * 4)
    L = mx.gluon.loss
    r = lambda *a: _legacy(mx, *a).reshape(-1)
    return (r(L.PoissonNLLLoss(), p, t), r(L.PoissonNLLLoss(from_logits=False), np.abs(p) + 0.1, t),
            r(L.PoissonNLLLoss(weight=2.0), p, t, np.array([[1.0], [0.0], [2.0]])),
            r(L.PoissonNLLLoss(compute_full=True), p, t + 1))


@case(differs="MXNet's compute_full multiplies nan (0 * log 0) by the mask and returns nan "
              "for a target of 0; ndengine adds nothing there")
def poisson_nll_compute_full_with_zero_targets(mx, np, npx):
    p, y = _pl(np)
    t = np.round(np.abs(y) * 4)
    return _legacy(mx, mx.gluon.loss.PoissonNLLLoss(compute_full=True), p, t).reshape(-1)


@case
def cosine_embedding_values(mx, np, npx):
    a, b = _pl(np)
    lab = np.array([1.0, -1.0, -1.0])
    L = mx.gluon.loss
    return (_legacy(mx, L.CosineEmbeddingLoss(), a, b, lab),
            _legacy(mx, L.CosineEmbeddingLoss(margin=0.2), a, -b, lab),
            _legacy(mx, L.CosineEmbeddingLoss(weight=3.0), a, b, lab, np.array([[1.0], [2.0], [0.0]])),
            _legacy(mx, L.CosineEmbeddingLoss(), a.reshape(12), b.reshape(12), np.array([1.0])))


@case
def cosine_embedding_zero_vector(mx, np, npx):
    a = np.array([[0.0, 0.0], [1.0, 0.0]])
    b = np.array([[1.0, 2.0], [0.0, 0.0]])
    return _legacy(mx, mx.gluon.loss.CosineEmbeddingLoss(), a, b, np.array([1.0, -1.0]))


@case
def sdml_values(mx, np, npx):
    a, b = _pl(np)
    L = mx.gluon.loss
    return _legacy(mx, L.SDMLLoss(), a, b), _legacy(mx, L.SDMLLoss(smoothing_parameter=0.1), a, a + 0.1)


@case(differs="MXNet's SDMLLoss ignores its weight; ndengine applies it")
def sdml_weight(mx, np, npx):
    a, b = _pl(np)
    return _legacy(mx, mx.gluon.loss.SDMLLoss(weight=3.0), a, b)


@case(differs="MXNet gives nan for a batch of 1 (divides by batch_size - 1); ndengine raises")
def sdml_batch_of_one(mx, np, npx):
    a, b = _pl(np, (1, 4))
    return _legacy(mx, mx.gluon.loss.SDMLLoss(), a, b)


# ----------------------------------------------------------------------------- CTC
def _ctc_data(np, T=5, N=3, C=4):
    return np.sin(np.arange(T * N * C) * 1.3).reshape(N, T, C) * 2


_LABELS = [[1, 0, -1], [2, 2, -1], [0, 1, 1]]


@case
def ctc_ntc(mx, np, npx):
    L = mx.gluon.loss
    return _legacy(mx, L.CTCLoss(), _ctc_data(np), np.array(_LABELS))


@case
def ctc_tnc_and_tn_labels(mx, np, npx):
    L = mx.gluon.loss
    d = np.swapaxes(_ctc_data(np), 0, 1)
    lab = np.array(_LABELS)
    return (_legacy(mx, L.CTCLoss(layout="TNC"), d, lab),
            _legacy(mx, L.CTCLoss(layout="TNC", label_layout="TN"), d, np.swapaxes(lab, 0, 1)))


@case
def ctc_pred_and_label_lengths(mx, np, npx):
    L = mx.gluon.loss.CTCLoss()
    d = _ctc_data(np)
    lab = np.array([[1, 0, 2], [2, 2, 0], [0, 1, 1]])
    return (_legacy(mx, L, d, lab, np.array([5, 3, 4])),
            _legacy(mx, L, d, lab, None, np.array([2, 1, 3])),
            _legacy(mx, L, d, lab, np.array([4, 5, 2]), np.array([3, 0, 1])))


@case
def ctc_float_lengths_and_labels_are_rounded(mx, np, npx):
    L = mx.gluon.loss.CTCLoss()
    d = _ctc_data(np)
    return (_legacy(mx, L, d, np.array([[1.7, 0, -1], [2, 2, -1], [0, 1, 1]])),
            _legacy(mx, L, d, np.array(_LABELS), np.array([4.6, 3.2, 5.0]), np.array([1.6, 2.0, 2.4])))


@case
def ctc_weights(mx, np, npx):
    L = mx.gluon.loss
    d = _ctc_data(np)
    lab = np.array(_LABELS)
    return (_legacy(mx, L.CTCLoss(weight=0.5), d, lab),
            _legacy(mx, L.CTCLoss(), d, lab, None, None, np.array([1.0, 0.0, 2.0])))


@case
def ctc_unalignable_sample_has_zero_loss(mx, np, npx):
    d = _ctc_data(np, T=3)
    lab = np.array([[2, 2, 2], [1, -1, -1], [0, 1, -1]])
    return _legacy(mx, mx.gluon.loss.CTCLoss(), d, lab)


@case
def ctc_one_frame_and_empty_labels(mx, np, npx):
    L = mx.gluon.loss.CTCLoss()
    return (_legacy(mx, L, _ctc_data(np, T=1), np.array([[1], [-1], [0]])),
            _legacy(mx, L, _ctc_data(np), np.array([[-1, -1], [0, -1], [-1, 2]])))


@case(rtol=1e-4, atol=1e-5)
def ctc_gradient(mx, np, npx):
    d = _ctc_data(np)
    lab = np.array(_LABELS)
    lens = np.array([5, 3, 4])
    if _real(mx):
        d, lab, lens = d.as_nd_ndarray(), lab.as_nd_ndarray(), lens.as_nd_ndarray()
        mx.npx.reset_np()
    try:
        d.attach_grad()
        with mx.autograd.record():
            l = mx.gluon.loss.CTCLoss()(d, lab, lens)
        l.backward()
        g = d.grad
        g.wait_to_read()
    finally:
        mx.npx.set_np()
    return g.as_np_ndarray() if _real(mx) else g


@case
def ctc_label_longer_than_sequence_raises(mx, np, npx):
    return _legacy(mx, mx.gluon.loss.CTCLoss(), _ctc_data(np, T=2), np.array(_LABELS))


@case
def ctc_batch_mismatch_raises(mx, np, npx):
    return _legacy(mx, mx.gluon.loss.CTCLoss(), _ctc_data(np), np.array(_LABELS[:2]))


@case
def ctc_pred_must_be_3d(mx, np, npx):
    return _legacy(mx, mx.gluon.loss.CTCLoss(layout="TNC"), _ctc_data(np)[0], np.array(_LABELS))


@case(differs="MXNet asserts (AssertionError) on a bad layout; ndengine raises ValueError")
def ctc_bad_layout(mx, np, npx):
    return mx.gluon.loss.CTCLoss(layout="NCT")


@case(differs="MXNet's CTC kernel supports float32 only (float64 raises a dtype check); "
              "ndengine computes float64")
def ctc_float64(mx, np, npx):
    return _legacy(mx, mx.gluon.loss.CTCLoss(), _ctc_data(np).astype("float64"), np.array(_LABELS))


@case(differs="MXNet reads a label outside the alphabet as it comes (garbage loss); "
              "ndengine's op fails naming the label")
def ctc_label_out_of_alphabet(mx, np, npx):
    return _legacy(mx, mx.gluon.loss.CTCLoss(), _ctc_data(np), np.array([[3, 0, -1], [2, 2, -1], [0, 1, 1]]))


# ----------------------------------------------------------------------------- legacy mode
def _nd_pl(mx, shape=(3, 4)):
    import numpy as onp

    n = int(onp.prod(shape))
    return (mx.nd.array(onp.sin(onp.arange(n) * 0.7).reshape(shape)),
            mx.nd.array(onp.cos(onp.arange(n) * 0.3 + 1).reshape(shape)))


@case(mode="nd")
def legacy_arrays_reductions_and_batch_axis(mx, np, npx):
    L = mx.gluon.loss
    p, y = _nd_pl(mx, (2, 3, 4))
    return (L.L2Loss(batch_axis=1)(p, y), L.L1Loss()(p, y), L.HuberLoss(batch_axis=2)(p, y),
            L.HingeLoss()(p, y), L.LogisticLoss()(p, y), L.SigmoidBCELoss()(p, y),
            L.KLDivLoss(from_logits=False, axis=1)(p, mx.nd.softmax(y, axis=1)))


@case(mode="nd")
def legacy_arrays_pairwise_losses(mx, np, npx):
    L = mx.gluon.loss
    p, y = _nd_pl(mx)
    return (L.TripletLoss()(p, y, p * 2), L.CosineEmbeddingLoss()(p, y, mx.nd.array([1, -1, 1])),
            L.SDMLLoss()(p, y), L.SoftmaxCELoss()(p, mx.nd.array([0, 3, 1])))


@case(mode="nd")
def legacy_arrays_ctc(mx, np, npx):
    import numpy as onp

    d = mx.nd.array(onp.sin(onp.arange(60) * 1.3).reshape(3, 5, 4) * 2)
    lab = mx.nd.array([[1, 0, -1], [2, 2, -1], [0, 1, 1]])
    L = mx.gluon.loss
    return L.CTCLoss()(d, lab), L.CTCLoss()(d, lab, mx.nd.array([5, 3, 4]), mx.nd.array([2, 1, 3]))
