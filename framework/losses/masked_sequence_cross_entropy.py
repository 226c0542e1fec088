"""Softmax cross-entropy over sequences with a time-step mask (padding contributes nothing)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..layers.softmax import softmax_rows
from ..tensor import Tensor
from .base import Loss


class MaskedSequenceCrossEntropy(Loss):
    """Fused softmax cross-entropy on ``[N, T, C]`` scores, averaged over the *unmasked* steps.

    ``L = -(1/M) Σ_{n,t} m_nt Σ_c y_ntc · log softmax(z_nt)_c``, ``M = Σ m_nt``,
    ``δz_nt = m_nt · (softmax(z_nt) · Σ_c y_ntc − y_nt) / M``.

    A masked step (``m_nt = 0``) contributes nothing to the loss, to ``M``
    or to any delta (its delta is exactly 0), so padding a sequence does
    not change the loss or the gradient of the real steps. With no step
    masked this is :class:`SoftmaxCrossEntropy`. When every step is masked
    the loss and the deltas are 0.

    How the mask is given (in this order):

    * ``mask=`` at construction or assigned later (``loss.mask = m``): an
      ``[N, T]`` array of 0/1 (or booleans), 1 = the step counts; its ``N``
      must be the batch's.
    * otherwise (``mask=None``) it is read from the targets: a step whose
      target row is all zeros is masked. This is how the trainer uses it:
      pad the one-hot targets with zero rows, nothing else to pass.

    Args:
        mask: optional ``[N, T]`` mask (see above).
    """

    def __init__(self, mask: Any = None) -> None:
        self.mask = mask

    def _mask_rows(self, z: Tensor, target: Tensor) -> np.ndarray:
        """The mask as a ``[R, 1]`` float column, rows in ``matrix()`` order (``r = n + N·t``)."""
        if z.shape.ndim != 3:
            raise ValueError(f"{self}: expected scores [N, T, C], got {z.shape}")
        n, t = z.shape[0], z.shape[1]
        if self.mask is None:
            return (np.any(target.matrix() != 0, axis=1, keepdims=True)).astype(np.float64)
        m = np.asarray(self.mask)
        if m.shape != (n, t):
            raise ValueError(f"{self}: mask has shape {m.shape}, expected {(n, t)} ([N, T] of the "
                             f"scores {z.shape})")
        if not np.all((m == 0) | (m == 1)):
            raise ValueError(f"{self}: mask must hold 0 and 1 only")
        # column-major rows: step (n, t) is row n + N·t, the order of reshape(order="F")
        return m.astype(np.float64).reshape(n * t, 1, order="F")

    def forward(self, in_tensors: Sequence[Tensor], target: Tensor) -> float:
        """``L = -(1/M) Σ m · Σ_c y·log softmax(z)``, with log-sum-exp.

        Raises:
            ValueError: for scores that are not ``[N, T, C]`` or a mask of the wrong shape.
        """
        z, _ = self.check_input(in_tensors, target)
        m = self._mask_rows(z, target)
        kept = float(m.sum())
        if kept == 0.0:
            return 0.0
        zm = z.matrix()
        shifted = zm - zm.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-np.sum(m * target.matrix() * log_p) / kept)

    def backward(self, in_tensors: Sequence[Tensor], target: Tensor) -> None:
        """``δz = m·(softmax(z)·Σ_c y − y) / M`` (overwrites; 0 on masked steps)."""
        z, _ = self.check_input(in_tensors, target)
        m = self._mask_rows(z, target)
        kept = max(float(m.sum()), 1.0)
        dz = z.delta_matrix()
        y = target.matrix()
        softmax_rows(z.matrix(), dz)
        dz *= y.sum(axis=1, keepdims=True)
        dz -= y
        dz *= m / kept

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities ``softmax(x)`` row by row."""
        out = np.empty_like(x)
        softmax_rows(x, out)
        return out
