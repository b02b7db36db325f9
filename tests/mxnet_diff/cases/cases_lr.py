"""mx.lr_scheduler: each scheduler's rate at a run of update counts (warm-up included),
its errors, and Optimizer / gluon.Trainer driven by one."""
from _diff import case


def _rates(s, counts):
    return [float(s(n)) for n in counts]


@case
def factor_scheduler_rates(mx, np, npx):
    s = mx.lr_scheduler.FactorScheduler(step=3, factor=0.5, base_lr=1.0)
    return _rates(s, range(0, 14))


@case
def factor_scheduler_stop_factor_lr(mx, np, npx):
    s = mx.lr_scheduler.FactorScheduler(step=1, factor=0.1, stop_factor_lr=1e-3, base_lr=1.0)
    return _rates(s, range(0, 8)), s.base_lr, s.count


@case
def factor_scheduler_skipping_counts(mx, np, npx):
    s = mx.lr_scheduler.FactorScheduler(step=2, factor=0.9, base_lr=0.1)
    return _rates(s, [1, 10, 11, 30, 30, 5])


@case
def factor_scheduler_linear_warmup(mx, np, npx):
    s = mx.lr_scheduler.FactorScheduler(step=4, factor=0.5, base_lr=0.8, warmup_steps=5,
                                        warmup_begin_lr=0.1)
    return _rates(s, range(0, 16))


@case
def factor_scheduler_constant_warmup(mx, np, npx):
    s = mx.lr_scheduler.FactorScheduler(step=4, factor=0.5, base_lr=0.8, warmup_steps=3,
                                        warmup_begin_lr=0.2, warmup_mode="constant")
    return _rates(s, range(0, 10))


@case
def multifactor_scheduler_rates(mx, np, npx):
    s = mx.lr_scheduler.MultiFactorScheduler(step=[2, 5, 9], factor=0.5, base_lr=1.0)
    return _rates(s, range(0, 14)), s.cur_step_ind, s.count


@case
def multifactor_scheduler_warmup(mx, np, npx):
    s = mx.lr_scheduler.MultiFactorScheduler(step=[6, 8], factor=0.1, base_lr=0.5,
                                             warmup_steps=4, warmup_begin_lr=0.1)
    return _rates(s, range(0, 12))


@case
def poly_scheduler_rates(mx, np, npx):
    s = mx.lr_scheduler.PolyScheduler(max_update=10, base_lr=0.3, pwr=2, final_lr=0.01)
    return _rates(s, range(0, 14))


@case
def poly_scheduler_power_one_warmup(mx, np, npx):
    s = mx.lr_scheduler.PolyScheduler(max_update=12, base_lr=1.0, pwr=1, warmup_steps=4,
                                      warmup_begin_lr=0.25)
    return _rates(s, range(0, 15))


@case
def cosine_scheduler_rates(mx, np, npx):
    s = mx.lr_scheduler.CosineScheduler(max_update=8, base_lr=0.5, final_lr=0.05)
    return _rates(s, range(0, 11))


@case
def cosine_scheduler_warmup(mx, np, npx):
    s = mx.lr_scheduler.CosineScheduler(max_update=10, base_lr=0.4, warmup_steps=3,
                                        warmup_begin_lr=0.1, warmup_mode="linear")
    return _rates(s, range(0, 13))


@case
def cosine_scheduler_constant_warmup(mx, np, npx):
    s = mx.lr_scheduler.CosineScheduler(max_update=10, base_lr=0.4, warmup_steps=3,
                                        warmup_begin_lr=0.1, warmup_mode="constant")
    return _rates(s, range(0, 13))


@case
def scheduler_attributes(mx, np, npx):
    p = mx.lr_scheduler.PolyScheduler(max_update=20, base_lr=0.1, warmup_steps=5)
    c = mx.lr_scheduler.CosineScheduler(max_update=20, base_lr=0.1, warmup_steps=5)
    f = mx.lr_scheduler.FactorScheduler(step=3)
    return (p.max_steps, p.base_lr_orig, p.power, p.warmup_final_lr, c.max_steps,
            f.base_lr, f.factor, f.stop_factor_lr, f.warmup_mode, f.warmup_begin_lr)


@case
def error_factor_step_below_one(mx, np, npx):
    return mx.lr_scheduler.FactorScheduler(step=0)


@case
def error_factor_above_one(mx, np, npx):
    return mx.lr_scheduler.FactorScheduler(step=2, factor=1.5)


@case
def error_multifactor_not_increasing(mx, np, npx):
    return mx.lr_scheduler.MultiFactorScheduler(step=[3, 3])


@case
def error_multifactor_step_below_one(mx, np, npx):
    return mx.lr_scheduler.MultiFactorScheduler(step=[0, 3])


