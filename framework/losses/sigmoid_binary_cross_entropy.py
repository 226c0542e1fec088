"""Sigmoid and binary cross-entropy fused: the stable loss for yes/no outputs on raw scores."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..tensor import Tensor
from .base import Loss


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of a non-positive number only: no overflow for large |z|
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class SigmoidBinaryCrossEntropy(Loss):
    """Binary cross-entropy of ``σ(z)`` on raw scores ``z``, summed over outputs, averaged over rows.

    ``L = (1/R) Σ_r Σ_i [max(z, 0) − z·t + log(1 + exp(−|z|))]``,
    ``δz = (σ(z) − t) / R``.

    The bracket equals ``−t·log σ(z) − (1 − t)·log(1 − σ(z))`` (use
    ``log σ(z) = −log(1 + e^{−z})`` and ``log(1 − σ(z)) = −z − log(1 + e^{−z})``)
    rewritten so no exponential of a positive number is taken: exact for
    ``|z|`` of 1000, where ``σ(z)`` rounds to 0 or 1 and the unfused loss
    gives inf. ``R`` is the number of rows (``N``, or ``N·T`` for
    sequences). ``Network.forward`` returns the probabilities ``σ(z)``
    (see :meth:`predict`).
    """

    def forward(self, in_tensors: Sequence[Tensor], target: Tensor) -> float:
        """``L = (1/R) Σ [max(z, 0) − z·t + log1p(exp(−|z|))]``."""
        z, rows = self.check_input(in_tensors, target)
        ze = z.elements
        per_element = np.maximum(ze, 0.0) - ze * target.elements + np.log1p(np.exp(-np.abs(ze)))
        return float(per_element.sum() / rows)

    def backward(self, in_tensors: Sequence[Tensor], target: Tensor) -> None:
        """``δz = (σ(z) − t) / R`` (overwrites)."""
        z, rows = self.check_input(in_tensors, target)
        np.divide(_sigmoid(z.elements) - target.elements, rows, out=z.deltas)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities ``σ(x)`` element by element."""
        return _sigmoid(np.asarray(x)).astype(np.asarray(x).dtype, copy=False)
