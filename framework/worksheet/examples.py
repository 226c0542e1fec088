"""The lecture's running example and the default numbers of the conv, pooling and LSTM blocks.

The running example's numbers are those of ``tests/layers/test_running_example.py``
(derived there by hand): a = [0.5, −1], t = [1, 0], and the weights below.
"""
from __future__ import annotations

import numpy as np

from ..layers import FullyConnected, Sigmoid, Softmax
from ..losses import CrossEntropy
from .chain import network_worksheet
from .model import Worksheet

A = [0.5, -1.0]
T = [1.0, 0.0]
W1 = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]
BIAS1 = [0.0, 0.1, -0.1]
W2 = [[0.7, -0.3], [0.2, 0.8], [-0.5, 0.1]]
BIAS2 = [0.05, -0.05]
LEARNING_RATE = 0.5

# conv / pooling: a 4×4 image, a 2×2 kernel, the deltas that arrive from above
IMAGE = [[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 2], [1, 0, 1, 3]]
KERNEL = [[1, 0], [-1, 2]]
CONV_BIAS = 0.5
POOL_IMAGE = [[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 3, 2], [2, 6, 4, 1]]
POOL_DELTA = [[1, -2], [0.5, 3]]

# LSTM: one unit (H = 1), one input feature, two steps; gate order i, f, o, g
LSTM_X = [[1.0], [2.0]]
LSTM_U = [[0.5, 1.0, -0.5, 1.0]]
LSTM_W = [[0.5, -0.5, 1.0, 0.5]]
LSTM_BIAS = [0.0, 0.5, 0.0, -0.5]
LSTM_DELTA_H = [[0.5], [1.0]]


def running_example(learning_rate: float = LEARNING_RATE) -> Worksheet:
    """The lecture's running example: 2 → FC 3 → sigmoid → FC 2 → softmax → cross-entropy.

    Args:
        learning_rate: η of the SGD step (default 0.5).

    Returns:
        Its worksheet: a, b, c, d, e, L, δe, J, δd, δc, σ′(b), δb, δa,
        ∂L/∂W², ∂L/∂bias², ∂L/∂W¹, ∂L/∂bias¹ and the new weights.
    """
    layers = [FullyConnected(2, 3, weights=W1, bias=BIAS1, dtype=np.float64), Sigmoid(),
              FullyConnected(3, 2, weights=W2, bias=BIAS2, dtype=np.float64), Softmax()]
    return network_worksheet(
        layers, A, [T], CrossEntropy(), learning_rate, title="The lecture's running example",
        description="a (2) → FC: b = a·W¹ + bias¹ (3) → sigmoid: c = σ(b) → FC: d = c·W² + bias² (2) "
                    "→ softmax: e → cross-entropy L with target t. One sample; vectors are rows; "
                    "W[i, j] connects input i to output j.")
