"""The MXNet code of d2l 1.0.3's "Anchor Boxes", "The Object Detection Dataset" and
"Single Shot Multibox Detection" sections, run on a small synthetic banana data set
(same files and CSV format as the book's, 64x64 images) with fixed initial weights.

Shared by tests/fixtures/detect/make_d2l_ssd.py (real MXNet 1.9.1 + d2l 1.0.3 write
the expected numbers) and tests/image/test_d2l_detection.py (ndengine through
``alias_as_mxnet()``).  ``run()`` imports mxnet and d2l itself; the only scaffolding
around the book's code is the data set's location (``d2l.download_extract`` returns
the synthetic folder instead of downloading), NumPy's seed (the loader's shuffling)
and weights set from a fixed NumPy seed in place of Xavier's draws.  Besides the
book's own ``d2l.multibox_*`` functions, the same steps run through MXNet's
``npx.multibox_prior / multibox_target / multibox_detection`` (the names the book's
earlier MXNet editions used).
"""
import os

import numpy as onp

N_TRAIN, N_VAL, SIZE = 8, 4, 64


def make_bananas(root):
    """The banana-detection folder layout, with small random images and boxes."""
    from PIL import Image

    rs = onp.random.RandomState(3)
    for split, n in (("bananas_train", N_TRAIN), ("bananas_val", N_VAL)):
        os.makedirs(os.path.join(root, split, "images"), exist_ok=True)
        rows = ["img_name,label,xmin,ymin,xmax,ymax"]
        for i in range(n):
            img = rs.randint(0, 256, size=(SIZE, SIZE, 3)).astype("uint8")
            x0, y0 = rs.randint(0, SIZE // 2, size=2)
            w, h = rs.randint(SIZE // 6, SIZE // 2, size=2)
            img[y0:y0 + h, x0:x0 + w] = (230, 200, 40)
            Image.fromarray(img).save(os.path.join(root, split, "images", f"{i}.png"))
            # the book's coordinates are pixels of a 256-pixel image (divided by 256)
            s = 256 // SIZE
            rows.append(f"{i}.png,0,{x0 * s},{y0 * s},{(x0 + w) * s},{(y0 + h) * s}")
        with open(os.path.join(root, split, "label.csv"), "w") as f:
            f.write("\n".join(rows) + "\n")
    return root


def _set_weights(net, seed):
    rs = onp.random.RandomState(seed)
    for name, p in sorted(net.collect_params().items()):
        if name.endswith("weight") and len(p.shape) == 4:
            fan = p.shape[1] * p.shape[2] * p.shape[3]
            p.set_data(_arr(rs.uniform(-1, 1, p.shape) * (3.0 / fan) ** 0.5))
        elif name.endswith("bias"):
            p.set_data(_arr(rs.uniform(-0.1, 0.1, p.shape)))


def _arr(a):
    from mxnet import np

    return np.array(onp.asarray(a, dtype="float32"))


def run(data_dir):
    from d2l import mxnet as d2l
    from mxnet import autograd, gluon, image, init, np, npx
    from mxnet.gluon import nn

    npx.set_np()
    d2l.download_extract = lambda name, folder=None: data_dir
    res = {}

    # ---- Anchor Boxes (the book's worked examples)
    ground_truth = np.array([[0, 0.1, 0.08, 0.52, 0.92],
                             [1, 0.55, 0.2, 0.9, 0.88]])
    anchors = np.array([[0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4],
                        [0.63, 0.05, 0.88, 0.98], [0.66, 0.45, 0.8, 0.8],
                        [0.57, 0.3, 0.92, 0.9]])
    labels = d2l.multibox_target(np.expand_dims(anchors, axis=0),
                                 np.expand_dims(ground_truth, axis=0))
    res["anchor_labels"] = [x.asnumpy().tolist() for x in labels]
    npx_labels = npx.multibox_target(np.expand_dims(anchors, axis=0),
                                     np.expand_dims(ground_truth, axis=0),
                                     np.zeros((1, 3, 5)))
    res["anchor_labels_npx"] = [x.asnumpy().tolist() for x in npx_labels]
    anchors = np.array([[0.1, 0.08, 0.52, 0.92], [0.08, 0.2, 0.56, 0.95],
                        [0.15, 0.3, 0.62, 0.91], [0.55, 0.2, 0.9, 0.88]])
    offset_preds = np.array([0] * d2l.size(anchors))
    cls_probs = np.array([[0] * 4,  # Predicted background likelihood
                          [0.9, 0.8, 0.7, 0.1],  # Predicted dog likelihood
                          [0.1, 0.2, 0.3, 0.9]])  # Predicted cat likelihood
    output = d2l.multibox_detection(np.expand_dims(cls_probs, axis=0),
                                    np.expand_dims(offset_preds, axis=0),
                                    np.expand_dims(anchors, axis=0),
                                    nms_threshold=0.5)
    res["anchor_detection"] = output.asnumpy().tolist()
    output = npx.multibox_detection(np.expand_dims(cls_probs, axis=0),
                                    np.expand_dims(offset_preds, axis=0),
                                    np.expand_dims(anchors, axis=0),
                                    nms_threshold=0.5)
    res["anchor_detection_npx"] = output.asnumpy().tolist()
    X = np.random.uniform(size=(1, 3, 40, 60))
    Y = npx.multibox_prior(X, sizes=[0.75, 0.5, 0.25], ratios=[1, 2, 0.5])
    res["prior_npx"] = Y.asnumpy()[0, ::97].tolist()
    res["prior_d2l"] = d2l.multibox_prior(X, sizes=[0.75, 0.5, 0.25],
                                          ratios=[1, 2, 0.5]).asnumpy()[0, ::97].tolist()

    # ---- The Object Detection Dataset
    onp.random.seed(0)
    batch_size, edge_size = 4, SIZE
    train_iter, _ = d2l.load_data_bananas(batch_size)
    batch = next(iter(train_iter))
    res["batch_shapes"] = [list(batch[0].shape), list(batch[1].shape)]
    res["batch_label_sum"] = float(batch[1].sum())

    # ---- Single Shot Multibox Detection
    def cls_predictor(num_anchors, num_classes):
        return nn.Conv2D(num_anchors * (num_classes + 1), kernel_size=3,
                         padding=1)

    def bbox_predictor(num_anchors):
        return nn.Conv2D(num_anchors * 4, kernel_size=3, padding=1)

    def forward(x, block):
        block.initialize()
        return block(x)

    Y1 = forward(np.zeros((2, 8, 20, 20)), cls_predictor(5, 10))
    Y2 = forward(np.zeros((2, 16, 10, 10)), cls_predictor(3, 10))
    res["pred_shapes"] = [list(Y1.shape), list(Y2.shape)]

    def flatten_pred(pred):
        return npx.batch_flatten(pred.transpose(0, 2, 3, 1))

    def concat_preds(preds):
        return np.concatenate([flatten_pred(p) for p in preds], axis=1)

    res["concat_shape"] = list(concat_preds([Y1, Y2]).shape)

    def down_sample_blk(num_channels):
        blk = nn.Sequential()
        for _ in range(2):
            blk.add(nn.Conv2D(num_channels, kernel_size=3, padding=1),
                    nn.BatchNorm(in_channels=num_channels),
                    nn.Activation('relu'))
        blk.add(nn.MaxPool2D(2))
        return blk

    res["down_shape"] = list(forward(np.zeros((2, 3, 20, 20)),
                                     down_sample_blk(10)).shape)

    def base_net():
        blk = nn.Sequential()
        for num_filters in [16, 32, 64]:
            blk.add(down_sample_blk(num_filters))
        return blk

    res["base_shape"] = list(forward(np.zeros((2, 3, 256, 256)), base_net()).shape)

    def get_blk(i):
        if i == 0:
            blk = base_net()
        elif i == 4:
            blk = nn.GlobalMaxPool2D()
        else:
            blk = down_sample_blk(128)
        return blk

    def blk_forward(X, blk, size, ratio, cls_predictor, bbox_predictor):
        Y = blk(X)
        anchors = d2l.multibox_prior(Y, sizes=size, ratios=ratio)
        cls_preds = cls_predictor(Y)
        bbox_preds = bbox_predictor(Y)
        return (Y, anchors, cls_preds, bbox_preds)

    sizes = [[0.2, 0.272], [0.37, 0.447], [0.54, 0.619], [0.71, 0.79],
             [0.88, 0.961]]
    ratios = [[1, 2, 0.5]] * 5
    num_anchors = len(sizes[0]) + len(ratios[0]) - 1

    class TinySSD(nn.Block):
        def __init__(self, num_classes, **kwargs):
            super(TinySSD, self).__init__(**kwargs)
            self.num_classes = num_classes
            for i in range(5):
                # Equivalent to the assignment statement `self.blk_i = get_blk(i)`
                setattr(self, f'blk_{i}', get_blk(i))
                setattr(self, f'cls_{i}', cls_predictor(num_anchors, num_classes))
                setattr(self, f'bbox_{i}', bbox_predictor(num_anchors))

        def forward(self, X):
            anchors, cls_preds, bbox_preds = [None] * 5, [None] * 5, [None] * 5
            for i in range(5):
                # Here `getattr(self, 'blk_%d' % i)` accesses `self.blk_i`
                X, anchors[i], cls_preds[i], bbox_preds[i] = blk_forward(
                    X, getattr(self, f'blk_{i}'), sizes[i], ratios[i],
                    getattr(self, f'cls_{i}'), getattr(self, f'bbox_{i}'))
            anchors = np.concatenate(anchors, axis=1)
            cls_preds = concat_preds(cls_preds)
            cls_preds = cls_preds.reshape(
                cls_preds.shape[0], -1, self.num_classes + 1)
            bbox_preds = concat_preds(bbox_preds)
            return anchors, cls_preds, bbox_preds

    net = TinySSD(num_classes=1)
    net.initialize()
    X = np.zeros((2, 3, 256, 256))
    anchors, cls_preds, bbox_preds = net(X)
    res["ssd_shapes"] = [list(anchors.shape), list(cls_preds.shape),
                         list(bbox_preds.shape)]

    device, net = d2l.try_gpu(), TinySSD(num_classes=1)
    net.initialize(init=init.Xavier(), ctx=device)
    net(np.zeros((1, 3, edge_size, edge_size)))
    _set_weights(net, 11)
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'learning_rate': 0.2, 'wd': 5e-4})
    cls_loss = gluon.loss.SoftmaxCrossEntropyLoss()
    bbox_loss = gluon.loss.L1Loss()

    def calc_loss(cls_preds, cls_labels, bbox_preds, bbox_labels, bbox_masks):
        cls = cls_loss(cls_preds, cls_labels)
        bbox = bbox_loss(bbox_preds * bbox_masks, bbox_labels * bbox_masks)
        return cls + bbox

    def cls_eval(cls_preds, cls_labels):
        # Because the class prediction results are on the final dimension,
        # `argmax` needs to specify this dimension
        return float((cls_preds.argmax(axis=-1).astype(
            cls_labels.dtype) == cls_labels).sum())

    def bbox_eval(bbox_preds, bbox_labels, bbox_masks):
        return float((np.abs((bbox_labels - bbox_preds) * bbox_masks)).sum())

    num_epochs, timer = 2, d2l.Timer()
    losses, npx_targets_equal = [], []
    onp.random.seed(1)
    for epoch in range(num_epochs):
        # Sum of training accuracy, no. of examples in sum of training accuracy,
        # Sum of absolute error, no. of examples in sum of absolute error
        metric = d2l.Accumulator(4)
        for features, target in train_iter:
            timer.start()
            X = features.as_in_ctx(device)
            Y = target.as_in_ctx(device)
            with autograd.record():
                # Generate multiscale anchor boxes and predict their classes and
                # offsets
                anchors, cls_preds, bbox_preds = net(X)
                # Label the classes and offsets of these anchor boxes
                bbox_labels, bbox_masks, cls_labels = d2l.multibox_target(anchors,
                                                                          Y)
                # Calculate the loss function using the predicted and labeled
                # values of the classes and offsets
                l = calc_loss(cls_preds, cls_labels, bbox_preds, bbox_labels,
                              bbox_masks)
            l.backward()
            trainer.step(batch_size)
            metric.add(cls_eval(cls_preds, cls_labels), cls_labels.size,
                       bbox_eval(bbox_preds, bbox_labels, bbox_masks),
                       bbox_labels.size)
            losses.append(float(l.mean()))
            # MXNet's own op on the same batch (the earlier editions' call)
            t = npx.multibox_target(anchors, Y, cls_preds.transpose(0, 2, 1))
            npx_targets_equal.append([float(np.abs(t[0] - bbox_labels).max()),
                                      float(np.abs(t[1] - bbox_masks).max()),
                                      float(np.abs(t[2] - cls_labels).max())])
            timer.stop()
        cls_err, bbox_mae = 1 - metric[0] / metric[1], metric[2] / metric[3]
    res["losses"] = losses
    res["cls_err"], res["bbox_mae"] = cls_err, bbox_mae
    res["npx_target_vs_d2l"] = npx_targets_equal

    img = image.imread(os.path.join(data_dir, 'bananas_val', 'images', '0.png'))
    feature = image.imresize(img, edge_size, edge_size).astype('float32')
    X = np.expand_dims(feature.transpose(2, 0, 1), axis=0)

    def predict(X, multibox_detection=d2l.multibox_detection):
        anchors, cls_preds, bbox_preds = net(X.as_in_ctx(device))
        cls_probs = npx.softmax(cls_preds).transpose(0, 2, 1)
        output = multibox_detection(cls_probs, bbox_preds, anchors)
        idx = [i for i, row in enumerate(output[0]) if row[0] != -1]
        return output[0, idx]

    output = predict(X)
    res["predict_rows"] = int(output.shape[0])
    res["predict_top"] = output[:3].asnumpy().tolist()
    # the same with MXNet's op (the book's earlier MXNet editions)
    output = predict(X, npx.multibox_detection)
    res["predict_npx_rows"] = int(output.shape[0])
    res["predict_npx_top"] = output[:3].asnumpy().tolist()
    return res
