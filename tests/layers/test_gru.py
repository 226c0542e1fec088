"""GRU in PyTorch's formulation (gates r, z, n; c_n inside r ⊙ (…)), by hand. Shared behaviour
(gradient checks, protocol, PyTorch, save/load, training) is tested in test_recurrent.py."""
import math

import numpy as np

from framework import GRU
from framework.compare import assert_close
from framework.layers.gru import GATES

from helpers import run

# A 1-unit GRU on one feature, two steps. Per gate q in r, z, n: U[0, q], W[0, q], b[q], c[q].
U1 = {"r": 0.5, "z": -0.5, "n": 1.0}
W1 = {"r": 0.2, "z": 0.4, "n": -0.6}
B1 = {"r": 0.1, "z": 0.0, "n": -0.1}
C1 = {"r": 0.0, "z": 0.2, "n": 0.3}
X1 = [1.0, -1.0]           # x_1, x_2


def _sig(a):
    return 1.0 / (1.0 + math.exp(-a))


def _one_unit(return_sequences):
    weights = {"U": [[U1[q] for q in GATES]], "W": [[W1[q] for q in GATES]],
               "bias": [B1[q] for q in GATES], "recurrent_bias": [C1[q] for q in GATES]}
    return GRU(1, 1, return_sequences=return_sequences, weights=weights, dtype=np.float64)


def test_gate_order_is_r_z_n_and_the_parameters():
    assert GATES == ("r", "z", "n")
    layer = GRU(3, 4)
    assert layer.param_names() == ["U", "W", "bias", "recurrent_bias"]
    assert [p.shape.dims for p in layer.params] == [(3, 12), (4, 12), (12,), (12,)]


