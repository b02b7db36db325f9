"""GridGenerator, BilinearSampler, SpatialTransformer of mx.nd (np mode off), with
gradients."""
from _diff import case

ND = dict(mode="nd", rtol=1e-4, atol=1e-4)


@case(**ND)
def grids_and_sampling(mx, np, npx):
    nd = mx.nd
    theta = nd.array([[1, 0, 0, 0, 1, 0], [0.5, 0.1, 0.2, -0.1, 0.8, 0.1]])
    g = nd.GridGenerator(theta, transform_type="affine", target_shape=(3, 4))
    x = nd.arange(2 * 2 * 4 * 5).reshape((2, 2, 4, 5))
    flow = (nd.arange(2 * 2 * 4 * 5).reshape((2, 2, 4, 5)) % 5 - 2) / 3
    wg = nd.GridGenerator(flow, transform_type="warp")
    big = nd.array([[1.5, 0, 0.3, 0, 1.5, -0.2], [1, 0, 0, 0, 1, 0]])  # samples outside
    return (g, nd.BilinearSampler(x, g), wg, nd.BilinearSampler(x, wg),
            nd.SpatialTransformer(x, theta, target_shape=(3, 4), transform_type="affine",
                                  sampler_type="bilinear"),
            nd.SpatialTransformer(x, big, target_shape=(4, 5), transform_type="affine",
                                  sampler_type="bilinear"))


@case(**ND)
def sampler_gradients(mx, np, npx):
    nd = mx.nd
    x = nd.arange(2 * 4 * 5).reshape((1, 2, 4, 5)) / 7
    theta = nd.array([[0.9, 0.15, 0.05, -0.1, 0.7, 0.12]])
    x.attach_grad()
    theta.attach_grad()
    with mx.autograd.record():
        y = nd.SpatialTransformer(x, theta, target_shape=(3, 3), transform_type="affine",
                                  sampler_type="bilinear")
        l = (y * y).sum()
    l.backward()
    return y, x.grad, theta.grad


@case(**ND)
def spatial_transformer_needs_types(mx, np, npx):
    nd = mx.nd
    return nd.SpatialTransformer(nd.ones((1, 1, 2, 2)), nd.ones((1, 6)), target_shape=(2, 2))


@case(**ND)
def roi_pooling(mx, np, npx):
    nd = mx.nd
    x = nd.arange(2 * 2 * 6 * 6).reshape((2, 2, 6, 6))
    rois = nd.array([[0, 0, 0, 3, 3], [1, 1, 2, 5, 5], [0, 0.6, 0.4, 4.4, 2.2],
                     [1, 5, 5, 5, 5]])
    return (nd.ROIPooling(x, rois, pooled_size=(2, 2), spatial_scale=1.0),
            nd.ROIPooling(x, rois, pooled_size=(3, 2), spatial_scale=0.5),
            nd.ROIPooling(x, rois, pooled_size=(4, 4), spatial_scale=1.0))


@case(**ND)
def roi_pooling_gradient(mx, np, npx):
    nd = mx.nd
    x = nd.arange(2 * 1 * 5 * 5).reshape((2, 1, 5, 5)) % 7
    x.attach_grad()
    with mx.autograd.record():
        y = nd.ROIPooling(x, nd.array([[0, 0, 0, 4, 4], [1, 1, 1, 3, 4]]), pooled_size=(2, 2),
                          spatial_scale=1.0)
        l = (y * y).sum()
    l.backward()
    return y, x.grad
