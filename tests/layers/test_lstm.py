"""LSTM: gates i, f, o, g; c_t = f⊙c_{t-1} + i⊙g; h_t = o⊙tanh(c_t); BPTT over the sequence.

Runs on both backends (conftest.py): float32 work goes through the selected
backend (the C kernel for "c"), the float64 gradient checks through NumPy.
Shapes, gradient checks, float32 against float64 and the protocol are tested
for the LSTM with the other recurrent layers in test_recurrent.py.
"""
import math

import numpy as np
import pytest

from framework import FullyConnected, InputLayer, Network, SoftmaxCrossEntropy, check_layer
from framework.compare import assert_close
from framework.layers.lstm import GATES, LSTM

from helpers import run

# ---------------------------------------------------------------- by hand

# A 1-unit LSTM on one feature, two steps. Per gate q in i, f, o, g: U[0, q], W[0, q], b[q].
U1 = {"i": 0.5, "f": -0.25, "o": 1.0, "g": 0.75}
W1 = {"i": 0.4, "f": 0.3, "o": -0.2, "g": 0.6}
B1 = {"i": 0.1, "f": 1.0, "o": -0.1, "g": 0.0}
X1 = [1.0, -0.5]           # x_1, x_2


def _sig(a):
    return 1.0 / (1.0 + math.exp(-a))


def _one_unit_lstm(return_sequences):
    weights = ([[U1[q] for q in GATES]], [[W1[q] for q in GATES]], [B1[q] for q in GATES])
    return LSTM(1, 1, return_sequences=return_sequences, weights=weights, dtype=np.float64)


def test_gate_order_is_i_f_o_g():
    assert GATES == ("i", "f", "o", "g")


