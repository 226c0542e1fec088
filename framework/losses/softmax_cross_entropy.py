"""Softmax and cross-entropy fused: the numerically stable everyday classification loss."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..layers.softmax import softmax_rows
from ..tensor import Tensor
from .base import Loss


class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of the softmax of raw scores, in one step.

    ``L = -(1/R) Σ_r Σ_i t_ri · log softmax(z_r)_i``,
    ``δz_r = (p_r · Σ_i t_ri − t_r) / R`` with ``p = softmax(z)``.

    The factor ``Σ_i t_ri`` comes from ``∂ log softmax(z)_i / ∂z_j = δ_ij − p_j``:
    every target entry pulls ``p_j`` back by ``t_ri``. For the usual targets
    (one-hot or soft labels summing to 1) it is 1 and ``δz = (p − t)/R``; an
    all-zero row (a masked time step) gives 0, a soft label summing to 0.9
    gives ``0.9·p − t``.

    The input is the last layer's *scores* (no Softmax layer before it).
    Chaining the Softmax layer's Jacobian with ``-t/x`` gives the same
    ``p − t`` when ``Σ t = 1``, but the fused form never divides by a
    probability that underflowed to 0, and uses ``log softmax(z) = z − max −
    log Σ exp(z − max)`` so no exp overflows. ``Network.forward`` returns
    the probabilities ``p`` (see :meth:`predict`).
    """

    def forward(self, in_tensors: Sequence[Tensor], target: Tensor) -> float:
        """``L = -(1/R) Σ t · log softmax(z)``, computed with log-sum-exp."""
        z, rows = self.check_input(in_tensors, target)
        zm = z.matrix()
        shifted = zm - zm.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-np.sum(target.matrix() * log_p) / rows)

    def backward(self, in_tensors: Sequence[Tensor], target: Tensor) -> None:
        """``δz = (softmax(z)·Σ_i t_i − t) / R`` row by row (overwrites)."""
        z, rows = self.check_input(in_tensors, target)
        dz = z.delta_matrix()
        t = target.matrix()
        softmax_rows(z.matrix(), dz)
        dz *= t.sum(axis=1, keepdims=True)
        dz -= t
        dz /= rows

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities ``softmax(x)`` row by row."""
        out = np.empty_like(x)
        softmax_rows(x, out)
        return out
