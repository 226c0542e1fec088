"""Softplus: Y = log(1 + e^X), δX = δY ⊙ σ(X)."""
import math

import numpy as np

from framework import Softplus, check_layer
from framework.compare import assert_close

from helpers import run


def test_forward_and_backward_by_hand():
    # x = 0: log 2, σ = ½; x = ln 3: log 4, σ = ¾; x = −ln 3: log(4/3), σ = ¼
    x = [[0.0, math.log(3)], [-math.log(3), 0.0], [math.log(3), -math.log(3)]]
    dy = [[2.0, 4.0], [4.0, -2.0], [1.0, 1.0]]
    y, dx = run(Softplus(), x, dy, dtype=np.float64)
    assert_close([[math.log(2), math.log(4)], [math.log(4 / 3), math.log(2)],
                  [math.log(4), math.log(4 / 3)]], y, "Y")
    assert_close([[1.0, 3.0], [1.0, -1.0], [0.75, 0.25]], dx, "δX")


def test_large_inputs_do_not_overflow():
    # the naive log(1 + e^x) is inf at x = 1000 in float32; softplus(x) → x, σ → 1
    y, dx = run(Softplus(), [[1000.0, -1000.0]], [[1.0, 1.0]])
    assert_close([[1000.0, 0.0]], y, "Y")
    assert_close([[1.0, 0.0]], dx, "δX")


def test_gradient_check():
    check_layer(Softplus(), (3, 4))
    check_layer(Softplus(), (3, 2, 5))
