"""MSE: L = (1/N) Σ ½(x − t)², δx = (x − t)/N."""
import numpy as np
import pytest

from framework import MSE, Tensor, check_loss
from framework.compare import assert_close


def test_one_sample_is_the_lecture_formula():
    # L = ½(1 − 0)² + ½(3 − 1)² = 0.5 + 2 = 2.5; δx = x − t = [1, 2]
    x, t = Tensor.from_numpy([[1.0, 3.0]]), Tensor.from_numpy([[0.0, 1.0]])
    loss = MSE()
    assert loss.forward([x], t) == pytest.approx(2.5)
    loss.backward([x], t)
    assert_close([[1.0, 2.0]], x.delta_view(), "δx")


def test_batch_is_averaged():
    # rows: ½·1² = 0.5 and ½·(2² + 2²) = 4; mean = 2.25; δx = (x − t)/2
    x = Tensor.from_numpy([[1.0, 0.0], [2.0, -2.0]])
    t = Tensor.from_numpy([[0.0, 0.0], [0.0, 0.0]])
    loss = MSE()
    assert loss.forward([x], t) == pytest.approx(2.25)
    loss.backward([x], t)
    assert_close([[0.5, 0.0], [1.0, -1.0]], x.delta_view(), "δx")


def test_gradient_check():
    rng = np.random.default_rng(0)
    check_loss(MSE(), rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))
    check_loss(MSE(), rng.standard_normal((2, 3, 2)), rng.standard_normal((2, 3, 2)))
