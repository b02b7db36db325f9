"""Basic layers (``mxnet.gluon.nn``): Sequential, HybridSequential, Dense, Dropout,
Flatten, Lambda, HybridLambda, Embedding, BatchNorm, BatchNormReLU, LayerNorm,
InstanceNorm, GroupNorm; and MXNet 2's Identity, Concatenate, HybridConcatenate (MXNet
1.9.1 has them in gluon.contrib.nn as Identity, Concurrent, HybridConcurrent)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as _onp

from ... import numpy as _np
from ..block import Block, HybridBlock, _indent
from . import _ops
from .activations import Activation

__all__ = ["Sequential", "HybridSequential", "Dense", "Dropout", "Flatten", "Lambda",
           "HybridLambda", "Embedding", "BatchNorm", "BatchNormReLU", "LayerNorm",
           "InstanceNorm", "GroupNorm", "Identity", "Concatenate", "HybridConcatenate"]


class _SequentialMixin:
    """add / indexing / slicing / len shared by both sequential containers."""

    def add(self, *blocks: Block) -> None:
        """Append blocks to the stack."""
        for block in blocks:
            if not isinstance(block, Block):
                raise TypeError(f"{type(self).__name__}.add: expected Blocks, got "
                                f"{type(block).__name__}")
            self.register_child(block)

    def __repr__(self) -> str:
        modstr = "\n".join(f"  ({key}): {_indent(repr(block), 2)}"
                           for key, block in self._children.items())
        return f"{type(self).__name__}(\n{modstr}\n)"

    def __getitem__(self, key: Any) -> Any:
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self) -> int:
        return len(self._children)


class Sequential(_SequentialMixin, Block):
    """Stack of blocks applied in order (``mxnet.gluon.nn.Sequential``)."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        Block.__init__(self, prefix=prefix, params=params)

    def forward(self, x: Any, *args: Any) -> Any:
        for block in self._children.values():
            x = block(x, *args)
            args = ()
        return x


class HybridSequential(_SequentialMixin, HybridBlock):
    """Stack of hybrid blocks applied in order (``hybridize()`` records nothing)."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        HybridBlock.__init__(self, prefix=prefix, params=params)

    def forward(self, x: Any, *args: Any) -> Any:
        for block in self._children.values():
            x = block(x, *args)
            args = ()
        return x

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        return self.forward(x, *args)


class Dense(HybridBlock):
    """``activation(dot(x, weight.T) + bias)`` (``mxnet.gluon.nn.Dense``).

    ``weight`` has shape (units, in_units); without *in_units* it is inferred from the
    first input (deferred initialization).  *flatten*: collapse all but the first axis
    of the input (else apply to the last axis).  Default initializers: the block's
    ``initialize(init)`` (``Uniform(0.07)``) for the weight, zeros for the bias."""

    def __init__(self, units: int, activation: str | None = None, use_bias: bool = True,
                 flatten: bool = True, dtype: Any = "float32", weight_initializer: Any = None,
                 bias_initializer: Any = "zeros", in_units: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(units, (int, _onp.integer)) or units <= 0:
            raise ValueError(f"Dense: units must be a positive int, got {units!r}")
        self._flatten = flatten
        with self.name_scope():
            self._units = int(units)
            self._in_units = in_units
            self.weight = self.params.get("weight", shape=(units, in_units),
                                          init=weight_initializer, dtype=dtype,
                                          allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(units,), init=bias_initializer,
                                            dtype=dtype, allow_deferred_init=True)
            else:
                self.bias = None
            self.act = Activation(activation, prefix=activation + "_") if activation else None

    def infer_shape(self, x: Any, *args: Any) -> None:
        if self._flatten:
            n = int(_onp.prod(x.shape[1:])) if x.ndim > 1 else 1
        else:
            n = x.shape[-1]
        self.weight.shape = (self._units, n)

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        act = self.act
        if act is not None and act._act_type == "relu" and type(act) is Activation and \
                not act._forward_hooks and not act._forward_pre_hooks:
            # the same math, with ReLU applied in the fully-connected kernel
            return _ops.fully_connected(x, weight, bias, no_bias=bias is None,
                                        num_hidden=self._units, flatten=self._flatten,
                                        act_type="relu")
        out = _ops.fully_connected(x, weight, bias, no_bias=bias is None,
                                   num_hidden=self._units, flatten=self._flatten)
        if act is not None:
            out = act(out)
        return out

    def __repr__(self) -> str:
        shape = self.weight.shape
        layout = f"{shape[1] if shape[1] else None} -> {shape[0]}"
        return f"{type(self).__name__}({layout}, {self.act if self.act else 'linear'})"


class Dropout(HybridBlock):
    """Zero a fraction *rate* of the inputs in training mode (``autograd.record()``),
    scaling the rest by 1/(1-rate); identity otherwise.  *axes* share the mask."""

    def __init__(self, rate: float, axes: tuple = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if self._rate > 0:
            return F.npx.dropout(x, p=self._rate, axes=self._axes)
        return x

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p = {self._rate}, axes={self._axes})"


class Flatten(HybridBlock):
    """Collapse all axes but the first: (N, ...) -> (N, prod(...))."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.npx.batch_flatten(x)

    def __repr__(self) -> str:
        return type(self).__name__


