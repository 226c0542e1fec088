"""The training step: StepResult, forward_loss, data and labels checked once, batches gathered right."""
from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest

import framework.trainer
from framework.batches import EpochMetrics, LabeledData
from framework.layers import FullyConnected, InputLayer, Sigmoid
from framework.losses import MSE, SoftmaxCrossEntropy
from framework.network import Network, StepResult
from framework.tensor import Tensor
from framework.trainer import SGDTrainer, evaluate, evaluate_detailed


def identity_classifier():
    # FC(2->2) with W = I, b = 0: the logits are the inputs
    return Network(InputLayer(2, num_classes=2), [FullyConnected(2, 2, weights=[[1, 0], [0, 1]])],
                   SoftmaxCrossEntropy())


def separable(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    return x, y


def classifier(seed=0):
    return Network(InputLayer(2, num_classes=2),
                   [FullyConnected(2, 8, seed=seed), Sigmoid(), FullyConnected(8, 2, seed=seed + 1)],
                   SoftmaxCrossEntropy())


# -- StepResult and forward_loss ------------------------------------------------------------

def test_backprop_returns_loss_and_output_and_sets_no_attribute():
    # logits = x: rows [2, 0] (label 0) and [0, 0] (label 1)
    # loss = -(log softmax([2, 0])_0 + log 0.5)/2 = (0.126928 + 0.693147)/2 = 0.410038
    net = identity_classifier()
    result = net.backprop([[2.0, 0.0], [0.0, 0.0]], [0, 1])
    assert isinstance(result, StepResult)
    assert isinstance(result.loss, float)
    assert result.loss == pytest.approx(0.410038, rel=1e-5)
    assert result.output is net.tensors(2)[-1]
    np.testing.assert_array_equal(result.output.view(), [[2.0, 0.0], [0.0, 0.0]])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.loss = 0.0
    assert not hasattr(net, "output")  # no state left for others to read


def test_forward_loss_is_backprop_without_backward():
    net = identity_classifier()
    x, y = [[2.0, 0.0], [0.0, 0.0]], [0, 1]
    net.zero_deltas()
    loss = net.backprop(x, y).loss
    deltas = [p.deltas.copy() for p in net.params]
    result = net.forward_loss(x, y)
    assert result.loss == loss
    for p, d in zip(net.params, deltas):
        np.testing.assert_array_equal(p.deltas, d)  # no delta touched


def test_backprop_takes_tensors_of_the_batch_shape_and_refuses_others():
    net = identity_classifier()
    x = Tensor.from_numpy([[2.0, 0.0], [0.0, 0.0]])
    t = Tensor.from_numpy([[1.0, 0.0], [0.0, 1.0]])
    assert net.backprop(x, t).loss == pytest.approx(0.410038, rel=1e-5)
    with pytest.raises(ValueError, match=r"input tensor has Shape\[2, 3\].*expected \[N, 2\]"):
        net.backprop(Tensor((2, 3)), t)
    with pytest.raises(ValueError, match=r"target tensor has Shape\[2, 3\].*expected Shape\[2, 2\]"):
        net.backprop(x, Tensor((2, 3)))


def test_trainer_and_evaluate_use_only_public_network_api():
    source = inspect.getsource(framework.trainer)
    assert "network._" not in source and ".output =" not in source
    x, y = separable()
    net = classifier()
    SGDTrainer(learning_rate=0.5, batch_size=8, epochs=1).optimize(net, x, y)
    evaluate(net, x, y)
    assert not hasattr(net, "output")


# -- checked once -----------------------------------------------------------------------------

def _count_calls(monkeypatch, obj, name):
    calls = []
    original = getattr(obj, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)
    monkeypatch.setattr(obj, name, counted)
    return calls


def test_labels_and_data_are_converted_once_per_optimize(monkeypatch):
    x, y = separable()                        # 64 samples, 8 steps per epoch, 2 epochs
    net = classifier()
    targets = _count_calls(monkeypatch, net.input_layer, "targets")
    as_array = _count_calls(monkeypatch, net.input_layer, "as_array")
    SGDTrainer(learning_rate=0.5, batch_size=8, epochs=2).optimize(net, x, y)
    assert len(targets) == 1                  # was 1 + 1 + 16 (whole set, first label, every step)
    assert len(as_array) == 1                 # was 1 + 16


def test_validation_data_is_converted_once_not_every_epoch(monkeypatch):
    x, y = separable()
    xv, yv = separable(n=20, seed=9)
    net = classifier()
    targets = _count_calls(monkeypatch, net.input_layer, "targets")
    SGDTrainer(learning_rate=0.5, batch_size=8, epochs=3).optimize(net, x, y, validation_data=(xv, yv))
    assert len(targets) == 2                  # training set once, validation set once


# -- batches and metrics ----------------------------------------------------------------------

def test_batches_hold_the_rows_in_order_and_a_smaller_last_batch():
    net = Network(InputLayer(2, num_classes=3), [FullyConnected(2, 3, seed=0)], SoftmaxCrossEntropy())
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    y = np.array([2, 0, 1, 1, 0])
    data = LabeledData(net, x, y, "test")
    order = np.array([4, 1, 3, 0, 2])
    seen = [(b.x.to_numpy(), b.target.to_numpy(), b.index.copy()) for b in data.batches(order, 2)]
    assert [len(s[2]) for s in seen] == [2, 2, 1]
    for xb, tb, idx in seen:
        np.testing.assert_array_equal(xb, x[idx])
        np.testing.assert_array_equal(tb, np.eye(3)[y[idx]])
    np.testing.assert_array_equal(data.classes, y)


def test_sequence_accuracy_counts_every_time_step():
    # [N, T, F] = [3, 2, 2] data, FC(2->2) with W = I applied per time step: logits = x
    net = Network(InputLayer((2, 2), num_classes=2),
                  [FullyConnected(2, 2, weights=[[1, 0], [0, 1]])], SoftmaxCrossEntropy())
    x = np.array([[[1, 0], [0, 1]],      # predicts 0, 1
                  [[1, 0], [1, 0]],      # predicts 0, 0
                  [[0, 1], [0, 1]]], dtype=np.float32)  # predicts 1, 1
    y = np.array([[0, 1], [0, 1], [0, 0]])  # right: 2 + 1 + 0 of 6
    _, acc = evaluate(net, x, y, batch_size=2)
    assert acc == pytest.approx(3 / 6)
    # the confusion matrix counts the same rows: true 0 predicted 0, 0, 1, 1; true 1: 1, 0
    assert evaluate_detailed(net, x, y, batch_size=2).confusion.tolist() == [[2, 2], [1, 1]]


def test_epoch_metrics_mean_loss_weights_batches_by_size():
    m = EpochMetrics(None)
    out = Tensor((1, 1))
    m.add(StepResult(1.0, out), np.arange(3))
    m.add(StepResult(4.0, out), np.arange(1))
    assert m.loss == pytest.approx((3 * 1.0 + 1 * 4.0) / 4)
    assert np.isnan(m.accuracy)


def test_one_hot_float_targets_get_an_accuracy_and_soft_targets_do_not():
    x, y = separable(n=16)
    net = classifier()
    one_hot = np.eye(2)[y]
    assert evaluate(net, x, one_hot)[1] == evaluate(net, x, y)[1]
    assert np.isnan(evaluate(net, x, one_hot * 0.9 + 0.05)[1])
    regression = Network(InputLayer(2), [FullyConnected(2, 1, seed=0)], MSE())
    assert np.isnan(evaluate(regression, x, x[:, :1])[1])
