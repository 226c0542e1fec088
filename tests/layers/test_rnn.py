"""Elman RNN: h_t = tanh(x_t·U + h_{t-1}·W + b), by hand. Shared behaviour (gradient checks,
protocol, PyTorch, save/load, training) is tested for RNN and GRU in test_recurrent.py."""
import math

import numpy as np
import pytest

from framework import RNN
from framework.compare import assert_close
from framework.layers.rnn import GATES

from helpers import run

# A 1-unit RNN on one feature, two steps.
U1, W1, B1 = 0.5, -0.8, 0.1
X1 = [1.0, -2.0]            # x_1, x_2


def _one_unit(return_sequences, activation="tanh"):
    return RNN(1, 1, return_sequences=return_sequences, activation=activation,
               weights=([[U1]], [[W1]], [B1]), dtype=np.float64)


def test_one_block():
    assert GATES == ("a",)
    assert [p.shape.dims for p in RNN(3, 4).params] == [(3, 4), (4, 4), (4,)]
    assert RNN(3, 4).param_names() == ["U", "W", "bias"]


def test_two_steps_by_hand():
    # step 1 (h_0 = 0): a_1 = 0.5·1 + 0.1 = 0.6;  h_1 = tanh(0.6) = 0.537050
    # step 2: a_2 = 0.5·(−2) + (−0.8)·0.537050 + 0.1 = −1.329640;  h_2 = tanh(a_2) = −0.869161
    h1 = math.tanh(U1 * X1[0] + B1)
    a2 = U1 * X1[1] + W1 * h1 + B1
    h2 = math.tanh(a2)
    assert (round(h1, 6), round(a2, 6), round(h2, 6)) == (0.53705, -1.32964, -0.869161)
    layer = _one_unit(True)
    y, _ = run(layer, [[[X1[0]], [X1[1]]]], dtype=np.float64)      # x: [N=1, T=2, F=1]
    assert_close([[[h1], [h2]]], y, "h_1, h_2", atol=1e-12)
    assert_close([[[h1], [h2]]], layer.states(), "states", atol=1e-12)

    # Backward with only the last output (return_sequences=False), ∂L/∂h_2 = 1:
    #   δa_2 = 1·(1 − h_2²) = 0.244559;  δh_1 = δa_2·W = −0.195647;  δa_1 = δh_1·(1 − h_1²) = −0.139218
    #   ∂U = x_1·δa_1 + x_2·δa_2 = −0.628336   ∂W = h_0·δa_1 + h_1·δa_2 = 0.131340
    #   ∂b = δa_1 + δa_2 = 0.105341            δx_t = U·δa_t = (−0.069609, 0.122279)
    #   ∂L/∂h_0 = W·δa_1 = 0.111374
    da2 = 1 - h2 * h2
    da1 = da2 * W1 * (1 - h1 * h1)
    expected = {"dU": X1[0] * da1 + X1[1] * da2, "dW": h1 * da2, "db": da1 + da2,
                "dx1": U1 * da1, "dx2": U1 * da2, "dh0": W1 * da1}
    assert [round(v, 6) for v in expected.values()] == [-0.628336, 0.13134, 0.105341, -0.069609,
                                                         0.122279, 0.111374]
    last = _one_unit(False)
    last.zero_deltas()
    y, dx = run(last, [[[X1[0]], [X1[1]]]], dy=[[1.0]], dtype=np.float64)
    assert_close([[h2]], y, "h_2 (last step only)", atol=1e-12)
    assert_close([[expected["dU"]]], last.U.delta_view(), "∂U", atol=1e-12)
    assert_close([[expected["dW"]]], last.W.delta_view(), "∂W", atol=1e-12)
    assert_close([expected["db"]], last.bias.deltas, "∂b", atol=1e-12)
    assert_close([[[expected["dx1"]], [expected["dx2"]]]], dx, "δx", atol=1e-12)
    assert_close([[expected["dh0"]]], last.initial_state_deltas, "∂L/∂h0", atol=1e-12)


def test_relu_by_hand():
    # h_1 = max(0.6, 0) = 0.6;  a_2 = −1 − 0.8·0.6 + 0.1 = −1.38, h_2 = 0: the unit is off at step 2,
    # so with ∂L/∂h_2 = 1 nothing flows back: every delta is 0. With ∂L/∂h_1 = 1 instead:
    #   δa_1 = 1, ∂U = x_1 = 1, ∂W = h_0 = 0, ∂b = 1, δx_1 = U = 0.5, δx_2 = 0
    layer = _one_unit(True, "relu")
    layer.zero_deltas()
    y, dx = run(layer, [[[X1[0]], [X1[1]]]], dy=[[[1.0], [0.0]]], dtype=np.float64)
    assert_close([[[0.6], [0.0]]], y, "h_1, h_2", atol=1e-12)
    assert_close([[[0.5], [0.0]]], dx, "δx", atol=1e-12)
    assert_close([[1.0], [0.0], [1.0]], [layer.U.deltas, layer.W.deltas, layer.bias.deltas],
                 "∂U, ∂W, ∂b", atol=1e-12)
    layer.zero_deltas()
    _, dx = run(layer, [[[X1[0]], [X1[1]]]], dy=[[[0.0], [1.0]]], dtype=np.float64)
    assert np.all(dx == 0) and all(np.all(p.deltas == 0) for p in layer.params)


def test_activation_is_checked_and_shown():
    with pytest.raises(ValueError, match="activation must be one of"):
        RNN(2, 3, activation="sigmoid")
    assert repr(RNN(2, 3, activation="relu")) == "RNN(2->3, relu)"
    assert repr(RNN(2, 3, return_sequences=False)) == "RNN(2->3, last step)"
