"""``mx.mod.Module`` and ``mx.model`` checkpoints against real MXNet 1.9.1.

Fixtures (tests/fixtures/mxnet_module, made by ``make_module_fixtures.py`` with MXNet):
an MLP and a small conv net (Convolution, BatchNorm, Pooling) saved by MXNet's
``save_checkpoint``, their inputs, MXNet's predictions on the deployment path, and the
parameters after a fixed two-epoch ``fit`` (SGD, momentum, weight decay)."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap

import numpy as onp
import pytest

import ndengine as mx

FIX = os.path.join(os.path.dirname(__file__), "..", "fixtures", "mxnet_module")
EXP = onp.load(os.path.join(FIX, "expected.npz"))
SHAPES = {"mlp": (6,), "conv": (1, 6, 6)}


@pytest.fixture(autouse=True)
def _nd_mode():
    mx.npx.reset_np()
    yield


def _prefix(name):
    return os.path.join(FIX, name)


@pytest.mark.parametrize("name", ["mlp", "conv"])
def test_deployment_path_gives_mxnets_predictions(name):
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix(name), 0)
    assert "arg:" not in "".join(arg_params)
    assert sorted(aux_params) == (["bn1_moving_mean", "bn1_moving_var"] if name == "conv" else [])
    mod = mx.mod.Module(symbol=sym, context=mx.cpu(), data_names=["data"], label_names=None)
    mod.bind(for_training=False, data_shapes=[("data", (5,) + SHAPES[name])])
    mod.set_params(arg_params, aux_params, allow_missing=True)
    x = EXP[f"{name}_x"]
    mod.forward(mx.io.DataBatch([mx.nd.array(x[:5])]), is_train=False)
    out = mod.get_outputs()[0]
    assert isinstance(out, mx.nd.NDArray)
    onp.testing.assert_allclose(out.asnumpy(), EXP[f"{name}_pred5"], rtol=1e-5, atol=1e-6)
    assert mod.output_shapes == [("softmax_output", (5, 3))]


@pytest.mark.parametrize("name", ["mlp", "conv"])
def test_reshape_to_a_batch_of_one(name):
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix(name), 0)
    mod = mx.mod.Module(symbol=sym, context=mx.cpu())
    mod.bind(for_training=False, data_shapes=[("data", (5,) + SHAPES[name])],
             label_shapes=[("softmax_label", (5,))])
    mod.set_params(arg_params, aux_params)
    mod.reshape([("data", (1,) + SHAPES[name])], [("softmax_label", (1,))])
    mod.forward(mx.io.DataBatch([mx.nd.array(EXP[f"{name}_x"][:1])]), is_train=False)
    onp.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), EXP[f"{name}_pred1"],
                                rtol=1e-5, atol=1e-6)
    assert mod.data_shapes[0].shape == (1,) + SHAPES[name]


def test_reshape_of_a_label_parameter_is_refused_as_in_mxnet():
    # label_names=None makes softmax_label a parameter; a new batch size would change
    # its shape unasked, which MXNet refuses
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix("mlp"), 0)
    mod = mx.mod.Module(symbol=sym, label_names=None)
    mod.bind(for_training=False, data_shapes=[("data", (5, 6))])
    mod.set_params(arg_params, aux_params, allow_missing=True)
    with pytest.raises(mx.MXNetError, match="softmax_label"):
        mod.forward(mx.io.DataBatch([mx.nd.ones((1, 6))]), is_train=False)


@pytest.mark.parametrize("name", ["mlp", "conv"])
def test_fit_two_epochs_matches_mxnet(name, caplog):
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix(name), 0)
    x, y = EXP[f"{name}_x"], EXP[f"{name}_y"]
    train = mx.io.NDArrayIter(x[:30], y[:30], batch_size=10)
    val = mx.io.NDArrayIter(x[30:], y[30:], batch_size=5)
    mod = mx.mod.Module(symbol=sym, context=mx.cpu())
    seen = []
    with caplog.at_level(logging.INFO):
        mod.fit(train, eval_data=val, optimizer="sgd",
                optimizer_params={"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01},
                eval_metric="acc", num_epoch=2, arg_params=arg_params, aux_params=aux_params,
                batch_end_callback=[lambda p: seen.append([p.epoch, p.nbatch]),
                                    mx.callback.Speedometer(10, 1)],
                eval_end_callback=lambda p: seen.append(["val", p.epoch,
                                                         p.eval_metric.get()[1]]))
    want_seen = json.loads(str(EXP[f"{name}_fit_callbacks"]))
    assert [s[:2] for s in seen] == [s[:2] for s in want_seen]
    for got, want in zip(seen, want_seen):
        if got[0] == "val":
            assert got[2] == pytest.approx(want[2])
    a, b = mod.get_params()
    for k, v in list(a.items()) + list(b.items()):
        onp.testing.assert_allclose(v.asnumpy(), EXP[f"{name}_fit_{k}"], rtol=1e-4, atol=1e-5,
                                    err_msg=k)
    assert mod.score(val, "acc")[0][1] == pytest.approx(float(EXP[f"{name}_fit_score"]))
    onp.testing.assert_allclose(mod.predict(val).asnumpy(), EXP[f"{name}_fit_predict"],
                                rtol=1e-4, atol=1e-5)
    text = caplog.text
    assert "Epoch[1] Train-accuracy=" in text and "Epoch[1] Validation-accuracy=" in text
    assert "Epoch[0] Time cost=" in text


def test_manual_loop_equals_fit(tmp_path):
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix("mlp"), 0)
    x, y = EXP["mlp_x"], EXP["mlp_y"]
    train = mx.io.NDArrayIter(x[:30], y[:30], batch_size=10)
    mod = mx.mod.Module(symbol=sym)
    mod.bind(data_shapes=train.provide_data, label_shapes=train.provide_label)
    mod.init_params(arg_params=arg_params, aux_params=aux_params)
    mod.init_optimizer(optimizer="sgd", optimizer_params=(("learning_rate", 0.1),
                                                          ("momentum", 0.9), ("wd", 0.01)))
    metric = mx.metric.create("acc")
    for _ in range(2):
        train.reset()
        for batch in train:
            mod.forward_backward(batch)
            mod.update()
            mod.update_metric(metric, batch.label)
    a, _ = mod.get_params()
    for k, v in a.items():
        onp.testing.assert_allclose(v.asnumpy(), EXP[f"mlp_fit_{k}"], rtol=1e-4, atol=1e-5)
    # checkpoint round trip: MXNet's names, and Module.load gives the same predictions
    prefix = str(tmp_path / "mlp")
    mod.save_checkpoint(prefix, 3)
    saved = mx.nd.load(prefix + "-0003.params")
    assert sorted(saved) == sorted(f"arg:{k}" for k in a)
    mod2 = mx.mod.Module.load(prefix, 3)
    mod2.bind(for_training=False, data_shapes=[("data", (10, 6))],
              label_shapes=[("softmax_label", (10,))])
    train.reset()
    batch = next(iter(train))
    mod.forward(batch, is_train=False)
    mod2.forward(batch, is_train=False)
    onp.testing.assert_allclose(mod2.get_outputs()[0].asnumpy(),
                                mod.get_outputs()[0].asnumpy(), rtol=1e-6)
    # save_params / load_params
    mod2.save_params(str(tmp_path / "p.params"))
    mod3 = mx.mod.Module(symbol=sym)
    mod3.bind(data_shapes=[("data", (10, 6))], label_shapes=[("softmax_label", (10,))])
    mod3.load_params(str(tmp_path / "p.params"))
    mod3.forward(batch, is_train=False)
    onp.testing.assert_allclose(mod3.get_outputs()[0].asnumpy(),
                                mod.get_outputs()[0].asnumpy(), rtol=1e-6)


def test_save_checkpoint_files_load_as_mxnets_would(tmp_path):
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix("conv"), 0)
    prefix = str(tmp_path / "c")
    mx.model.save_checkpoint(prefix, 7, sym, arg_params, aux_params)
    sym2, a2, x2 = mx.model.load_checkpoint(prefix, 7)
    assert sym2.tojson() == sym.tojson()
    saved = mx.nd.load(prefix + "-0007.params")
    assert sorted(saved) == sorted([f"arg:{k}" for k in arg_params] +
                                   [f"aux:{k}" for k in aux_params])
    for k in a2:
        onp.testing.assert_array_equal(a2[k].asnumpy(), arg_params[k].asnumpy())


def test_two_cpu_contexts_match_one():
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix("mlp"), 0)
    x, y = EXP["mlp_x"], EXP["mlp_y"]
    results = []
    for ctx in ([mx.cpu(0)], [mx.cpu(0), mx.cpu(1)]):
        train = mx.io.NDArrayIter(x[:30], y[:30], batch_size=10)
        mod = mx.mod.Module(symbol=sym, context=ctx)
        mod.fit(train, optimizer="sgd", num_epoch=2, arg_params=arg_params,
                aux_params=aux_params,
                optimizer_params={"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01})
        results.append({k: v.asnumpy() for k, v in mod.get_params()[0].items()})
        assert mod.get_outputs()[0].shape == (10, 3)
    for k in results[0]:
        onp.testing.assert_allclose(results[1][k], results[0][k], rtol=1e-5, atol=1e-6)
        onp.testing.assert_allclose(results[1][k], EXP[f"mlp_fit_{k}"], rtol=1e-4, atol=1e-5)


def test_init_params_by_name_and_fixed_params():
    sym, _, _ = mx.model.load_checkpoint(_prefix("conv"), 0)
    mod = mx.mod.Module(symbol=sym, fixed_param_names=["conv1_weight"])
    mod.bind(data_shapes=[("data", (4, 1, 6, 6))], label_shapes=[("softmax_label", (4,))])
    mod.init_params(mx.init.Uniform(0.1))
    a, b = mod.get_params()
    assert (a["bn1_gamma"].asnumpy() == 1).all() and (a["conv1_bias"].asnumpy() == 0).all()
    assert (b["bn1_moving_var"].asnumpy() == 1).all()
    assert onp.abs(a["fc_weight"].asnumpy()).max() <= 0.1
    w0 = a["conv1_weight"].asnumpy().copy()
    mod.init_optimizer(optimizer_params={"learning_rate": 1.0})
    batch = mx.io.DataBatch([mx.nd.array(EXP["conv_x"][:4])],
                            [mx.nd.array(EXP["conv_y"][:4])])
    mod.forward_backward(batch)
    mod.update()
    a, _ = mod.get_params()
    onp.testing.assert_array_equal(a["conv1_weight"].asnumpy(), w0)
    assert not onp.allclose(a["fc_weight"].asnumpy(), 0)


def test_input_grads():
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix("mlp"), 0)
    mod = mx.mod.Module(symbol=sym)
    mod.bind(data_shapes=[("data", (4, 6))], label_shapes=[("softmax_label", (4,))],
             inputs_need_grad=True)
    mod.set_params(arg_params, aux_params)
    x = mx.nd.array(EXP["mlp_x"][:4])
    lab = mx.nd.array(EXP["mlp_y"][:4])
    mod.forward_backward(mx.io.DataBatch([x], [lab]))
    g = mod.get_input_grads()[0].asnumpy()
    # the same gradient through an executor of the symbol
    exe = sym.simple_bind(mx.cpu(), data=(4, 6))
    exe.copy_params_from(arg_params, allow_extra_params=True)
    exe.forward(is_train=True, data=x, softmax_label=lab)
    exe.backward()
    onp.testing.assert_allclose(g, exe.grad_dict["data"].asnumpy(), rtol=1e-5, atol=1e-7)


def test_errors_are_clear_and_early():
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix("mlp"), 0)
    with pytest.raises(ValueError, match="'dat' is not found"):
        mx.mod.Module(sym, data_names=["dat"])
    with pytest.raises(TypeError, match="Symbol"):
        mx.mod.Module("net.json")
    mod = mx.mod.Module(sym)
    with pytest.raises(RuntimeError, match="bind"):
        mod.init_params()
    with pytest.raises(ValueError, match="data_shapes"):
        mod.bind(data_shapes=None)
    with pytest.raises(ValueError, match="don't match names"):
        mod.bind(data_shapes=[("x", (2, 6))])
    mod.bind(data_shapes=[("data", (2, 6))], label_shapes=[("softmax_label", (2,))])
    with pytest.raises(RuntimeError, match="not initialized"):
        mod.forward(mx.io.DataBatch([mx.nd.ones((2, 6))]))
    with pytest.raises(RuntimeError, match="fc2_bias is not presented"):
        mod.set_params({k: v for k, v in arg_params.items() if k != "fc2_bias"}, aux_params)
    with pytest.raises(ValueError, match="shape"):
        bad = dict(arg_params, fc1_weight=mx.nd.ones((3, 3)))
        mod.set_params(bad, aux_params)
    mod.set_params(arg_params, aux_params)
    with pytest.raises(RuntimeError, match="init_optimizer"):
        mod.update()
    with pytest.raises(ValueError, match="dist_sync"):
        mod.init_optimizer(kvstore="dist_sync")
    with pytest.raises(ValueError, match="num_epoch"):
        mod.fit(mx.io.NDArrayIter(onp.ones((4, 6)), onp.ones(4), batch_size=2))
    pm = mx.mod.Module(sym)
    with pytest.warns(UserWarning, match="label_shapes don't match"):
        pm.bind(for_training=False, data_shapes=[("data", (2, 6))])
    pm.set_params(arg_params, aux_params)
    pm.forward(mx.io.DataBatch([mx.nd.ones((2, 6))]))
    with pytest.raises(mx.MXNetError, match="for_training=False"):
        pm.backward()


def test_mxnet_client_code_runs_unchanged_under_the_alias():
    # the classic MXNet 1.x deployment and training scripts, in a fresh interpreter
    code = textwrap.dedent(f"""
        import ndengine
        ndengine.alias_as_mxnet()
        import logging
        import mxnet as mx
        import mxnet.module, mxnet.model
        import numpy as np
        assert mx.mod is mxnet.module is ndengine.module and mx.model is ndengine.model
        from mxnet.mod import Module
        assert Module is mx.module.Module
        sym, arg_params, aux_params = mx.model.load_checkpoint({_prefix("conv")!r}, 0)
        mod = mx.mod.Module(symbol=sym, context=mx.cpu(), data_names=['data'],
                            label_names=None)
        mod.bind(for_training=False, data_shapes=[('data', (1, 1, 6, 6))])
        mod.set_params(arg_params, aux_params, allow_missing=True)
        img = np.load({os.path.join(FIX, "expected.npz")!r})["conv_x"][:1]
        mod.forward(mx.io.DataBatch([mx.nd.array(img)]), is_train=False)
        prob = mod.get_outputs()[0].asnumpy()
        print("prob", prob.shape, round(float(prob.sum()), 5))
        data = mx.sym.var('data')
        net = mx.sym.FullyConnected(data, num_hidden=8, name='fc1')
        net = mx.sym.Activation(net, act_type='relu')
        net = mx.sym.FullyConnected(net, num_hidden=2, name='fc2')
        net = mx.sym.SoftmaxOutput(net, name='softmax')
        x = np.random.RandomState(0).rand(40, 4).astype('float32')
        y = (x[:, 0] > 0.5).astype('float32')
        train_iter = mx.io.NDArrayIter(x, y, batch_size=8, shuffle=True)
        val_iter = mx.io.NDArrayIter(x, y, batch_size=8)
        logging.basicConfig(level=logging.INFO)
        mod = mx.mod.Module(symbol=net)
        mod.fit(train_iter, eval_data=val_iter, optimizer='sgd',
                optimizer_params={{'learning_rate': 0.1}}, eval_metric='acc', num_epoch=2,
                batch_end_callback=mx.callback.Speedometer(8, 2))
        print("score", mod.score(val_iter, ['acc'])[0][0])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "prob (1, 3) 1.0" in out.stdout
    assert "score accuracy" in out.stdout
    assert "Epoch[1] Validation-accuracy=" in out.stderr
    assert "Speed:" in out.stderr


