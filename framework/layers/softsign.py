"""Softsign: ``y = x / (1 + |x|)``; ``∂y/∂x = 1 / (1 + |x|)²``."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..tensor import Tensor
from .base import ElementwiseLayer


class Softsign(ElementwiseLayer):
    """``Y = X / (1 + |X|)`` elementwise, on any shape: a tanh-like curve in (−1, 1)
    that approaches its limits polynomially, not exponentially.

    Backward: ``δX = δY / (1 + |X|)²`` (the quotient rule: for ``x > 0``,
    ``((1 + x) − x)/(1 + x)²``, and symmetrically for ``x < 0``; smooth at 0).
    """

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = x / (1 + |x|)`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        xe = x.elements
        y.elements[...] = xe / (1 + np.abs(xe))

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx = δy / (1 + |x|)²`` (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        x.deltas[...] = y.deltas / np.square(1 + np.abs(x.elements))
