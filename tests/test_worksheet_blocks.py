"""Conv, pooling and LSTM worksheets against independent hand computations in plain NumPy."""
import numpy as np
import pytest

from framework.worksheet import examples as ex
from framework.worksheet.blocks import conv_worksheet, pool_worksheet
from framework.worksheet.lstm import lstm_worksheet


def conv_by_hand(x, k, bias, stride, pad, dy):
    xp = np.pad(np.array(x, float), pad)
    k = np.array(k, float)
    kh, kw = k.shape
    ho, wo = (xp.shape[0] - kh) // stride + 1, (xp.shape[1] - kw) // stride + 1
    y = np.array([[np.sum(xp[i * stride:i * stride + kh, j * stride:j * stride + kw] * k) + bias
                   for j in range(wo)] for i in range(ho)])
    dxp, dk = np.zeros_like(xp), np.zeros_like(k)
    for i in range(ho):
        for j in range(wo):
            dxp[i * stride:i * stride + kh, j * stride:j * stride + kw] += dy[i][j] * k
            dk += dy[i][j] * xp[i * stride:i * stride + kh, j * stride:j * stride + kw]
    dx = dxp[pad:xp.shape[0] - pad, pad:xp.shape[1] - pad]
    return y, dx, dk, float(np.sum(dy))


@pytest.mark.parametrize("stride,pad", [(1, 0), (2, 0), (1, 1), (2, 1)])
def test_conv_every_number(stride, pad):
    size = (4 + 2 * pad - 2) // stride + 1
    dy = np.arange(size * size, dtype=float).reshape(size, size) % 3 - 1
    ws = conv_worksheet(ex.IMAGE, ex.KERNEL, ex.CONV_BIAS, stride, pad, dy, learning_rate=0.25)
    y, dx, dk, db = conv_by_hand(ex.IMAGE, ex.KERNEL, ex.CONV_BIAS, stride, pad, dy)
    np.testing.assert_allclose(ws.value("Y"), y, atol=1e-12)
    np.testing.assert_allclose(ws.value("delta_X"), dx, atol=1e-12)
    np.testing.assert_allclose(ws.value("dL_dK"), dk, atol=1e-12)
    assert ws.value("dL_dbias") == pytest.approx(db)
    np.testing.assert_allclose(ws.value("K_new"), np.array(ex.KERNEL) - 0.25 * dk, atol=1e-12)
    assert ws.value("bias_new") == pytest.approx(ex.CONV_BIAS - 0.25 * db)
    assert ("X_pad" in ws) == bool(pad)


def test_conv_values_written_out():
    """Stride 1, no padding, δY = 1: Y[0, 0] = 1·1 + 2·0 + 0·(−1) + 1·2 + 0.5 = 3.5."""
    ws = conv_worksheet(ex.IMAGE, ex.KERNEL, ex.CONV_BIAS)
    assert ws.value("Y")[0, 0] == 3.5
    assert ws.value("dL_dbias") == 9          # nine outputs with δY = 1
    assert ws.value("delta_X")[0, 0] == 1     # only K[0, 0] ever reads pixel (0, 0)
    assert ws.value("delta_X")[1, 1] == 2     # all four taps: 1 + 0 − 1 + 2


def test_conv_delta_of_the_wrong_shape_is_named():
    with pytest.raises(ValueError, match=r"output's shape \[2, 2\]"):
        conv_worksheet(ex.IMAGE, ex.KERNEL, stride=2, delta_y=np.ones((3, 3)))


def test_pooling_every_number():
    x, dy = np.array(ex.POOL_IMAGE, float), np.array(ex.POOL_DELTA)
    ws = pool_worksheet(x, dy)
    ymax, yavg = np.zeros((2, 2)), np.zeros((2, 2))
    dmax, davg = np.zeros((4, 4)), np.zeros((4, 4))
    for i in range(2):
        for j in range(2):
            win = x[2 * i:2 * i + 2, 2 * j:2 * j + 2]
            ymax[i, j], yavg[i, j] = win.max(), win.mean()
            r, c = np.unravel_index(np.argmax(win), (2, 2))
            dmax[2 * i + r, 2 * j + c] = dy[i, j]
            davg[2 * i:2 * i + 2, 2 * j:2 * j + 2] = dy[i, j] / 4
    for key, value in [("Y_max", ymax), ("Y_avg", yavg), ("delta_X_max", dmax), ("delta_X_avg", davg)]:
        np.testing.assert_allclose(ws.value(key), value, atol=1e-12, err_msg=key)
    assert ws.value("Y_max").tolist() == [[4, 5], [6, 4]]


def test_overlapping_pooling_sums_the_deltas():
    ws = pool_worksheet(np.arange(16.0).reshape(4, 4), np.ones((3, 3)), pool_size=2, stride=1)
    assert ws.value("delta_X_max")[3, 3] == 1 and ws.value("delta_X_max")[1, 1] == 1
    assert ws.value("delta_X_avg")[1, 1] == pytest.approx(4 / 4)


