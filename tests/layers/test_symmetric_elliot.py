"""SymmetricElliot(s): Y = s·X/(1 + |s·X|), δX = δY ⊙ s/(1 + |s·X|)²."""
import numpy as np
import pytest

from framework import Softsign, SymmetricElliot, check_layer
from framework.compare import assert_close

from helpers import run


def test_forward_and_backward_by_hand():
    # s = 2: x = 0.5 -> 1/2, slope 2/4 = ½; x = −1.5 -> −3/4, slope 2/16 = ⅛
    x = [[0.0, 0.5], [-1.5, -0.5], [2.0, 0.0]]
    dy = [[1.0, 2.0], [8.0, 4.0], [25.0, -1.0]]
    y, dx = run(SymmetricElliot(2), x, dy)
    assert_close([[0.0, 0.5], [-0.75, -0.5], [0.8, 0.0]], y, "Y")
    # x = 2: u = 4, slope 2/25
    assert_close([[2.0, 1.0], [1.0, 2.0], [2.0, -2.0]], dx, "δX")


def test_steepness_one_is_softsign():
    x = np.random.default_rng(0).standard_normal((3, 4))
    dy = np.random.default_rng(1).standard_normal((3, 4))
    y1, dx1 = run(SymmetricElliot(), x, dy)
    y2, dx2 = run(Softsign(), x, dy)
    assert_close(y2, y1, "Y")
    assert_close(dx2, dx1, "δX")


def test_gradient_check():
    check_layer(SymmetricElliot(), (3, 4))
    check_layer(SymmetricElliot(0.5), (3, 2, 5))


def test_bad_steepness_is_refused():
    with pytest.raises(ValueError, match="SymmetricElliot: steepness must be a positive"):
        SymmetricElliot(-1)
