"""Cross-entropy on probabilities (the lecture's cheat sheet)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..tensor import Tensor
from .base import Loss


class CrossEntropy(Loss):
    """Cross-entropy of probabilities: ``L = -(1/R) Σ_r Σ_i t_ri·log x_ri``, ``δx = -t / (R·x)``.

    The input must already be probabilities (put a :class:`Softmax` layer
    before it). This is the lecture's formula, for one sample exactly
    ``L = -Σ t_i·log x_i`` and ``∂L/∂x_i = -t_i/x_i``. For everyday training
    use :class:`SoftmaxCrossEntropy`, which is stable where ``x`` underflows
    to 0.

    Args:
        eps: probabilities are clamped to at least ``eps`` inside the log
            and the division, so a 0 does not produce inf or nan. Only
            values below ``eps`` are affected.
    """

    def __init__(self, eps: float = 1e-12) -> None:
        self.eps = eps

    def forward(self, in_tensors: Sequence[Tensor], target: Tensor) -> float:
        """``L = -(1/R) Σ t·log x``."""
        x, rows = self.check_input(in_tensors, target)
        p = np.maximum(x.elements, self.eps)
        return float(-np.dot(target.elements, np.log(p)) / rows)

    def backward(self, in_tensors: Sequence[Tensor], target: Tensor) -> None:
        """``δx = -t / (R·x)`` (overwrites)."""
        x, rows = self.check_input(in_tensors, target)
        np.divide(-target.elements, rows * np.maximum(x.elements, self.eps), out=x.deltas)
