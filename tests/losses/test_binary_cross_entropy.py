"""BinaryCrossEntropy on probabilities: L = −(1/R) Σ [t·log x + (1−t)·log(1−x)]."""
import math

import numpy as np
import pytest

from framework import BinaryCrossEntropy, Tensor, check_loss
from framework.compare import assert_close


def test_hand_computed_batch():
    # row 0: −log 0.8 − log(1−0.25) = log(1.25) + log(4/3); row 1: −log 0.5
    x = Tensor.from_numpy([[0.8, 0.25], [0.5, 0.5]])
    t = Tensor.from_numpy([[1.0, 0.0], [0.0, 1.0]])
    expected = (math.log(1.25) + math.log(4 / 3) + 2 * math.log(2)) / 2
    loss = BinaryCrossEntropy()
    assert loss.forward([x], t) == pytest.approx(expected, rel=1e-6)
    loss.backward([x], t)
    # δx = (x − t)/(R·x·(1−x)): (−0.2)/(2·0.16) = −0.625, 0.25/(2·0.1875) = 2/3, 0.5/0.5 = 1, −1
    assert_close([[-0.625, 2 / 3], [1.0, -1.0]], x.delta_view(), "δx")


def test_extremes_stay_finite():
    x, t = Tensor.from_numpy([[0.0, 1.0]]), Tensor.from_numpy([[1.0, 0.0]])
    loss = BinaryCrossEntropy()
    assert math.isfinite(loss.forward([x], t))
    loss.backward([x], t)
    assert np.all(np.isfinite(x.deltas))


def test_gradient_check_float64():
    rng = np.random.default_rng(1)
    check_loss(BinaryCrossEntropy(), rng.uniform(0.1, 0.9, (4, 3)), rng.uniform(0, 1, (4, 3)))


def test_not_probabilities_are_refused():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\], got values in \[-0.5, 0.5\]"):
        BinaryCrossEntropy().forward([Tensor.from_numpy([[-0.5, 0.5]])], Tensor.from_numpy([[1.0, 0.0]]))
