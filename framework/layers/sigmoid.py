"""Sigmoid activation (cheat sheet): ``Y = σ(X) = 1 / (1 + e^(-X))`` elementwise."""
from __future__ import annotations

from .base import ElementwiseLayer


class Sigmoid(ElementwiseLayer):
    """``Y = 1 / (1 + e^(-X))`` elementwise, on any shape.

    Backward: ``δX = δY ⊙ σ(X)·(1 − σ(X)) = δY ⊙ Y·(1 − Y)``, computed from
    the output so no exponential is evaluated twice.
    """

    op = "sigmoid"
    backward_from_output = True
