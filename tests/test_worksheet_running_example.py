"""The running example's worksheet against an independent hand computation in plain NumPy."""
import numpy as np
import pytest

from framework import FullyConnected, MSE, Sigmoid, Softmax, SoftmaxCrossEntropy, ReLU
from framework.worksheet import network_worksheet, running_example
from framework.worksheet.examples import A, BIAS1, BIAS2, T, W1, W2


def hand(eta=0.5):
    """The lecture's formulas, written out with NumPy (no framework code)."""
    a, t = np.array(A), np.array(T)
    w1, b1, w2, b2 = np.array(W1), np.array(BIAS1), np.array(W2), np.array(BIAS2)
    b = a @ w1 + b1
    c = 1 / (1 + np.exp(-b))
    d = c @ w2 + b2
    e = np.exp(d) / np.exp(d).sum()
    L = -np.sum(t * np.log(e))
    de = -t / e
    J = np.diag(e) - np.outer(e, e)
    dd = de @ J
    dc = dd @ w2.T
    sig = c * (1 - c)
    db = dc * sig
    da = db @ w1.T
    return dict(a=a, b=b, c=c, d=d, e=e, L=L, delta_e=de, J_d=J, delta_d=dd, delta_c=dc,
                dact_b=sig, delta_b=db, delta_a=da,
                dL_dW1=np.outer(a, db), dL_dbias1=db, dL_dW2=np.outer(c, dd), dL_dbias2=dd,
                W1_new=w1 - eta * np.outer(a, db), bias1_new=b1 - eta * db,
                W2_new=w2 - eta * np.outer(c, dd), bias2_new=b2 - eta * dd)


def test_every_number_matches_the_hand_computation():
    ws = running_example()
    expected = hand()
    assert set(expected) <= set(ws.keys())
    for key, value in expected.items():
        np.testing.assert_allclose(ws.value(key), value, rtol=0, atol=1e-12, err_msg=key)
    assert [q.key for q in ws.computed()] == [
        "b", "c", "d", "e", "L", "delta_e", "J_d", "delta_d", "delta_c", "dact_b", "delta_b",
        "delta_a", "dL_dW1", "dL_dbias1", "dL_dW2", "dL_dbias2",
        "W1_new", "bias1_new", "W2_new", "bias2_new"]


def test_agrees_with_the_literal_numbers_of_the_lecture_test():
    """The 9-digit numbers of tests/layers/test_running_example.py."""
    ws = running_example()
    assert ws.value("L") == pytest.approx(0.748261074, abs=1e-9)
    np.testing.assert_allclose(ws.value("c"), [0.413382421, 0.377540669, 0.657010463], atol=1e-9)
    np.testing.assert_allclose(ws.value("delta_b"), [-0.127750373, 0.074281570, 0.071229437],
                               atol=1e-9)
    np.testing.assert_allclose(ws.value("delta_a"), [-0.006262520, -0.056697026], atol=1e-9)
    assert ws.value("W2_new")[0, 0] == pytest.approx(0.7 - 0.5 * 0.413382421 * -0.526811322, abs=1e-9)


def test_learning_rate_and_given_values():
    ws = running_example(learning_rate=0.1)
    np.testing.assert_allclose(ws.value("bias2_new"), hand(0.1)["bias2_new"], atol=1e-12)
    assert ws["W1"].given and ws["t"].given and not ws["b"].given
    assert ws["delta_c"].depends == ("delta_d", "W2")
    assert ws["delta_c"].formula == "δd·W²ᵀ"
    assert ws["dL_dW2"].depends == ("c", "delta_d")


