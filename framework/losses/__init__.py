"""Losses: the end of the chain. All are averaged over rows (batch × positions)."""
from .base import Loss
from .binary_cross_entropy import BinaryCrossEntropy
from .cross_entropy import CrossEntropy
from .hellinger import HellingerDistance
from .masked_sequence_cross_entropy import MaskedSequenceCrossEntropy
from .mse import MSE
from .sigmoid_binary_cross_entropy import SigmoidBinaryCrossEntropy
from .softmax_cross_entropy import SoftmaxCrossEntropy

__all__ = ["Loss", "CrossEntropy", "MSE", "SoftmaxCrossEntropy",
           "BinaryCrossEntropy", "SigmoidBinaryCrossEntropy", "HellingerDistance",
           "MaskedSequenceCrossEntropy"]
