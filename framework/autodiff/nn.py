"""The higher level: layers on the engine, built from its operations, with the framework's initializers.

A :class:`Module` holds parameters (leaf Values with ``requires_grad``) and
computes its output from engine operations in ``forward``; the engine
derives every gradient. Shapes and parameter layouts are those of the
framework's layers (``FullyConnected`` ``[F, O]`` weights, kernels
``[kh, kw, C_in, C_out]``, LSTM gate order i, f, o, g), and the same
``seed`` gives the same initial values, so weights carry over both ways.
"""
from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np

from ..init import Initializer, get_initializer
from . import ops
from .value import Value


def parameter(shape: Sequence[int], init: str | Initializer = "zeros",
              rng: int | np.random.Generator | None = None, dtype: Any = np.float32,
              name: str | None = None) -> Value:
    """A new parameter: a leaf Value with ``requires_grad=True``, initialised like ``Layer.add_param``.

    Args:
        shape: its shape.
        init: initialiser name or callable (``framework.init``).
        rng: seed or Generator.
        dtype: float32 (training, default) or float64 (checks).
        name: label for reports and graphs.
    """
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    data = np.asarray(get_initializer(init)(tuple(shape), generator), dtype=np.float64)
    return Value(data.astype(dtype), requires_grad=True, name=name)


class Module:
    """Base class: parameters found in the attributes, ``__call__`` runs :meth:`forward`."""

    def forward(self, *inputs: Value) -> Value:
        """Compute the output from engine operations."""
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def __call__(self, *inputs: Any) -> Value:
        return self.forward(*inputs)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """``(name, Value)`` of every parameter, this module's and its sub-modules', in attribute order."""
        for key, v in vars(self).items():
            if isinstance(v, Value) and v.requires_grad and v.is_leaf:
                yield prefix + key, v
            elif isinstance(v, Module):
                yield from v.named_parameters(f"{prefix}{key}.")
            elif isinstance(v, (list, tuple)):
                for i, m in enumerate(v):
                    if isinstance(m, Module):
                        yield from m.named_parameters(f"{prefix}{key}.{i}.")

    def parameters(self) -> list[Value]:
        """Every parameter (leaf Values the optimizer updates)."""
        return [v for _, v in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (they accumulate over ``backward`` calls)."""
        for p in self.parameters():
            p.grad = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Module):
    """``Y = X·W + b`` on the last dim, as ``FullyConnected`` (weights ``[F, O]``, Xavier by default)."""

    def __init__(self, in_features: int, out_features: int, init: str | Initializer = "xavier",
                 seed: int | np.random.Generator | None = None, dtype: Any = np.float32) -> None:
        self.in_features, self.out_features = in_features, out_features
        self.weights = parameter((in_features, out_features), init, seed, dtype, "weights")
        self.bias = parameter((out_features,), "zeros", None, dtype, "bias")

    def forward(self, x: Value) -> Value:
        """``x·W + b``."""
        if x.shape[-1] != self.in_features:
            raise ValueError(f"{self}: input has {x.shape[-1]} features, expected {self.in_features} "
                             f"(input shape {x.shape})")
        return x @ self.weights + self.bias

    def __repr__(self) -> str:
        return f"Linear({self.in_features}->{self.out_features})"


class Conv2D(Module):
    """``ops.conv2d`` with a kernel ``[kh, kw, C_in, C_out]`` (He by default) and a bias, as ``Conv2D``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, init: str | Initializer = "he",
                 seed: int | np.random.Generator | None = None, dtype: Any = np.float32) -> None:
        kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.weights = parameter((kh, kw, in_channels, out_channels), init, seed, dtype, "weights")
        self.bias = parameter((out_channels,), "zeros", None, dtype, "bias")

    def forward(self, x: Value) -> Value:
        """The convolution of images ``[N, H, W, C_in]``."""
        return ops.conv2d(x, self.weights, self.bias, self.stride, self.padding, self.dilation)


class MaxPool2D(Module):
    """``ops.max_pool2d`` (stride defaults to the window)."""

    def __init__(self, pool_size: Any, stride: Any = None) -> None:
        self.pool_size, self.stride = pool_size, stride

    def forward(self, x: Value) -> Value:
        """Window maxima."""
        return ops.max_pool2d(x, self.pool_size, self.stride)


