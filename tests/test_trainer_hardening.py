"""Issue 10 in the training loop: silent divergence, boolean labels, clear messages for bad input."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from framework.layers import FullyConnected, InputLayer, ReLU, Sigmoid
from framework.losses import MSE, SoftmaxCrossEntropy
from framework.network import Network
from framework.optim import SGD, Adam
from framework.trainer import SGDTrainer, evaluate


def mlp(loss, seed=0):
    return Network(InputLayer(20, num_classes=4),
                   [FullyConnected(20, 16, seed=seed), ReLU(), FullyConnected(16, 4, seed=seed + 1)], loss)


def blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 20)).astype(np.float32), rng.integers(0, 4, n)


def separable(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    x += np.outer(np.where(y == 1, 1.0, -1.0), [0.5, 0.25])
    return x, y


def classifier(seed=0):
    return Network(InputLayer(2, num_classes=2),
                   [FullyConnected(2, 8, seed=seed), Sigmoid(), FullyConnected(8, 2, seed=seed + 1)],
                   SoftmaxCrossEntropy())


class RecordingAdam(Adam):
    """Adam that keeps a copy of the parameters each update starts from."""

    def __init__(self):
        super().__init__()
        self.before = []

    def step(self, params, learning_rate):
        self.before.append([p.elements.copy() for p in params])
        super().step(params, learning_rate)


# -- silent divergence ----------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "mse"])
def test_adam_at_a_huge_learning_rate_stops_instead_of_finishing_with_losses_of_1e13(loss):
    # Before: 3 epochs finished "successfully" with losses 1e13 (SCE) and 1e27 (MSE).
    x, y = blobs()
    net = mlp(SoftmaxCrossEntropy() if loss == "softmax_cross_entropy" else MSE())
    labels = y if loss == "softmax_cross_entropy" else np.eye(4)[y]
    flavor = RecordingAdam()
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError) as e:
        SGDTrainer(learning_rate=1e6, batch_size=16, epochs=3, flavor=flavor).optimize(net, x, labels)
    msg = str(e.value)
    assert "epoch 1, step 2" in msg and "diverged" in msg
    assert "learning rate (now 1000000.0)" in msg
    assert "restored" in msg
    # the parameters are those the last good step (step 1) started from: the initial ones
    assert len(flavor.before) == 1
    for p, saved in zip(net.params, flavor.before[-1]):
        np.testing.assert_array_equal(p.elements, saved)


def test_after_an_infinite_loss_the_parameters_are_the_last_finite_ones_not_nan():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)) * 1000
    y = rng.standard_normal((64, 1)) * 1000
    net = Network(InputLayer(3), [FullyConnected(3, 4, seed=0), FullyConnected(4, 1, seed=1)], MSE())

    class Recording(SGD):
        before = []

        def step(self, params, learning_rate):
            self.before.append([p.elements.copy() for p in params])
            super().step(params, learning_rate)
    flavor = Recording()
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="epoch 1, step"):
        SGDTrainer(learning_rate=1e6, batch_size=8, epochs=3, flavor=flavor).optimize(net, x, y)
    assert all(np.isfinite(p.elements).all() for p in net.params)
    for p, saved in zip(net.params, flavor.before[-1]):
        np.testing.assert_array_equal(p.elements, saved)
    assert math.isfinite(evaluate(net, x, y)[0])


def test_divergence_in_a_later_epoch_restores_the_step_before():
    # a good first epoch, then the learning rate jumps: the guard stops in epoch 2
    x, y = separable()
    net = classifier()
    flavor = RecordingAdam()
    trainer = SGDTrainer(learning_rate=0.01, batch_size=8, epochs=3, flavor=flavor)

    def explode(epoch, history):
        trainer.learning_rate = 1e7
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="epoch 2, step") as e:
        trainer.optimize(net, x, y, callback=explode)
    assert "(now 10000000.0)" in str(e.value)
    for p, saved in zip(net.params, flavor.before[-1]):
        np.testing.assert_array_equal(p.elements, saved)


def test_no_false_alarm_for_noisy_batch_1_training_or_a_trained_network():
    x, y = separable()
    net = classifier()
    SGDTrainer(learning_rate=0.5, batch_size=1, epochs=3, seed=0).optimize(net, x, y)
    # now nearly perfect (loss ~0.01): training it further, sample by sample, is no divergence
    assert evaluate(net, x, y)[0] < 0.05
    h = SGDTrainer(learning_rate=0.5, batch_size=1, epochs=2, seed=1).optimize(net, x, y)
    assert h.train_loss[-1] < 0.05


# -- boolean labels -------------------------------------------------------------------------

@pytest.mark.parametrize("labels", [[True, False], [True, False, True], [False]])
def test_boolean_labels_are_classes_0_and_1(labels):
    # before: [True, False] became [[1, 0], [1, 0]]; other lengths raised IndexError
    t = InputLayer(2, num_classes=2).targets(labels)
    np.testing.assert_array_equal(t.to_numpy(), np.eye(2)[np.array(labels, dtype=int)])


def test_training_on_boolean_labels_is_training_on_0_and_1():
    x, y = separable()
    runs = []
    for labels in (y.astype(bool), y):
        net = classifier()
        h = SGDTrainer(learning_rate=0.5, batch_size=8, epochs=2, seed=0).optimize(net, x, labels)
        runs.append((h.train_loss, h.train_accuracy, evaluate(net, x, labels)))
    assert runs[0] == runs[1]
    assert runs[0][1][-1] > 0.9


def test_a_boolean_label_beyond_the_classes_is_refused():
    with pytest.raises(ValueError, match=r"label 1 is out of range, expected 0..0"):
        InputLayer(2, num_classes=1).targets([True])


# -- clear messages -------------------------------------------------------------------------

def _message(call):
    with pytest.raises((TypeError, ValueError)) as e:
        call()
    return str(e.value)


X, Y = separable(n=8)


@pytest.mark.parametrize("labels, expected, words", [
    (None, TypeError, ["labels are None", "integer class labels"]),
    (["cat", "dog"] * 4, TypeError, ["strings such as 'cat'", "class indices"]),
    (3, ValueError, ["single value 3", "one label per sample"]),
    ([None] * 8, TypeError, ["None values"]),
])
def test_bad_labels_are_named(labels, expected, words):
    for call in (lambda: SGDTrainer(epochs=1).optimize(classifier(), X, labels),
                 lambda: evaluate(classifier(), X, labels)):
        with pytest.raises(expected) as e:
            call()
        for word in words:
            assert word in str(e.value)
    assert "NaN" not in str(e.value)  # before: "targets contain NaN or inf" for None


def test_backprop_with_labels_none_or_a_scalar_label_for_one_sample():
    net = classifier()
    with pytest.raises(TypeError, match="labels are None"):
        net.backprop(X[:2], None)
    assert net.backprop(X[0], 1).loss == net.backprop(X[:1], [1]).loss  # one sample, one label
    with pytest.raises(ValueError, match="single value 1"):
        net.backprop(X[:2], 1)


@pytest.mark.parametrize("data", [np.zeros((0, 2)), []])
def test_evaluate_on_no_samples(data):
    # before: AttributeError ('Network' has no attribute 'output') or ZeroDivisionError
    msg = _message(lambda: evaluate(classifier(), data, []))
    assert "evaluate: data has 0 samples" in msg and "at least one" in msg


def test_validation_split_that_leaves_no_training_data():
    # before: "Shape dim 0 must be a positive integer"
    msg = _message(lambda: SGDTrainer(epochs=1, validation_split=0.5).optimize(classifier(), X[:1], Y[:1]))
    assert "validation_split=0.5 of 1 samples" in msg and "no training data" in msg


@pytest.mark.parametrize("kwargs, expected, words", [
    ({"batch_size": 0}, ValueError, ["batch_size must be an integer >= 1, got 0"]),
    ({"batch_size": -1}, ValueError, ["batch_size must be an integer >= 1, got -1"]),
    ({"batch_size": 2.5}, ValueError, ["batch_size must be an integer >= 1, got 2.5"]),
    ({"batch_size": "8"}, TypeError, ["batch_size must be an integer >= 1, got '8' (str)"]),
    ({"batch_size": None}, TypeError, ["batch_size", "got None"]),
    ({"learning_rate": "0.1"}, TypeError, ["learning_rate must be a positive number", "'0.1' (str)"]),
    ({"learning_rate": None}, TypeError, ["learning_rate must be a positive number", "None"]),
    ({"learning_rate": math.inf}, ValueError, ["learning_rate must be a finite number > 0, got inf"]),
    ({"learning_rate": math.nan}, ValueError, ["learning_rate", "got nan"]),
    ({"epochs": math.nan}, ValueError, ["epochs must be an integer >= 0, got nan"]),
    ({"epochs": 1.5}, ValueError, ["epochs must be an integer >= 0, got 1.5"]),
    ({"validation_split": "0.1"}, TypeError, ["validation_split must be a fraction", "'0.1'"]),
])
def test_bad_trainer_arguments_are_named(kwargs, expected, words):
    with pytest.raises(expected) as e:
        SGDTrainer(**kwargs)
    for word in words:
        assert word in str(e.value)


def test_whole_number_arguments_of_any_type_are_accepted():
    t = SGDTrainer(batch_size=np.int64(4), epochs=2.0, learning_rate=np.float32(0.5))
    assert (t.batch_size, t.epochs, t.learning_rate) == (4, 2, 0.5)


def test_evaluate_batch_size_is_checked():
    with pytest.raises(ValueError, match="evaluate: batch_size must be an integer >= 1, got 0"):
        evaluate(classifier(), X, Y, batch_size=0)


@pytest.mark.parametrize("call", [
    lambda: SGDTrainer(epochs=1).optimize(None, X, Y),
    lambda: evaluate(None, X, Y),
])
def test_none_for_a_network(call):
    # before: AttributeError: 'NoneType' object has no attribute 'input_layer'
    with pytest.raises(TypeError, match="network is None, expected a Network"):
        call()


def test_network_with_none_or_a_class_as_a_layer_or_input_layer():
    il, loss = InputLayer(2), MSE()
    with pytest.raises(TypeError, match="input_layer is None, expected an InputLayer"):
        Network(None, [FullyConnected(2, 1)], loss)
    with pytest.raises(TypeError, match=r"layers\[1\] is None, expected a Layer; remove it"):
        Network(il, [FullyConnected(2, 1), None], loss)
    with pytest.raises(TypeError, match=r"layers\[0\] is .*FullyConnected.*pass an instance"):
        Network(il, [FullyConnected], loss)
    with pytest.raises(TypeError, match="layers is None, expected a list of Layers"):
        Network(il, None, loss)
    net = Network(il, FullyConnected(2, 1, seed=0), loss)  # a single layer is a chain of one
    assert len(net.layers) == 1


def test_bad_validation_data_and_callback():
    with pytest.raises(TypeError, match=r"validation_data must be a pair \(data, labels\), got ndarray"):
        SGDTrainer(epochs=1).optimize(classifier(), X, Y, validation_data=X)
    with pytest.raises(TypeError, match="callback must be callable"):
        SGDTrainer(epochs=1).optimize(classifier(), X, Y, callback="print")
