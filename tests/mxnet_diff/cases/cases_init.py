"""mx.init: deterministic initializers exactly (Bilinear, LSTMBias, Constant, Zero, One,
the name dispatch), random ones by their moments on large arrays (the generators
differ), Orthogonal by W @ W.T, create/dumps/register, Mixed, Load, and the errors."""
from _diff import case


def _fill(mx, np, init, shape, name="x_weight", attrs=None, dtype="float32"):
    arr = np.zeros(shape, dtype=dtype)
    init(mx.init.InitDesc(name, attrs), arr)
    return arr


def _moments(a):
    v = a.asnumpy().astype("float64")
    return [float(v.mean()), float(v.std()), float(abs(v).max())]


@case
def bilinear_square_kernels(mx, np, npx):
    return _fill(mx, np, mx.init.Bilinear(), (2, 1, 4, 4))


@case
def bilinear_odd_rectangular(mx, np, npx):
    return _fill(mx, np, mx.init.Bilinear(), (1, 2, 3, 5))


@case
def lstm_bias(mx, np, npx):
    return (_fill(mx, np, mx.init.LSTMBias(), (12,), name="l_bias"),
            _fill(mx, np, mx.init.LSTMBias(forget_bias=2.5), (8,), name="l_weight"))


@case
def constant_zero_one(mx, np, npx):
    return (_fill(mx, np, mx.init.Constant(0.25), (2, 3)), _fill(mx, np, mx.init.Zero(), (3,)),
            _fill(mx, np, mx.init.One(), (2, 2)), _fill(mx, np, mx.init.Constant(3), (2,)))


@case
def name_dispatch(mx, np, npx):
    u = mx.init.Uniform(0.5)
    return [_fill(mx, np, u, (3,), name=n) for n in
            ("d_bias", "bn_gamma", "bn_beta", "q_min", "q_max")]


@case
def init_attr_wins_over_the_name(mx, np, npx):
    return (_fill(mx, np, mx.init.Uniform(), (3,), name="d_bias", attrs={"__init__": "ones"}),
            _fill(mx, np, mx.init.Zero(), (2,), name="d_weight",
                  attrs={"__init__": mx.init.Constant(7.0)}))


@case
def error_unknown_name_pattern(mx, np, npx):
    return _fill(mx, np, mx.init.Uniform(), (3,), name="mystery")


@case
def error_moving_mean_needs_an_init_attr(mx, np, npx):
    return _fill(mx, np, mx.init.Uniform(), (3,), name="bn_moving_mean")


@case(rtol=0.03, atol=0.004)
def uniform_moments(mx, np, npx):
    return _moments(_fill(mx, np, mx.init.Uniform(0.3), (200, 300)))


@case(rtol=0.03, atol=0.004)
def normal_moments(mx, np, npx):
    a = _fill(mx, np, mx.init.Normal(0.2), (200, 300))
    return _moments(a)[:2]


@case(rtol=0.03, atol=0.004)
def xavier_variants_moments(mx, np, npx):
    out = []
    for rnd, fac, mag in [("uniform", "avg", 3), ("gaussian", "in", 2), ("uniform", "out", 1),
                          ("gaussian", "avg", 3)]:
        a = _fill(mx, np, mx.init.Xavier(rnd, fac, mag), (64, 32, 3, 3))
        out.append(_moments(a)[:2])
    return out


@case(rtol=0.03, atol=0.004)
def msraprelu_moments(mx, np, npx):
    return (_moments(_fill(mx, np, mx.init.MSRAPrelu(), (128, 64, 3, 3)))[:2],
            _moments(_fill(mx, np, mx.init.MSRAPrelu("in", 0.0), (128, 64)))[1])


@case
def error_xavier_on_a_vector(mx, np, npx):
    return _fill(mx, np, mx.init.Xavier(), (5,))


@case
def error_xavier_bad_factor_type(mx, np, npx):
    return _fill(mx, np, mx.init.Xavier(factor_type="sum"), (4, 4))