def test_predict_of_arrays_and_iter_predict():
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix("mlp"), 0)
    mod = mx.mod.Module(sym, label_names=None)
    mod.bind(for_training=False, data_shapes=[("data", (5, 6))])
    mod.set_params(arg_params, aux_params, allow_missing=True)
    out = mod.predict(EXP["mlp_x"][:5])
    onp.testing.assert_allclose(out.asnumpy(), EXP["mlp_pred5"], rtol=1e-5, atol=1e-6)
    outs = list(mod.iter_predict(mx.io.NDArrayIter(EXP["mlp_x"][:10], batch_size=5)))
    assert [o[1] for o in outs] == [0, 1]
    onp.testing.assert_allclose(outs[0][0][0].asnumpy(), EXP["mlp_pred5"], rtol=1e-5,
                                atol=1e-6)


def test_batchnorm_aux_states_get_their_initializer_as_in_mxnet():
    bn = mx.sym.BatchNorm(mx.sym.var("data"), name="bn")
    attrs = bn.attr_dict()
    assert attrs["bn_moving_mean"]["__init__"] == '["zero", {}]'
    assert attrs["bn_moving_var"]["__init__"] == '["one", {}]'
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(bn, num_hidden=2, name="fc"),
                               name="softmax")
    mod = mx.mod.Module(net)
    mod.bind(data_shapes=[("data", (4, 3))], label_shapes=[("softmax_label", (4,))])
    mod.init_params(mx.init.Xavier())
    _, aux = mod.get_params()
    assert (aux["bn_moving_mean"].asnumpy() == 0).all()
    assert (aux["bn_moving_var"].asnumpy() == 1).all()


