"""Tests for InputLayer: data -> [N, F] tensors, labels -> one-hot targets, and the checks."""
from __future__ import annotations

import numpy as np
import pytest

from framework.layers.input import InputLayer
from framework.shape import Shape
from framework.tensor import Tensor


def test_list_becomes_batch_tensor():
    layer = InputLayer(3)
    t = layer.forward([[1, 2, 3], [4, 5, 6]])
    assert isinstance(t, Tensor)
    assert t.shape == (2, 3) and t.dtype == np.float32
    assert t[0, 0] == 1 and t[0, 2] == 3 and t[1, 0] == 4 and t[1, 2] == 6
    # column-major: (1, 0) is at offset 1, (0, 1) at offset 2
    np.testing.assert_array_equal(t.elements, [1, 4, 2, 5, 3, 6])


def test_array_becomes_batch_tensor_float64():
    layer = InputLayer(2, dtype=np.float64)
    a = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    t = layer.forward(a)
    assert t.shape == (3, 2) and t.dtype == np.float64
    np.testing.assert_array_equal(t.to_numpy(), a)


def test_multidim_samples():
    layer = InputLayer((2, 2, 1))
    a = np.arange(8).reshape(2, 2, 2, 1)
    t = layer.forward(a)
    assert t.shape == (2, 2, 2, 1)
    assert t[1, 0, 1, 0] == a[1, 0, 1, 0] == 5


def test_single_sample_becomes_batch_of_one():
    layer = InputLayer(3)
    t = layer.forward([7, 8, 9])
    assert t.shape == (1, 3)
    assert [t[0, 0], t[0, 1], t[0, 2]] == [7, 8, 9]
    assert layer.as_array(np.zeros(3)).shape == (1, 3)


def test_forward_fills_preallocated_out():
    layer = InputLayer(2)
    out = Tensor([2, 2])
    res = layer.forward([[1, 2], [3, 4]], out=out)
    assert res is out
    np.testing.assert_array_equal(out.view(), [[1, 2], [3, 4]])
    # wrong-shaped out: a new tensor, out left alone
    res2 = layer.forward([[5, 6]], out=out)
    assert res2 is not out and res2.shape == (1, 2)
    assert out[0, 0] == 1


def test_wrong_feature_count_names_layer_and_shapes():
    layer = InputLayer(4)
    with pytest.raises(ValueError) as e:
        layer.forward(np.zeros((2, 3)))
    msg = str(e.value)
    assert "InputLayer" in msg
    assert "(2, 3)" in msg          # what was given
    assert "(N, 4)" in msg          # what was expected


