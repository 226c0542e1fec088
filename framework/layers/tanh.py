"""Tanh activation: ``Y = tanh(X)`` elementwise; ``tanh'(x) = 1 − tanh²(x)``."""
from __future__ import annotations

from typing import Sequence

from ..tensor import Tensor
from .base import ElementwiseLayer


class Tanh(ElementwiseLayer):
    """``Y = tanh(X) = (e^X − e^(−X)) / (e^X + e^(−X))`` elementwise, on any shape.

    Backward: ``δX = δY ⊙ (1 − tanh²(X)) = δY ⊙ (1 − Y²)``, from the output.
    """

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = tanh(x)`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).tanh_forward(x.elements, y.elements)

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx = δy · (1 − y²)``, from the output ``y`` (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).tanh_backward(y.elements, y.deltas, x.deltas)