def test_two_steps_by_hand():
    # step 1 (h_0 = c_0 = 0): a_q = U_q·1 + W_q·0 + b_q
    #   a = (i 0.6, f 0.75, o 0.9, g 0.75)
    #   i = σ(0.6) = 0.645656, f = σ(0.75) = 0.679179, o = σ(0.9) = 0.710950, g = tanh(0.75) = 0.635149
    #   c_1 = f·0 + i·g = 0.410088;  h_1 = o·tanh(c_1) = 0.276238
    i1, f1, o1, g1 = _sig(0.5 + 0.1), _sig(-0.25 + 1.0), _sig(1.0 - 0.1), math.tanh(0.75)
    c1 = i1 * g1
    h1 = o1 * math.tanh(c1)
    # step 2 (x_2 = −0.5): a_q = −0.5·U_q + h_1·W_q + b_q
    #   a = (i −0.039505, f 1.207871, o −0.655248, g −0.209257)
    #   i = 0.490125, f = 0.769922, o = 0.341808, g = −0.206256
    #   c_2 = f·c_1 + i·g = 0.214645;  h_2 = o·tanh(c_2) = 0.072261
    a2 = {q: -0.5 * U1[q] + h1 * W1[q] + B1[q] for q in GATES}
    i2, f2, o2, g2 = _sig(a2["i"]), _sig(a2["f"]), _sig(a2["o"]), math.tanh(a2["g"])
    c2 = f2 * c1 + i2 * g2
    h2 = o2 * math.tanh(c2)
    assert (round(h1, 6), round(c1, 6), round(h2, 6), round(c2, 6)) == (0.276238, 0.410088, 0.072261, 0.214645)

    lstm = _one_unit_lstm(return_sequences=True)
    y, _ = run(lstm, [[[X1[0]], [X1[1]]]], dtype=np.float64)       # x: [N=1, T=2, F=1]
    assert_close([[[h1], [h2]]], y, "h_1, h_2", atol=1e-12)
    h, c = lstm.states()
    assert_close([[[h1], [h2]]], h, "states h", atol=1e-12)
    assert_close([[[c1], [c2]]], c, "states c_1, c_2", atol=1e-12)

    # Backward with only the last output: return_sequences=False, ∂L/∂h_2 = 1.
    # step 2: δc_2 = δh_2·o_2·(1 − tanh²c_2) = 0.326531
    #   δa_i = δc_2·g_2·i_2(1−i_2) = −0.016831   δa_f = δc_2·c_1·f_2(1−f_2) = 0.023720
    #   δa_o = δh_2·tanh(c_2)·o_2(1−o_2) = 0.047562   δa_g = δc_2·i_2·(1−g_2²) = 0.153233
    dc2 = o2 * (1 - math.tanh(c2) ** 2)
    da2 = {"i": dc2 * g2 * i2 * (1 - i2), "f": dc2 * c1 * f2 * (1 - f2),
           "o": math.tanh(c2) * o2 * (1 - o2), "g": dc2 * i2 * (1 - g2 * g2)}
    assert [round(da2[q], 6) for q in GATES] == [-0.016831, 0.023720, 0.047562, 0.153233]
    # step 1: δh_1 = Σ_q δa_q2·W_q (through the recurrence), δc_1 = δc_2·f_2 + δh_1·o_1·(1 − tanh²c_1) = 0.301390
    #   δa = (i 0.043796, f 0 (c_0 = 0), o 0.006612, g 0.116092)
    dh1 = sum(da2[q] * W1[q] for q in GATES)
    dc1 = dc2 * f2 + dh1 * o1 * (1 - math.tanh(c1) ** 2)
    da1 = {"i": dc1 * g1 * i1 * (1 - i1), "f": 0.0,
           "o": dh1 * math.tanh(c1) * o1 * (1 - o1), "g": dc1 * i1 * (1 - g1 * g1)}
    assert round(dc1, 6) == 0.30139

    last = _one_unit_lstm(return_sequences=False)
    last.zero_deltas()
    y, dx = run(last, [[[X1[0]], [X1[1]]]], dy=[[1.0]], dtype=np.float64)
    assert_close([[h2]], y, "h_2 (last step only)", atol=1e-12)
    # ∂U_q = x_1·δa_q1 + x_2·δa_q2;  ∂W_q = h_0·δa_q1 + h_1·δa_q2 = h_1·δa_q2;  ∂b_q = δa_q1 + δa_q2
    assert_close([[X1[0] * da1[q] + X1[1] * da2[q] for q in GATES]], last.U.delta_view(), "∂U", atol=1e-12)
    assert_close([[h1 * da2[q] for q in GATES]], last.W.delta_view(), "∂W", atol=1e-12)
    assert_close([da1[q] + da2[q] for q in GATES], last.bias.deltas, "∂b", atol=1e-12)
    # δx_t = Σ_q U_q·δa_qt:  δx_1 = 0.115579, δx_2 = 0.148141
    dx_expected = [sum(U1[q] * da[q] for q in GATES) for da in (da1, da2)]
    assert [round(v, 6) for v in dx_expected] == [0.115579, 0.148141]
    assert_close([[[dx_expected[0]], [dx_expected[1]]]], dx, "δx", atol=1e-12)


# ---------------------------------------------------------------- init and shapes

def test_init_forget_bias_one_xavier_and_orthogonal():
    f, h = 7, 5
    lstm = LSTM(f, h, seed=0)
    b = lstm.bias.to_numpy()
    assert_close(np.r_[np.zeros(h), np.ones(h), np.zeros(2 * h)], b, "bias (i, f, o, g)")
    u, w = lstm.U.to_numpy().astype(np.float64), lstm.W.to_numpy().astype(np.float64)
    assert u.shape == (f, 4 * h) and w.shape == (h, 4 * h)
    limit = math.sqrt(6 / (f + 4 * h))                     # Xavier uniform bound
    assert np.abs(u).max() <= limit and np.abs(u).max() > 0.5 * limit
    for q in range(4):                                      # each gate's W block is orthogonal
        block = w[:, q * h:(q + 1) * h]
        assert_close(np.eye(h), block @ block.T, f"W_{GATES[q]}·W_{GATES[q]}ᵀ", atol=1e-6)
    assert not np.allclose(w[:, :h], w[:, h:2 * h])
    assert LSTM(3, 2, forget_bias=0.0, seed=0).bias.to_numpy()[2:4].tolist() == [0.0, 0.0]
    again = LSTM(f, h, seed=0)
    assert np.array_equal(again.U.elements, lstm.U.elements)


# ---------------------------------------------------------------- gradient checks

