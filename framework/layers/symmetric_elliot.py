"""Symmetric Elliot, a fast tanh: ``y = s·x / (1 + |s·x|)``; ``∂y/∂x = s / (1 + |s·x|)²``."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..tensor import Tensor
from ._scalar import scalar_arg
from .base import ElementwiseLayer


class SymmetricElliot(ElementwiseLayer):
    """``Y = s·X / (1 + |s·X|)`` elementwise, on any shape, with steepness ``s``.

    Maps to (−1, 1) like tanh, without an exponential. NumpyDL's
    ``SymmetricElliot``; with ``s = 1`` it is :class:`Softsign`.

    Backward: ``δX = δY ⊙ s / (1 + |s·X|)²`` (chain rule, ``u = s·x``).

    Args:
        steepness: ``s > 0`` (default 1); the slope at 0 is ``s``.
    """

    def __init__(self, steepness: Any = 1.0) -> None:
        self.steepness = scalar_arg("SymmetricElliot", "steepness", steepness, positive=True)

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = s·x / (1 + |s·x|)`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        u = self.steepness * x.elements
        y.elements[...] = u / (1 + np.abs(u))

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx = δy · s / (1 + |s·x|)²`` (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        u = self.steepness * x.elements
        x.deltas[...] = y.deltas * (self.steepness / np.square(1 + np.abs(u)))

    def __repr__(self) -> str:
        return f"SymmetricElliot(steepness={self.steepness:g})"
