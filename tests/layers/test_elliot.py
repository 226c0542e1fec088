"""Elliot(s): Y = ½·s·X/(1 + |s·X|) + ½, δX = δY ⊙ ½·s/(1 + |s·X|)²."""
import pytest

from framework import Elliot, check_layer
from framework.compare import assert_close

from helpers import run


def test_forward_and_backward_by_hand():
    # s = 1: x = 1 -> ¼ + ½ = 0.75, slope ½/4 = ⅛; x = −3 -> −3/8 + ½ = ⅛, slope ½/16
    x = [[0.0, 1.0], [-3.0, -1.0], [3.0, 0.0]]
    dy = [[2.0, 8.0], [32.0, 8.0], [16.0, 1.0]]
    y, dx = run(Elliot(), x, dy)
    assert_close([[0.5, 0.75], [0.125, 0.25], [0.875, 0.5]], y, "Y")
    assert_close([[1.0, 1.0], [1.0, 1.0], [0.5, 0.5]], dx, "δX")


def test_steepness():
    # s = 2, x = 1.5: u = 3 -> ½·¾ + ½ = 0.875; slope ½·2/16 = 1/16
    y, dx = run(Elliot(2), [[1.5, -1.5], [0.0, 0.5]], [[16.0, 16.0], [1.0, 4.0]])
    assert_close([[0.875, 0.125], [0.5, 0.75]], y, "Y")
    assert_close([[1.0, 1.0], [1.0, 1.0]], dx, "δX")


def test_gradient_check():
    check_layer(Elliot(), (3, 4))
    check_layer(Elliot(3.0), (3, 2, 5))


def test_bad_steepness_is_refused():
    with pytest.raises(ValueError, match="Elliot: steepness must be a positive"):
        Elliot(0)
