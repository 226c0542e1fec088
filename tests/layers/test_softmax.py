"""Softmax over the last dim, backward = δY · (diag(y) − y·yᵀ) per row."""
import math

import numpy as np

from framework import MSE, FullyConnected, InputLayer, Network, Softmax, check_layer
from framework.compare import assert_close

from helpers import run


def test_forward_by_hand():
    # scores [0, ln 3]: e^0 = 1, e^ln3 = 3 -> [1/4, 3/4]; [ln 2, ln 2, 0] -> [2, 2, 1]/5
    y, _ = run(Softmax(), [[0.0, math.log(3)]])
    assert_close([[0.25, 0.75]], y, "Y")
    y, _ = run(Softmax(), [[math.log(2), math.log(2), 0.0]])
    assert_close([[0.4, 0.4, 0.2]], y, "Y")


def test_backward_is_the_full_jacobian_by_hand():
    # y = [1/4, 3/4]; J = diag(y) − y·yᵀ = [[3/16, −3/16], [−3/16, 3/16]]
    # δY = [1, 0] -> δX = δY·J = [3/16, −3/16]
    _, dx = run(Softmax(), [[0.0, math.log(3)]], [[1.0, 0.0]])
    assert_close([[0.1875, -0.1875]], dx, "δX")


def test_backward_equals_explicit_jacobian_product():
    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    y, dx = run(Softmax(), x, dy, dtype=np.float64)
    for r in range(4):
        jac = np.diag(y[r]) - np.outer(y[r], y[r])  # ∂y_i/∂x_j = y_i(δ_ij − y_j)
        assert_close(dy[r] @ jac, dx[r], f"δX row {r}", atol=1e-12)


def test_large_scores_do_not_overflow():
    y, _ = run(Softmax(), [[1000.0, 1000.0, -1000.0]])
    assert_close([[0.5, 0.5, 0.0]], y, "Y")


def test_gradient_check():
    check_layer(Softmax(), (3, 4))
    check_layer(Softmax(), (2, 3, 4))  # softmax over the last dim at every position


def test_softmax_alone_followed_by_mse_gets_correct_gradients():
    """Softmax is correct on its own, not only next to cross-entropy."""
    net = Network(InputLayer(3, dtype=np.float64),
                  [FullyConnected(3, 4, seed=0, dtype=np.float64), Softmax()], MSE())
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((5, 3)), rng.uniform(size=(5, 4))
    net.zero_deltas()
    net.backprop(x, t)
    w = net.layers[0].weights.elements
    numeric = np.empty_like(w)
    for i in range(w.size):
        old = w[i]
        w[i] = old + 1e-6
        plus = net.backprop(x, t).loss
        w[i] = old - 1e-6
        minus = net.backprop(x, t).loss
        w[i] = old
        numeric[i] = (plus - minus) / 2e-6
    net.zero_deltas()
    net.backprop(x, t)
    assert_close(numeric, net.layers[0].weights.deltas, "∂L/∂W through softmax + MSE", atol=1e-7)
