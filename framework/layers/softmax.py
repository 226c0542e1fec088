"""Softmax over the last dim: ``y_i = e^(x_i) / Σ_j e^(x_j)``; ``∂y_i/∂x_j = y_i·(δ_ij − y_j)``."""
from __future__ import annotations

from typing import Sequence

from ..backend import numpy_backend
from ..shape import Shape
from ..tensor import Tensor
from .base import Layer


# The fused loss (losses/softmax_cross_entropy.py) uses the same row softmax.
softmax_rows = numpy_backend.softmax_forward


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
        # y[r, i] = exp(x[r, i]) / Σ_j exp(x[r, j])
        self.ops(x.dtype).softmax_forward(x.matrix(), y.matrix())

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """Overwrite δX with ``δY · (diag(y) − y·yᵀ)`` row by row."""
        x, y = self.check_io(in_tensors, out_tensors)
        # (δY·J)_j = Σ_i δy_i·y_i·(δ_ij − y_j) = y_j·(δy_j − Σ_i δy_i·y_i)
        self.ops(x.dtype).softmax_backward(y.matrix(), y.delta_matrix(), x.delta_matrix())