class Lambda(Block):
    """Wrap a function (or the name of an np/npx function) as a Block."""

    def __init__(self, function: Callable | str, prefix: str | None = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            from ... import npx

            fn = getattr(npx, function, None) or getattr(_np, function, None)
            if fn is None:
                raise ValueError(f"Lambda: function name {function!r} is not in npx or np")
            function = fn
        elif not callable(function):
            raise ValueError(f"Lambda: unrecognized function {function!r}; expected a "
                             f"callable or a function name")
        self._func_impl = function

    def forward(self, *args: Any) -> Any:
        return self._func_impl(*args)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({getattr(self._func_impl, '__name__', self._func_impl)})"


class HybridLambda(HybridBlock):
    """Wrap ``function(F, x, *args)`` (or an np/npx function name) as a HybridBlock."""

    def __init__(self, function: Callable | str, prefix: str | None = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            name = function
            self._func = lambda F, *args: getattr(F, name)(*args)
            self._func_name = name
        elif callable(function):
            self._func = function
            self._func_name = getattr(function, "__name__", repr(function))
        else:
            raise ValueError(f"HybridLambda: unrecognized function {function!r}")

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        return self._func(F, x, *args)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._func_name})"


class Embedding(HybridBlock):
    """Look up rows of a (input_dim, output_dim) weight by integer index
    (``npx.embedding``: out-of-range indices are clipped).  With *sparse_grad* the
    weight has ``grad_stype='row_sparse'``: its gradient holds only the rows looked up
    (as MXNet 1.9.1, outside np mode only)."""

    def __init__(self, input_dim: int, output_dim: int, dtype: Any = "float32",
                 weight_initializer: Any = None, sparse_grad: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"input_dim": input_dim, "output_dim": output_dim, "dtype": dtype,
                        "sparse_grad": sparse_grad}
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(input_dim, output_dim),
                                          init=weight_initializer, dtype=dtype,
                                          grad_stype="row_sparse" if sparse_grad
                                          else "default")

    def hybrid_forward(self, F: Any, x: Any, weight: Any) -> Any:
        return F.npx.embedding(x, weight, **self._kwargs)

    def __repr__(self) -> str:
        return "{name}({input_dim} -> {output_dim}, {dtype})".format(
            name=type(self).__name__, **self._kwargs)


class BatchNorm(HybridBlock):
    """Batch normalization over *axis* (channels), ``npx.batch_norm``: batch statistics
    in training mode (``autograd.record()``), the running ones otherwise; as in MXNet
    1.9.1, the running statistics are updated by the backward pass of a training step."""

    def __init__(self, axis: int = 1, momentum: float = 0.9, epsilon: float = 1e-5,
                 center: bool = True, scale: bool = True, use_global_stats: bool = False,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 running_mean_initializer: Any = "zeros",
                 running_variance_initializer: Any = "ones", in_channels: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"axis": axis, "eps": epsilon, "momentum": momentum,
                        "fix_gamma": not scale, "use_global_stats": use_global_stats}
        self._axis = axis
        self.in_channels = in_channels
        with self.name_scope():
            self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                         shape=(in_channels,), init=gamma_initializer,
                                         allow_deferred_init=True, differentiable=scale)
            self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                        shape=(in_channels,), init=beta_initializer,
                                        allow_deferred_init=True, differentiable=center)
            self.running_mean = self.params.get("running_mean", grad_req="null",
                                                shape=(in_channels,),
                                                init=running_mean_initializer,
                                                allow_deferred_init=True, differentiable=False)
            self.running_var = self.params.get("running_var", grad_req="null",
                                               shape=(in_channels,),
                                               init=running_variance_initializer,
                                               allow_deferred_init=True, differentiable=False)

    def infer_shape(self, x: Any, *args: Any) -> None:
        c = x.shape[self._axis]
        for p in (self.gamma, self.beta, self.running_mean, self.running_var):
            p.shape = (c,)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any, running_mean: Any,
                       running_var: Any) -> Any:
        return F.npx.batch_norm(x, gamma, beta, running_mean, running_var, **self._kwargs)

    def __repr__(self) -> str:
        c = self.gamma.shape[0]
        return (f"{type(self).__name__}(axis={self._axis}, eps={self._kwargs['eps']}, "
                f"momentum={self._kwargs['momentum']}, fix_gamma={self._kwargs['fix_gamma']}, "
                f"use_global_stats={self._kwargs['use_global_stats']}, "
                f"in_channels={c if c else None})")


