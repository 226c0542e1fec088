"""HellingerDistance: L = (1/R) Σ_r ‖√x_r − √t_r‖/√2, δx = (√x − √t)/(4·R·H_r·√x)."""
import math

import numpy as np
import pytest

from framework import HellingerDistance, Tensor, check_loss
from framework.compare import assert_close


def test_hand_computed_batch():
    # row 0: x = [0.25, 0.75], t = [1, 0]: √x − √t = [−0.5, √0.75]; S = 0.25 + 0.75 = 1, H = 1/√2
    # row 1: x = t: H = 0 and δ = 0
    x = Tensor.from_numpy([[0.25, 0.75], [0.5, 0.5]], np.float64)
    t = Tensor.from_numpy([[1.0, 0.0], [0.5, 0.5]], np.float64)
    loss = HellingerDistance()
    assert loss.forward([x], t) == pytest.approx((1 / math.sqrt(2)) / 2, rel=1e-12)
    loss.backward([x], t)
    h = 1 / math.sqrt(2)
    # δ = d/(4·R·H·√x): −0.5/(8·h·0.5), √0.75/(8·h·√0.75) = 1/(8h)
    assert_close([[-0.5 / (8 * h * 0.5), 1 / (8 * h)], [0.0, 0.0]], x.delta_view(), "δx")


def test_disjoint_distributions_have_distance_one():
    x, t = Tensor.from_numpy([[1.0, 0.0]]), Tensor.from_numpy([[0.0, 1.0]])
    assert HellingerDistance().forward([x], t) == pytest.approx(1.0, rel=1e-6)


def test_gradient_check_float64():
    rng = np.random.default_rng(4)
    check_loss(HellingerDistance(), rng.dirichlet(np.ones(4), size=3), rng.dirichlet(np.ones(4), size=3))


def test_negative_inputs_are_refused():
    with pytest.raises(ValueError, match=r"probabilities \(>= 0\), got a minimum of -0.1"):
        HellingerDistance().forward([Tensor.from_numpy([[-0.1, 1.1]])], Tensor.from_numpy([[1.0, 0.0]]))