def test_optimizer_states_round_trip_through_a_checkpoint(tmp_path):
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix("mlp"), 0)
    x, y = EXP["mlp_x"], EXP["mlp_y"]
    opt = {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}

    def fit(mod, begin, end):
        train = mx.io.NDArrayIter(x[:30], y[:30], batch_size=10)
        mod.fit(train, optimizer="sgd", optimizer_params=opt, num_epoch=end, begin_epoch=begin,
                arg_params=arg_params if begin == 0 else None,
                aux_params=aux_params if begin == 0 else None)

    mod = mx.mod.Module(sym)
    fit(mod, 0, 1)
    prefix = str(tmp_path / "m")
    mod.save_checkpoint(prefix, 1, save_optimizer_states=True)
    assert os.path.exists(prefix + "-0001.states")
    resumed = mx.mod.Module.load(prefix, 1, load_optimizer_states=True)
    with pytest.warns(UserWarning, match="already initialized"):   # as MXNet warns
        fit(resumed, 1, 2)
    # the momentum carried over: two epochs in one go give the same parameters
    for k, v in resumed.get_params()[0].items():
        onp.testing.assert_allclose(v.asnumpy(), EXP[f"mlp_fit_{k}"], rtol=1e-4, atol=1e-5)


def test_two_heads_two_labels_adam_and_a_composite_metric_match_mxnet():
    # the same net as make_module_fixtures.multi_head (which needs MXNet to import)
    rs = onp.random.RandomState(5)
    x = rs.uniform(-1, 1, (30, 4)).astype("float32")
    y = (x @ onp.array([1., -2., 0.5, 3.], "float32") + 0.3).reshape(-1, 1)
    y2 = (x[:, 0] > 0).astype("float32")
    data = mx.sym.var("data")
    h = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=5, name="h"), act_type="tanh")
    reg = mx.sym.LinearRegressionOutput(mx.sym.FullyConnected(h, num_hidden=1, name="r"),
                                        name="lro")
    cls = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=2, name="c"), name="sm")
    net = mx.sym.Group([reg, cls])
    arg_shapes, _, _ = net.infer_shape(data=(6, 4))
    args = {n: mx.nd.array(onp.random.RandomState(i).uniform(-0.5, 0.5, s).astype("float32"))
            for i, (n, s) in enumerate(zip(net.list_arguments(), arg_shapes))
            if n != "data" and not n.endswith("label")}
    it = mx.io.NDArrayIter(x, {"lro_label": y, "sm_label": y2}, batch_size=6)
    mod = mx.mod.Module(net, label_names=["lro_label", "sm_label"])
    comp = mx.metric.CompositeEvalMetric([
        mx.metric.MSE(output_names=["lro_output"], label_names=["lro_label"]),
        mx.metric.Accuracy(output_names=["sm_output"], label_names=["sm_label"])])
    mod.fit(it, eval_metric=comp, optimizer="adam", optimizer_params={"learning_rate": 0.05},
            arg_params=args, num_epoch=3)
    for k, v in mod.get_params()[0].items():
        onp.testing.assert_allclose(v.asnumpy(), EXP[f"multi_fit_{k}"], rtol=1e-4, atol=1e-5,
                                    err_msg=k)
    onp.testing.assert_allclose([v for _, v in mod.score(it, comp)], EXP["multi_score"],
                                rtol=1e-4)
    assert mod.output_shapes == [("lro_output", (6, 1)), ("sm_output", (6, 2))]
    assert [p.shape for p in mod.predict(it)] == [(30, 1), (30, 2)]


