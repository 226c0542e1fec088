"""Exercises 1.3-1.6 (solution): FullyConnected, Sigmoid, ReLU, LeakyReLU and Softmax, in plain NumPy.

The layers work on the framework's Tensors (``framework.Tensor``):
``x.matrix()`` is the ``[rows, features]`` view of the elements,
``x.delta_matrix()`` the same view of the deltas; writing to a view writes
the tensor.
"""
from __future__ import annotations

import numpy as np

from framework import Layer, Shape


class FullyConnected(Layer):
    """``Y = X·W + b``; ``W`` is ``[in_features, out_features]``."""

    def __init__(self, in_features, out_features, weights=None, bias=None, seed=None,
                 dtype=np.float32):
        self.in_features, self.out_features = in_features, out_features
        self.add_param("weights", (in_features, out_features), init="xavier", value=weights,
                       rng=seed, dtype=dtype)
        self.add_param("bias", (out_features,), value=bias, dtype=dtype)

    def output_shape(self, input_shape):
        return Shape(tuple(input_shape)[:-1] + (self.out_features,))

    def forward(self, in_tensors, out_tensors):
        x, y = in_tensors[0], out_tensors[0]
        y.matrix()[...] = x.matrix() @ self.weights.view() + self.bias.elements

    def backward(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        x.delta_matrix()[...] = y.delta_matrix() @ self.weights.view().T

    def calculate_delta_weights(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        self.weights.delta_view()[...] += x.matrix().T @ y.delta_matrix()
        self.bias.deltas[...] += y.delta_matrix().sum(axis=0)


class Sigmoid(Layer):
    """``Y = σ(X) = 1 / (1 + e^(−X))`` elementwise."""

    def output_shape(self, input_shape):
        return Shape(input_shape)

    def forward(self, in_tensors, out_tensors):
        x, y = in_tensors[0], out_tensors[0]
        y.elements[...] = 1.0 / (1.0 + np.exp(-x.elements))

    def backward(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        s = y.elements  # σ(x), computed by forward
        x.deltas[...] = y.deltas * s * (1.0 - s)


class ReLU(Layer):
    """``Y = max(X, 0)`` elementwise."""

    def output_shape(self, input_shape):
        return Shape(input_shape)

    def forward(self, in_tensors, out_tensors):
        x, y = in_tensors[0], out_tensors[0]
        y.elements[...] = np.maximum(x.elements, 0.0)

    def backward(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        x.deltas[...] = y.deltas * (x.elements > 0)


class LeakyReLU(Layer):
    """``Y = X`` where ``X > 0``, else ``a·X``, elementwise."""

    def __init__(self, a=0.01):
        self.a = a

    def output_shape(self, input_shape):
        return Shape(input_shape)

    def forward(self, in_tensors, out_tensors):
        x, y = in_tensors[0], out_tensors[0]
        y.elements[...] = np.where(x.elements > 0, x.elements, self.a * x.elements)

    def backward(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        x.deltas[...] = np.where(x.elements > 0, y.deltas, self.a * y.deltas)


class Softmax(Layer):
    """``Y = softmax(X)`` over the last dim, row by row; backward with the full Jacobian."""

    def output_shape(self, input_shape):
        return Shape(input_shape)

    def forward(self, in_tensors, out_tensors):
        x, y = in_tensors[0], out_tensors[0]
        z = x.matrix() - x.matrix().max(axis=1, keepdims=True)  # no overflow in exp
        e = np.exp(z)
        y.matrix()[...] = e / e.sum(axis=1, keepdims=True)

    def backward(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        dx, dy = x.delta_matrix(), y.delta_matrix()
        for r in range(dx.shape[0]):
            p = y.matrix()[r]
            J = np.diag(p) - np.outer(p, p)  # J[i, j] = ∂y_i/∂x_j = y_i·(δ_ij − y_j)
            dx[r] = dy[r] @ J
