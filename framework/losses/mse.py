"""Mean squared error (the lecture's cheat sheet)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..tensor import Tensor
from .base import Loss


class MSE(Loss):
    """Squared error: ``L = (1/R) Σ_r Σ_i ½(x_ri − t_ri)²``, ``δx = (x − t) / R``.

    For one sample this is the lecture's ``L = Σ ½(x_i − t_i)²`` with
    ``∂L/∂x_i = x_i − t_i``. The ½ cancels the 2 of the derivative; the sum
    runs over the features and the mean over the rows (batch × positions).
    """

    def forward(self, in_tensors: Sequence[Tensor], target: Tensor) -> float:
        """``L = (1/R) Σ ½(x − t)²``."""
        x, rows = self.check_input(in_tensors, target)
        diff = x.elements - target.elements
        return float(0.5 * np.dot(diff, diff) / rows)

    def backward(self, in_tensors: Sequence[Tensor], target: Tensor) -> None:
        """``δx = (x − t) / R`` (overwrites)."""
        x, rows = self.check_input(in_tensors, target)
        np.subtract(x.elements, target.elements, out=x.deltas)
        x.deltas /= rows
