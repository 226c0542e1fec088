"""ReLU: Y = max(X, 0), δX = δY where X > 0 (0 at the kink)."""
import pytest

from framework import ReLU, check_layer
from framework.compare import assert_close

from helpers import run


def test_forward_and_backward_by_hand():
    x = [[-2.0, 0.0], [3.0, 0.5]]
    dy = [[1.0, 7.0], [2.0, -4.0]]
    y, dx = run(ReLU(), x, dy)
    assert_close([[0.0, 0.0], [3.0, 0.5]], y, "Y")
    # X = 0 is the kink: the derivative is taken as 0 there
    assert_close([[0.0, 0.0], [2.0, -4.0]], dx, "δX")


def test_gradient_check():
    check_layer(ReLU(), (4, 5))


def test_gradient_check_skips_kinks_and_refuses_to_check_nothing():
    report = check_layer(ReLU(), (2, 2), inputs=[[0.0, 1.0], [-1.0, 0.0]])
    assert report.quantities[0].skipped == 2 and report.quantities[0].checked == 2
    with pytest.raises(RuntimeError, match="compared nothing"):
        check_layer(ReLU(), (1, 2), inputs=[[0.0, 0.0]])