def test_fine_tuning_recipe_and_feature_extraction_match_mxnet():
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix("conv"), 0)
    internals = sym.get_internals()
    assert "flat_output" in internals.list_outputs()
    net = mx.sym.FullyConnected(internals["flat_output"], num_hidden=2, name="fc_new")
    net = mx.sym.SoftmaxOutput(net, name="softmax")
    new_args = {k: v for k, v in arg_params.items() if "fc" not in k}
    x, y = EXP["conv_x"], (EXP["conv_y"] > 0).astype("float32")
    mod = mx.mod.Module(symbol=net, context=mx.cpu(), fixed_param_names=["conv1_weight"])
    mod.fit(mx.io.NDArrayIter(x, y, batch_size=10), num_epoch=2, arg_params=new_args,
            aux_params=aux_params, allow_missing=True, initializer=mx.init.Constant(0.01),
            optimizer_params={"learning_rate": 0.1})
    a, b = mod.get_params()
    for k, v in list(a.items()) + list(b.items()):
        onp.testing.assert_allclose(v.asnumpy(), EXP[f"finetune_{k}"], rtol=1e-4, atol=1e-5,
                                    err_msg=k)
    onp.testing.assert_array_equal(a["conv1_weight"].asnumpy(),
                                   arg_params["conv1_weight"].asnumpy())
    fe = mx.mod.Module(symbol=internals["relu1_output"], label_names=None)
    fe.bind(for_training=False, data_shapes=[("data", (2, 1, 6, 6))])
    fe.set_params(arg_params, aux_params, allow_extra=True)
    fe.forward(mx.io.DataBatch([mx.nd.array(x[:2])]))
    onp.testing.assert_allclose(fe.get_outputs()[0].asnumpy(), EXP["finetune_features"],
                                rtol=1e-5, atol=1e-6)


