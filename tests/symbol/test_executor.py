"""``Symbol.bind`` / ``simple_bind`` executors against real MXNet 1.9.1: the loss heads'
backward (``grad_scale``, ``normalization``, ``ignore_label``), ``out_grads`` and
``grad_req='add'``, BatchNorm's moving statistics, and the errors of binding.

Expected values: tests/fixtures/mxnet_module/expected.npz (``make_module_fixtures.py``,
run with MXNet)."""
from __future__ import annotations

import os

import numpy as onp
import pytest

import ndengine as mx

FIX = os.path.join(os.path.dirname(__file__), "..", "fixtures", "mxnet_module")
EXP = onp.load(os.path.join(FIX, "expected.npz"))


def _heads():
    data = mx.sym.var("data")
    return {
        "softmax": mx.sym.SoftmaxOutput(data, name="h", grad_scale=2.0),
        "softmax_batch_ignore": mx.sym.SoftmaxOutput(data, name="h", normalization="valid",
                                                     use_ignore=True, ignore_label=1),
        "linear": mx.sym.LinearRegressionOutput(data, name="h", grad_scale=0.5),
        "logistic": mx.sym.LogisticRegressionOutput(data, name="h"),
        "mae": mx.sym.MAERegressionOutput(data, name="h"),
    }