def test_empty_batch_rejected():
    with pytest.raises(ValueError, match="N >= 1"):
        InputLayer(3).as_array(np.zeros((0, 3)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_inf_rejected_naming_sample(bad):
    x = np.ones((4, 3))
    x[2, 1] = bad
    with pytest.raises(ValueError) as e:
        InputLayer(3).forward(x)
    msg = str(e.value)
    assert "InputLayer" in msg
    assert "sample 2" in msg
    assert "NaN and inf are not allowed" in msg


def test_nan_message_prints_plain_index():
    x = np.ones((4, 3))
    x[2, 1] = np.nan
    with pytest.raises(ValueError) as e:
        InputLayer(3).forward(x)
    assert "at index (2, 1)" in str(e.value)


def test_integer_labels_one_hot():
    layer = InputLayer(2, num_classes=4)
    t = layer.targets([2, 0, 3])
    assert t.shape == (3, 4) and t.dtype == np.float32
    expected = np.array([[0, 0, 1, 0],
                         [1, 0, 0, 0],
                         [0, 0, 0, 1]], dtype=np.float32)
    np.testing.assert_array_equal(t.to_numpy(), expected)
    # column-major flat layout of the same matrix: column 0 = rows' entries for class 0
    np.testing.assert_array_equal(t.elements, [0, 1, 0,  0, 0, 0,  1, 0, 0,  0, 0, 1])


def test_integer_labels_with_prediction_shape():
    layer = InputLayer(2, num_classes=3)
    assert layer.targets(np.array([1, 2]), (2, 3)).shape == (2, 3)
    with pytest.raises(ValueError, match="expected Shape\\[2, 4\\]"):
        layer.targets(np.array([1, 2]), (2, 4))


@pytest.mark.parametrize("bad", [-1, 10])
def test_labels_out_of_range(bad):
    layer = InputLayer(2, num_classes=10)
    with pytest.raises(ValueError) as e:
        layer.targets(np.array([0, 3, bad, 9]))
    msg = str(e.value)
    assert f"label {bad}" in msg
    assert "0..9" in msg
    assert "InputLayer" in msg


def test_integer_labels_without_num_classes():
    with pytest.raises(ValueError, match="num_classes"):
        InputLayer(2).targets(np.array([0, 1]))


def test_bad_num_classes():
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="num_classes"):
            InputLayer(2, num_classes=bad)


def test_float_targets_pass_through():
    layer = InputLayer(2)
    y = np.array([[0.25, -1.5], [3.0, 0.125]])
    t = layer.targets(y)
    assert t.shape == (2, 2) and t.dtype == np.float32
    np.testing.assert_array_equal(t.to_numpy(), y)
    # float targets are not one-hot'ed even when num_classes is set
    t2 = InputLayer(2, num_classes=5).targets(np.array([[1.0, 0.0]]))
    assert t2.shape == (1, 2)


def test_float_targets_nan_rejected():
    with pytest.raises(ValueError, match="NaN or inf"):
        InputLayer(2).targets(np.array([[np.nan, 1.0]]))


def test_sequence_labels_one_hot():
    N, T, C = 2, 3, 4
    labels = np.array([[0, 3, 1],
                       [2, 2, 0]])
    t = InputLayer(5, num_classes=C).targets(labels)
    assert t.shape == (N, T, C)
    v = t.view()
    for n in range(N):
        for s in range(T):
            assert t[n, s, labels[n, s]] == 1.0
            assert v[n, s].sum() == 1.0
    assert v.sum() == N * T
    # spot-check zeros
    assert t[0, 1, 0] == 0.0 and t[1, 0, 3] == 0.0
    # matrix row n + N*t carries label[n, t]: row 1 + 2*1 = 3 -> labels[1, 1] = 2
    assert t.matrix()[3].tolist() == [0, 0, 1, 0]


def test_label_column_is_accepted_and_float_labels_get_a_hint():
    layer = InputLayer(2, num_classes=3)
    t = layer.targets(np.array([[0], [2]]), Shape([2, 3]))
    assert t.to_numpy().tolist() == [[1, 0, 0], [0, 0, 1]]
    with pytest.raises(ValueError, match=r"pass integer class labels \(labels.astype\(int\)\)"):
        layer.targets(np.array([0.0, 2.0]), Shape([2, 3]))


def test_bad_sample_shape_and_non_numeric_data_name_the_input_layer():
    with pytest.raises(ValueError, match="InputLayer: Shape dim 0 must be a positive integer"):
        InputLayer(0)
    with pytest.raises(ValueError, match=r"InputLayer\(2\): data must be numbers"):
        InputLayer(2).as_array([["a", "b"]])


def test_one_label_per_sequence_for_a_sequence_output_suggests_return_sequences():
    from framework import GRU, FullyConnected, Network, SGDTrainer, SoftmaxCrossEntropy
    net = Network(InputLayer((8, 3), num_classes=2), [GRU(3, 4), FullyConnected(4, 2)],
                  SoftmaxCrossEntropy())
    with pytest.raises(ValueError, match=r"labels \[20\] make one-hot targets Shape\[20, 2\], expected "
                                         r"Shape\[20, 8, 2\].*return_sequences=False"):
        SGDTrainer(epochs=1).optimize(net, np.zeros((20, 8, 3)), np.zeros(20, int))
