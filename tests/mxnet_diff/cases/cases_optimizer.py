"""mx.optimizer: every optimizer's weights *and states* after several updates from the
same weights and gradients, through ``mx.optimizer.Updater`` (what gluon.Trainer uses;
on MXNet in np mode a direct ``opt.update`` on np arrays is refused), with rescale_grad,
clip_gradient, wd, lr/wd mults, multi-precision, aggregation over several weights, an
lr_scheduler; the registry and the errors."""
import numpy as onp

from _diff import case

_R = onp.random.RandomState(5)
W0 = [_R.uniform(-1, 1, (3, 4)).astype("float32"), _R.uniform(-1, 1, (5,)).astype("float32"),
      _R.uniform(-1, 1, (2, 3)).astype("float32")]
GRADS = [[(_R.standard_normal(w.shape) * 2).astype("float32") for w in W0] for _ in range(5)]


def _host(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return type(x)(_host(v) for v in x)
    return x.asnumpy()


def _run(mx, np, name, n=1, steps=4, dtype="float32", single=True, **kw):
    """n weights updated *steps* times by one Updater; the weights and states."""
    opt = mx.optimizer.create(name, **kw)
    upd = mx.optimizer.get_updater(opt)
    ws = [np.array(W0[i], dtype=dtype) for i in range(n)]
    for s in range(steps):
        gs = [np.array(GRADS[s][i], dtype=dtype) for i in range(n)]
        if single and n == 1:
            upd(0, gs[0], ws[0])
        else:
            upd(list(range(n)), gs, ws)
    return [w.asnumpy() for w in ws], [_host(upd.states[i]) for i in range(n)]


# ------------------------------------------------------------------------------ SGD family
@case
def sgd_plain(mx, np, npx):
    return _run(mx, np, "sgd", learning_rate=0.1)


@case
def sgd_momentum_wd_rescale(mx, np, npx):
    return _run(mx, np, "sgd", learning_rate=0.05, momentum=0.9, wd=0.01, rescale_grad=0.5)


@case
def sgd_clip_gradient(mx, np, npx):
    return _run(mx, np, "sgd", learning_rate=0.1, momentum=0.5, clip_gradient=0.7)


@case
def sgd_aggregated_three_weights(mx, np, npx):
    return _run(mx, np, "sgd", n=3, learning_rate=0.1, momentum=0.9, wd=0.001)


@case
def sgd_multi_precision_float16(mx, np, npx):
    return _run(mx, np, "sgd", dtype="float16", learning_rate=0.1, momentum=0.9,
                multi_precision=True)


@case
def sgd_multi_precision_no_momentum(mx, np, npx):
    return _run(mx, np, "sgd", n=2, dtype="float16", learning_rate=0.1,
                multi_precision=True)


@case
def ccsgd_is_sgd(mx, np, npx):
    return _run(mx, np, "ccsgd", learning_rate=0.1, momentum=0.9)


@case
def nag_momentum(mx, np, npx):
    return _run(mx, np, "nag", learning_rate=0.1, momentum=0.9, wd=0.01)


@case
def nag_no_momentum_clip(mx, np, npx):
    return _run(mx, np, "nag", learning_rate=0.1, clip_gradient=0.5, rescale_grad=0.5)


@case
def nag_multi_precision(mx, np, npx):
    return _run(mx, np, "nag", dtype="float16", learning_rate=0.1, momentum=0.8,
                multi_precision=True)


@case
def signum_default(mx, np, npx):
    return _run(mx, np, "signum", learning_rate=0.01, wd=0.02, rescale_grad=0.5)


@case
def signum_wd_lh_clip(mx, np, npx):
    return _run(mx, np, "signum", learning_rate=0.01, momentum=0.7, wd_lh=0.1,
                clip_gradient=0.5)


@case
def signsgd_no_momentum(mx, np, npx):
    return _run(mx, np, "signum", learning_rate=0.05, momentum=0.0, wd=0.1,
                rescale_grad=0.3, clip_gradient=0.1)


@case
def lars_momentum(mx, np, npx):
    return _run(mx, np, "lars", n=3, learning_rate=0.1, momentum=0.9, eta=0.01, wd=0.001)


@case
def lars_plain_eps(mx, np, npx):
    return _run(mx, np, "lars", learning_rate=0.5, eta=0.1, eps=1e-3, rescale_grad=0.5)


@case
def lars_momentum_correction_with_scheduler(mx, np, npx):
    s = mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=0.2)
    return _run(mx, np, "lars", n=2, momentum=0.9, eta=0.05, lr_scheduler=s)


@case
def lars_named_bias_skips_scaling(mx, np, npx):
    return _run(mx, np, "lars", n=2, learning_rate=0.1, momentum=0.9, eta=0.01, wd=0.01,
                param_idx2name={0: "fc_weight", 1: "fc_bias"})


@case
def lbsgd_defaults(mx, np, npx):
    return _run(mx, np, "lbsgd", learning_rate=0.1, momentum=0.9)