@pytest.mark.parametrize("key", sorted(_heads()))
def test_loss_heads_forward_and_backward_match_mxnet(key):
    sym = _heads()[key]
    assert sym.list_arguments() == ["data", "h_label"]
    exe = sym.simple_bind(mx.cpu(), data=(4, 3), grad_req={"data": "write",
                                                           "h_label": "null"})
    assert sorted(exe.grad_dict) == ["data"]
    out = exe.forward(is_train=True, data=mx.nd.array(EXP["heads_x"]),
                      h_label=mx.nd.array(EXP[f"heads_{key}_label"]))
    assert out is exe.outputs and isinstance(out[0], mx.nd.NDArray)
    exe.backward()
    onp.testing.assert_allclose(exe.outputs[0].asnumpy(), EXP[f"heads_{key}_out"],
                                rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(exe.grad_dict["data"].asnumpy(), EXP[f"heads_{key}_grad"],
                                rtol=1e-5, atol=1e-6)


def test_make_loss_matches_mxnet():
    data = mx.sym.var("data")
    ml = mx.sym.MakeLoss(mx.sym.square(data), name="h", grad_scale=3.0, normalization="batch")
    exe = ml.simple_bind(mx.cpu(), data=(4, 3))
    exe.forward(is_train=True, data=mx.nd.array(EXP["heads_x"]))
    exe.backward()
    onp.testing.assert_allclose(exe.outputs[0].asnumpy(), EXP["heads_makeloss_out"], rtol=1e-6)
    onp.testing.assert_allclose(exe.grad_dict["data"].asnumpy(), EXP["heads_makeloss_grad"],
                                rtol=1e-5, atol=1e-7)


def test_bind_with_out_grads_and_grad_req_add():
    data, w = mx.sym.var("data"), mx.sym.var("w")
    z = mx.sym.tanh(mx.sym.FullyConnected(data, w, num_hidden=2, no_bias=True, name="fc")) * 2
    gw, gd = mx.nd.zeros((2, 3)), mx.nd.zeros((4, 3))
    exe = z.bind(mx.cpu(), {"data": mx.nd.array(EXP["heads_x"]), "w": mx.nd.array(EXP["plain_w"])},
                 args_grad={"data": gd, "w": gw}, grad_req={"data": "write", "w": "add"})
    for _ in range(2):
        exe.forward(is_train=True)
        exe.backward(mx.nd.array(EXP["plain_og"]))
    onp.testing.assert_allclose(exe.outputs[0].asnumpy(), EXP["plain_out"], rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(gw.asnumpy(), EXP["plain_grad_w_add2"], rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(gd.asnumpy(), EXP["plain_grad_data"], rtol=1e-5, atol=1e-6)
    assert exe.grad_dict["w"] is gw
    with pytest.raises(mx.MXNetError, match="head gradient is required"):
        exe.backward()


def test_batchnorm_moving_statistics_and_fix_gamma_match_mxnet():
    data = mx.sym.var("data")
    bn = mx.sym.BatchNorm(data, name="bn", momentum=0.8)
    assert bn.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    exe = bn.simple_bind(mx.cpu(), data=(4, 3))
    exe.arg_dict["bn_gamma"][:] = 2
    exe.forward(is_train=True, data=mx.nd.array(EXP["heads_x"]))
    rs = onp.random.RandomState(7)
    rs.uniform(-1, 1, size=(4, 3))
    for key in ("linear", "logistic", "mae"):
        rs.uniform(size=(4, 3))
    rs.uniform(-1, 1, size=(2, 3))
    rs.uniform(-1, 1, size=(4, 2))
    exe.backward(mx.nd.array(rs.uniform(size=(4, 3)).astype("float32")))
    for k in ("out", "moving_mean", "moving_var", "grad_beta", "grad_gamma", "gamma_after"):
        got = {"out": exe.outputs[0], "moving_mean": exe.aux_dict["bn_moving_mean"],
               "moving_var": exe.aux_dict["bn_moving_var"],
               "grad_beta": exe.grad_dict["bn_beta"], "grad_gamma": exe.grad_dict["bn_gamma"],
               "gamma_after": exe.arg_dict["bn_gamma"]}[k]
        onp.testing.assert_allclose(got.asnumpy(), EXP[f"bn_{k}"], rtol=1e-5, atol=1e-6,
                                    err_msg=k)


def test_predict_forward_leaves_moving_statistics():
    data = mx.sym.var("data")
    exe = mx.sym.BatchNorm(data, name="bn").simple_bind(mx.cpu(), data=(4, 3))
    exe.forward(is_train=False, data=mx.nd.array(EXP["heads_x"]))
    assert (exe.aux_dict["bn_moving_mean"].asnumpy() == 0).all()
    with pytest.raises(mx.MXNetError, match="forward\\(is_train=True\\)"):
        exe.backward(mx.nd.ones((4, 3)))


def _mlp():
    d = mx.sym.var("data")
    fc = mx.sym.FullyConnected(d, num_hidden=4, name="fc")
    return mx.sym.SoftmaxOutput(fc, name="softmax")


def test_simple_bind_allocates_what_shapes_determine():
    exe = _mlp().simple_bind(mx.cpu(), data=(2, 3))
    assert {k: v.shape for k, v in exe.arg_dict.items()} == {
        "data": (2, 3), "fc_weight": (4, 3), "fc_bias": (4,), "softmax_label": (2,)}
    assert sorted(exe.grad_dict) == ["data", "fc_bias", "fc_weight", "softmax_label"]
    assert list(exe.output_dict) == ["softmax_output"]
    assert exe.outputs[0].shape == (2, 4) and (exe.outputs[0].asnumpy() == 0).all()
    exe2 = _mlp().simple_bind(mx.cpu(), grad_req="null", type_dict={"data": "float64"},
                              data=(2, 3))
    assert exe2.grad_dict == {} and exe2.arg_dict["fc_weight"].dtype == onp.float64


def test_reshape_shares_parameters_and_checks_like_mxnet():
    exe = _mlp().simple_bind(mx.cpu(), data=(4, 3))
    exe.arg_dict["fc_weight"][:] = 1
    small = exe.reshape(data=(2, 3), softmax_label=(2,))
    assert small.arg_dict["fc_weight"] is exe.arg_dict["fc_weight"]
    assert small.arg_dict["data"].shape == (2, 3)
    out = small.forward(data=mx.nd.ones((2, 3)))[0]
    assert out.shape == (2, 4)
    with pytest.raises(mx.MXNetError, match="larger than the original"):
        exe.reshape(data=(8, 3), softmax_label=(8,))
    assert exe.reshape(allow_up_sizing=True, data=(8, 3),
                       softmax_label=(8,)).arg_dict["data"].shape == (8, 3)
    with pytest.raises(mx.MXNetError, match="softmax_label"):
        exe.reshape(data=(2, 3))
    assert exe.reshape(partial_shaping=True, data=(2, 3)).arg_dict["softmax_label"].shape == (2,)


def test_copy_params_from():
    exe = _mlp().simple_bind(mx.cpu(), data=(2, 3))
    exe.copy_params_from({"fc_weight": mx.nd.ones((4, 3)), "fc_bias": mx.nd.ones((4,))})
    assert (exe.arg_dict["fc_weight"].asnumpy() == 1).all()
    with pytest.raises(ValueError, match='Find name "foo"'):
        exe.copy_params_from({"foo": mx.nd.ones((2,))})
    exe.copy_params_from({"foo": mx.nd.ones((2,))}, allow_extra_params=True)
    with pytest.raises(ValueError, match="shape"):
        exe.copy_params_from({"fc_bias": mx.nd.ones((5,))})


def test_binding_errors_name_what_is_wrong():
    s = _mlp()
    with pytest.raises(mx.MXNetError, match="do not determine the shapes of.*fc_weight"):
        s.simple_bind(mx.cpu())
    with pytest.raises(ValueError, match="'foo'.*not arguments"):
        s.simple_bind(mx.cpu(), data=(2, 3), foo=(1,))
    with pytest.raises(ValueError, match="key `fc_weight` is missing in `args`"):
        s.bind(mx.cpu(), {"data": mx.nd.ones((2, 3))})
    with pytest.raises(mx.MXNetError, match="fully_connected.*\\(4, 5\\)"):
        s.bind(mx.cpu(), {"data": mx.nd.ones((2, 3)), "fc_weight": mx.nd.ones((4, 5)),
                          "fc_bias": mx.nd.ones((4,)), "softmax_label": mx.nd.ones((2,))})
    with pytest.raises(ValueError, match="Length of args"):
        s.bind(mx.cpu(), [mx.nd.ones((2, 3))])
    with pytest.raises(ValueError, match="grad_req"):
        s.simple_bind(mx.cpu(), grad_req="sometimes", data=(2, 3))
    exe = s.simple_bind(mx.cpu(), data=(2, 3))
    with pytest.raises(TypeError, match="Unknown argument foo"):
        exe.forward(foo=mx.nd.ones((2, 3)))
    with pytest.raises(ValueError, match="Shape not match! Argument data, need: \\(2, 3\\), "
                                         "received: \\(3, 3\\)"):
        exe.forward(data=mx.nd.ones((3, 3)))
    bn = mx.sym.BatchNorm(mx.sym.var("data"), name="bn")
    args = [mx.nd.ones((2, 3)), mx.nd.ones((3,)), mx.nd.ones((3,))]
    with pytest.raises(ValueError, match="aux_states"):
        bn.bind(mx.cpu(), args)


def test_bind_list_arguments_and_numpy_input():
    s = _mlp()
    args = [mx.nd.ones((2, 3)), mx.nd.ones((4, 3)), mx.nd.zeros((4,)), mx.nd.zeros((2,))]
    exe = s.bind(mx.cpu(), args)
    out = exe.forward(data=onp.full((2, 3), 2.0))[0].asnumpy()
    onp.testing.assert_allclose(out, onp.full((2, 4), 0.25), rtol=1e-6)
    assert exe.arg_arrays[0] is args[0]
    assert (args[0].asnumpy() == 2).all()


def test_ops_run_by_their_nd_functions_match_mxnet_forward_and_backward():
    # MXNet's JSON of a graph of LRN, SliceChannel, add_n, Deconvolution, UpSampling,
    # InstanceNorm, L2Normalization, SwapAxis, broadcast_axis...
    sym = mx.sym.load_json(str(EXP["ops_json"]))
    exe = sym.simple_bind(mx.cpu(), data=(2, 2, 4, 4))
    assert sorted(exe.arg_dict) == sorted(k[len("ops_arg_"):] for k in EXP.files
                                          if k.startswith("ops_arg_"))
    for n, a in exe.arg_dict.items():
        a[:] = EXP[f"ops_arg_{n}"]
    exe.forward(is_train=True)
    exe.backward()
    onp.testing.assert_allclose(exe.outputs[0].asnumpy(), EXP["ops_out"], rtol=1e-4, atol=1e-6)
    for n, g in exe.grad_dict.items():
        onp.testing.assert_allclose(g.asnumpy(), EXP[f"ops_grad_{n}"], rtol=1e-3, atol=1e-6,
                                    err_msg=n)


def test_blockgrad_outputs_need_no_head_gradient_and_stop_it():
    # MXNet 1.9.1: backward() with a BlockGrad / stop_gradient output beside a loss runs
    # (the same 4/3 per weight entry as here); a plain output beside it needs out_grads
    data = mx.sym.var("data")
    enc = mx.sym.FullyConnected(data, num_hidden=3, name="enc")
    loss = mx.sym.MakeLoss(mx.sym.mean(mx.sym.square(enc)), name="loss")
    for second in (mx.sym.BlockGrad(enc, name="code"), mx.sym.stop_gradient(enc, name="c2")):
        exe = mx.sym.Group([loss, second]).simple_bind(mx.cpu(), data=(2, 4))
        exe.arg_dict["enc_weight"][:] = 0.5
        exe.forward(is_train=True, data=mx.nd.ones((2, 4)))
        exe.backward()
        onp.testing.assert_allclose(exe.grad_dict["enc_weight"].asnumpy(),
                                    onp.full((3, 4), 4 / 3), rtol=1e-6)
    exe = mx.sym.Group([loss, enc]).simple_bind(mx.cpu(), data=(2, 4))
    exe.forward(is_train=True, data=mx.nd.ones((2, 4)))
    with pytest.raises(mx.MXNetError, match="'enc_output' is not a loss"):
        exe.backward()
    # inside a graph no gradient goes through BlockGrad: d/dx sum(BlockGrad(2x) * x) = 2x
    x = mx.sym.var("x")
    z = mx.sym.MakeLoss(mx.sym.sum(mx.sym.BlockGrad(x * 2) * x))
    exe = z.simple_bind(mx.cpu(), x=(3,))
    exe.forward(is_train=True, x=mx.nd.array([1.0, 2.0, 3.0]))
    exe.backward()
    onp.testing.assert_allclose(exe.grad_dict["x"].asnumpy(), [2.0, 4.0, 6.0])
