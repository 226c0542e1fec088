"""ELU (Clevert et al. 2016): ``y = x`` where ``x > 0``, else ``α·(eˣ − 1)``; ``∂y/∂x = 1`` or ``α·eˣ = y + α``."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..tensor import Tensor
from ._scalar import scalar_arg
from .base import ElementwiseLayer


class ELU(ElementwiseLayer):
    """``Y = X`` where ``X > 0``, else ``α·(e^X − 1)``, elementwise, on any shape.

    Backward: ``δX = δY ⊙ (1 where X > 0, else α·e^X)``. For ``x ≤ 0``,
    ``α·eˣ = y + α``, but we recompute it from ``X`` (as readable, and exact).
    With ``α = 1`` the derivative is continuous at 0; otherwise 0 is a kink,
    where we take ``α·e⁰ = α``.

    Args:
        alpha: the negative saturation value is ``−α`` (default 1).
    """

    def __init__(self, alpha: Any = 1.0) -> None:
        self.alpha = scalar_arg("ELU", "alpha", alpha)

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = x`` if ``x > 0`` else ``α·(eˣ − 1)`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        xe = x.elements
        # expm1 of min(x, 0): accurate near 0, and no overflow for large positive x
        y.elements[...] = np.where(xe > 0, xe, self.alpha * np.expm1(np.minimum(xe, 0)))

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx = δy`` if ``x > 0`` else ``α·eˣ·δy`` (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        xe = x.elements
        x.deltas[...] = y.deltas * np.where(xe > 0, 1, self.alpha * np.exp(np.minimum(xe, 0)))

    def __repr__(self) -> str:
        return f"ELU(alpha={self.alpha:g})"
