"""Flatten: [N, H, W, C] -> [N, H·W·C], the same memory; zero-copy inside a Network."""
import numpy as np
import pytest

from framework import FullyConnected, InputLayer, Network, SoftmaxCrossEntropy, Tensor, check_layer
from framework.compare import assert_close
from framework.layers.flatten import Flatten

from helpers import run


def test_forward_backward_by_hand():
    # [N=2, H=2, W=1, C=2]; feature f = h + H·(w + W·c) = h + 2c:
    # sample n: f0 = (h0, c0), f1 = (h1, c0), f2 = (h0, c1), f3 = (h1, c1)
    x = np.array([[[[1, 2]], [[3, 4]]],
                  [[[5, 6]], [[7, 8]]]], dtype=np.float64)   # x[n, h, 0, c]
    dy = np.array([[10, 20, 30, 40], [50, 60, 70, 80]], dtype=np.float64)
    y, dx = run(Flatten(), x, dy)
    assert_close([[1, 3, 2, 4], [5, 7, 6, 8]], y, "Y")
    assert_close([[[[10, 30]], [[20, 40]]], [[[50, 70]], [[60, 80]]]], dx, "δX")


def test_output_shape_and_errors():
    assert Flatten().output_shape((4, 5, 5, 16)).dims == (4, 400)
    assert Flatten().output_shape((4, 7)).dims == (4, 7)
    with pytest.raises(ValueError, match=r"Flatten\(\): input must be \[N, \.\.\.\] with at least 2 dims"):
        Flatten().output_shape((4,))


def test_gradient_check():
    check_layer(Flatten(), (3, 2, 3, 2))


def test_network_shares_the_buffer():
    """In a Network, Flatten's output is a view of its input: no copy in either pass."""
    net = Network(InputLayer((3, 2, 2), num_classes=3), [Flatten(), FullyConnected(12, 3, seed=0)],
                  SoftmaxCrossEntropy())
    x = np.random.default_rng(0).standard_normal((5, 3, 2, 2))
    net.backprop(x, [0, 1, 2, 0, 1])
    t = net.tensors(5)
    assert t[1].elements is t[0].elements
    assert t[1].shape.dims == (5, 12)
    assert np.shares_memory(t[1].deltas, t[0].deltas)
    # the input deltas are the FC's δ, reshaped: compare with a copying run
    flat = x.reshape(5, 12, order="F")
    net2 = Network(InputLayer(12, num_classes=3), [FullyConnected(12, 3, seed=0)], SoftmaxCrossEntropy())
    net2.backprop(flat, [0, 1, 2, 0, 1])
    assert_close(net2.tensors(5)[0].deltas, t[0].deltas, "δX", atol=1e-6)


def test_separate_tensors_copy():
    x, y = Tensor((2, 3, 1, 1), [1, 2, 3, 4, 5, 6]), Tensor((2, 3))
    Flatten().forward([x], [y])
    assert y.elements.tolist() == [1, 2, 3, 4, 5, 6] and y.elements is not x.elements
