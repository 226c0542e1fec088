"""Sigmoid activation (cheat sheet): ``Y = σ(X) = 1 / (1 + e^(-X))``; ``σ'(x) = σ(x)·(1 − σ(x))``."""
from __future__ import annotations

from typing import Sequence

from ..tensor import Tensor
from .base import ElementwiseLayer


class Sigmoid(ElementwiseLayer):
    """``Y = 1 / (1 + e^(-X))`` elementwise, on any shape.

    Backward: ``δX = δY ⊙ σ(X)·(1 − σ(X)) = δY ⊙ Y·(1 − Y)``, computed from
    the output so no exponential is evaluated twice.
    """

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = 1 / (1 + e^(-x))`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).sigmoid_forward(x.elements, y.elements)

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx = δy · y·(1 − y)``, from the output ``y`` (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).sigmoid_backward(y.elements, y.deltas, x.deltas)
