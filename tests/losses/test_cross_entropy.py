"""CrossEntropy on probabilities: L = −(1/N) Σ t·log x, δx = −t/(N·x)."""
import math

import numpy as np
import pytest

from framework import CrossEntropy, Tensor, check_loss
from framework.compare import assert_close


def test_one_sample_is_the_lecture_formula():
    # L = −(1·log 0.25 + 0·log 0.75) = log 4; δx = [−1/0.25, −0/0.75] = [−4, 0]
    x, t = Tensor.from_numpy([[0.25, 0.75]]), Tensor.from_numpy([[1.0, 0.0]])
    loss = CrossEntropy()
    assert loss.forward([x], t) == pytest.approx(math.log(4), rel=1e-6)
    loss.backward([x], t)
    assert_close([[-4.0, 0.0]], x.delta_view(), "δx")


def test_batch_is_averaged():
    # rows: −log 0.5 = log 2 and −log 0.2 = log 5; mean = (log 2 + log 5)/2 = log(10)/2
    x = Tensor.from_numpy([[0.5, 0.5], [0.8, 0.2]])
    t = Tensor.from_numpy([[1.0, 0.0], [0.0, 1.0]])
    loss = CrossEntropy()
    assert loss.forward([x], t) == pytest.approx(math.log(10) / 2, rel=1e-6)
    loss.backward([x], t)
    # δx = −t/(N·x): [−1/(2·0.5), 0], [0, −1/(2·0.2)] = [−1, 0], [0, −2.5]
    assert_close([[-1.0, 0.0], [0.0, -2.5]], x.delta_view(), "δx")


def test_zero_probability_gives_finite_values():
    x, t = Tensor.from_numpy([[0.0, 1.0]]), Tensor.from_numpy([[1.0, 0.0]])
    loss = CrossEntropy()
    assert math.isfinite(loss.forward([x], t))
    loss.backward([x], t)
    assert np.all(np.isfinite(x.deltas))


def test_gradient_check():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=3)
    t = rng.dirichlet(np.ones(4), size=3)  # soft targets: every element matters
    check_loss(CrossEntropy(), p, t)


def test_target_shape_mismatch():
    with pytest.raises(ValueError, match=r"target has Shape\[2, 3\], expected Shape\[2, 2\]"):
        CrossEntropy().forward([Tensor((2, 2))], Tensor((2, 3)))


def test_inputs_that_are_not_probabilities_are_refused():
    x, t = Tensor.from_numpy([[-0.3, 1.3]]), Tensor.from_numpy([[1.0, 0.0]])
    with pytest.raises(ValueError, match=r"must be probabilities in \[0, 1\], got values in \[-0.3, 1.3\]"):
        CrossEntropy().forward([x], t)


def test_saturation_is_counted():
    # true-class probabilities 0 (clamped) and 0.5 (not): one saturated entry
    x = Tensor.from_numpy([[0.0, 1.0], [0.5, 0.5]])
    t = Tensor.from_numpy([[1.0, 0.0], [1.0, 0.0]])
    loss = CrossEntropy()
    loss.forward([x], t)
    assert loss.saturated == 1