def lstm_by_hand(x, u, w, b, dy):
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    x, u, w, b, dy = (np.array(v, float) for v in (x, u, w, b, dy))
    T, H = len(x), w.shape[0]
    h, c = [np.zeros(H)], [np.zeros(H)]
    a, gates = [], []
    for t in range(T):
        at = x[t] @ u + h[-1] @ w + b
        i, f, o, g = sig(at[:H]), sig(at[H:2 * H]), sig(at[2 * H:3 * H]), np.tanh(at[3 * H:])
        c.append(f * c[-1] + i * g)
        h.append(o * np.tanh(c[-1]))
        a.append(at)
        gates.append((i, f, o, g))
    out = {"h": h, "c": c, "a": a, "gates": gates, "dh": [None] * T, "dc": [None] * T, "da": [None] * T}
    dh_next, dc_next = np.zeros(H), np.zeros(H)
    for t in reversed(range(T)):
        i, f, o, g = gates[t]
        dh = dy[t] + dh_next
        dc = dh * o * (1 - np.tanh(c[t + 1]) ** 2) + dc_next
        da = np.concatenate([dc * g * i * (1 - i), dc * c[t] * f * (1 - f),
                             dh * np.tanh(c[t + 1]) * o * (1 - o), dc * i * (1 - g ** 2)])
        out["dh"][t], out["dc"][t], out["da"][t] = dh, dc, da
        dh_next, dc_next = da @ w.T, dc * f
    da = np.array(out["da"])
    out["dx"] = da @ u.T
    out["dU"] = x.T @ da
    out["dW"] = np.array(h[:-1]).T @ da
    out["db"] = da.sum(axis=0)
    return out


@pytest.mark.parametrize("case", ["default", "two_units"])
def test_lstm_every_number(case):
    if case == "default":
        args = (ex.LSTM_X, ex.LSTM_U, ex.LSTM_W, ex.LSTM_BIAS, ex.LSTM_DELTA_H)
    else:
        rng = np.random.default_rng(3)
        args = (rng.normal(size=(3, 2)), rng.normal(size=(2, 8)), rng.normal(size=(2, 8)),
                rng.normal(size=8), rng.normal(size=(3, 2)))
    ws = lstm_worksheet(*args, learning_rate=0.5)
    hand = lstm_by_hand(*args)
    H = np.array(args[2]).shape[0]
    shape = (lambda v: np.asarray(v).reshape(-1)) if H == 1 else np.asarray
    flat = lambda key: np.asarray(ws.value(key)).reshape(-1)  # noqa: E731
    for t in range(1, len(hand["a"]) + 1):
        np.testing.assert_allclose(flat(f"a{t}"), hand["a"][t - 1], atol=1e-12)
        for q, name in enumerate("ifog"):
            np.testing.assert_allclose(flat(f"{name}{t}"), hand["gates"][t - 1][q], atol=1e-12)
            np.testing.assert_allclose(flat(f"delta_a{name}{t}"),
                                       hand["da"][t - 1][q * H:(q + 1) * H], atol=1e-12)
        for key, ref in [("c", hand["c"][t]), ("h", hand["h"][t]), ("delta_h", hand["dh"][t - 1]),
                         ("delta_c", hand["dc"][t - 1]), ("delta_x", hand["dx"][t - 1])]:
            np.testing.assert_allclose(flat(f"{key}{t}"), shape(ref).reshape(-1), atol=1e-12,
                                       err_msg=f"{key}{t}")
    np.testing.assert_allclose(ws.value("dL_dU"), hand["dU"], atol=1e-12)
    np.testing.assert_allclose(ws.value("dL_dW"), hand["dW"], atol=1e-12)
    np.testing.assert_allclose(ws.value("dL_dbias"), hand["db"], atol=1e-12)
    np.testing.assert_allclose(ws.value("W_new"), np.array(args[2]) - 0.5 * hand["dW"], atol=1e-12)


def test_lstm_default_numbers_written_out():
    """Step 1 from h₀ = c₀ = 0: a₁ = x₁·U + bias = [0.5, 1.5, −0.5, 0.5]; c₁ = σ(0.5)·tanh(0.5)."""
    ws = lstm_worksheet(ex.LSTM_X, ex.LSTM_U, ex.LSTM_W, ex.LSTM_BIAS, ex.LSTM_DELTA_H)
    assert ws.value("a1").tolist() == [0.5, 1.5, -0.5, 0.5]
    assert ws.value("c1") == pytest.approx(1 / (1 + np.exp(-0.5)) * np.tanh(0.5), abs=1e-12)
    assert ws.value("delta_af1") == 0           # c₀ = 0: the forget gate of step 1 gets nothing
    assert ws.value("delta_h2") == 1.0          # the last step: only δy₂
    assert ws["delta_c1"].depends == ("delta_h1", "o1", "c1", "delta_c2", "f2")
