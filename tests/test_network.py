"""Tests for Network: shape checks, tensor reuse, forward/backprop values and gradients."""
from __future__ import annotations

import numpy as np
import pytest

from framework.layers import FullyConnected, InputLayer, Sigmoid
from framework.losses import MSE, SoftmaxCrossEntropy
from framework.network import Network


# -- construction ----------------------------------------------------------------------

def test_mismatched_layers_rejected_at_construction():
    with pytest.raises(ValueError) as e:
        Network(InputLayer(4), [FullyConnected(4, 3, seed=0), FullyConnected(5, 2, seed=0)], MSE())
    msg = str(e.value)
    assert "layer 1" in msg                      # position
    assert "FullyConnected(5->2)" in msg         # the layer that does not fit
    assert "FullyConnected(4->3)" in msg         # its predecessor
    assert "3 features" in msg and "expected 5" in msg


def test_input_layer_mismatch_rejected():
    with pytest.raises(ValueError) as e:
        Network(InputLayer(3), [FullyConnected(4, 2, seed=0)], MSE())
    msg = str(e.value)
    assert "layer 0" in msg and "the input layer" in msg
    assert "3 features" in msg and "expected 4" in msg


def test_non_layer_rejected():
    with pytest.raises(TypeError, match=r"layers\[1\]"):
        Network(InputLayer(2), [FullyConnected(2, 2, seed=0), "relu"], MSE())


def test_shapes_and_params():
    fc1, fc2 = FullyConnected(4, 3, seed=0), FullyConnected(3, 2, seed=0)
    net = Network(InputLayer(4), [fc1, Sigmoid(), fc2], MSE())
    assert net.shapes(5) == [(5, 4), (5, 3), (5, 3), (5, 2)]
    assert net.params == [fc1.weights, fc1.bias, fc2.weights, fc2.bias]


# -- tensor reuse ---------------------------------------------------------------------------

def test_tensors_allocated_once_per_batch_shape():
    net = Network(InputLayer(2), [FullyConnected(2, 3, seed=1), Sigmoid()], MSE())
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    out1 = net.forward(x1)
    t_first = net.tensors(4)
    out1_copy = out1.copy()
    out2 = net.forward(x2)
    t_second = net.tensors(4)
    assert len(t_first) == 3
    assert all(a is b for a, b in zip(t_first, t_second))
    # the returned predictions are new arrays: the second pass does not overwrite the first
    np.testing.assert_array_equal(out1, out1_copy)
    assert not np.array_equal(out1, out2)
    # the cached tensors hold the last pass
    np.testing.assert_allclose(t_second[0].to_numpy(), x2.astype(np.float32))
    np.testing.assert_allclose(t_second[-1].to_numpy(), out2)

    net.forward(x1[:3])
    t_other = net.tensors(3)
    assert t_other[0].shape == (3, 2)
    assert all(a is not b for a, b in zip(t_first, t_other))
    assert all(a is b for a, b in zip(t_first, net.tensors(4)))  # the size-4 set still cached


# -- forward ---------------------------------------------------------------------------------

def _tiny_classifier(dtype=np.float32):
    # W is [F=2, O=3], b is [3]
    fc = FullyConnected(2, 3, weights=[[1, 0, -1],
                                       [2, 1, 0]], bias=[0, 0.5, 1], dtype=dtype)
    return Network(InputLayer(2, num_classes=3, dtype=dtype), [fc], SoftmaxCrossEntropy())


def test_forward_returns_softmax_probabilities():
    net = _tiny_classifier()
    x = np.array([[1.0, 1.0], [1.0, -1.0]])
    # logits = x @ W + b
    # row 0: [1*1 + 1*2 + 0, 1*0 + 1*1 + 0.5, 1*-1 + 1*0 + 1]    = [3, 1.5, 0]
    # row 1: [1*1 - 1*2 + 0, 1*0 - 1*1 + 0.5, 1*-1 - 1*0 + 1]    = [-1, -0.5, 0]
    logits = np.array([[3.0, 1.5, 0.0], [-1.0, -0.5, 0.0]])
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    # p[0, 0] = e^3 / (e^3 + e^1.5 + e^0) = 1 / (1 + e^-1.5 + e^-3)
    #         = 1 / (1 + 0.223130 + 0.049787) = 0.785597
    # p[1, 2] = e^0 / (e^-1 + e^-0.5 + e^0) = 1 / (0.367879 + 0.606531 + 1) = 0.506480
    p = net.forward(x)
    assert p.shape == (2, 3)
    np.testing.assert_allclose(p, expected, rtol=1e-6)
    np.testing.assert_allclose(p[0, 0], 0.785597, rtol=1e-5)
    np.testing.assert_allclose(p[1, 2], 0.506480, rtol=1e-5)
    np.testing.assert_allclose(p.sum(axis=1), [1.0, 1.0], rtol=1e-6)
    # the cached last tensor holds the raw logits, not the probabilities
    np.testing.assert_allclose(net.tensors(2)[-1].to_numpy(), logits, rtol=1e-6)


