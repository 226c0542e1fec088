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
        self.saturated = 0

    def forward(self, in_tensors: Sequence[Tensor], target: Tensor) -> float:
        """``L = -(1/R) Σ t·log x``.

        Sets ``self.saturated`` to the number of target entries whose
        probability was below ``eps`` (clamped): a sign of divergence that
        the trainer reports, since the clamped loss itself stays finite.

        Raises:
            ValueError: if an input is not a probability (below 0 or above 1).
        """
        x, rows = self.check_input(in_tensors, target)
        lo, hi = float(x.elements.min()), float(x.elements.max())
        if lo < 0.0 or hi > 1.0 + 1e-6:
            raise ValueError(f"{self}: inputs must be probabilities in [0, 1], got values in "
                             f"[{lo:.4g}, {hi:.4g}]; put a Softmax layer before it, or use "
                             f"SoftmaxCrossEntropy on raw scores")
        self.saturated = int(np.count_nonzero((x.elements < self.eps) & (target.elements > 0)))
        p = np.maximum(x.elements, self.eps)
        return float(-np.dot(target.elements, np.log(p)) / rows)

    def backward(self, in_tensors: Sequence[Tensor], target: Tensor) -> None:
        """``δx = -t / (R·x)`` (overwrites)."""
        x, rows = self.check_input(in_tensors, target)
        np.divide(-target.elements, rows * np.maximum(x.elements, self.eps), out=x.deltas)
