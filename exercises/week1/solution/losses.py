"""Exercises 1.7-1.8 (solution): cross-entropy and mean squared error, averaged over the rows."""
from __future__ import annotations

import numpy as np

from framework import Loss


class CrossEntropy(Loss):
    """``L = −(1/R) Σ_r Σ_i t_ri·log x_ri`` on probabilities x."""

    def forward(self, in_tensors, target):
        x = in_tensors[0]
        rows = x.matrix().shape[0]
        return float(-np.sum(target.elements * np.log(x.elements)) / rows)

    def backward(self, in_tensors, target):
        x = in_tensors[0]
        rows = x.matrix().shape[0]
        x.deltas[...] = -target.elements / x.elements / rows


class MSE(Loss):
    """``L = (1/R) Σ_r Σ_i ½(x_ri − t_ri)²``."""

    def forward(self, in_tensors, target):
        x = in_tensors[0]
        rows = x.matrix().shape[0]
        return float(0.5 * np.sum((x.elements - target.elements) ** 2) / rows)

    def backward(self, in_tensors, target):
        x = in_tensors[0]
        rows = x.matrix().shape[0]
        x.deltas[...] = (x.elements - target.elements) / rows
