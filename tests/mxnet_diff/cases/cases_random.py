"""mx.random (MXNet 1.x's sampling functions, legacy arrays back) against MXNet 1.9.1:
its names, the kinds, dtypes and shapes of the samples, and their moments."""
from _diff import case


@case
def mx_random_names(mx, np, npx):
    names = ["seed", "uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson",
             "negative_binomial", "generalized_negative_binomial", "multinomial", "shuffle",
             "Context"]
    return [hasattr(mx.random, n) for n in names], mx.random.Context is mx.context.Context


@case(values=False, mode="nd")
def samplers_kinds_dtypes_shapes(mx, np, npx):
    R = mx.random
    return (R.uniform(0, 1, shape=(2, 3)), R.normal(0, 1, shape=4), R.randn(2, 2),
            R.randint(0, 5, shape=(3,)), R.exponential(2.0, shape=(2,)), R.gamma(2.0, 1.0, shape=2),
            R.poisson(3.0, shape=(2,)), R.negative_binomial(3, 0.4, shape=(2, 2)),
            R.generalized_negative_binomial(2.0, 0.5, shape=(3,)),
            R.negative_binomial(3, 0.4), R.uniform(0, 1, shape=(2,), dtype="float64"),
            R.negative_binomial(mx.nd.array([2, 3]), mx.nd.array([0.5, 0.2]), shape=4),
            R.generalized_negative_binomial(mx.nd.array([1.0, 2.0]), mx.nd.array([0.5, 0.1])),
            R.multinomial(mx.nd.array([0.2, 0.8]), shape=3))


@case(mode="nd")
def negative_binomial_moments(mx, np, npx):
    mx.random.seed(3)
    x = mx.random.negative_binomial(3, 0.4, shape=(40000,)).asnumpy()
    # mean k(1-p)/p = 4.5, variance k(1-p)/p^2 = 11.25
    return bool(abs(x.mean() - 4.5) < 0.15), bool(abs(x.var() - 11.25) < 0.8), \
        bool((x == x.round()).all() and x.min() >= 0)


@case(mode="nd")
def generalized_negative_binomial_moments(mx, np, npx):
    mx.random.seed(4)
    x = mx.random.generalized_negative_binomial(2.0, 0.5, shape=(40000,)).asnumpy()
    p = mx.random.generalized_negative_binomial(3.0, 0.0, shape=(40000,)).asnumpy()
    # mean mu, variance mu + alpha mu^2 (alpha = 0: a Poisson)
    return (bool(abs(x.mean() - 2.0) < 0.1), bool(abs(x.var() - 4.0) < 0.4),
            bool(abs(p.mean() - 3.0) < 0.1), bool(abs(p.var() - 3.0) < 0.3))


@case(mode="nd")
def seed_repeats(mx, np, npx):
    mx.random.seed(11)
    a = mx.random.negative_binomial(2, 0.5, shape=(5,)).asnumpy()
    mx.random.seed(11)
    b = mx.random.negative_binomial(2, 0.5, shape=(5,)).asnumpy()
    return bool((a == b).all())
