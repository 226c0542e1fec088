"""Elliot (1993), a fast sigmoid: ``y = ½·s·x / (1 + |s·x|) + ½``; ``∂y/∂x = ½·s / (1 + |s·x|)²``."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..tensor import Tensor
from ._scalar import scalar_arg
from .base import ElementwiseLayer


class Elliot(ElementwiseLayer):
    """``Y = ½·s·X / (1 + |s·X|) + ½`` elementwise, on any shape, with steepness ``s``.

    Like the sigmoid it maps to (0, 1) with ``y(0) = ½``, but without an
    exponential, and it approaches 0 and 1 more slowly. It is NumpyDL's
    ``Elliot``: ``Elliot(s)(x) = ½·Softsign(s·x) + ½``.

    Backward: ``δX = δY ⊙ ½·s / (1 + |s·X|)²`` (chain rule on Softsign's
    derivative ``1/(1 + |u|)²`` with ``u = s·x``).

    Args:
        steepness: ``s > 0`` (default 1); the slope at 0 is ``s/2``.
    """

    def __init__(self, steepness: Any = 1.0) -> None:
        self.steepness = scalar_arg("Elliot", "steepness", steepness, positive=True)

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = ½·s·x / (1 + |s·x|) + ½`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        u = self.steepness * x.elements
        y.elements[...] = 0.5 * u / (1 + np.abs(u)) + 0.5

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx = δy · ½·s / (1 + |s·x|)²`` (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        u = self.steepness * x.elements
        x.deltas[...] = y.deltas * (0.5 * self.steepness / np.square(1 + np.abs(u)))

    def __repr__(self) -> str:
        return f"Elliot(steepness={self.steepness:g})"
