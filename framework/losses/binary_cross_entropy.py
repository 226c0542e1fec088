"""Binary cross-entropy on probabilities: one independent yes/no per output."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..tensor import Tensor
from .base import Loss


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy of probabilities, summed over outputs and averaged over rows.

    ``L = -(1/R) Σ_r Σ_i [t_ri·log x_ri + (1 − t_ri)·log(1 − x_ri)]``,
    ``δx = (x − t) / (R · x · (1 − x))``.

    ``R`` is the number of rows (the batch ``N`` for ``[N, C]``, ``N·T`` for
    ``[N, T, C]``); the ``C`` outputs of a row are independent yes/no
    probabilities and their losses are *summed*, so for one output per row
    this is the usual mean over the batch. The input must already be
    probabilities (a :class:`Sigmoid` layer before it); on raw scores use
    :class:`SigmoidBinaryCrossEntropy`, which stays exact where ``x``
    rounds to 0 or 1.

    Args:
        eps: ``x`` is clamped to ``[eps, 1 − eps]`` inside the logs and the
            division, so a 0 or 1 gives no inf or nan.
    """

    def __init__(self, eps: float = 1e-12) -> None:
        self.eps = eps

    def _clamped(self, x: Tensor) -> np.ndarray:
        lo, hi = float(x.elements.min()), float(x.elements.max())
        if lo < 0.0 or hi > 1.0 + 1e-6:
            raise ValueError(f"{self}: inputs must be probabilities in [0, 1], got values in "
                             f"[{lo:.4g}, {hi:.4g}]; put a Sigmoid layer before it, or use "
                             f"SigmoidBinaryCrossEntropy on raw scores")
        # in float64: 1 − 1e-12 rounds to 1 in float32
        return np.clip(x.elements.astype(np.float64), self.eps, 1.0 - self.eps)

    def forward(self, in_tensors: Sequence[Tensor], target: Tensor) -> float:
        """``L = -(1/R) Σ [t·log x + (1 − t)·log(1 − x)]``.

        Raises:
            ValueError: if an input is not a probability (below 0 or above 1).
        """
        x, rows = self.check_input(in_tensors, target)
        p, t = self._clamped(x), target.elements.astype(np.float64)
        return float(-(np.dot(t, np.log(p)) + np.dot(1.0 - t, np.log1p(-p))) / rows)

    def backward(self, in_tensors: Sequence[Tensor], target: Tensor) -> None:
        """``δx = (x − t) / (R·x·(1 − x))`` (overwrites)."""
        x, rows = self.check_input(in_tensors, target)
        p = self._clamped(x)
        x.deltas[...] = (p - target.elements) / (rows * p * (1.0 - p))
