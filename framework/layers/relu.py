"""ReLU activation: ``Y = max(X, 0)`` elementwise; ``∂y/∂x = 1`` where ``x > 0``, else 0."""
from __future__ import annotations

from typing import Sequence

from ..tensor import Tensor
from .base import ElementwiseLayer


class ReLU(ElementwiseLayer):
    """``Y = max(X, 0)`` elementwise, on any shape.

    Backward: ``δX = δY ⊙ [X > 0]``. ReLU has a kink at 0 where the
    derivative does not exist; we take 0 there (as PyTorch does), and the
    gradient checker skips such points. The derivative reads the input ``X``.
    """

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = max(x, 0)`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).relu_forward(x.elements, y.elements)

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx = δy`` where ``x > 0``, else 0 (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).relu_backward(x.elements, y.deltas, x.deltas)
