"""Worksheets from JSON know NumpyDL's activations and the binary / Hellinger losses.

Every derivative row is checked against the activation's derivative written
out here by hand, and every loss row against its formula, on b = a·W + bias.
"""
import math

import numpy as np
import pytest

from framework.worksheet.config import worksheet_from_config

A = [0.5, -1.0]
W1 = [[0.5, -1.0, 0.2], [1.0, 0.3, -0.4]]
BIAS1 = [0.1, 0.0, -0.2]
B = np.array(A) @ np.array(W1) + np.array(BIAS1)    # [-0.65, -0.8, 0.3]: both signs
W2 = [[1.0], [-0.5], [0.3]]


def sig(v):
    return 1 / (1 + np.exp(-v))


DERIVATIVES = {   # type, arguments -> f′(b) by hand
    ("Linear", ()): lambda b: np.ones_like(b),
    ("LeakyReLU", (("alpha", 0.1),)): lambda b: np.where(b > 0, 1.0, 0.1),
    ("ELU", (("alpha", 0.5),)): lambda b: np.where(b > 0, 1.0, 0.5 * np.exp(b)),
    ("Softplus", ()): sig,
    ("Softsign", ()): lambda b: 1 / (1 + np.abs(b)) ** 2,
    ("Elliot", (("steepness", 2.0),)): lambda b: 0.5 * 2 / (1 + np.abs(2 * b)) ** 2,
    ("SymmetricElliot", (("steepness", 2.0),)): lambda b: 2 / (1 + np.abs(2 * b)) ** 2,
}


@pytest.mark.parametrize("kind, args", list(DERIVATIVES))
def test_each_activation_gives_its_derivative_and_the_chain_rule(kind, args):
    sheet = worksheet_from_config({
        "layers": [{"type": "FullyConnected", "weights": W1, "bias": BIAS1}, {"type": kind, **dict(args)},
                   {"type": "FullyConnected", "weights": W2}],
        "loss": "MSE", "inputs": A, "targets": [[0.25]]})
    derivative = DERIVATIVES[(kind, args)](B)
    np.testing.assert_allclose(sheet.value("dact_b"), derivative, rtol=1e-12)
    np.testing.assert_allclose(sheet.value("delta_b"), sheet.value("delta_c") * derivative, rtol=1e-12)
    formula = next(q.formula for s in sheet.sections for q in s.quantities if q.key == "dact_b")
    assert formula and "backward" not in formula    # a written formula, not the generic fallback


def test_unknown_activation_argument_is_named():
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['slope'\]"):
        worksheet_from_config({"layers": [{"type": "LeakyReLU", "slope": 0.1}], "inputs": A,
                               "targets": [[0.0, 1.0]]})


def test_binary_losses_and_hellinger_by_hand():
    d_of = {"layers": [{"type": "FullyConnected", "weights": W1, "bias": BIAS1},
                       {"type": "Sigmoid"}, {"type": "FullyConnected", "weights": W2}],
            "inputs": A, "targets": [[1.0]]}
    d = float(sig(B) @ np.array(W2)[:, 0])
    fused = worksheet_from_config({**d_of, "loss": "SigmoidBinaryCrossEntropy"})
    assert fused.value("L") == pytest.approx(math.log(1 + math.exp(-d)), rel=1e-12)
    assert fused.value("delta_d") == pytest.approx(sig(d) - 1.0, rel=1e-12)

    probs = {**d_of, "layers": d_of["layers"] + [{"type": "Sigmoid"}], "loss": "BinaryCrossEntropy"}
    bce = worksheet_from_config(probs)
    p = sig(d)
    assert bce.value("L") == pytest.approx(-math.log(p), rel=1e-9)
    assert bce.value("delta_e") == pytest.approx((p - 1) / (p * (1 - p)), rel=1e-9)

    hell = worksheet_from_config({**d_of, "layers": [{"type": "FullyConnected", "weights": W1},
                                                     {"type": "Softmax"}],
                                  "targets": [[0.2, 0.3, 0.5]], "loss": "HellingerDistance"})
    x = np.exp(np.array(A) @ np.array(W1))
    x /= x.sum()
    t = np.array([0.2, 0.3, 0.5])
    h = np.linalg.norm(np.sqrt(x) - np.sqrt(t)) / math.sqrt(2)
    assert hell.value("L") == pytest.approx(h, rel=1e-12)
    np.testing.assert_allclose(hell.value("delta_c"), (np.sqrt(x) - np.sqrt(t)) / (4 * h * np.sqrt(x)),
                               rtol=1e-10)