def test_rebinding_for_prediction_keeps_the_trained_parameters():
    sym, arg_params, aux_params = mx.model.load_checkpoint(_prefix("mlp"), 0)
    x, y = EXP["mlp_x"], EXP["mlp_y"]
    mod = mx.mod.Module(symbol=sym)
    mod.fit(mx.io.NDArrayIter(x[:30], y[:30], batch_size=10), num_epoch=1,
            arg_params=arg_params, optimizer_params={"learning_rate": 0.5})
    batch = mx.io.DataBatch([mx.nd.array(x[:10])], [mx.nd.array(y[:10])])
    mod.forward_backward(batch)
    mod.update()                      # the CPU copy is stale now
    mod.forward(batch, is_train=False)
    before = mod.get_outputs()[0].asnumpy()
    mod.bind(data_shapes=[("data", (10, 6))], label_shapes=[("softmax_label", (10,))],
             for_training=False, force_rebind=True)
    mod.forward(batch, is_train=False)
    onp.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), before, rtol=1e-6)


def test_symbol_lr_mult_and_name_scopes_reach_the_optimizer():
    # MXNet: AttrScope attributes go on the node and the variables it makes, a
    # variable's lr_mult= too, and Module's optimizer reads __lr_mult__ from the symbol
    with mx.name.Prefix("net_"):
        data = mx.sym.var("data")
        with mx.AttrScope(__lr_mult__="0.0"):
            h = mx.sym.FullyConnected(data, num_hidden=4)
        w = mx.sym.var("o_weight", lr_mult=0.0)
        out = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, weight=w, num_hidden=2, name="o"),
                                   name="sm")
    assert out.list_arguments() == ["data", "net_fullyconnected0_weight",
                                    "net_fullyconnected0_bias", "o_weight", "net_o_bias",
                                    "net_sm_label"]
    attrs = out.attr_dict()
    assert attrs["net_fullyconnected0_weight"]["__lr_mult__"] == "0.0"
    assert attrs["net_fullyconnected0_weight"]["num_hidden"] == "4"
    mod = mx.mod.Module(out, label_names=["net_sm_label"])
    it = mx.io.NDArrayIter(EXP["mlp_x"][:20, :5], EXP["mlp_y"][:20] > 0, batch_size=5,
                           label_name="net_sm_label")
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    mod.init_params(mx.init.Uniform(0.5))
    before = {k: v.asnumpy().copy() for k, v in mod.get_params()[0].items()}
    mod.init_optimizer(optimizer_params={"learning_rate": 0.5})
    for batch in it:
        mod.forward_backward(batch)
        mod.update()
    after = {k: v.asnumpy() for k, v in mod.get_params()[0].items()}
    for k in ("net_fullyconnected0_weight", "net_fullyconnected0_bias", "o_weight"):
        onp.testing.assert_array_equal(after[k], before[k], err_msg=k)
    assert not onp.allclose(after["net_o_bias"], before["net_o_bias"])
