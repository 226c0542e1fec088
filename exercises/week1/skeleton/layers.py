"""Exercises 1.3-1.6: FullyConnected, Sigmoid, ReLU, LeakyReLU and Softmax (see README.md).

The layers work on the framework's Tensors (``framework.Tensor``):
``x.elements`` is the flat array of values, ``x.deltas`` the flat array of
deltas, ``x.matrix()`` / ``x.delta_matrix()`` the ``[rows, features]`` views
of them, ``p.view()`` / ``p.delta_view()`` a parameter's logical-shape views.
Writing into a view (``v[...] = ...``) writes the tensor.

forward:                 read the elements of the inputs, OVERWRITE the elements of the outputs
backward:                read the deltas of the outputs, OVERWRITE the deltas of the inputs
calculate_delta_weights: read input elements and output deltas, ADD (+=) to the parameter deltas
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
        raise NotImplementedError("Exercise 1.3: FullyConnected.forward — Y = X·W + b")

    def backward(self, out_tensors, in_tensors):
        raise NotImplementedError("Exercise 1.3: FullyConnected.backward — δX = δY·Wᵀ")

    def calculate_delta_weights(self, out_tensors, in_tensors):
        raise NotImplementedError("Exercise 1.3: FullyConnected.calculate_delta_weights — "
                                  "∂L/∂W += Xᵀ·δY, ∂L/∂b += Σ_rows δY")


class Sigmoid(Layer):
    """``Y = σ(X) = 1 / (1 + e^(−X))`` elementwise."""

    def output_shape(self, input_shape):
        return Shape(input_shape)

    def forward(self, in_tensors, out_tensors):
        raise NotImplementedError("Exercise 1.4: Sigmoid.forward — Y = 1 / (1 + e^(−X))")

    def backward(self, out_tensors, in_tensors):
        raise NotImplementedError("Exercise 1.4: Sigmoid.backward — δX = δY ⊙ σ(X)·(1 − σ(X))")


class ReLU(Layer):
    """``Y = max(X, 0)`` elementwise."""

    def output_shape(self, input_shape):
        return Shape(input_shape)

    def forward(self, in_tensors, out_tensors):
        raise NotImplementedError("Exercise 1.5: ReLU.forward — Y = max(X, 0)")

    def backward(self, out_tensors, in_tensors):
        raise NotImplementedError("Exercise 1.5: ReLU.backward — δX = δY where X > 0, else 0")


class LeakyReLU(Layer):
    """``Y = X`` where ``X > 0``, else ``a·X``, elementwise."""

    def __init__(self, a=0.01):
        self.a = a

    def output_shape(self, input_shape):
        return Shape(input_shape)

    def forward(self, in_tensors, out_tensors):
        raise NotImplementedError("Exercise 1.5: LeakyReLU.forward — Y = X where X > 0, else a·X")

    def backward(self, out_tensors, in_tensors):
        raise NotImplementedError("Exercise 1.5: LeakyReLU.backward — derive δX from Y's formula")


class Softmax(Layer):
    """``Y = softmax(X)`` over the last dim, row by row; backward with the full Jacobian."""

    def output_shape(self, input_shape):
        return Shape(input_shape)

    def forward(self, in_tensors, out_tensors):
        raise NotImplementedError("Exercise 1.6: Softmax.forward — y_i = e^(x_i) / Σ_j e^(x_j) "
                                  "per row (subtract the row's max first)")

    def backward(self, out_tensors, in_tensors):
        raise NotImplementedError("Exercise 1.6: Softmax.backward — δX = δY·J per row, "
                                  "J[i, j] = y_i·(δ_ij − y_j)")
