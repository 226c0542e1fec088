"""SoftmaxCrossEntropy: L = −(1/N) Σ t·log softmax(z), δz = (softmax(z) − t)/N."""
import math

import numpy as np
import pytest

from framework import CrossEntropy, Softmax, SoftmaxCrossEntropy, Tensor, check_loss
from framework.compare import assert_close


def test_by_hand():
    # z = [0, ln 3] -> p = [1/4, 3/4]; t = [0, 1]: L = −log(3/4); δz = p − t = [1/4, −1/4]
    z, t = Tensor.from_numpy([[0.0, math.log(3)]]), Tensor.from_numpy([[0.0, 1.0]])
    loss = SoftmaxCrossEntropy()
    assert loss.forward([z], t) == pytest.approx(-math.log(0.75), rel=1e-6)
    loss.backward([z], t)
    assert_close([[0.25, -0.25]], z.delta_view(), "δz")


def test_equals_softmax_layer_then_cross_entropy():
    """The fused gradient p − t is the Softmax Jacobian chained with −t/x."""
    rng = np.random.default_rng(0)
    z = Tensor.from_numpy(rng.standard_normal((4, 5)), dtype=np.float64)
    t = Tensor.from_numpy(np.eye(5)[[0, 3, 1, 4]], dtype=np.float64)
    p = Tensor(z.shape, dtype=np.float64)
    Softmax().forward([z], [p])
    separate = CrossEntropy().forward([p], t)
    CrossEntropy().backward([p], t)
    Softmax().backward([p], [z])
    chained = z.deltas.copy()
    fused = SoftmaxCrossEntropy()
    assert fused.forward([z], t) == pytest.approx(separate, rel=1e-12)
    fused.backward([z], t)
    assert_close(chained, z.deltas, "δz", atol=1e-12)


def test_stable_for_huge_scores():
    z, t = Tensor.from_numpy([[1000.0, -1000.0]]), Tensor.from_numpy([[0.0, 1.0]])
    loss = SoftmaxCrossEntropy()
    assert loss.forward([z], t) == pytest.approx(2000.0, rel=1e-6)  # −log softmax = 2000
    loss.backward([z], t)
    assert_close([[1.0, -1.0]], z.delta_view(), "δz")


def test_predict_gives_probabilities():
    p = SoftmaxCrossEntropy().predict(np.array([[0.0, math.log(3)]]))
    assert_close([[0.25, 0.75]], p, "p")


def test_gradient_check():
    rng = np.random.default_rng(1)
    check_loss(SoftmaxCrossEntropy(), rng.standard_normal((3, 4)), np.eye(4)[[0, 2, 3]])
    check_loss(SoftmaxCrossEntropy(), rng.standard_normal((2, 3, 4)),
               rng.dirichlet(np.ones(4), size=(2, 3)))


def test_issue_example_zero_target_row_has_zero_deltas():
    # The row with t = 0 contributes nothing to L, so its deltas are 0
    # (the old (p − t)/R gave [0.206, 0.125, 0.169] there).
    z = Tensor.from_numpy([[1.0, 2.0, 0.5], [0.3, -0.2, 0.1]], dtype=np.float64)
    t = Tensor.from_numpy([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], dtype=np.float64)
    loss = SoftmaxCrossEntropy()
    loss.forward([z], t)
    loss.backward([z], t)
    p0 = np.exp([1.0, 2.0, 0.5]) / np.exp([1.0, 2.0, 0.5]).sum()
    assert_close(np.vstack([(p0 - [0, 1, 0]) / 2, np.zeros(3)]), z.delta_view(), "δz", atol=1e-12)


@pytest.mark.parametrize("kind", ["one-hot", "soft sum 1", "soft sum 0.7", "zero row",
                                  "sum 2.5", "negative entries"])
def test_equals_softmax_then_cross_entropy_for_every_target_kind(kind):
    rng = np.random.default_rng(7)
    zs = rng.standard_normal((4, 3))
    ts = {"one-hot": np.eye(3)[[0, 2, 1, 1]],
          "soft sum 1": rng.dirichlet(np.ones(3), size=4),
          "soft sum 0.7": 0.7 * rng.dirichlet(np.ones(3), size=4),
          "zero row": np.vstack([np.eye(3)[[0, 2, 1]], np.zeros(3)]),
          "sum 2.5": 2.5 * rng.dirichlet(np.ones(3), size=4),
          "negative entries": rng.standard_normal((4, 3))}[kind]
    z = Tensor.from_numpy(zs, dtype=np.float64)
    t = Tensor.from_numpy(ts, dtype=np.float64)
    p = Tensor(z.shape, dtype=np.float64)
    Softmax().forward([z], [p])
    separate = CrossEntropy().forward([p], t)
    CrossEntropy().backward([p], t)
    Softmax().backward([p], [z])
    chained = z.deltas.copy()
    fused = SoftmaxCrossEntropy()
    assert fused.forward([z], t) == pytest.approx(separate, rel=1e-12)
    fused.backward([z], t)
    assert_close(chained, z.deltas, f"δz ({kind})", atol=1e-12)
    check_loss(SoftmaxCrossEntropy(), zs, ts)
