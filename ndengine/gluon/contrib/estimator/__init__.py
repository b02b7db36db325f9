"""``mxnet.gluon.contrib.estimator``: MXNet 1.9.1's Estimator (``fit`` / ``evaluate``
on DataLoaders), its event handlers and the BatchProcessor.

    est = Estimator(net, loss, train_metrics=mx.metric.Accuracy(), trainer=trainer)
    est.fit(train_loader, val_data=val_loader, epochs=5,
            event_handlers=[CheckpointHandler("ckpt"), EarlyStoppingHandler(monitor)])

Where it departs from MXNet 1.9.1 on purpose (``mode='auto'``, resumed checkpoints
counted by ``max_checkpoints``, ...) is listed in docs/mxnet-differences.md."""
from . import batch_processor, estimator, event_handler
from .batch_processor import BatchProcessor
from .estimator import Estimator
from .event_handler import (BatchBegin, BatchEnd, CheckpointHandler, EarlyStoppingHandler,
                            EpochBegin, EpochEnd, GradientUpdateHandler, LoggingHandler,
                            MetricHandler, StoppingHandler, TrainBegin, TrainEnd,
                            ValidationHandler)

__all__ = ["Estimator", "BatchProcessor", "TrainBegin", "TrainEnd", "EpochBegin", "EpochEnd",
           "BatchBegin", "BatchEnd", "StoppingHandler", "MetricHandler", "ValidationHandler",
           "LoggingHandler", "CheckpointHandler", "EarlyStoppingHandler",
           "GradientUpdateHandler"]
