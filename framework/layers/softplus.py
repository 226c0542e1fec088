"""Softplus: ``y = log(1 + eˣ)``, a smooth ReLU; ``∂y/∂x = eˣ/(1 + eˣ) = σ(x)``."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..tensor import Tensor
from .base import ElementwiseLayer


class Softplus(ElementwiseLayer):
    """``Y = log(1 + e^X)`` elementwise, on any shape.

    Backward: ``δX = δY ⊙ σ(X)`` with ``σ(x) = 1/(1 + e^(−x))``.

    Computed stably: ``log(1 + eˣ) = logaddexp(0, x)`` does not overflow for
    large ``x`` (where the naive form gives inf) and keeps ``eˣ`` for very
    negative ``x``; ``σ(x) = (1 + tanh(x/2))/2`` never overflows either.
    (docs/writing_a_layer.md writes a Softplus from scratch as an exercise
    in the protocol; this is the framework's own.)
    """

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``y = log(1 + eˣ)`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        y.elements[...] = np.logaddexp(0, x.elements)

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δx = δy · σ(x)`` (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        x.deltas[...] = y.deltas * (0.5 * (1 + np.tanh(0.5 * x.elements)))
