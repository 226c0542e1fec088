"""Losses: the end of the chain. All are averaged over rows (batch × positions)."""
from .base import Loss
from .cross_entropy import CrossEntropy
from .mse import MSE
from .softmax_cross_entropy import SoftmaxCrossEntropy

__all__ = ["Loss", "CrossEntropy", "MSE", "SoftmaxCrossEntropy"]
