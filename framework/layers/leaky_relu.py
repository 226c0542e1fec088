"""Leaky ReLU: ``y = x`` where ``x > 0``, else ``α·x``; ``∂y/∂x = 1`` where ``x > 0``, else ``α``."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..tensor import Tensor
from ._scalar import scalar_arg
from .base import ElementwiseLayer


class LeakyReLU(ElementwiseLayer):
    """``Y = X`` where ``X > 0``, else ``α·X``, elementwise, on any shape.

    Backward: ``δX = δY ⊙ (1 where X > 0, else α)``. At the kink ``x = 0`` we
    take the slope ``α`` (as ReLU takes 0 there); the gradient checker skips
    such points. ``α = 0`` is ReLU, ``α = 1`` the identity.

    Args:
        alpha: the slope for negative inputs (default 0.01).
    """

    def __init__(self, alpha: Any = 0.01) -> None:
        self.alpha = scalar_arg("LeakyReLU", "alpha", alpha)

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = x`` if ``x > 0`` else ``α·x`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        xe = x.elements
        y.elements[...] = np.where(xe > 0, xe, self.alpha * xe)

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx = δy`` if ``x > 0`` else ``α·δy`` (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        dy = y.deltas
        x.deltas[...] = np.where(x.elements > 0, dy, self.alpha * dy)

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha:g})"