@case
def lbsgd_batch_scale_two(mx, np, npx):
    return _run(mx, np, "lbsgd", steps=5, learning_rate=0.1, momentum=0.9, batch_scale=2,
                warmup_epochs=1, updates_per_epoch=4, wd=0.01)


@case
def lbsgd_lars_strategy(mx, np, npx):
    return _run(mx, np, "lbsgd", learning_rate=0.1, warmup_strategy="lars")


@case(values=False)
def sgld_shapes_and_dtypes(mx, np, npx):
    return _run(mx, np, "sgld", learning_rate=0.01, wd=0.1)


@case
def dcasgd_no_momentum(mx, np, npx):
    return _run(mx, np, "dcasgd", learning_rate=0.1, lamda=0.5, wd=0.01, clip_gradient=1.5)


@case(differs="MXNet 1.9.1's DCASGD with momentum tests an NDArray's truth value and "
              "always raises; ndengine runs the momentum update")
def dcasgd_momentum(mx, np, npx):
    return _run(mx, np, "dcasgd", learning_rate=0.1, momentum=0.9, lamda=0.5)


@case
def test_optimizer(mx, np, npx):
    return _run(mx, np, "test", rescale_grad=0.5)


# ------------------------------------------------------------------------------ adaptive
@case
def adam_defaults(mx, np, npx):
    return _run(mx, np, "adam")


@case
def adam_wd_clip_rescale(mx, np, npx):
    return _run(mx, np, "adam", learning_rate=0.01, wd=0.1, clip_gradient=0.5,
                rescale_grad=0.7, beta1=0.8)


@case
def adam_multi_precision(mx, np, npx):
    return _run(mx, np, "adam", dtype="float16", learning_rate=0.01, multi_precision=True)


@case
def adagrad_wd_clip(mx, np, npx):
    return _run(mx, np, "adagrad", learning_rate=0.1, wd=0.01, clip_gradient=1.0)


@case
def rmsprop_plain(mx, np, npx):
    return _run(mx, np, "rmsprop", learning_rate=0.01, wd=0.01)


@case
def rmsprop_centered_clip_weights(mx, np, npx):
    return _run(mx, np, "rmsprop", learning_rate=0.05, centered=True, clip_weights=0.5,
                clip_gradient=1.0)


@case
def adadelta_defaults(mx, np, npx):
    return _run(mx, np, "adadelta")


@case
def adadelta_wd_rescale_clip(mx, np, npx):
    return _run(mx, np, "adadelta", rho=0.8, epsilon=1e-4, wd=0.01, rescale_grad=0.5,
                clip_gradient=0.6)


@case
def adadelta_rescales_the_gradient_in_place(mx, np, npx):
    opt = mx.optimizer.create("adadelta", rescale_grad=0.25, clip_gradient=0.1)
    upd = mx.optimizer.get_updater(opt)
    w = np.array(W0[0])
    g = np.array(GRADS[0][0])
    upd(0, g, w)
    return g.asnumpy(), w.asnumpy()


@case
def adamax_defaults(mx, np, npx):
    return _run(mx, np, "adamax")


@case
def adamax_wd_clip(mx, np, npx):
    return _run(mx, np, "adamax", learning_rate=0.01, wd=0.05, clip_gradient=0.8,
                rescale_grad=2.0)


@case
def nadam_defaults(mx, np, npx):
    return _run(mx, np, "nadam")


@case
def nadam_schedule_shared_across_weights(mx, np, npx):
    return _run(mx, np, "nadam", n=3, learning_rate=0.01, wd=0.01, clip_gradient=1.0)


@case
def ftrl_defaults(mx, np, npx):
    return _run(mx, np, "ftrl")


@case
def ftrl_wd_clip(mx, np, npx):
    return _run(mx, np, "ftrl", lamda1=0.1, learning_rate=0.2, beta=0.5, wd=0.1,
                clip_gradient=1.0, rescale_grad=0.5)


@case
def ftml_defaults(mx, np, npx):
    return _run(mx, np, "ftml", learning_rate=0.05)


@case
def ftml_wd_clip(mx, np, npx):
    return _run(mx, np, "ftml", learning_rate=0.05, beta1=0.5, wd=0.1, clip_gradient=0.5)


@case
def lamb_defaults(mx, np, npx):
    return _run(mx, np, "lamb", n=3)


@case
def lamb_bounds_no_bias_correction(mx, np, npx):
    return _run(mx, np, "lamb", n=2, learning_rate=0.01, wd=0.1, lower_bound=1.8,
                upper_bound=2.0, bias_correction=False, clip_gradient=1.0)


@case(rtol=1e-4, atol=1e-5)      # float32 master copies: far below float16's resolution
def lamb_multi_precision(mx, np, npx):
    return _run(mx, np, "lamb", n=2, dtype="float16", learning_rate=0.01, wd=0.01,
                multi_precision=True)


@case
def group_adagrad(mx, np, npx):
    from mxnet.optimizer import contrib

    opt = contrib.GroupAdaGrad(learning_rate=0.1, clip_gradient=1.0)
    upd = mx.optimizer.get_updater(opt)
    w = np.array(W0[0])
    for s in range(3):
        upd(0, np.array(GRADS[s][0]), w)
    return w.asnumpy(), upd.states[0].asnumpy()


