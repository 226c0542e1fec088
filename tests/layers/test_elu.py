"""ELU(α): Y = X where X > 0 else α·(e^X − 1); δX = δY or α·e^X·δY."""
import math

import numpy as np
import pytest

from framework import ELU, check_layer
from framework.compare import assert_close

from helpers import run


def test_forward_and_backward_by_hand():
    # α = 2 at x = −ln 2: 2·(½ − 1) = −1, slope 2·½ = 1; at x = −ln 4: 2·(¼ − 1) = −1.5, slope ½
    x = [[-math.log(2), 1.5], [-math.log(4), 0.0], [3.0, -math.log(2)]]
    dy = [[3.0, 2.0], [4.0, 5.0], [1.0, -1.0]]
    y, dx = run(ELU(2.0), x, dy, dtype=np.float64)
    assert_close([[-1.0, 1.5], [-1.5, 0.0], [3.0, -1.0]], y, "Y")
    # x = 0: α·e⁰ = 2
    assert_close([[3.0, 2.0], [2.0, 10.0], [1.0, -1.0]], dx, "δX")


def test_large_inputs_do_not_overflow():
    y, dx = run(ELU(), [[1000.0, -1000.0]], [[1.0, 1.0]])
    assert_close([[1000.0, -1.0]], y, "Y")
    assert_close([[1.0, 0.0]], dx, "δX")


def test_gradient_check():
    check_layer(ELU(), (3, 4))
    check_layer(ELU(0.5), (3, 2, 5))


def test_bad_alpha_is_refused():
    with pytest.raises(ValueError, match="ELU: alpha"):
        ELU(float("inf"))