class LayerNorm(HybridBlock):
    """Layer normalization over *axis* with learned scale and shift."""

    def __init__(self, axis: int = -1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._axis = axis
        self._epsilon = epsilon
        with self.name_scope():
            self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                         shape=(in_channels,), init=gamma_initializer,
                                         allow_deferred_init=True)
            self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                        shape=(in_channels,), init=beta_initializer,
                                        allow_deferred_init=True)

    def infer_shape(self, x: Any, *args: Any) -> None:
        c = x.shape[self._axis]
        self.gamma.shape = (c,)
        self.beta.shape = (c,)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        return F.npx.layer_norm(x, gamma, beta, axis=self._axis, eps=self._epsilon)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(eps={self._epsilon!r}, axis={self._axis!r}, "
                f"center={self.beta.grad_req != 'null'}, "
                f"scale={self.gamma.grad_req != 'null'}, in_channels={self.gamma.shape[0]})")


class BatchNormReLU(BatchNorm):
    """:class:`BatchNorm` followed by ReLU (MXNet fuses them on some backends; here the
    two ops run one after the other)."""

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any, running_mean: Any,
                       running_var: Any) -> Any:
        return F.npx.relu(super().hybrid_forward(F, x, gamma, beta, running_mean,
                                                 running_var))


class InstanceNorm(HybridBlock):
    """Instance normalization (``npx.instance_norm``): each (sample, channel) normalized
    over the other axes; channels on *axis*.  As in MXNet 1.9.1, *scale* is False by
    default (gamma stays ones, not trained) and gamma/beta have shape (in_channels,),
    inferred at the first forward when not given."""

    def __init__(self, axis: int = 1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = False, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", in_channels: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis = axis
        self._epsilon = epsilon
        with self.name_scope():
            self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                         shape=(in_channels,), init=gamma_initializer,
                                         allow_deferred_init=True)
            self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                        shape=(in_channels,), init=beta_initializer,
                                        allow_deferred_init=True)

    def infer_shape(self, x: Any, *args: Any) -> None:
        c = x.shape[self._axis]
        self.gamma.shape = (c,)
        self.beta.shape = (c,)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        if self._axis in (1, 1 - x.ndim):
            return F.npx.instance_norm(x, gamma, beta, eps=self._epsilon)
        x = F.swapaxes(x, 1, self._axis)
        return F.swapaxes(F.npx.instance_norm(x, gamma, beta, eps=self._epsilon), 1,
                          self._axis)

    def __repr__(self) -> str:
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({content}, in_channels={self.gamma.shape[0]})"


class GroupNorm(HybridBlock):
    """Group normalization (``npx.group_norm``): the channels (axis 1) split into
    *num_groups* groups, each sample's group normalized over its channels and spatial
    axes.  As in MXNet 1.9.1, gamma and beta have shape (num_groups,): one scale and
    shift per group."""

    def __init__(self, num_groups: int = 1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", prefix: str | None = None,
                 params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        if not isinstance(num_groups, (int, _onp.integer)) or num_groups < 1:
            raise ValueError(f"GroupNorm: num_groups must be a positive int, got "
                             f"{num_groups!r}")
        self._kwargs = {"eps": epsilon, "num_groups": num_groups, "center": center,
                        "scale": scale}
        self._num_groups = int(num_groups)
        self._epsilon = epsilon
        with self.name_scope():
            self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                         shape=(num_groups,), init=gamma_initializer,
                                         allow_deferred_init=True)
            self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                        shape=(num_groups,), init=beta_initializer,
                                        allow_deferred_init=True)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        return F.npx.group_norm(x, gamma, beta, num_groups=self._num_groups,
                                eps=self._epsilon)

    def __repr__(self) -> str:
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({content})"


class Identity(HybridBlock):
    """Return the input unchanged (a placeholder in containers)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x


class Concatenate(Sequential):
    """Apply every child to the same input and concatenate their outputs along *axis*
    (MXNet 2's ``nn.Concatenate``; 1.9.1's ``contrib.nn.Concurrent``)."""

    def __init__(self, axis: int = -1, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x: Any) -> Any:
        return _np.concatenate([block(x) for block in self._children.values()],
                               axis=self.axis)


class HybridConcatenate(HybridSequential):
    """:class:`Concatenate` of hybrid blocks (1.9.1's ``contrib.nn.HybridConcurrent``)."""

    def __init__(self, axis: int = -1, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x: Any) -> Any:
        return _np.concatenate([block(x) for block in self._children.values()],
                               axis=self.axis)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.forward(x)
