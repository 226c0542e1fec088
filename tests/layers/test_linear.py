"""Linear (identity): Y = X, δX = δY."""
from framework import Linear, check_layer
from framework.compare import assert_close

from helpers import run


def test_forward_and_backward_by_hand():
    x = [[-2.0, 0.0], [3.0, 0.5], [1.5, -7.0]]
    dy = [[1.0, 7.0], [2.0, -4.0], [0.25, 3.0]]
    y, dx = run(Linear(), x, dy)
    assert_close(x, y, "Y")
    assert_close(dy, dx, "δX")


def test_gradient_check():
    check_layer(Linear(), (3, 4))
    check_layer(Linear(), (3, 2, 5))
