"""Exercise 1.9 (solution): the lecture's running example, forward and backward, with your layers.

a (input, 2) -> FC 3 -> b -> sigmoid -> c -> FC 2 -> d -> softmax -> e -> cross-entropy L
"""
from __future__ import annotations

import numpy as np

from framework import Tensor
from layers import FullyConnected, Sigmoid, Softmax
from losses import CrossEntropy


def running_example(a, W1, bias1, W2, bias2, t):
    """Every value and every delta of the running example for the inputs ``a`` ([N, 2]).

    Returns:
        A dict with the logical arrays ``b, c, d, e`` ([N, 3], [N, 3], [N, 2], [N, 2]),
        the loss ``L`` (a float), the deltas ``delta_e, delta_d, delta_c, delta_b,
        delta_a`` and the parameter gradients ``dW1, dbias1, dW2, dbias2``.
    """
    a = np.asarray(a, dtype=np.float64)
    n = a.shape[0]
    f64 = np.float64
    layers = [FullyConnected(2, 3, weights=W1, bias=bias1, dtype=f64), Sigmoid(),
              FullyConnected(3, 2, weights=W2, bias=bias2, dtype=f64), Softmax()]
    tensors = [Tensor.from_numpy(a, dtype=f64), Tensor((n, 3), dtype=f64), Tensor((n, 3), dtype=f64),
               Tensor((n, 2), dtype=f64), Tensor((n, 2), dtype=f64)]
    target = Tensor.from_numpy(np.asarray(t, dtype=f64), dtype=f64)
    loss = CrossEntropy()
    for i, layer in enumerate(layers):                       # forward: a -> b -> c -> d -> e
        layer.forward([tensors[i]], [tensors[i + 1]])
    L = loss.forward([tensors[-1]], target)
    loss.backward([tensors[-1]], target)                     # δe
    for i in reversed(range(len(layers))):                   # δd, δc, δb, δa and the gradients
        layers[i].backward([tensors[i + 1]], [tensors[i]])
        layers[i].calculate_delta_weights([tensors[i + 1]], [tensors[i]])
    a_, b, c, d, e = tensors
    return {"b": b.to_numpy(), "c": c.to_numpy(), "d": d.to_numpy(), "e": e.to_numpy(), "L": L,
            "delta_e": e.delta_view().copy(), "delta_d": d.delta_view().copy(),
            "delta_c": c.delta_view().copy(), "delta_b": b.delta_view().copy(),
            "delta_a": a_.delta_view().copy(),
            "dW1": layers[0].weights.delta_view().copy(), "dbias1": layers[0].bias.deltas.copy(),
            "dW2": layers[2].weights.delta_view().copy(), "dbias2": layers[2].bias.deltas.copy()}
