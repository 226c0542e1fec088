"""Hellinger distance between predicted and target distributions."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..tensor import Tensor
from .base import Loss


class HellingerDistance(Loss):
    """Hellinger distance of probability rows, averaged over rows.

    ``H_r = (1/√2) · ‖√x_r − √t_r‖₂``, ``L = (1/R) Σ_r H_r``,
    ``δx_ri = (√x_ri − √t_ri) / (4 · R · H_r · √x_ri)``
    (with ``S_r = Σ_i (√x_ri − √t_ri)² = 2 H_r²``:
    ``∂H_r/∂x_ri = (1/√2) · (1/(2√S_r)) · 2(√x_ri − √t_ri) · 1/(2√x_ri)``).

    ``H_r`` lies in ``[0, 1]`` for distributions (rows of ``x`` and ``t``
    summing to 1); ``R`` is the number of rows. Put a :class:`Softmax`
    before it. Where a row equals its target (``H_r = 0``) the distance has
    no derivative; its delta is set to 0 (the minimum).

    Args:
        eps: ``x`` is clamped to at least ``eps`` under the ``√`` of the
            derivative, so a 0 probability gives no inf.
    """

    def __init__(self, eps: float = 1e-12) -> None:
        self.eps = eps

    def _rows(self, x: Tensor, target: Tensor) -> tuple[np.ndarray, np.ndarray]:
        xm = x.matrix()
        if float(xm.min()) < 0.0:
            raise ValueError(f"{self}: inputs must be probabilities (>= 0), got a minimum of "
                             f"{float(xm.min()):.4g}; put a Softmax layer before it")
        diff = np.sqrt(xm) - np.sqrt(np.maximum(target.matrix(), 0.0))
        return diff, np.sqrt(0.5 * np.sum(diff * diff, axis=1, keepdims=True))

    def forward(self, in_tensors: Sequence[Tensor], target: Tensor) -> float:
        """``L = (1/R) Σ_r ‖√x_r − √t_r‖ / √2``.

        Raises:
            ValueError: if an input is negative.
        """
        x, rows = self.check_input(in_tensors, target)
        _, h = self._rows(x, target)
        return float(h.sum() / rows)

    def backward(self, in_tensors: Sequence[Tensor], target: Tensor) -> None:
        """``δx = (√x − √t) / (4·R·H·√x)`` row by row; 0 where ``H = 0`` (overwrites)."""
        x, rows = self.check_input(in_tensors, target)
        diff, h = self._rows(x, target)
        denom = 4.0 * rows * np.maximum(h, 1e-300) * np.sqrt(np.maximum(x.matrix(), self.eps))
        x.delta_matrix()[...] = np.where(h > 0, diff / denom, 0.0)