def test_two_steps_by_hand():
    # step 1 (h_0 = 0, so R = c):  r = σ(0.5 + 0.1 + 0) = 0.645656   z = σ(−0.5 + 0 + 0.2) = 0.425557
    #   R_n = 0.3;  n = tanh(1 − 0.1 + r·0.3) = 0.798223;  h_1 = (1 − z)·n + z·0 = 0.458534
    # step 2 (x = −1): r = σ(−0.5 + 0.1 + 0.2·h_1) = 0.423531   z = σ(0.5 + 0.4·h_1 + 0.2) = 0.707529
    #   R_n = −0.6·h_1 + 0.3 = 0.024880;  n = tanh(−1 − 0.1 + r·R_n) = −0.796682
    #   h_2 = (1 − z)·n + z·h_1 = 0.091419
    steps, h = [], 0.0
    for x in X1:
        r = _sig(x * U1["r"] + B1["r"] + h * W1["r"] + C1["r"])
        z = _sig(x * U1["z"] + B1["z"] + h * W1["z"] + C1["z"])
        rn = h * W1["n"] + C1["n"]
        n = math.tanh(x * U1["n"] + B1["n"] + r * rn)
        steps.append((r, z, rn, n, h))
        h = (1 - z) * n + z * h
    (r1, z1, rn1, n1, _), (r2, z2, rn2, n2, h1) = steps
    h2 = h
    assert [round(v, 6) for v in (r1, z1, n1, h1, r2, z2, rn2, n2, h2)] == \
        [0.645656, 0.425557, 0.798223, 0.458534, 0.423531, 0.707529, 0.02488, -0.796682, 0.091419]
    layer = _one_unit(True)
    y, _ = run(layer, [[[X1[0]], [X1[1]]]], dtype=np.float64)      # x: [N=1, T=2, F=1]
    assert_close([[[h1], [h2]]], y, "h_1, h_2", atol=1e-12)

    # Backward with only the last output (return_sequences=False), ∂L/∂h_2 = 1:
    # step 2: δa_n = (1 − z)(1 − n²) = 0.106839   δa_z = (h_1 − n)·z(1 − z) = 0.259744
    #         δa_r = δa_n·R_n·r(1 − r) = 0.000649   δR_n = δa_n·r = 0.045250
    #   δh_1 = δa_r·W_r + δa_z·W_z + δR_n·W_n + 1·z_2 = 0.784407
    # step 1: δa_n = 0.163494   δa_z = −0.153063   δa_r = 0.011221   δR_n = 0.105561
    #   ∂L/∂h_0 = δa_r·W_r + δa_z·W_z + δR_n·W_n + δh_1·z_1 = 0.211493
    deltas, dh = [], 1.0
    for r, z, rn, n, h_prev in reversed(steps):
        da_n = dh * (1 - z) * (1 - n * n)
        da = {"r": da_n * rn * r * (1 - r), "z": dh * (h_prev - n) * z * (1 - z), "n": da_n}
        dr = {"r": da["r"], "z": da["z"], "n": da_n * r}
        deltas.insert(0, (da, dr, h_prev))
        dh = sum(dr[q] * W1[q] for q in GATES) + dh * z
    (da1, dr1, _), (da2, dr2, _) = deltas
    assert [round(v, 6) for v in (da2["n"], da2["z"], da2["r"], dr2["n"])] == \
        [0.106839, 0.259744, 0.000649, 0.04525]
    assert [round(v, 6) for v in (da1["n"], da1["z"], da1["r"], dr1["n"], dh)] == \
        [0.163494, -0.153063, 0.011221, 0.105561, 0.211493]
    last = _one_unit(False)
    last.zero_deltas()
    y, dx = run(last, [[[X1[0]], [X1[1]]]], dy=[[1.0]], dtype=np.float64)
    assert_close([[h2]], y, "h_2 (last step only)", atol=1e-12)
    # input side: ∂U_q = Σ_t x_t·δa_qt, ∂b_q = Σ_t δa_qt, δx_t = Σ_q U_q·δa_qt
    # recurrent side: ∂W_q = Σ_t h_{t-1}·δR_qt = h_1·δR_q2 (h_0 = 0), ∂c_q = Σ_t δR_qt
    assert_close([[X1[0] * da1[q] + X1[1] * da2[q] for q in GATES]], last.U.delta_view(), "∂U",
                 atol=1e-12)
    assert_close([da1[q] + da2[q] for q in GATES], last.bias.deltas, "∂b", atol=1e-12)
    assert_close([[h1 * dr2[q] for q in GATES]], last.W.delta_view(), "∂W", atol=1e-12)
    assert_close([dr1[q] + dr2[q] for q in GATES], last.recurrent_bias.deltas, "∂c", atol=1e-12)
    assert_close([[[sum(U1[q] * da[q] for q in GATES)] for da in (da1, da2)]], dx, "δx",
                 atol=1e-12)
    assert_close([[dh]], last.initial_state_deltas, "∂L/∂h0", atol=1e-12)


def test_recurrent_bias_of_n_sits_inside_the_reset_gate():
    """c_n is multiplied by r_t, b_n is not: moving 0.3 from c_n to b_n changes h_1 (r_1 ≠ 1)."""
    moved = {k: dict(v) for k, v in (("b", B1), ("c", C1))}
    moved["b"]["n"], moved["c"]["n"] = B1["n"] + C1["n"], 0.0
    layer = GRU(1, 1, dtype=np.float64, weights=([[U1[q] for q in GATES]], [[W1[q] for q in GATES]],
                                                  [moved["b"][q] for q in GATES],
                                                  [moved["c"][q] for q in GATES]))
    y_moved, _ = run(layer, [[[X1[0]]]], dtype=np.float64)
    y, _ = run(_one_unit(True), [[[X1[0]]]], dtype=np.float64)
    r1, z1 = _sig(0.6), _sig(-0.3)
    assert_close([[[(1 - z1) * math.tanh(0.9 + r1 * 0.3)]]], y, "h_1 with c_n inside", atol=1e-12)
    assert_close([[[(1 - z1) * math.tanh(0.9 + 0.3)]]], y_moved, "h_1 with b_n", atol=1e-12)
