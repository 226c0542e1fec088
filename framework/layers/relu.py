"""ReLU activation: ``Y = max(X, 0)`` elementwise."""
from __future__ import annotations

from .base import ElementwiseLayer


class ReLU(ElementwiseLayer):
    """``Y = max(X, 0)`` elementwise, on any shape.

    Backward: ``δX = δY`` where ``X > 0``, else 0. ReLU has a kink at 0 where
    the derivative does not exist; we take 0 there (as PyTorch does), and the
    gradient checker skips such points.
    """

    op = "relu"
    backward_from_output = False
