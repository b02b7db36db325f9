"""``mxnet.gluon.model_zoo.vision``: MXNet 1.9.1's image classification models, by
family (:mod:`.resnet`, :mod:`.vgg`, :mod:`.alexnet`, :mod:`.densenet`,
:mod:`.squeezenet`, :mod:`.inception`, :mod:`.mobilenet`) and by name
(:func:`get_model`).

Every model takes ``classes`` (1000), ``pretrained`` (False), ``ctx`` (cpu()) and
``root`` ($MXNET_HOME/models); input images are (N, 3, 224, 224) float32, normalised as
the book and MXNet's docs describe (Inception V3: 299x299).  Parameters are created
when the first batch arrives (deferred shapes) unless ``pretrained=True`` loads them.
"""
from __future__ import annotations

from typing import Any

from .alexnet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .inception import *  # noqa: F401,F403
from .mobilenet import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
import sys as _sys

# the modules by their full names: ``alexnet`` here is the function (as in MXNet)
_a, _d, _i, _m, _r, _s, _v = (_sys.modules[f"{__name__}.{m}"] for m in (
    "alexnet", "densenet", "inception", "mobilenet", "resnet", "squeezenet", "vgg"))

_MODELS = {
    **{f"resnet{n}_v{v}": getattr(_r, f"resnet{n}_v{v}")
       for v in (1, 2) for n in (18, 34, 50, 101, 152)},
    **{f"vgg{n}{bn}": getattr(_v, f"vgg{n}{bn}") for n in (11, 13, 16, 19) for bn in ("", "_bn")},
    "alexnet": _a.alexnet,
    **{f"densenet{n}": getattr(_d, f"densenet{n}") for n in (121, 161, 169, 201)},
    "squeezenet1.0": _s.squeezenet1_0, "squeezenet1.1": _s.squeezenet1_1,
    "inceptionv3": _i.inception_v3,
    "mobilenet1.0": _m.mobilenet1_0, "mobilenet0.75": _m.mobilenet0_75,
    "mobilenet0.5": _m.mobilenet0_5, "mobilenet0.25": _m.mobilenet0_25,
    "mobilenetv2_1.0": _m.mobilenet_v2_1_0, "mobilenetv2_0.75": _m.mobilenet_v2_0_75,
    "mobilenetv2_0.5": _m.mobilenet_v2_0_5, "mobilenetv2_0.25": _m.mobilenet_v2_0_25,
}

__all__ = sorted({*_a.__all__, *_d.__all__, *_i.__all__, *_m.__all__, *_r.__all__,
                  *_s.__all__, *_v.__all__, "get_model"})


def get_model(name: str, **kwargs: Any) -> Any:
    """The model called *name* (``'resnet18_v1'``, ``'vgg16_bn'``, ``'mobilenetv2_0.5'``,
    ...; case-insensitive), built with *kwargs* (``classes``, ``pretrained``, ``ctx``,
    ``root``, and the family's own)."""
    key = name.lower()
    if key not in _MODELS:
        raise ValueError(f"Model {name} is not supported. Available options are\n\t"
                         + "\n\t".join(sorted(_MODELS)))
    return _MODELS[key](**kwargs)


from ....base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals(), ("Any",))