def test_backprop_returns_softmax_cross_entropy_loss():
    net = _tiny_classifier(np.float64)
    x = np.array([[1.0, 1.0], [0.0, 2.0]])
    labels = np.array([0, 2])
    logits = np.array([[3.0, 1.5, 0.0], [4.0, 2.5, 1.0]])
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    # L = -(log p[0, 0] + log p[1, 2]) / 2
    expected = -(logp[0, 0] + logp[1, 2]) / 2
    assert net.backprop(x, labels).loss == pytest.approx(expected, rel=1e-12)


# -- backprop: hand-computed gradient, accumulation --------------------------------------------

def test_backprop_hand_computed_single_sample():
    fc = FullyConnected(2, 1, weights=[[2], [3]], bias=[1], dtype=np.float64)
    net = Network(InputLayer(2, dtype=np.float64), [fc], MSE())
    # y = 1*2 + 2*3 + 1 = 9, target 10: L = ½(9 - 10)² = 0.5, δy = 9 - 10 = -1
    loss = net.backprop([[1.0, 2.0]], np.array([[10.0]])).loss
    assert loss == 0.5
    np.testing.assert_array_equal(fc.weights.delta_view(), [[-1.0], [-2.0]])  # xᵀ·δy
    np.testing.assert_array_equal(fc.bias.deltas, [-1.0])                     # Σ δy
    np.testing.assert_array_equal(net.tensors(1)[0].delta_view(), [[-2.0, -3.0]])  # δy·Wᵀ


def _small_mlp(dtype):
    rng = np.random.default_rng(3)
    fc1 = FullyConnected(3, 4, seed=rng, dtype=dtype)
    fc2 = FullyConnected(4, 2, seed=rng, bias=rng.standard_normal(2), dtype=dtype)
    fc1.bias.view()[...] = rng.standard_normal(4)
    return Network(InputLayer(3, dtype=dtype), [fc1, Sigmoid(), fc2], MSE())


def _data():
    rng = np.random.default_rng(7)
    return rng.standard_normal((5, 3)), rng.standard_normal((5, 2))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_parameter_deltas_accumulate_and_zero_deltas_resets(dtype):
    net = _small_mlp(dtype)
    x, y = _data()
    net.zero_deltas()
    l1 = net.backprop(x, y).loss
    first = [p.deltas.copy() for p in net.params]
    assert all(np.any(d != 0) for d in first)
    l2 = net.backprop(x, y).loss
    assert l1 == l2
    for p, d in zip(net.params, first):
        if dtype == np.float64:
            np.testing.assert_array_equal(p.deltas, 2 * d)   # d + d is exact
        else:
            np.testing.assert_allclose(p.deltas, 2 * d, rtol=1e-6, atol=1e-7)
    net.zero_deltas()
    for p in net.params:
        np.testing.assert_array_equal(p.deltas, 0.0)
    net.backprop(x, y)
    for p, d in zip(net.params, first):
        np.testing.assert_allclose(p.deltas, d, rtol=1e-6)


# -- backprop vs finite differences ----------------------------------------------------------

def _mse_loss(net, x, y):
    # L = (1/N) Σ ½ (f(x) - y)², computed independently of MSE.forward
    out = net.forward(x)
    return 0.5 * np.sum((out - y) ** 2) / x.shape[0]


def _central_diff(f, arr, h=1e-6):
    grad = np.zeros_like(arr)
    it = np.nditer(arr, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = arr[i]
        arr[i] = old + h
        lp = f()
        arr[i] = old - h
        lm = f()
        arr[i] = old
        grad[i] = (lp - lm) / (2 * h)
    return grad


def test_backprop_matches_finite_differences_float64():
    net = _small_mlp(np.float64)
    x, y = _data()
    net.zero_deltas()
    loss = net.backprop(x, y).loss
    assert loss == pytest.approx(_mse_loss(net, x, y), rel=1e-12)
    analytic = [p.delta_view().copy() for p in net.params]
    for p, g in zip(net.params, analytic):
        numeric = _central_diff(lambda: _mse_loss(net, x, y), p.view())
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-9)
        assert np.abs(g).max() > 1e-3  # a non-trivial gradient


