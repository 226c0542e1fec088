"""Linear (identity) activation: ``Y = X``; ``∂y/∂x = 1``."""
from __future__ import annotations

from typing import Sequence

from ..tensor import Tensor
from .base import ElementwiseLayer


class Linear(ElementwiseLayer):
    """``Y = X`` elementwise, on any shape: no non-linearity (a regression output, say).

    Backward: ``δX = δY``.
    """

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = x`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        y.elements[...] = x.elements

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx = δy`` (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        x.deltas[...] = y.deltas
