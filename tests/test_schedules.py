"""Learning-rate schedules: their sequences by hand, that they decay, and their use from SGDTrainer."""
from __future__ import annotations

import math

import numpy as np
import pytest

from framework.layers import FullyConnected, InputLayer
from framework.losses import SoftmaxCrossEntropy
from framework.network import Network
from framework.optim import (SGD, Cosine, ExponentialDecay, InverseTimeDecay, ReduceOnPlateau,
                             Schedule, StepDecay)
from framework.trainer import SGDTrainer


def _rates(schedule, epochs, base=0.1):
    return [schedule.rate(e, base) for e in range(1, epochs + 1)]


def test_step_decay():
    # γ = 0.5 every 2 epochs: 0.1, 0.1, 0.05, 0.05, 0.025
    np.testing.assert_allclose(_rates(StepDecay(2, 0.5), 5), [0.1, 0.1, 0.05, 0.05, 0.025],
                               rtol=1e-12)


def test_exponential_decay():
    # 0.1·0.9^(e−1): 0.1, 0.09, 0.081, 0.0729
    np.testing.assert_allclose(_rates(ExponentialDecay(0.9), 4), [0.1, 0.09, 0.081, 0.0729],
                               rtol=1e-12)


def test_cosine_without_warmup():
    # K = 4: 0.1·(1 + cos(π·k/4))/2 for k = 0..3 = 0.1, 0.08535534, 0.05, 0.01464466; then 0
    np.testing.assert_allclose(_rates(Cosine(4), 5), [0.1, 0.08535534, 0.05, 0.01464466, 0.0],
                               rtol=1e-6, atol=1e-15)


def test_cosine_with_warmup_and_floor():
    # warm-up 2: 0.05, 0.1; then K = 4 towards 0.01:
    # 0.01 + 0.09·[1, 0.8535534, 0.5, 0.1464466] = 0.1, 0.0868198, 0.055, 0.0231802
    np.testing.assert_allclose(_rates(Cosine(6, warmup=2, min_rate=0.01), 6),
                               [0.05, 0.1, 0.1, 0.0868198, 0.055, 0.0231802], rtol=1e-6)


def test_reduce_on_plateau():
    # patience 1, factor 0.5: the losses 1.0, 0.9 improve; 0.95, 0.92 do not (best 0.9):
    # the 2nd epoch without improvement halves the rate; 0.8 improves; 0.85, 0.85 halve again
    s = ReduceOnPlateau(factor=0.5, patience=1)
    rates = []
    for epoch, loss in enumerate([1.0, 0.9, 0.95, 0.92, 0.8, 0.85, 0.85], start=1):
        rates.append(s.rate(epoch, 0.1))
        s.observe(epoch, loss)
    rates.append(s.rate(8, 0.1))
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025], rtol=1e-12)


def test_reduce_on_plateau_min_delta_and_min_rate():
    # a decrease of 0.005 < min_delta 0.01 is no improvement; the rate stops at min_rate 0.04
    s = ReduceOnPlateau(factor=0.5, patience=0, min_delta=0.01, min_rate=0.04)
    s.observe(1, 1.0)
    s.observe(2, 0.995)
    assert s.rate(3, 0.1) == pytest.approx(0.05)
    s.observe(3, 0.99)
    assert s.rate(4, 0.1) == pytest.approx(0.04)


def _numpydl_rates(lr, decay, steps):
    # NumpyDL's Optimizer.update (npdl/optimizers.py), reproduced as written there:
    #     self.iterations += 1
    #     self.lr *= (1. / 1 + self.decay * self.iterations)
    out, iterations = [], 0
    for _ in range(steps):
        iterations += 1
        lr *= (1. / 1 + decay * iterations)
        out.append(lr)
    return out


