"""Tanh activation: ``Y = tanh(X)`` elementwise."""
from __future__ import annotations

from .base import ElementwiseLayer


class Tanh(ElementwiseLayer):
    """``Y = tanh(X)`` elementwise, on any shape.

    Backward: ``δX = δY ⊙ (1 − tanh²(X)) = δY ⊙ (1 − Y²)``, from the output.
    """

    op = "tanh"
    backward_from_output = True