def test_gradient_check_with_initial_state_and_its_deltas():
    rng = np.random.default_rng(5)
    n, t, f, h = 2, 3, 2, 3
    h0, c0 = rng.standard_normal((n, h)), rng.standard_normal((n, h))
    lstm = LSTM(f, h, seed=1, dtype=np.float64)
    lstm.set_initial_state(h0, c0)
    check_layer(lstm, (n, t, f))
    # ∂L/∂h0 and ∂L/∂c0 against central differences of L = Σ y·r
    x = rng.standard_normal((n, t, f))
    r = rng.standard_normal((n, t, h))

    def loss(h0_, c0_):
        lstm.set_initial_state(h0_, c0_)
        y, _ = run(lstm, x, dtype=np.float64)
        return float(np.sum(y * r))

    lstm.set_initial_state(h0, c0)
    run(lstm, x, dy=r, dtype=np.float64)
    dh0, dc0 = lstm.initial_state_deltas
    eps = 1e-6
    for which, base, analytic in (("h0", h0, dh0), ("c0", c0, dc0)):
        numeric = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            plus, minus = base.copy(), base.copy()
            plus[idx] += eps
            minus[idx] -= eps
            args_p = (plus, c0) if which == "h0" else (h0, plus)
            args_m = (minus, c0) if which == "h0" else (h0, minus)
            numeric[idx] = (loss(*args_p) - loss(*args_m)) / (2 * eps)
        assert_close(numeric, analytic, f"∂L/∂{which}", atol=1e-7)
    assert np.abs(dc0).max() > 1e-3 and np.abs(dh0).max() > 1e-3


def test_initial_state_changes_the_output_and_batch_must_match():
    lstm = LSTM(2, 3, seed=0, dtype=np.float64)
    x = np.ones((2, 3, 2))
    y0, _ = run(lstm, x, dtype=np.float64)
    lstm.set_initial_state(np.full((2, 3), 0.5), None)
    y1, _ = run(lstm, x, dtype=np.float64)
    assert np.abs(y1 - y0).max() > 1e-3
    lstm.set_initial_state(None, None)
    assert_close(y0, run(lstm, x, dtype=np.float64)[0], "back to the zero state", atol=0)
    lstm.set_initial_state(np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="batch size 4"):
        run(lstm, x, dtype=np.float64)
    with pytest.raises(ValueError, match="h0 must be"):
        lstm.set_initial_state(np.zeros((2, 4)))


# ---------------------------------------------------------------- in a network

def _network_gradcheck(seq: bool, seed: int) -> None:
    """FC after the LSTM, softmax cross-entropy: every parameter and the input against finite differences."""
    n, t, f, h, classes = 3, 4, 2, 3, 4
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, t, f))
    labels = rng.integers(0, classes, size=(n, t) if seq else n)
    net = Network(InputLayer((t, f), num_classes=classes, dtype=np.float64),
                  [LSTM(f, h, return_sequences=seq, seed=seed, dtype=np.float64),
                   FullyConnected(h, classes, seed=seed + 1, dtype=np.float64)],
                  SoftmaxCrossEntropy())
    net.zero_deltas()
    net.backprop(x, labels)
    analytic = [p.deltas.copy() for p in net.params]
    analytic_x = net.tensors(n)[0].delta_view().copy()
    eps = 1e-6

    def loss() -> float:
        return net.backprop(x, labels).loss

    for p, a in zip(net.params, analytic):
        numeric = np.zeros(p.size)
        for k in range(p.size):
            old = p.elements[k]
            p.elements[k] = old + eps
            plus = loss()
            p.elements[k] = old - eps
            minus = loss()
            p.elements[k] = old
            numeric[k] = (plus - minus) / (2 * eps)
        assert_close(numeric, a, f"∂L/∂{p.shape}", atol=1e-7, rtol=1e-5)
        assert np.abs(a).max() > 1e-4
    numeric_x = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        numeric_x[idx] = (net.backprop(xp, labels).loss - net.backprop(xm, labels).loss) / (2 * eps)
    assert_close(numeric_x, analytic_x, "∂L/∂x", atol=1e-7, rtol=1e-5)


def test_network_lstm_last_step_then_fc_softmax_cross_entropy():
    _network_gradcheck(seq=False, seed=11)


def test_network_lstm_sequence_then_time_distributed_fc():
    _network_gradcheck(seq=True, seed=12)