class AvgPool2D(MaxPool2D):
    """``ops.avg_pool2d`` (stride defaults to the window)."""

    def forward(self, x: Value) -> Value:
        """Window means."""
        return ops.avg_pool2d(x, self.pool_size, self.stride)


class Flatten(Module):
    """``[N, d1, ...]`` -> ``[N, d1·...]`` in the framework's column-major order (``h`` fastest)."""

    def forward(self, x: Value) -> Value:
        """Reshape with ``order="F"``, so features are numbered as by the ``Flatten`` layer."""
        return x.reshape((x.shape[0], -1), order="F")


class ReLU(Module):
    """``max(x, 0)``."""

    def forward(self, x: Value) -> Value:
        """Elementwise."""
        return ops.relu(x)


class Sigmoid(Module):
    """``σ(x)``."""

    def forward(self, x: Value) -> Value:
        """Elementwise."""
        return ops.sigmoid(x)


class Tanh(Module):
    """``tanh(x)``."""

    def forward(self, x: Value) -> Value:
        """Elementwise."""
        return ops.tanh(x)


class Softmax(Module):
    """Softmax over the last dim."""

    def forward(self, x: Value) -> Value:
        """Row by row."""
        return ops.softmax(x)


class LSTM(Module):
    """An LSTM on sequences ``[N, T, F]``, as the ``LSTM`` layer: ``U [F, 4H]``, ``W [H, 4H]``, ``bias [4H]``.

    Gate order i, f, o, g; the forget gate's bias starts at ``forget_bias``;
    ``U`` Xavier and ``W`` orthogonal by default, drawn from one Generator
    in that order (so a seed gives the layer's initial weights). The time
    loop is plain Python over :func:`ops.lstm_cell`; the engine does the
    backpropagation through time.

    Args:
        input_size: F.
        hidden_size: H.
        return_sequences: output every ``h_t`` ``[N, T, H]`` or the last ``[N, H]``.
    """

    def __init__(self, input_size: int, hidden_size: int, return_sequences: bool = True,
                 init: str | Initializer = "xavier", recurrent_init: str | Initializer = "orthogonal",
                 forget_bias: float = 1.0, seed: int | np.random.Generator | None = None,
                 dtype: Any = np.float32) -> None:
        rng = np.random.default_rng(seed)
        h = hidden_size
        self.hidden_size, self.return_sequences = hidden_size, return_sequences
        self.U = parameter((input_size, 4 * h), init, rng, dtype, "U")
        self.W = parameter((h, 4 * h), recurrent_init, rng, dtype, "W")
        self.bias = parameter((4 * h,), "zeros", None, dtype, "bias")
        self.bias.data[h:2 * h] = forget_bias

    def forward(self, x: Value, h0: Value | None = None, c0: Value | None = None) -> Value:
        """Run the sequence from ``(h0, c0)`` (zeros by default)."""
        n, t, _ = x.shape
        zeros = np.zeros((n, self.hidden_size), x.dtype)
        h = h0 if h0 is not None else Value(zeros)
        c = c0 if c0 is not None else Value(zeros)
        xu = x @ self.U                               # every step's input projection at once
        outputs = []
        for step in range(t):
            h, c = ops.lstm_cell(xu[:, step, :] + h @ self.W + self.bias, c)
            outputs.append(h)
        return ops.stack(outputs, axis=1) if self.return_sequences else h


class Sequential(Module):
    """Modules applied in order."""

    def __init__(self, *layers: Module) -> None:
        self.layers = list(layers[0]) if len(layers) == 1 and isinstance(layers[0], list) \
            else list(layers)

    def forward(self, x: Value) -> Value:
        """``layers[-1](...layers[0](x))``."""
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(map(repr, self.layers)) + ")"


def one_hot(labels: Any, num_classes: int, dtype: Any = np.float32) -> np.ndarray:
    """Integer labels ``[N]`` as one-hot rows ``[N, num_classes]``."""
    labels = np.asarray(labels)
    out = np.zeros((labels.size, num_classes), dtype)
    out[np.arange(labels.size), labels.ravel()] = 1
    return out.reshape(labels.shape + (num_classes,))
