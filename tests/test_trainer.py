"""Tests for SGDTrainer and evaluate: convergence, determinism, validation, divergence, checks."""
from __future__ import annotations

import io

import numpy as np
import pytest

from framework.layers import FullyConnected, InputLayer, Layer, Sigmoid
from framework.losses import MSE, SoftmaxCrossEntropy
from framework.network import Network
from framework.optim import Momentum
from framework.trainer import History, SGDTrainer, evaluate


def separable(n=64, seed=0):
    """2-class data split by the line x0 + 0.5·x1 = 0, each class pushed 0.5 away from it."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    x += np.outer(np.where(y == 1, 1.0, -1.0), [0.5, 0.25])
    return x, y


def classifier(seed=0, first=None):
    layers = [FullyConnected(2, 8, seed=seed), Sigmoid(), FullyConnected(8, 2, seed=seed + 1)]
    if first is not None:
        layers.insert(0, first)
    return Network(InputLayer(2, num_classes=2), layers, SoftmaxCrossEntropy())


def weights(net):
    return [p.elements.copy() for p in net.params]


# -- (a) convergence -----------------------------------------------------------------

def test_learns_separable_problem():
    x, y = separable()
    net = classifier()
    h = SGDTrainer(learning_rate=0.5, batch_size=8, epochs=20, seed=0).optimize(net, x, y)
    assert isinstance(h, History)
    assert len(h.train_loss) == len(h.train_accuracy) == len(h.epoch_seconds) == 20
    assert h.val_loss == [] and h.val_accuracy == []
    # measured: final loss 0.0113, accuracy 1.0 from epoch 2 on; threshold with ~2.5x margin
    assert h.train_loss[-1] < 0.03
    assert h.train_accuracy[-1] == 1.0
    # loss decreases over the epochs (strictly, epoch to epoch, for this easy problem)
    assert all(b < a for a, b in zip(h.train_loss, h.train_loss[1:]))
    assert h.train_loss[-1] < h.train_loss[0] / 10
    loss, acc = evaluate(net, x, y)
    assert acc == 1.0 and loss < 0.03


# -- (b) determinism ----------------------------------------------------------------

def _run(trainer_seed):
    x, y = separable()
    net = classifier()
    h = SGDTrainer(learning_rate=0.5, batch_size=8, epochs=3, seed=trainer_seed).optimize(net, x, y)
    return h, weights(net)


def test_same_seed_same_history_and_weights():
    h1, w1 = _run(5)
    h2, w2 = _run(5)
    assert h1.train_loss == h2.train_loss
    assert h1.train_accuracy == h2.train_accuracy
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


def test_different_seed_different_history_and_weights():
    h1, w1 = _run(5)
    h3, w3 = _run(6)
    assert h1.train_loss != h3.train_loss
    assert any(not np.array_equal(a, b) for a, b in zip(w1, w3))


def test_no_shuffle_is_seed_independent():
    x, y = separable()
    res = []
    for seed in (1, 2):
        net = classifier()
        h = SGDTrainer(learning_rate=0.5, batch_size=8, epochs=2, seed=seed,
                       shuffle=False).optimize(net, x, y)
        res.append((h.train_loss, weights(net)))
    assert res[0][0] == res[1][0]
    for a, b in zip(res[0][1], res[1][1]):
        np.testing.assert_array_equal(a, b)


# -- (c) validation ---------------------------------------------------------------------

class Recorder(Layer):
    """Identity layer that records the rows it sees in training (delta weights) and in forward."""

    def __init__(self):
        self.trained, self.forwarded = [], []

    def output_shape(self, input_shape):
        return input_shape

    def forward(self, in_tensors, out_tensors):
        x, y = self.check_io(in_tensors, out_tensors)
        y.elements[...] = x.elements
        self.forwarded.append(x.to_numpy())

    def backward(self, out_tensors, in_tensors):
        x, y = self.check_io(in_tensors, out_tensors)
        x.deltas[...] = y.deltas

    def calculate_delta_weights(self, out_tensors, in_tensors):
        # called once per training step (backprop), never by evaluate/forward
        self.trained.append(in_tensors[0].to_numpy())


def _rows(arrays):
    return [tuple(r) for a in arrays for r in a]


def test_validation_split_holds_out_samples():
    x, y = separable()          # N = 64 -> 16 validation, 48 training samples
    x = x.astype(np.float32)    # compare rows exactly as the network sees them
    rec = Recorder()
    net = classifier(first=rec)
    epochs_seen = []
    h = SGDTrainer(learning_rate=0.5, batch_size=8, epochs=3, seed=0,
                   validation_split=0.25).optimize(
        net, x, y, callback=lambda epoch, hist: epochs_seen.append((epoch, len(hist.val_loss))))
    assert epochs_seen == [(1, 1), (2, 2), (3, 3)]
    assert len(h.val_loss) == len(h.val_accuracy) == 3
    trained = _rows(rec.trained)
    assert len(trained) == 3 * 48            # 48 training rows per epoch
    train_set = set(trained)
    assert len(train_set) == 48              # the same 48 samples every epoch
    all_rows = {tuple(r) for r in x}
    held_out = all_rows - train_set
    assert len(held_out) == 16
    forwarded = set(_rows(rec.forwarded))
    assert held_out <= forwarded             # the validation samples were evaluated...
    assert train_set | held_out == all_rows  # ...and never trained on
    # the last val loss is the loss on exactly the held-out samples after training
    idx = [i for i, r in enumerate(x) if tuple(r) in held_out]
    vl, va = evaluate(net, x[idx], y[idx])
    assert h.val_loss[-1] == pytest.approx(vl, rel=1e-6)
    assert h.val_accuracy[-1] == pytest.approx(va)


def test_validation_data_used():
    x, y = separable()
    xv, yv = separable(n=20, seed=9)
    net = classifier()
    h = SGDTrainer(learning_rate=0.5, batch_size=8, epochs=4, seed=0).optimize(
        net, x, y, validation_data=(xv, yv))
    assert len(h.val_loss) == len(h.val_accuracy) == 4
    vl, va = evaluate(net, xv, yv)
    assert h.val_loss[-1] == pytest.approx(vl, rel=1e-6)
    assert h.val_accuracy[-1] == va
    assert va >= 0.9
    assert h.val_loss[-1] < h.val_loss[0]


# -- (d) divergence -------------------------------------------------------------------------

def test_huge_learning_rate_raises_floating_point_error():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)) * 1000
    y = rng.standard_normal((64, 1)) * 1000
    net = Network(InputLayer(3), [FullyConnected(3, 4, seed=0), FullyConnected(4, 1, seed=1)], MSE())
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError) as e:
        SGDTrainer(learning_rate=1e6, batch_size=8, epochs=3, seed=0).optimize(net, x, y)
    msg = str(e.value)
    assert "epoch 1" in msg
    assert "step" in msg
    assert "learning rate" in msg
    assert "1000000.0" in msg


# -- (e) labels checked before training ----------------------------------------------------

def test_labels_out_of_range_rejected_before_training():
    x, y = separable()
    y = y.copy()
    y[-1] = 2                                # only the last label is bad (2 classes: 0..1)
    net = classifier()
    before = weights(net)
    with pytest.raises(ValueError) as e:
        SGDTrainer(learning_rate=0.5, epochs=1).optimize(net, x, y)
    assert "label 2" in str(e.value) and "0..1" in str(e.value)
    for a, b in zip(before, weights(net)):
        np.testing.assert_array_equal(a, b)  # no step was taken


def test_negative_label_rejected():
    x, y = separable()
    y = y.copy()
    y[3] = -1
    with pytest.raises(ValueError, match="label -1"):
        SGDTrainer(epochs=1).optimize(classifier(), x, y)


def test_sample_label_count_mismatch():
    x, y = separable()
    with pytest.raises(ValueError, match="64 samples but 63 labels"):
        SGDTrainer(epochs=1).optimize(classifier(), x, y[:-1])


# -- (f) constructor checks ------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, word", [
    ({"learning_rate": 0}, "learning_rate"),
    ({"learning_rate": -0.1}, "learning_rate"),
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": 2.5}, "batch_size"),
    ({"epochs": -1}, "epochs"),
    ({"validation_split": 1.0}, "validation_split"),
    ({"validation_split": -0.1}, "validation_split"),
])
def test_invalid_constructor_args(kwargs, word):
    with pytest.raises(ValueError, match=word):
        SGDTrainer(**kwargs)


def test_unknown_flavor_rejected():
    with pytest.raises(ValueError, match="unknown flavor"):
        SGDTrainer(flavor="lbfgs")


# -- (g) every flavor -----------------------------------------------------------------------

@pytest.mark.parametrize("flavor, lr", [("sgd", 0.5), ("momentum", 0.1), ("nesterov", 0.1),
                                        ("adagrad", 0.1), ("rmsprop", 0.01), ("adam", 0.02)])
def test_every_flavor_learns_separable_problem(flavor, lr):
    # measured over 10 data/init seeds: accuracy 1.0 after 10 epochs for every flavor
    x, y = separable()
    net = classifier()
    h = SGDTrainer(learning_rate=lr, batch_size=8, epochs=10, flavor=flavor,
                   seed=0).optimize(net, x, y)
    assert h.train_accuracy[-1] >= 0.95
    assert h.train_loss[-1] < h.train_loss[0]
    assert evaluate(net, x, y)[1] >= 0.95


def test_flavor_object_with_hyperparameters_is_used():
    x, y = separable()
    results = []
    for m in (0.9, 0.5):
        net = classifier()
        trainer = SGDTrainer(learning_rate=0.1, batch_size=8, epochs=2, flavor=Momentum(momentum=m))
        assert trainer.flavor.momentum == m
        results.append(trainer.optimize(net, x, y).train_loss)
    assert results[0] != results[1]


# -- (h) verbose output ---------------------------------------------------------------------

def _verbose_run():
    x, y = separable()
    out = io.StringIO()
    SGDTrainer(learning_rate=0.5, batch_size=8, epochs=3, seed=0, validation_split=0.25,
               verbose=True, stream=out).optimize(classifier(), x, y)
    return out.getvalue().splitlines()


def test_verbose_prints_one_summary_line_per_epoch():
    lines = _verbose_run()
    summary = [l for l in lines if "val loss" in l]
    assert len(summary) == 3
    for epoch, line in enumerate(summary, start=1):
        assert f"{epoch}/3" in line and "train loss" in line and "acc" in line
    assert any("epoch 1/" in l for l in lines)  # the progress bar's line "epoch 1/3: 100%|..."
    assert not any("\r" in l for l in lines)    # StringIO is not a terminal: no redraws


def test_verbose_summary_line_says_epoch_1_of():
    lines = _verbose_run()
    assert any("epoch 1/" in l and "val loss" in l for l in lines)


def test_not_verbose_prints_nothing():
    x, y = separable()
    out = io.StringIO()
    SGDTrainer(learning_rate=0.5, epochs=1, stream=out).optimize(classifier(), x, y)
    assert out.getvalue() == ""


# -- (i) evaluate -------------------------------------------------------------------------

def test_evaluate_matches_manual_computation():
    x, y = separable()
    net = classifier(seed=4)
    SGDTrainer(learning_rate=0.1, batch_size=8, epochs=1, seed=0).optimize(net, x, y)
    before = weights(net)
    p = net.forward(x).astype(np.float64)        # probabilities [64, 2]
    manual_loss = -np.mean(np.log(p[np.arange(64), y]))
    manual_acc = np.mean(p.argmax(axis=1) == y)
    for bs in (512, 5):                           # one chunk; chunks of 5 with a last chunk of 4
        loss, acc = evaluate(net, x, y, batch_size=bs)
        assert loss == pytest.approx(manual_loss, rel=1e-5)
        assert acc == pytest.approx(manual_acc)
    for a, b in zip(before, weights(net)):
        np.testing.assert_array_equal(a, b)      # evaluate changes no parameter


def test_evaluate_hand_computed_tiny():
    # FC(2->2) with W = I, b = 0: logits = x. Rows [2, 0] (label 0) and [0, 0] (label 1):
    # p(row0) = softmax([2, 0]) = [e²/(e²+1), 1/(e²+1)] = [0.880797, 0.119203]  -> correct
    # p(row1) = softmax([0, 0]) = [0.5, 0.5], argmax 0 != 1                       -> wrong
    # loss = -(log 0.880797 + log 0.5)/2 = (0.126928 + 0.693147)/2 = 0.410038;  accuracy 1/2
    net = Network(InputLayer(2, num_classes=2), [FullyConnected(2, 2, weights=[[1, 0], [0, 1]])],
                  SoftmaxCrossEntropy())
    loss, acc = evaluate(net, [[2.0, 0.0], [0.0, 0.0]], [0, 1])
    assert loss == pytest.approx(0.410038, rel=1e-5)
    assert acc == 0.5


def test_evaluate_regression_targets_give_nan_accuracy():
    # MSE with W = [[1], [1]], b = 0: predictions [3, -1] for targets [2, 1]
    # loss = (½·1² + ½·2²)/2 = 1.25
    net = Network(InputLayer(2), [FullyConnected(2, 1, weights=[[1], [1]])], MSE())
    loss, acc = evaluate(net, [[1.0, 2.0], [0.0, -1.0]], np.array([[2.0], [1.0]]))
    assert loss == pytest.approx(1.25, rel=1e-6)
    assert np.isnan(acc)


def test_diverged_cross_entropy_warns_even_though_the_loss_stays_finite():
    from framework import CrossEntropy, FullyConnected, InputLayer, Network, Sigmoid, Softmax
    net = Network(InputLayer(2, num_classes=2),
                  [FullyConnected(2, 3, seed=0), Sigmoid(), FullyConnected(3, 2, seed=1), Softmax()],
                  CrossEntropy())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 2))
    y = (x[:, 0] > 0).astype(int)
    with pytest.warns(RuntimeWarning, match=r"training has likely diverged. Try a smaller learning rate \(now 1000000.0\)"):
        SGDTrainer(learning_rate=1e6, batch_size=8, epochs=3, flavor="sgd").optimize(net, x, y)
