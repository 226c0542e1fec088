"""Softmax layer over the last dim, with the full Jacobian in backward."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..shape import Shape
from ..tensor import Tensor
from .base import Layer


def softmax_rows(x: np.ndarray, out: np.ndarray) -> None:
    """``out[r, :] = exp(x[r, :]) / Σ_j exp(x[r, j])`` for every row (overwrites ``out``).

    Args:
        x: ``[R, C]`` scores.
        out: ``[R, C]`` probabilities.
    """
    # Subtracting the row maximum changes nothing mathematically but keeps
    # exp from overflowing for large scores.
    np.subtract(x, x.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)


class Softmax(Layer):
    """``Y[r, i] = exp(X[r, i]) / Σ_j exp(X[r, j])`` over the last dim, any leading dims.

    Backward applies the full Jacobian, as the lecture derives it:
    ``∂y_i/∂x_j = y_i·(δ_ij − y_j)``, so per row

        ``δX = δY · J``,  ``J = diag(y) − y·yᵀ``,
        which simplifies to ``δx_j = y_j·(δy_j − Σ_i δy_i·y_i)``.

    It is therefore correct on its own (followed by MSE, say), not only next
    to cross-entropy. For training classifiers prefer the fused
    :class:`~framework.losses.SoftmaxCrossEntropy`, which is cheaper and
    numerically safer.
    """

    def output_shape(self, input_shape: Shape) -> Shape:
        """Softmax keeps the shape; needs at least ``[batch, classes]``."""
        shape = Shape(input_shape)
        if shape.ndim < 2:
            raise ValueError(f"{self}: input must be [batch, ..., classes], got {shape}")
        return shape

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """Overwrite Y with the softmax of each row of X."""
        x, y = self.check_io(in_tensors, out_tensors)
        softmax_rows(x.matrix(), y.matrix())

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """Overwrite δX with ``δY · (diag(y) − y·yᵀ)`` row by row."""
        x, y = self.check_io(in_tensors, out_tensors)
        p, dy = y.matrix(), y.delta_matrix()
        # (δY·J)_j = Σ_i δy_i·y_i·(δ_ij − y_j) = y_j·δy_j − y_j·Σ_i δy_i·y_i
        dot = np.sum(dy * p, axis=1, keepdims=True)
        np.multiply(p, dy - dot, out=x.delta_matrix())
