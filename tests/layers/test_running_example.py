"""The lecture's running example, every number derived by hand.

Input 2 -> FC 3 -> sigmoid -> FC 2 -> softmax -> cross-entropy, one sample:

    a      = [0.5, -1.0]                      t = [1, 0]
    W1     = [[0.1, -0.2, 0.3],               bias1 = [0.0, 0.1, -0.1]
              [0.4,  0.5, -0.6]]
    W2     = [[ 0.7, -0.3],                   bias2 = [0.05, -0.05]
              [ 0.2,  0.8],
              [-0.5,  0.1]]

Forward (b = a·W1 + bias1, c = σ(b), d = c·W2 + bias2, e = softmax(d)):
    b1 = 0.5·0.1    + (−1)·0.4    + 0.0  = −0.35
    b2 = 0.5·(−0.2) + (−1)·0.5    + 0.1  = −0.5
    b3 = 0.5·0.3    + (−1)·(−0.6) − 0.1  =  0.65
    c  = σ(b) = [0.413382421, 0.377540669, 0.657010463]
    d1 = 0.7·c1 + 0.2·c2 − 0.5·c3 + 0.05 = 0.086370597
    d2 = −0.3·c1 + 0.8·c2 + 0.1·c3 − 0.05 = 0.193718855
    e  = [e^d1, e^d2] / (e^d1 + e^d2) = [0.473188678, 0.526811322]
    L  = −(1·log e1 + 0·log e2) = 0.748261074

Backward (cheat sheets):
    δe = −t/e            = [−1/e1, −0/e2]             = [−2.113321910, 0]
    δd = δe·J, J_ij = e_i(δ_ij − e_j):
         δd1 = δe1·e1(1 − e1)     = −(1 − e1)         = −0.526811322
         δd2 = δe1·(−e1·e2)       = e2                 =  0.526811322
    δc = δd·W2ᵀ: δc1 = 0.7·δd1 − 0.3·δd2 = −δd2       = −0.526811322
                 δc2 = 0.2·δd1 + 0.8·δd2 = 0.6·δd2    =  0.316086793
                 δc3 = −0.5·δd1 + 0.1·δd2 = 0.6·δd2   =  0.316086793
    δb = δc ⊙ c(1 − c)   = [−0.127750373, 0.074281570, 0.071229437]
    δa = δb·W1ᵀ: δa1 = 0.1·δb1 − 0.2·δb2 + 0.3·δb3   = −0.006262520
                 δa2 = 0.4·δb1 + 0.5·δb2 − 0.6·δb3   = −0.056697026

Weight gradients (∂L/∂W = Xᵀ·δY, ∂L/∂bias = δY):
    ∂L/∂W2[i][j] = c_i·δd_j,  ∂L/∂bias2 = δd
    ∂L/∂W1[i][j] = a_i·δb_j,  ∂L/∂bias1 = δb
"""
import math

import numpy as np
import pytest

from framework import InputLayer, Network, FullyConnected, Sigmoid, Softmax, CrossEntropy
from framework.compare import assert_close

A = [0.5, -1.0]
T = [1.0, 0.0]
W1 = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]
BIAS1 = [0.0, 0.1, -0.1]
W2 = [[0.7, -0.3], [0.2, 0.8], [-0.5, 0.1]]
BIAS2 = [0.05, -0.05]

# The numbers from the derivation above, to 9 digits.
B = [-0.35, -0.5, 0.65]
C = [0.413382421, 0.377540669, 0.657010463]
D = [0.086370597, 0.193718855]
E = [0.473188678, 0.526811322]
L = 0.748261074
DELTA_E = [-2.113321910, 0.0]
DELTA_D = [-0.526811322, 0.526811322]
DELTA_C = [-0.526811322, 0.316086793, 0.316086793]
DELTA_B = [-0.127750373, 0.074281570, 0.071229437]
DELTA_A = [-0.006262520, -0.056697026]


