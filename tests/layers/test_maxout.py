"""Maxout(k): Y[..., j] = max_p X[..., j·k + p], [..., k·F] -> [..., F]; δ to the arg-max."""
import pytest

from framework import (FullyConnected, InputLayer, Maxout, Network, Shape, SoftmaxCrossEntropy,
                       check_layer)
from framework.compare import assert_close

from helpers import run


def test_forward_and_backward_by_hand():
    # k = 2, F = 2: groups (x0, x1) and (x2, x3)
    x = [[1.0, 3.0, -2.0, -5.0],
         [4.0, 0.0, 0.5, 2.0],
         [-1.0, -1.5, 7.0, 6.0]]
    dy = [[10.0, 20.0], [30.0, 40.0], [50.0, 60.0]]
    y, dx = run(Maxout(2), x, dy)
    assert_close([[3.0, -2.0], [4.0, 2.0], [-1.0, 7.0]], y, "Y")
    assert_close([[0.0, 10.0, 20.0, 0.0],
                  [30.0, 0.0, 0.0, 40.0],
                  [50.0, 0.0, 60.0, 0.0]], dx, "δX")


def test_three_pieces_on_a_sequence_and_ties_go_to_the_first_piece():
    x = [[[1.0, 5.0, 2.0], [4.0, 4.0, 0.0]]] * 3         # [N=3, T=2, 3] -> [3, 2, 1]
    dy = [[[1.0], [2.0]]] * 3
    y, dx = run(Maxout(3), x, dy)
    assert y.shape == (3, 2, 1)
    assert_close([[[5.0], [4.0]]] * 3, y, "Y")
    assert_close([[[0.0, 1.0, 0.0], [2.0, 0.0, 0.0]]] * 3, dx, "δX")


def test_output_shape_and_bad_sizes():
    assert Maxout(3).output_shape(Shape((4, 12))) == Shape((4, 4))
    with pytest.raises(ValueError, match=r"Maxout\(pieces=3\): input has 10 features, "
                                         r"expected a multiple of pieces = 3"):
        Maxout(3).output_shape(Shape((4, 10)))
    with pytest.raises(ValueError, match="pieces must be an int"):
        Maxout(0)
    with pytest.raises(ValueError, match="pieces must be an int"):
        Maxout(2.0)


def test_gradient_check():
    check_layer(Maxout(2), (3, 6))
    check_layer(Maxout(3), (3, 2, 6))


def test_gradient_check_of_a_maxout_unit():
    # FC to k·F then Maxout: the maxout unit max_p (x·W_p + b_p), weights checked too
    net = Network(InputLayer(4, num_classes=2), [FullyConnected(4, 6, seed=0), Maxout(3)],
                  SoftmaxCrossEntropy())
    report = check_layer(net, (5, 4))
    assert [q.name for q in report.quantities if q.checked] == [
        "input deltas", "layer 0 FullyConnected(4->6) weights", "layer 0 FullyConnected(4->6) bias"]
