"""Behaviour the second book sweep (d2l chapters on optimization, computer vision, NLP
pretraining and applications run unchanged on ndengine) found different from MXNet
1.9.1: each case is the smallest program showing it, compared against real MXNet."""
from _diff import case


@case
def ndarray_clip_min_max_keywords(mx, np, npx):
    # d2l.box_iou (anchor boxes, SSD) calls (a - b).clip(min=0): the method's
    # parameters are min, max and out, where np.clip's are a_min, a_max
    a = np.array([[-1.0, 0.5], [2.0, -3.0]])
    out = np.zeros((2, 2))
    a.clip(max=1.0, out=out)
    return a.clip(min=0), a.clip(max=1.0), a.clip(-0.5, 0.75), out, np.clip(a, a_min=0, a_max=1)


@case
def npx_roi_pooling_book(mx, np, npx):
    # the R-CNN section's example
    X = np.arange(16).reshape(1, 1, 4, 4)
    rois = np.array([[0, 0, 0, 20, 20], [0, 0, 10, 30, 30]])
    return npx.roi_pooling(X, rois, pooled_size=(2, 2), spatial_scale=0.1)


@case
def npx_roi_pooling_bins_and_grad(mx, np, npx):
    # ties (first maximum in row-major order takes the gradient), regions past the
    # map, one-pixel and empty bins, fractional corners rounded half away from zero, a
    # negative batch index (all zeros), float64
    import numpy as onp
    rs = onp.random.RandomState(0)
    X = np.array(rs.randint(0, 5, (2, 3, 9, 11)).astype("float32"))
    rois = np.array([[0, 0, 0, 20, 20], [1, 3, 5, 60, 40], [0, 10, 10, 30, 30],
                     [1, -10, -5, 200, 300], [0, 15, 15, 15, 15], [1, 55, 25, 200, 300],
                     [0, 12.5, 7.5, 37.4, 25.5], [-1, 0, 0, 20, 20]])
    res = []
    for ps, sc in [((2, 2), 0.1), ((3, 4), 0.2), ((1, 1), 0.25), ((5, 3), 0.15)]:
        X.attach_grad()
        with mx.autograd.record():
            Y = npx.roi_pooling(X, rois, pooled_size=ps, spatial_scale=sc)
            loss = (Y * np.arange(Y.size).reshape(Y.shape)).sum()
        loss.backward()
        res += [Y, X.grad.copy()]
    res.append(npx.roi_pooling(X.astype("float64"), rois.astype("float64"),
                               pooled_size=(2, 2), spatial_scale=0.1))
    return res


@case(mode="nd")
def nd_roi_pooling_grad(mx, np, npx):
    # mx.nd.ROIPooling is the same op, with its gradient
    x = mx.nd.array([[[[1, 5, 2, 0], [3, 5, 1, 4], [0, 2, 6, 6], [1, 1, 0, 2]]]])
    rois = mx.nd.array([[0, 0, 0, 3, 3], [0, 1, 1, 2, 3]])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.ROIPooling(x, rois, pooled_size=(2, 2), spatial_scale=1.0)
    y.backward(mx.nd.ones_like(y))
    return y, x.grad


@case
def array_dataset_ragged_lists(mx, np, npx):
    # d2l.load_data_ptb (word2vec) zips centers with ragged lists of contexts and
    # negatives: each item is handed out as it is, and batchify pads them
    centers = [1, 2, 3]
    contexts = [[2, 3], [1], [1, 2, 4, 5]]
    negatives = [[7, 8, 9, 7], [8, 9], [9, 7, 8, 9, 7, 8, 9, 7]]
    ds = mx.gluon.data.ArrayDataset(centers, contexts, negatives)

    def batchify(data):
        max_len = max(len(c) + len(n) for _, c, n in data)
        rows = [c + n + [0] * (max_len - len(c) - len(n)) for _, c, n in data]
        return np.array([[c] for c, _, _ in data]), np.array(rows)
    loader = mx.gluon.data.DataLoader(ds, batch_size=2, batchify_fn=batchify)
    return len(ds), ds[2][1], ds[0][2], [b for b in loader]


@case
def npx_multibox_prior(mx, np, npx):
    # the anchor-box section of the book before d2l 1.0: sizes with the first ratio,
    # then the other ratios with the first size, per pixel; steps, offsets, clip
    outs = []
    for kw in [dict(sizes=[0.75, 0.5, 0.25], ratios=[1, 2, 0.5]),
               dict(sizes=[0.3], ratios=[2, 1, 0.25]),
               dict(sizes=[0.9, 0.4], ratios=[1], clip=True), dict(),
               dict(sizes=(0.5,), ratios=(1, 3), steps=(0.2, 0.1), offsets=(0.2, 0.7))]:
        outs.append(npx.multibox_prior(np.zeros((2, 3, 3, 5)), **kw))
    X = np.random.uniform(size=(1, 3, 40, 60))
    Y = npx.multibox_prior(X, sizes=[0.75, 0.5, 0.25], ratios=[1, 2, 0.5])
    outs.append(Y.reshape(40, 60, 5, 4)[25, 25, :, :])
    return outs