def test_numpydl_decay_grows_ours_decays():
    numpydl = _numpydl_rates(0.1, 0.01, 5)
    assert all(b > a for a, b in zip(numpydl, numpydl[1:]))  # 0.101, 0.10302, ... grows
    ours = _rates(InverseTimeDecay(0.01), 6)
    # 0.1 / (1 + 0.01·(e − 1)): 0.1, 0.0990099, 0.0980392, 0.0970874, 0.0961538, 0.0952381
    np.testing.assert_allclose(ours, [0.1, 0.0990099, 0.0980392, 0.0970874, 0.0961538, 0.0952381],
                               rtol=1e-6)
    for s in (InverseTimeDecay(0.01), StepDecay(1, 0.5), ExponentialDecay(0.9), Cosine(6, 2)):
        after_warmup = _rates(s, 8)[2:]
        assert all(b <= a for a, b in zip(after_warmup, after_warmup[1:])), s
        assert after_warmup[-1] < after_warmup[0], s


@pytest.mark.parametrize("make, error", [
    (lambda: StepDecay(0), ValueError), (lambda: ExponentialDecay(1.5), ValueError),
    (lambda: Cosine(5, warmup=5), ValueError), (lambda: ReduceOnPlateau(factor=1.0), ValueError),
    (lambda: InverseTimeDecay("x"), TypeError),
])
def test_bad_arguments(make, error):
    with pytest.raises(error):
        make()


# -- from the trainer --------------------------------------------------------------------

class RecordingSGD(SGD):
    def __init__(self):
        super().__init__()
        self.rates = []

    def step(self, params, learning_rate):
        self.rates.append(learning_rate)
        super().step(params, learning_rate)


class RecordingSchedule(Schedule):
    def __init__(self):
        self.seen = []

    def observe(self, epoch, loss):
        self.seen.append((epoch, loss))


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 2))
    return x, (x[:, 0] > 0).astype(np.int64)


def _net():
    return Network(InputLayer(2, num_classes=2), [FullyConnected(2, 2, seed=0)],
                   SoftmaxCrossEntropy())


def test_trainer_uses_the_schedule_for_every_step_and_records_it():
    x, y = _data()
    flavor = RecordingSGD()
    h = SGDTrainer(learning_rate=0.2, batch_size=4, epochs=3, flavor=flavor,
                   schedule=StepDecay(1, 0.5)).optimize(_net(), x, y)
    assert flavor.rates == [0.2, 0.2, 0.1, 0.1, 0.05, 0.05]  # two steps per epoch
    assert h.learning_rate == [0.2, 0.1, 0.05]


def test_trainer_without_schedule_records_the_constant_rate():
    x, y = _data()
    h = SGDTrainer(learning_rate=0.2, batch_size=4, epochs=2).optimize(_net(), x, y)
    assert h.learning_rate == [0.2, 0.2]


def test_trainer_tells_the_schedule_the_validation_loss_or_else_the_training_loss():
    x, y = _data()
    s = RecordingSchedule()
    h = SGDTrainer(epochs=2, batch_size=4, schedule=s).optimize(_net(), x, y, validation_data=(x, y))
    assert s.seen == [(1, h.val_loss[0]), (2, h.val_loss[1])]
    s = RecordingSchedule()
    h = SGDTrainer(epochs=2, batch_size=4, schedule=s).optimize(_net(), x, y)
    assert s.seen == [(1, h.train_loss[0]), (2, h.train_loss[1])]


def test_trainer_refuses_a_schedule_that_is_not_one():
    with pytest.raises(TypeError, match="schedule"):
        SGDTrainer(schedule=lambda e: 0.1)


def test_math_of_cosine_midpoint():
    assert Cosine(2).rate(2, 1.0) == pytest.approx((1 + math.cos(math.pi / 2)) / 2)


def test_schedule_state_round_trips_and_only_plateau_has_any():
    from framework.optim import Cosine, ReduceOnPlateau
    assert Cosine(epochs=5).state_dict() == {}
    s = ReduceOnPlateau(factor=0.5, patience=0)
    for epoch, loss in enumerate([1.0, 2.0, 0.5, 0.7], start=1):
        s.observe(epoch, loss)
    assert s.state_dict() == {"scale": 0.25, "best": 0.5, "bad_epochs": 0}
    fresh = ReduceOnPlateau(factor=0.5, patience=0)
    fresh.load_state_dict(s.state_dict())
    assert fresh.rate(5, 1.0) == 0.25 and fresh.best == 0.5
    with pytest.raises(ValueError, match=r"expected \['bad_epochs', 'best', 'scale'\], got \['scale'\]"):
        fresh.load_state_dict({"scale": 1.0})
