"""Exercises 1.7-1.8: cross-entropy and mean squared error, averaged over the rows (see README.md).

``forward(in_tensors, target)`` returns the loss as a float; ``backward``
OVERWRITES the prediction's deltas with ∂L/∂x. R = the number of rows
(``x.matrix().shape[0]``, the batch size for [N, C] predictions).
"""
from __future__ import annotations

import numpy as np

from framework import Loss


class CrossEntropy(Loss):
    """``L = −(1/R) Σ_r Σ_i t_ri·log x_ri`` on probabilities x."""

    def forward(self, in_tensors, target):
        raise NotImplementedError("Exercise 1.7: CrossEntropy.forward — L = −(1/R) Σ t·log x")

    def backward(self, in_tensors, target):
        raise NotImplementedError("Exercise 1.7: CrossEntropy.backward — δx = −t / (R·x)")


class MSE(Loss):
    """``L = (1/R) Σ_r Σ_i ½(x_ri − t_ri)²``."""

    def forward(self, in_tensors, target):
        raise NotImplementedError("Exercise 1.8: MSE.forward — L = (1/R) Σ ½(x − t)²")

    def backward(self, in_tensors, target):
        raise NotImplementedError("Exercise 1.8: MSE.backward — δx = (x − t) / R")
