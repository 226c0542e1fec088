"""Tanh: Y = tanh(X), δX = δY ⊙ (1 − Y²)."""
import math

from framework import Tanh, check_layer
from framework.compare import assert_close

from helpers import run


def test_forward_and_backward_by_hand():
    # tanh(ln 2) = (2 − 1/2)/(2 + 1/2) = 0.6, so 1 − y² = 0.64
    x = [[0.0, math.log(2)], [-math.log(2), 0.0]]
    dy = [[3.0, 1.0], [2.0, -1.0]]
    y, dx = run(Tanh(), x, dy)
    assert_close([[0.0, 0.6], [-0.6, 0.0]], y, "Y")
    assert_close([[3.0, 0.64], [1.28, -1.0]], dx, "δX")


def test_gradient_check():
    check_layer(Tanh(), (3, 4))
    check_layer(Tanh(), (1, 2, 5))
