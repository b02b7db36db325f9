"""The fused multi-weight, multi-precision and LAMB/LARS updates of mx.nd (np mode off)."""
from _diff import case

ND = dict(mode="nd", rtol=1e-3, atol=1e-4)


@case(**ND)
def mp_updates(mx, np, npx):
    nd = mx.nd
    w = nd.ones(3, dtype="float16")
    g = nd.ones(3, dtype="float16") * 0.5
    w32 = nd.ones(3)
    r = nd.mp_sgd_update(w, g, w32, lr=0.1, wd=0.01)
    m = nd.zeros(3)
    r2 = nd.mp_sgd_mom_update(w, g, m, w32, lr=0.1, momentum=0.9)
    m2 = nd.zeros(3)
    r3 = nd.mp_nag_mom_update(w, g, m2, w32, lr=0.1, momentum=0.9, out=w)
    return r, r2, m, r3, m2, w, w32


@case(**ND)
def multi_updates(mx, np, npx):
    nd = mx.nd
    ws = [nd.ones(2), nd.ones(3)]
    gs = [nd.ones(2), nd.ones(3) * 2]
    nd.multi_sgd_update(ws[0], gs[0], ws[1], gs[1], lrs=(0.1, 0.2), wds=(0.0, 0.1),
                        num_weights=2, out=ws)
    ms = [nd.zeros(2), nd.zeros(3)]
    nd.multi_sgd_mom_update(ws[0], gs[0], ms[0], ws[1], gs[1], ms[1], lrs=(0.1, 0.2),
                            wds=(0, 0), momentum=0.9, num_weights=2, out=ws)
    r = nd.preloaded_multi_sgd_update(ws[0], gs[0], ws[1], gs[1], nd.array([0.1, 0.2]),
                                      nd.array([0., 0.1]), num_weights=2, out=ws)
    nd.preloaded_multi_sgd_mom_update(ws[0], gs[0], ms[0], ws[1], gs[1], ms[1],
                                      nd.array([0.1, 0.2]), nd.array([0., 0.]), momentum=0.9,
                                      num_weights=2, out=ws)
    w16 = [nd.ones(2, dtype="float16")]
    w32 = [nd.ones(2)]
    nd.multi_mp_sgd_update(w16[0], nd.ones(2, dtype="float16"), w32[0], lrs=(0.5,),
                           wds=(0,), num_weights=1, out=w16)
    return ws, ms, len(r), w16, w32


@case(**ND)
def lamb_and_lars(mx, np, npx):
    nd = mx.nd
    w = nd.array([1., 2])
    g = nd.array([0.5, -1])
    mean, var = nd.zeros(2), nd.zeros(2)
    g1 = nd.lamb_update_phase1(w, g, mean, var, t=1, wd=0.01)
    g2 = nd.lamb_update_phase1(w, g, mean, var, t=2, bias_correction=False, wd=0.0)
    p2 = nd.lamb_update_phase2(w, g1, nd.norm(w), nd.norm(g1), lr=0.1)
    p3 = nd.lamb_update_phase2(w, g1, nd.norm(w), nd.norm(g1), lr=0.1, lower_bound=0.5,
                               upper_bound=1.0)
    lars = nd.multi_lars(nd.array([0.1, 0.2, 0.3]), nd.array([1., 4, 0]), nd.array([1., 1, 1]),
                         nd.array([0., 0.5, 0]), eta=0.1, eps=0)
    return g1, g2, mean, var, p2, p3, lars


@case(**ND)
def multi_update_needs_out(mx, np, npx):
    nd = mx.nd
    return nd.multi_sgd_update(nd.ones(2), nd.ones(2), lrs=(0.1,), wds=(0,), num_weights=1)


@case(**ND)
def lamb_needs_wd(mx, np, npx):
    nd = mx.nd
    return nd.lamb_update_phase1(nd.ones(2), nd.ones(2), nd.zeros(2), nd.zeros(2), t=1)


@case(**ND)
def mp_lamb(mx, np, npx):
    nd = mx.nd
    w = nd.array([1., 2])
    g = nd.array([0.5, -1])
    mean, var = nd.zeros(2), nd.zeros(2)
    w32 = w.copy()
    w16 = w.astype("float16")
    g1 = nd.mp_lamb_update_phase1(w16, g.astype("float16"), mean, var, w32, t=1, wd=0.01)
    r = nd.mp_lamb_update_phase2(w16, g1, nd.norm(w32), nd.norm(g1), w32, lr=0.1)
    r2 = nd.mp_lamb_update_phase2(w16, g1, nd.norm(w32), nd.norm(g1), w32, lr=0.1, out=w16)
    return g1, mean, var, r, r2 is w16, w16, w32