# ------------------------------------------------------------------------------ common
@case
def lr_and_wd_mults_by_index(mx, np, npx):
    opt = mx.optimizer.SGD(learning_rate=0.1, wd=0.1, momentum=0.5)
    opt.set_lr_mult({0: 0.5, 1: 2.0})
    opt.set_wd_mult({1: 0.0})
    upd = mx.optimizer.get_updater(opt)
    ws = [np.array(W0[0]), np.array(W0[1])]
    for s in range(3):
        upd([0, 1], [np.array(GRADS[s][0]), np.array(GRADS[s][1])], ws)
    return [w.asnumpy() for w in ws], opt.num_update, opt._index_update_count


@case
def wd_mult_from_names(mx, np, npx):
    opt = mx.optimizer.Adam(wd=0.1, param_idx2name={0: "a_weight", 1: "a_bias",
                                                     2: "bn_gamma"})
    return opt._get_wds([0, 1, 2]), opt.wd_mult


@case
def lars_wd_mult_from_names(mx, np, npx):
    opt = mx.optimizer.LARS(wd=0.1, param_idx2name={0: "a_weight", 1: "a_bias",
                                                     2: "bn_gamma"})
    return opt._get_wds([0, 1, 2]), opt.wd_mult


@case
def scheduler_drives_every_optimizer_step(mx, np, npx):
    s = mx.lr_scheduler.MultiFactorScheduler(step=[1, 3], factor=0.1, base_lr=0.5)
    opt = mx.optimizer.SGD(lr_scheduler=s)
    upd = mx.optimizer.get_updater(opt)
    w = np.array(W0[0])
    rates = []
    for st in range(4):
        upd(0, np.array(GRADS[st][0]), w)
        rates.append(opt.learning_rate)
    return rates, w.asnumpy()


@case
def begin_num_update(mx, np, npx):
    return _run(mx, np, "adam", begin_num_update=10, learning_rate=0.01)


@case
def default_hyperparameters(mx, np, npx):
    out = []
    for name in ["sgd", "nag", "signum", "lars", "adam", "adagrad", "rmsprop", "adadelta",
                 "adamax", "nadam", "ftrl", "ftml", "lamb", "dcasgd", "sgld", "lbsgd"]:
        o = mx.optimizer.create(name)
        out.append((name, o.learning_rate, o.wd, o.rescale_grad, o.clip_gradient,
                    o.num_update, o.multi_precision, o.aggregate_num))
    return out


@case
def registry_names(mx, np, npx):
    names = ["sgd", "ccsgd", "nag", "signum", "lars", "lbsgd", "sgld", "dcasgd", "adam",
             "adagrad", "rmsprop", "adadelta", "adamax", "nadam", "ftrl", "ftml", "lamb",
             "test", "groupadagrad"]
    return [type(mx.optimizer.create(n)).__name__ for n in names]


@case
def register_custom_optimizer(mx, np, npx):
    @mx.optimizer.register
    class HalfSGD(mx.optimizer.Optimizer):
        def create_state(self, index, weight):
            return None

        def update(self, index, weight, grad, state):
            weight[:] = weight - 0.5 * self.learning_rate * grad

    opt = mx.optimizer.create("halfsgd", learning_rate=0.2)
    upd = mx.optimizer.get_updater(opt)
    w = np.array(W0[1])
    upd(0, np.array(GRADS[0][1]), w)
    return type(opt).__name__, w.asnumpy()


@case
def updater_states_round_trip(mx, np, npx):
    opt = mx.optimizer.Adam(learning_rate=0.01)
    upd = mx.optimizer.get_updater(opt)
    w = np.array(W0[0])
    upd(0, np.array(GRADS[0][0]), w)
    blob = upd.get_states(dump_optimizer=True)
    upd2 = mx.optimizer.get_updater(mx.optimizer.Adam())
    upd2.set_states(blob)
    upd2(0, np.array(GRADS[1][0]), w)
    return type(upd2.optimizer).__name__, w.asnumpy(), _host(upd2.states[0])


@case
def error_unknown_optimizer(mx, np, npx):
    return mx.optimizer.create("nosuchopt")


@case
def error_grad_shape_mismatch(mx, np, npx):
    upd = mx.optimizer.get_updater(mx.optimizer.Adam())
    w = np.array(W0[0])
    upd(0, np.ones((4, 3)), w)
    return w.asnumpy()


@case
def error_set_learning_rate_with_scheduler(mx, np, npx):
    opt = mx.optimizer.Adam(lr_scheduler=mx.lr_scheduler.FactorScheduler(step=2))
    opt.set_learning_rate(0.1)


@case
def error_group_adagrad_weight_decay(mx, np, npx):
    from mxnet.optimizer import contrib

    upd = mx.optimizer.get_updater(contrib.GroupAdaGrad(wd=0.1))
    w = np.array(W0[0])
    upd(0, np.array(GRADS[0][0]), w)