@case
def error_multifactor_not_a_list(mx, np, npx):
    return mx.lr_scheduler.MultiFactorScheduler(step=(2, 3))


@case
def error_multifactor_factor_above_one(mx, np, npx):
    return mx.lr_scheduler.MultiFactorScheduler(step=[2, 3], factor=2)


@case
def error_warmup_begin_above_base(mx, np, npx):
    return mx.lr_scheduler.FactorScheduler(step=2, base_lr=0.1, warmup_steps=2,
                                           warmup_begin_lr=0.5)


@case
def error_warmup_steps_negative(mx, np, npx):
    return mx.lr_scheduler.CosineScheduler(max_update=5, warmup_steps=-1)


@case
def error_warmup_mode_unknown(mx, np, npx):
    return mx.lr_scheduler.PolyScheduler(max_update=5, warmup_mode="exp")


@case
def error_warmup_steps_not_int(mx, np, npx):
    return mx.lr_scheduler.PolyScheduler(max_update=5, warmup_steps=2.0)


@case
def error_poly_max_update_zero(mx, np, npx):
    return mx.lr_scheduler.PolyScheduler(max_update=0)


@case
def error_cosine_max_update_not_int(mx, np, npx):
    return mx.lr_scheduler.CosineScheduler(max_update=5.0)


@case
def error_base_scheduler_call(mx, np, npx):
    return mx.lr_scheduler.LRScheduler()(3)


@case
def optimizer_learning_rate_overrides_base_lr(mx, np, npx):
    s = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    o = mx.optimizer.SGD(learning_rate=0.2, lr_scheduler=s)
    return s.base_lr, o.learning_rate


@case
def optimizer_lr_override_keeps_poly_base_lr_orig(mx, np, npx):
    s = mx.lr_scheduler.PolyScheduler(max_update=4, base_lr=1.0)
    o = mx.optimizer.SGD(learning_rate=0.2, lr_scheduler=s)
    return s.base_lr, s.base_lr_orig, [float(s(n)) for n in range(6)]


@case
def optimizer_scheduler_without_learning_rate(mx, np, npx):
    s = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=0.3)
    o = mx.optimizer.create("sgd", lr_scheduler=s)
    return o.lr, o.learning_rate


@case
def error_set_learning_rate_with_scheduler(mx, np, npx):
    s = mx.lr_scheduler.FactorScheduler(step=2)
    o = mx.optimizer.SGD(lr_scheduler=s)
    o.set_learning_rate(0.5)


def _train(mx, np, trainer_args, steps=6):
    net = mx.gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Constant(0.1))
    net.bias.initialize(mx.init.Constant(0.0), force_reinit=True)
    trainer = mx.gluon.Trainer(net.collect_params(), *trainer_args)
    x = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]])
    lrs = []
    for _ in range(steps):
        with mx.autograd.record():
            loss = ((net(x) - 1.0) ** 2).sum()
        loss.backward()
        trainer.step(2)
        lrs.append(float(trainer.learning_rate))
    return lrs, net.weight.data(), net.bias.data()


@case
def trainer_factor_scheduler(mx, np, npx):
    s = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=0.1)
    return _train(mx, np, ("sgd", {"lr_scheduler": s}))


@case
def trainer_cosine_warmup_momentum(mx, np, npx):
    s = mx.lr_scheduler.CosineScheduler(max_update=6, base_lr=0.1, warmup_steps=2,
                                        warmup_begin_lr=0.01)
    return _train(mx, np, ("sgd", {"lr_scheduler": s, "momentum": 0.9}))


@case
def trainer_multifactor_adam(mx, np, npx):
    s = mx.lr_scheduler.MultiFactorScheduler(step=[2, 4], factor=0.3, base_lr=0.05)
    return _train(mx, np, ("adam", {"lr_scheduler": s}))


@case
def trainer_poly_with_optimizer_instance(mx, np, npx):
    s = mx.lr_scheduler.PolyScheduler(max_update=5, base_lr=0.2, pwr=1)
    return _train(mx, np, (mx.optimizer.SGD(lr_scheduler=s, wd=0.01),))


@case
def trainer_set_learning_rate(mx, np, npx):
    net = mx.gluon.nn.Dense(1, in_units=2)
    net.initialize(mx.init.One())
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    before = trainer.learning_rate
    trainer.set_learning_rate(0.5)
    x = np.array([[1.0, 2.0]])
    with mx.autograd.record():
        loss = net(x).sum()
    loss.backward()
    trainer.step(1)
    return before, trainer.learning_rate, net.weight.data()


@case
def error_trainer_set_learning_rate_with_scheduler(mx, np, npx):
    net = mx.gluon.nn.Dense(1, in_units=2)
    net.initialize()
    s = mx.lr_scheduler.FactorScheduler(step=2)
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"lr_scheduler": s})
    trainer.set_learning_rate(0.5)
