"""Exercise 1.9: the lecture's running example, forward and backward, with your layers (see README.md).

a (input, 2) -> FC 3 -> b -> sigmoid -> c -> FC 2 -> d -> softmax -> e -> cross-entropy L
"""
from __future__ import annotations

import numpy as np

from framework import Tensor
from layers import FullyConnected, Sigmoid, Softmax
from losses import CrossEntropy


def running_example(a, W1, bias1, W2, bias2, t):
    """Every value and every delta of the running example for the inputs ``a`` ([N, 2]).

    Build the four layers with the given weights (dtype=np.float64), one
    ``framework.Tensor`` per arrow (dtype=np.float64), run forward, the loss,
    its backward, then backward and calculate_delta_weights layer by layer.

    Returns:
        A dict with the logical arrays ``b, c, d, e`` ([N, 3], [N, 3], [N, 2], [N, 2]),
        the loss ``L`` (a float), the deltas ``delta_e, delta_d, delta_c, delta_b,
        delta_a`` and the parameter gradients ``dW1, dbias1, dW2, dbias2``.
    """
    raise NotImplementedError("Exercise 1.9: running_example — forward a -> b -> c -> d -> e -> L, "
                              "then δe, δd, δc, δb, δa and ∂L/∂W1, ∂L/∂bias1, ∂L/∂W2, ∂L/∂bias2")
