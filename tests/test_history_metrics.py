"""Confusion matrix and per-class accuracy: from evaluate_detailed and in the History of every epoch."""
import numpy as np
import pytest

from framework import (MSE, FullyConnected, InputLayer, Network, SGDTrainer, SoftmaxCrossEntropy,
                       Tanh, evaluate, evaluate_detailed)
from framework.batches import EpochMetrics
from framework.metrics import confusion_matrix, per_class_accuracy, predict_classes


def _identity_net(c=3):
    # logits = x: the predicted class is the argmax of the input row
    return Network(InputLayer(c, num_classes=c), [FullyConnected(c, c, weights=np.eye(c))],
                   SoftmaxCrossEntropy())


def test_evaluate_detailed_counts_a_hand_made_confusion_matrix():
    x = np.eye(3, dtype=np.float32)[[0, 1, 2, 2, 0]]      # predicts 0, 1, 2, 2, 0
    y = np.array([0, 1, 1, 2, 2])
    result = evaluate_detailed(_identity_net(), x, y, batch_size=2)
    # matrix[true, predicted]: (0,0) (1,1) (1,2) (2,2) (2,0)
    assert result.confusion.tolist() == [[1, 0, 0], [0, 1, 1], [1, 0, 1]]
    assert result.confusion.dtype == np.int64
    assert result.per_class_accuracy.tolist() == [1.0, 0.5, 0.5]
    assert result.accuracy == 3 / 5
    assert evaluate(_identity_net(), x, y, batch_size=2) == (result.loss, result.accuracy)


def test_an_absent_class_has_nan_per_class_accuracy():
    x = np.eye(3, dtype=np.float32)[[0, 1]]
    result = evaluate_detailed(_identity_net(), x, np.array([0, 0]))
    assert result.confusion.tolist() == [[1, 1, 0], [0, 0, 0], [0, 0, 0]]
    assert result.per_class_accuracy[0] == 0.5 and np.isnan(result.per_class_accuracy[1:]).all()


def test_regression_targets_have_no_matrix():
    net = Network(InputLayer(2), [FullyConnected(2, 1, seed=0)], MSE())
    x = np.ones((4, 2), np.float32)
    y = 0.5 * x[:, :1]  # targets of 0 and 1 only would count as one-hot classes
    result = evaluate_detailed(net, x, y)
    assert result.confusion is None and result.per_class_accuracy is None
    assert np.isnan(result.accuracy)
    h = SGDTrainer(epochs=2, validation_split=0.5).optimize(net, x, y)
    assert len(h.val_loss) == 2 and h.val_confusion == [] and h.val_per_class_accuracy == []


def test_training_steps_count_no_matrix():
    assert EpochMetrics(np.zeros(3, int)).confusion is None  # the trainer's per-step metrics
    assert EpochMetrics(None, num_classes=3).confusion is None


def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = (np.eye(3)[y] * 2 + rng.normal(size=(n, 3))).astype(np.float32)
    return x, y


def test_history_holds_each_epochs_matrix_of_the_validation_data():
    x, y = _blobs()
    xv, yv = _blobs(40, seed=1)
    net = Network(InputLayer(3, num_classes=3),
                  [FullyConnected(3, 6, seed=0), Tanh(), FullyConnected(6, 3, seed=1)],
                  SoftmaxCrossEntropy())
    seen = []

    def callback(epoch, history):
        # An independent second pass (predictions, then counting), for the test.
        seen.append(confusion_matrix(predict_classes(net, xv), yv, num_classes=3))

    h = SGDTrainer(learning_rate=0.1, epochs=3, batch_size=16).optimize(
        net, x, y, validation_data=(xv, yv), callback=callback)
    assert len(h.val_confusion) == len(h.val_per_class_accuracy) == 3
    for epoch, expected in enumerate(seen):
        assert np.array_equal(h.val_confusion[epoch], expected)
        assert np.array_equal(h.val_per_class_accuracy[epoch], per_class_accuracy(expected),
                              equal_nan=True)
        assert h.val_confusion[epoch].sum() == 40
        assert np.trace(h.val_confusion[epoch]) / 40 == pytest.approx(h.val_accuracy[epoch])
    assert not np.array_equal(h.val_confusion[0], h.val_confusion[-1])  # it learns


def test_no_validation_data_no_matrices():
    x, y = _blobs(30)
    h = SGDTrainer(epochs=2).optimize(_identity_net(), x, y)
    assert h.val_confusion == [] and h.val_per_class_accuracy == []


def test_a_history_survives_its_arrays_and_compares_by_value():
    from framework import History
    h = History(train_loss=[0.5, 0.25], train_accuracy=[float("nan")] * 2, val_loss=[0.7, 0.6],
                val_accuracy=[0.5, 0.75], epoch_seconds=[1.0, 1.5], learning_rate=[0.1, 0.05],
                val_confusion=[np.array([[1, 1], [0, 2]]), np.array([[2, 0], [1, 1]])],
                val_per_class_accuracy=[np.array([0.5, 1.0]), np.array([1.0, 0.5])], best_epoch=2)
    back = History.from_arrays(h.to_arrays())
    assert back == h and back.stopped_epoch is None and back.best_epoch == 2
    assert back.val_confusion[1].tolist() == [[2, 0], [1, 1]]
    back.val_confusion[1][0, 0] = 3
    assert back != h
    assert History() == History() and History() != History(train_loss=[1.0])