def test_markdown_shows_the_lecture_notation_and_numbers():
    md = running_example().to_markdown()
    for line in ["| b = a·W¹ + bias¹ | `[-0.35, -0.5, 0.65]` |",
                 "| L = −Σ_i t_i·log e_i | `0.7483` |",
                 "| δc = δd·W²ᵀ | `[-0.5268, 0.3161, 0.3161]` |",
                 "| ∂L/∂bias² = δd | `[-0.5268, 0.5268]` |"]:
        assert line in md
    assert "`[-0.35, -0.5, 0.65]`" not in running_example().to_markdown(blanks=True)
    assert "| a | `[0.5, -1]` |" in running_example().to_markdown(blanks=True)


def test_latex_is_a_balanced_document():
    tex = running_example().to_latex(digits=3)
    assert tex.startswith(r"\documentclass{article}") and r"\end{document}" in tex
    assert tex.count(r"\begin{align*}") == tex.count(r"\end{align*}") == 5
    assert tex.count("{") == tex.count("}")
    assert (r"\delta \vec{c} &= \delta \vec{d} \cdot (W^{2})^T = "
            r"\begin{bmatrix} -0.527 & 0.316 & 0.316 \end{bmatrix}") in tex
    assert not any(ord(ch) > 127 for ch in tex), "pdflatex needs ASCII"


def test_caller_layers_are_not_changed():
    fc = FullyConnected(2, 3, weights=W1, bias=BIAS1)
    network_worksheet([fc, Sigmoid(), FullyConnected(3, 2, weights=W2, bias=BIAS2), Softmax()],
                      A, [0])
    assert fc.weights.dtype == np.float32 and not fc.weights.has_deltas


def test_soft_labels_mse_and_fused_loss():
    soft = [0.8, 0.2]
    f64 = np.float64
    layers = [FullyConnected(2, 3, weights=W1, bias=BIAS1, dtype=f64), Sigmoid(),
              FullyConnected(3, 2, weights=W2, bias=BIAS2, dtype=f64), Softmax()]
    ws = network_worksheet(layers, A, [soft])
    e = hand()["e"]
    assert ws.value("L") == pytest.approx(-(0.8 * np.log(e[0]) + 0.2 * np.log(e[1])), abs=1e-12)
    # δd = e·Σt − t for cross-entropy after softmax
    np.testing.assert_allclose(ws.value("delta_d"), e - np.array(soft), atol=1e-12)

    fused = network_worksheet(layers[:3], A, [soft], SoftmaxCrossEntropy())
    np.testing.assert_allclose(fused.value("delta_d"), e - np.array(soft), atol=1e-12)
    assert "softmax(d)" in fused["L"].formula

    mse = network_worksheet([FullyConnected(2, 1, weights=[[1.0], [2.0]], bias=[0.5]), ReLU()],
                            [1.0, 1.0], [[2.0]], MSE())
    assert mse.value("b") == pytest.approx(3.5) and mse.value("L") == pytest.approx(0.5 * 1.5 ** 2)
    assert mse.value("delta_b") == pytest.approx(1.5) and mse.value("dact_b") == pytest.approx(1.0)
    np.testing.assert_allclose(mse.value("delta_a"), [1.5, 3.0])
    np.testing.assert_allclose(mse.value("dL_dW1"), [[1.5], [1.5]])


def test_batch_of_two_averages_the_loss():
    layers = [FullyConnected(2, 2, weights=[[1.0, 0.0], [0.0, 1.0]]), Softmax()]
    ws = network_worksheet(layers, [[1.0, 0.0], [0.0, 0.0]], [0, 1])
    p = np.exp([1.0, 0.0]) / np.exp([1.0, 0.0]).sum()
    assert ws.value("L") == pytest.approx(-(np.log(p[0]) + np.log(0.5)) / 2, abs=1e-12)
    assert ws.value("b").shape == (2, 2)
    assert "(1/2)" in ws["L"].formula and "Σ_rows" in ws["dL_dbias1"].formula


def test_a_network_that_does_not_fit_names_the_layer():
    with pytest.raises(ValueError, match="layer 2"):
        network_worksheet([FullyConnected(2, 3), FullyConnected(2, 2), Softmax()], A, [0])
