"""Softsign: Y = X/(1 + |X|), δX = δY/(1 + |X|)²."""
from framework import Softsign, check_layer
from framework.compare import assert_close

from helpers import run


def test_forward_and_backward_by_hand():
    x = [[0.0, 1.0], [-3.0, 4.0], [-1.0, 0.25]]
    dy = [[2.0, 4.0], [16.0, 25.0], [1.0, 25.0]]
    y, dx = run(Softsign(), x, dy)
    assert_close([[0.0, 0.5], [-0.75, 0.8], [-0.5, 0.2]], y, "Y")
    # 1/(1+|x|)²: 1, ¼, 1/16, 1/25, ¼, 16/25
    assert_close([[2.0, 1.0], [1.0, 1.0], [0.25, 16.0]], dx, "δX")


def test_gradient_check():
    check_layer(Softsign(), (3, 4))
    check_layer(Softsign(), (3, 2, 5))