def test_input_deltas_false_leaves_input_deltas_unallocated():
    net = _small_mlp(np.float64)
    x, y = _data()
    net.zero_deltas()
    net.backprop(x, y, input_deltas=False)
    t = net.tensors(5)
    assert t[0].has_deltas is False
    assert t[0]._deltas is None
    assert t[1].has_deltas  # the hidden tensors still get their deltas
    without = [p.deltas.copy() for p in net.params]

    # same parameter gradient either way
    net2 = _small_mlp(np.float64)
    net2.zero_deltas()
    net2.backprop(x, y, input_deltas=True)
    for p, d in zip(net2.params, without):
        np.testing.assert_allclose(p.deltas, d, rtol=1e-12)


def test_input_deltas_true_match_finite_differences():
    net = _small_mlp(np.float64)
    x, y = _data()
    net.backprop(x, y, input_deltas=True)
    dx = net.tensors(5)[0].delta_view().copy()
    xv = x.copy()
    numeric = _central_diff(lambda: _mse_loss(net, xv, y), xv)
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-9)
    assert np.abs(dx).max() > 1e-3


# -- predict ---------------------------------------------------------------------------------

def test_predict_in_chunks_equals_forward():
    net = _small_mlp(np.float32)
    x = np.random.default_rng(11).standard_normal((10, 3))
    full = net.forward(x)
    chunked = net.predict(x, batch_size=3)   # chunks of 3, 3, 3, 1
    assert chunked.shape == (10, 2)
    np.testing.assert_allclose(chunked, full, rtol=1e-6, atol=1e-7)
    one = net.predict(x, batch_size=1)
    np.testing.assert_allclose(one, full, rtol=1e-6, atol=1e-7)


def test_predict_softmax_probabilities_in_chunks():
    net = _tiny_classifier()
    x = np.array([[1.0, 1.0], [0.0, 2.0], [-1.0, 0.5]])
    np.testing.assert_allclose(net.predict(x, batch_size=2), net.forward(x), rtol=1e-6)
    np.testing.assert_allclose(net.predict(x, batch_size=2).sum(axis=1), 1.0, rtol=1e-6)


# -- mistakes a student makes, caught at construction -----------------------------------

def test_mixed_dtypes_are_refused_naming_the_layer():
    from framework import FullyConnected, InputLayer, Network, SoftmaxCrossEntropy
    with pytest.raises(TypeError, match=r"layer 0 \(FullyConnected\(2->3\)\) has float64 parameters "
                                        r"but the input layer makes float32"):
        Network(InputLayer(2), [FullyConnected(2, 3, dtype=np.float64)], SoftmaxCrossEntropy())


def test_loss_class_instead_of_instance():
    from framework import CrossEntropy, FullyConnected, InputLayer, Network
    with pytest.raises(TypeError, match=r"pass an instance: CrossEntropy\(\)"):
        Network(InputLayer(2), [FullyConnected(2, 3)], CrossEntropy)


def test_softmax_pairing_mistakes_warn():
    from framework import (CrossEntropy, FullyConnected, InputLayer, Network, Softmax,
                           SoftmaxCrossEntropy)
    with pytest.warns(UserWarning, match="applies softmax again"):
        Network(InputLayer(2), [FullyConnected(2, 3), Softmax()], SoftmaxCrossEntropy())
    with pytest.warns(UserWarning, match="expects probabilities"):
        Network(InputLayer(2), [FullyConnected(2, 3)], CrossEntropy())


def test_tensors_of_the_last_pass_and_unknown_batch_sizes():
    from framework import FullyConnected, InputLayer, Network, SoftmaxCrossEntropy
    net = Network(InputLayer(2, num_classes=3), [FullyConnected(2, 3, seed=0)], SoftmaxCrossEntropy())
    with pytest.raises(ValueError, match="no forward or backprop has run yet"):
        net.tensors()
    net.backprop([[1.0, 2.0]], [2])
    assert net.tensors() is net.tensors(1)
    assert net.tensors()[0][0, 1] == 2.0
    with pytest.raises(ValueError, match=r"no pass has run with batch size 7 \(cached batch sizes: \[1\]\)"):
        net.tensors(7)


def test_a_layer_that_does_not_fit_is_named_with_the_batch_as_n():
    from framework import GRU
    with pytest.raises(ValueError, match=r"layer 0 \(GRU\(3->4, last step\)\) does not accept the output "
                                         r"of the input layer \(Shape\[N, 8, 5\]\).*input has 5 "
                                         r"features, expected 3"):
        Network(InputLayer((8, 5), num_classes=2), [GRU(3, 4, return_sequences=False),
                                                     FullyConnected(4, 2)], SoftmaxCrossEntropy())