def build(dtype):
    net = Network(InputLayer(2, dtype=dtype),
                  [FullyConnected(2, 3, weights=W1, bias=BIAS1, dtype=dtype), Sigmoid(),
                   FullyConnected(3, 2, weights=W2, bias=BIAS2, dtype=dtype), Softmax()],
                  CrossEntropy())
    return net


def test_hand_derivation_is_self_consistent():
    """The literal numbers above follow from the formulas (guards against typos in them)."""
    sig = [1 / (1 + math.exp(-b)) for b in B]
    assert sig == pytest.approx(C, abs=1e-9)
    d = [sum(C[i] * W2[i][j] for i in range(3)) + BIAS2[j] for j in range(2)]
    assert d == pytest.approx(D, abs=1e-8)
    z = math.exp(D[0]) + math.exp(D[1])
    assert [math.exp(D[0]) / z, math.exp(D[1]) / z] == pytest.approx(E, abs=1e-8)
    assert -math.log(E[0]) == pytest.approx(L, abs=1e-8)
    assert [DELTA_C[i] * C[i] * (1 - C[i]) for i in range(3)] == pytest.approx(DELTA_B, abs=1e-8)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-8), (np.float32, 1e-6)])
def test_running_example_every_value(dtype, tol):
    net = build(dtype)
    net.zero_deltas()
    loss = net.backprop([A], np.array([T]), input_deltas=True).loss
    a, b, c, d, e = net.tensors(1)
    fc1, _, fc2, _ = net.layers

    assert loss == pytest.approx(L, abs=tol)
    for name, tensor, expected in [("a", a, [A]), ("b", b, [B]), ("c", c, [C]), ("d", d, [D]),
                                   ("e", e, [E])]:
        assert_close(expected, tensor.view(), name, atol=tol, rtol=0)
    for name, tensor, expected in [("δe", e, [DELTA_E]), ("δd", d, [DELTA_D]), ("δc", c, [DELTA_C]),
                                   ("δb", b, [DELTA_B]), ("δa", a, [DELTA_A])]:
        assert_close(expected, tensor.delta_view(), name, atol=tol * 10, rtol=0)

    assert_close([[C[i] * DELTA_D[j] for j in range(2)] for i in range(3)],
                 fc2.weights.delta_view(), "∂L/∂W2", atol=tol * 10, rtol=0)
    assert_close(DELTA_D, fc2.bias.deltas, "∂L/∂bias2", atol=tol * 10, rtol=0)
    assert_close([[A[i] * DELTA_B[j] for j in range(3)] for i in range(2)],
                 fc1.weights.delta_view(), "∂L/∂W1", atol=tol * 10, rtol=0)
    assert_close(DELTA_B, fc1.bias.deltas, "∂L/∂bias1", atol=tol * 10, rtol=0)
    # spot values of the products, written out: ∂L/∂W2[0][0] = c1·δd1, ∂L/∂W1[1][0] = a2·δb1
    assert fc2.weights.delta_view()[0, 0] == pytest.approx(0.413382421 * -0.526811322, abs=tol * 10)
    assert fc1.weights.delta_view()[1, 0] == pytest.approx(-1.0 * -0.127750373, abs=tol * 10)


def test_one_sgd_step_by_hand():
    """θ ← θ − η·∂L/∂θ with η = 0.5: W2[0][0] = 0.7 − 0.5·c1·δd1."""
    from framework import SGDTrainer
    net = build(np.float64)
    SGDTrainer(learning_rate=0.5, batch_size=1, epochs=1, flavor="sgd").optimize(
        net, [A], np.array([T]))
    fc1, _, fc2, _ = net.layers
    assert fc2.weights[0, 0] == pytest.approx(0.7 - 0.5 * C[0] * DELTA_D[0], abs=1e-8)
    assert fc2.bias[1] == pytest.approx(-0.05 - 0.5 * DELTA_D[1], abs=1e-8)
    assert fc1.weights[1, 2] == pytest.approx(-0.6 - 0.5 * A[1] * DELTA_B[2], abs=1e-8)
