"""LeakyReLU(α): Y = X where X > 0 else α·X; δX = δY or α·δY (α at the kink 0)."""
import pytest

from framework import LeakyReLU, check_layer
from framework.compare import assert_close

from helpers import run


def test_forward_and_backward_by_hand():
    x = [[-2.0, 0.0], [3.0, 0.5], [-0.5, -10.0]]
    dy = [[1.0, 7.0], [2.0, -4.0], [4.0, 1.0]]
    y, dx = run(LeakyReLU(0.1), x, dy)
    assert_close([[-0.2, 0.0], [3.0, 0.5], [-0.05, -1.0]], y, "Y")
    # x = 0 takes the slope α: 7·0.1 = 0.7
    assert_close([[0.1, 0.7], [2.0, -4.0], [0.4, 0.1]], dx, "δX")


def test_default_slope_is_0_01():
    y, _ = run(LeakyReLU(), [[-3.0, 3.0]])
    assert_close([[-0.03, 3.0]], y, "Y")


def test_gradient_check():
    check_layer(LeakyReLU(0.3), (3, 4))
    check_layer(LeakyReLU(), (3, 2, 5))


def test_bad_alpha_is_refused():
    with pytest.raises(ValueError, match="LeakyReLU: alpha must be a finite number"):
        LeakyReLU(float("nan"))
    with pytest.raises(TypeError, match="LeakyReLU: alpha must be a real number"):
        LeakyReLU("0.1")