@case(atol=1e-5)
def orthogonal_rows_are_orthonormal(mx, np, npx):
    out = []
    for rand_type, shape in [("uniform", (4, 6)), ("normal", (3, 2, 2)), ("uniform", (5, 3))]:
        w = _fill(mx, np, mx.init.Orthogonal(scale=2.0, rand_type=rand_type), shape)
        m = w.asnumpy().reshape(shape[0], -1).astype("float64")
        out.append(m @ m.T if shape[0] <= m.shape[1] else m.T @ m)
    return out


@case
def create_dumps_and_equality(mx, np, npx):
    n = mx.init.Normal(0.5)
    again = mx.init.create(n.dumps())
    x = mx.init.create("xavier", magnitude=2)
    return (n.dumps(), type(again).__name__, again.sigma, again == n, x.magnitude,
            mx.init.Xavier().dumps(), mx.init.Constant(2.0).dumps(),
            type(mx.init.create("zeros")).__name__, type(mx.init.create("ones")).__name__,
            type(mx.init.create("msraprelu")).__name__, type(mx.init.create("bilinear")).__name__,
            type(mx.init.create("lstmbias")).__name__, mx.init.MSRAPrelu().dumps(),
            mx.init.LSTMBias(0.5).dumps())


@case
def error_create_unknown(mx, np, npx):
    return mx.init.create("nosuchinit")


@case
def register_custom_initializer(mx, np, npx):
    @mx.init.register
    class Halves(mx.init.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 0.5

    return _fill(mx, np, mx.init.create("halves"), (2, 2))


@case
def mixed_patterns(mx, np, npx):
    m = mx.init.Mixed([".*bias", ".*"], [mx.init.Constant(2.0), mx.init.One()])
    a, b = np.zeros((3,)), np.zeros((2, 2))
    m(mx.init.InitDesc("fc_bias"), a)
    m(mx.init.InitDesc("fc_weight"), b)
    return a, b


@case
def error_mixed_no_match(mx, np, npx):
    m = mx.init.Mixed(["conv.*"], [mx.init.One()])
    m(mx.init.InitDesc("fc_weight"), np.zeros((2,)))


@case
def load_from_dict_with_default(mx, np, npx):
    ld = mx.init.Load({"arg:fc_weight": np.array([[1.0, 2.0], [3.0, 4.0]])},
                      default_init=mx.init.Constant(9.0))
    a, b = np.zeros((2, 2)), np.zeros((3,))
    ld(mx.init.InitDesc("fc_weight"), a)
    ld(mx.init.InitDesc("fc_bias"), b)
    return a, b, sorted(ld.param)


@case
def error_load_shape_mismatch(mx, np, npx):
    ld = mx.init.Load({"fc_weight": np.ones((2, 3))})
    ld(mx.init.InitDesc("fc_weight"), np.zeros((3, 2)))


@case
def error_load_missing_without_default(mx, np, npx):
    ld = mx.init.Load({"fc_weight": np.ones((2, 3))})
    ld(mx.init.InitDesc("fc_bias"), np.zeros((3,)))


@case
def gluon_dense_with_initializers(mx, np, npx):
    net = mx.gluon.nn.Dense(4, in_units=6, weight_initializer=mx.init.Constant(0.5),
                            bias_initializer="ones")
    net.initialize()
    up = mx.gluon.Parameter("up_weight", shape=(2, 1, 4, 4), init=mx.init.Bilinear())
    up.initialize()
    return net.weight.data(), net.bias.data(), up.data()


@case
def gluon_initialize_with_global_init(mx, np, npx):
    net = mx.gluon.nn.Dense(3, in_units=2)
    net.initialize(mx.init.Constant(0.2))
    net2 = mx.gluon.nn.Dense(3, in_units=2, bias_initializer=mx.init.LSTMBias(1.5))
    net2.initialize(mx.init.One())
    return net.weight.data(), net.bias.data(), net2.weight.data(), net2.bias.data()
