"""SigmoidBinaryCrossEntropy on logits: L = (1/R) Σ [max(z,0) − z·t + log(1+e^−|z|)], δz = (σ(z)−t)/R."""
import math

import numpy as np
import pytest

from framework import (BinaryCrossEntropy, FullyConnected, InputLayer, Network,
                       SigmoidBinaryCrossEntropy, Tensor, check_loss)
from framework.compare import assert_close


def test_hand_computed_batch():
    # z = 0, t = 1: log 2; z = ln 3 (σ = 3/4), t = 0: −log(1/4) = log 4. Rows: 2 → mean of per-row sums
    z = Tensor.from_numpy([[0.0], [math.log(3)]])
    t = Tensor.from_numpy([[1.0], [0.0]])
    loss = SigmoidBinaryCrossEntropy()
    assert loss.forward([z], t) == pytest.approx((math.log(2) + math.log(4)) / 2, rel=1e-6)
    loss.backward([z], t)
    assert_close([[(0.5 - 1) / 2], [0.75 / 2]], z.delta_view(), "δz")


def test_agrees_with_sigmoid_then_bce():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(3, 4))
    t = rng.uniform(size=(3, 4))
    p = 1 / (1 + np.exp(-z))
    fused = SigmoidBinaryCrossEntropy().forward([Tensor.from_numpy(z, np.float64)], Tensor.from_numpy(t, np.float64))
    plain = BinaryCrossEntropy().forward([Tensor.from_numpy(p, np.float64)], Tensor.from_numpy(t, np.float64))
    assert fused == pytest.approx(plain, rel=1e-12)


def test_large_logits_are_exact():
    # z = ±1000: σ rounds to 0/1; the loss is exactly |z| for the wrong label, 0 for the right one
    z = Tensor.from_numpy([[1000.0, -1000.0]], np.float64)
    t = Tensor.from_numpy([[0.0, 0.0]], np.float64)
    loss = SigmoidBinaryCrossEntropy()
    assert loss.forward([z], t) == pytest.approx(1000.0, rel=1e-12)
    loss.backward([z], t)
    assert_close([[1.0, 0.0]], z.delta_view(), "δz")


def test_gradient_check_float64():
    rng = np.random.default_rng(3)
    check_loss(SigmoidBinaryCrossEntropy(), rng.normal(size=(4, 3)), rng.uniform(size=(4, 3)))


def test_predict_gives_probabilities():
    out = SigmoidBinaryCrossEntropy().predict(np.array([[0.0, math.log(3), -800.0]]))
    assert_close([[0.5, 0.75, 0.0]], out, "σ(z)")


def test_network_forward_returns_probabilities():
    net = Network(InputLayer(2), [FullyConnected(2, 1, weights=[[0.0], [0.0]], bias=[math.log(3)])],
                  SigmoidBinaryCrossEntropy())
    assert_close([[0.75]], net.forward(np.array([[1.0, 2.0]], dtype=np.float32)), "σ(z)")
