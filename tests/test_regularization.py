"""Weight decay and gradient clipping: the transforms on hand-made gradients, then through SGDTrainer."""
from __future__ import annotations

import math

import numpy as np
import pytest

from framework.layers import FullyConnected, InputLayer
from framework.losses import SoftmaxCrossEntropy
from framework.network import Network
from framework.optim.gradients import (add_weight_decay, clip_by_global_norm, clip_by_value,
                                       global_norm)
from framework.tensor import Tensor
from framework.trainer import SGDTrainer


def _p(values, grad):
    t = Tensor([len(values)], list(values), dtype=np.float64)
    t.deltas = grad
    return t


def test_weight_decay_adds_lambda_theta():
    # g + λ·θ = [1, −2] + 0.1·[3, −4] = [1.3, −2.4]
    p = _p([3.0, -4.0], [1.0, -2.0])
    add_weight_decay([p], 0.1)
    np.testing.assert_allclose(p.deltas, [1.3, -2.4], rtol=1e-12)
    np.testing.assert_array_equal(p.elements, [3.0, -4.0])


def test_clip_by_value():
    p = _p([0.0, 0.0, 0.0], [0.5, -3.0, 2.0])
    clip_by_value([p], 1.0)
    np.testing.assert_array_equal(p.deltas, [0.5, -1.0, 1.0])


def test_clip_by_global_norm_over_all_parameters_together():
    # ‖g‖ = sqrt(3² + 4² + 12²) = 13 over both parameters; scaled by 6.5/13 = 0.5
    a, b = _p([0.0, 0.0], [3.0, 4.0]), _p([0.0], [12.0])
    assert global_norm([a, b]) == pytest.approx(13.0, rel=1e-12)
    assert clip_by_global_norm([a, b], 6.5) == pytest.approx(13.0, rel=1e-12)
    np.testing.assert_allclose(a.deltas, [1.5, 2.0], rtol=1e-12)
    np.testing.assert_allclose(b.deltas, [6.0], rtol=1e-12)
    clip_by_global_norm([a, b], 100.0)  # shorter than the bound: untouched
    np.testing.assert_allclose(b.deltas, [6.0], rtol=1e-12)


# -- through the trainer ---------------------------------------------------------------------
# FC(2->2) with W = I, b = 0, one sample x = [2, 0] of class 0, plain SGD with η = 1:
#   p = softmax([2, 0]) = [0.8807971, 0.1192029], δ = p − [1, 0] = [−0.1192029, 0.1192029]
#   dW = xᵀ·δ = [[−0.2384058, 0.2384058], [0, 0]],  db = δ
#   global norm = sqrt(2·0.2384058² + 2·0.1192029²) = sqrt(0.1421713) = 0.3770561

def _one_step(**options):
    net = Network(InputLayer(2, num_classes=2, dtype=np.float64),
                  [FullyConnected(2, 2, weights=[[1, 0], [0, 1]], dtype=np.float64)],
                  SoftmaxCrossEntropy())
    SGDTrainer(learning_rate=1.0, batch_size=1, epochs=1, shuffle=False, **options).optimize(
        net, np.array([[2.0, 0.0]]), np.array([0]))
    w, b = net.params
    return w.view().copy(), b.view().copy()


def test_trainer_without_options_is_plain_sgd():
    w, b = _one_step()
    np.testing.assert_allclose(w, [[1.2384058, -0.2384058], [0.0, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(b, [0.1192029, -0.1192029], rtol=1e-6)


def test_trainer_clip_value():
    # every |g| > 0.1 becomes ±0.1: W = I − [[−0.1, 0.1], [0, 0]], b = −[−0.1, 0.1]
    w, b = _one_step(clip_value=0.1)
    np.testing.assert_allclose(w, [[1.1, -0.1], [0.0, 1.0]], rtol=1e-12)
    np.testing.assert_allclose(b, [0.1, -0.1], rtol=1e-12)


def test_trainer_clip_norm():
    # scale 0.1/0.3770561 = 0.2652124: dW₀₀ = −0.0632456, db₀ = −0.0316228
    w, b = _one_step(clip_norm=0.1)
    np.testing.assert_allclose(w, [[1.0632456, -0.0632456], [0.0, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(b, [0.0316228, -0.0316228], rtol=1e-5)
    assert math.hypot(*(w - np.eye(2)).ravel(), *b) == pytest.approx(0.1, rel=1e-9)


def test_trainer_weight_decay():
    # g + 0.5·θ: dW = [[−0.2384058 + 0.5, 0.2384058], [0, 0.5]], db = δ (b = 0)
    # W = I − dW = [[0.7384058, −0.2384058], [0, 0.5]]
    w, b = _one_step(weight_decay=0.5)
    np.testing.assert_allclose(w, [[0.7384058, -0.2384058], [0.0, 0.5]], rtol=1e-6)
    np.testing.assert_allclose(b, [0.1192029, -0.1192029], rtol=1e-6)


def test_trainer_weight_decay_then_clip():
    # decay first, then clip by value 0.3: dW = [[0.2616, 0.2384], [0, 0.3]] -> W₁₁ = 0.7
    w, _ = _one_step(weight_decay=0.5, clip_value=0.3)
    np.testing.assert_allclose(w, [[0.7384058, -0.2384058], [0.0, 0.7]], rtol=1e-6)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"weight_decay": -0.1}, ValueError, "weight_decay"),
    ({"clip_norm": 0}, ValueError, "clip_norm"),
    ({"clip_value": "big"}, TypeError, "clip_value"),
])
def test_bad_options_are_named(kwargs, error, words):
    with pytest.raises(error, match=words):
        SGDTrainer(**kwargs)
