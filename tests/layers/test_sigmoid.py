"""Sigmoid: Y = 1/(1 + e^−X), δX = δY ⊙ Y(1 − Y)."""
import math

import numpy as np

from framework import Sigmoid, check_layer
from framework.compare import assert_close

from helpers import run


def test_forward_and_backward_by_hand():
    # σ(0) = 0.5, σ(ln 3) = 1/(1 + 1/3) = 0.75, σ(−ln 3) = 0.25
    x = [[0.0, math.log(3)], [-math.log(3), 0.0]]
    dy = [[2.0, 4.0], [1.0, -1.0]]
    y, dx = run(Sigmoid(), x, dy)
    assert_close([[0.5, 0.75], [0.25, 0.5]], y, "Y")
    # δX = δY·y(1 − y): 2·0.25 = 0.5, 4·0.1875 = 0.75, 1·0.1875, −1·0.25
    assert_close([[0.5, 0.75], [0.1875, -0.25]], dx, "δX")


def test_no_overflow_for_large_inputs():
    y, _ = run(Sigmoid(), [[-1000.0, 1000.0]])
    assert np.all(np.isfinite(y))
    assert_close([[0.0, 1.0]], y, "Y")


def test_gradient_check():
    check_layer(Sigmoid(), (3, 4))
    check_layer(Sigmoid(), (2, 3, 2))
