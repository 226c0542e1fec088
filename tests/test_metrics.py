"""Accuracy, confusion matrix and per-class accuracy against hand-counted values."""
import math

import numpy as np
import pytest

from framework import InputLayer, Network
from framework.layers import FullyConnected
from framework.losses import SoftmaxCrossEntropy
from framework import evaluate_detailed
from framework.metrics import accuracy, confusion_matrix, per_class_accuracy, predict_classes

PRED = [0, 1, 1, 2, 2, 2, 0]
TRUE = [0, 1, 2, 2, 2, 0, 0]


def test_confusion_matrix_counts_true_rows_predicted_columns():
    # By hand: class 0 -> predicted 0, 2, 0; class 1 -> 1; class 2 -> 1, 2, 2.
    expected = np.array([[2, 0, 1],
                         [0, 1, 0],
                         [0, 1, 2]])
    m = confusion_matrix(PRED, TRUE)
    np.testing.assert_array_equal(m, expected)
    assert m.sum() == len(PRED)


def test_num_classes_pads_and_rejects_unknown_class():
    m = confusion_matrix([0, 1], [0, 1], num_classes=4)
    assert m.shape == (4, 4) and m[0, 0] == 1 and m[1, 1] == 1 and m.sum() == 2
    with pytest.raises(ValueError, match="class 3 found, but num_classes=3"):
        confusion_matrix([3], [0], num_classes=3)


def test_accuracy_and_per_class_accuracy():
    assert accuracy(PRED, TRUE) == pytest.approx(5 / 7)
    per_class = per_class_accuracy(confusion_matrix(PRED, TRUE, num_classes=4))
    np.testing.assert_allclose(per_class[:3], [2 / 3, 1.0, 2 / 3])
    assert math.isnan(per_class[3])  # no sample of class 3: nothing to be right about


def test_bad_inputs_say_what():
    with pytest.raises(ValueError, match="3 predictions for 2 labels"):
        accuracy([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="whole class indices"):
        confusion_matrix([0.5], [0])
    with pytest.raises(ValueError, match=">= 0"):
        confusion_matrix([-1], [0])
    with pytest.raises(ValueError, match="square"):
        per_class_accuracy(np.zeros((2, 3)))


def test_predictions_and_evaluate_detailed_on_a_network_with_known_weights():
    # W picks feature j for class j: the prediction is the argmax of the input.
    net = Network(InputLayer((3,), num_classes=3),
                  [FullyConnected(3, 3, weights=np.eye(3), bias=np.zeros(3))],
                  SoftmaxCrossEntropy())
    x = np.array([[5, 0, 0], [0, 5, 0], [0, 0, 5], [0, 5, 0]], dtype=np.float32)
    labels = np.array([0, 1, 2, 2])
    np.testing.assert_array_equal(predict_classes(net, x), [0, 1, 2, 1])
    result = evaluate_detailed(net, x, labels)
    assert result.accuracy == pytest.approx(0.75)
    np.testing.assert_array_equal(result.confusion, [[1, 0, 0], [0, 1, 0], [0, 1, 1]])
    np.testing.assert_allclose(result.per_class_accuracy, [1.0, 1.0, 0.5])
