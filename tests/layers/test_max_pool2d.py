"""MaxPool2D: window maxima; backward routes δ to the first maximum in reading order."""
import numpy as np
import pytest

from framework import check_layer
from framework.compare import assert_close
from framework.layers.max_pool2d import MaxPool2D

from helpers import run


def _nhwc(img):
    return np.asarray(img, dtype=np.float64)[np.newaxis, :, :, np.newaxis]


X = [[1.0, 5.0, 2.0, 0.0],
     [3.0, -1.0, 4.0, 4.0],
     [0.0, 2.0, 7.0, 1.0],
     [6.0, 6.0, 1.0, 3.0]]


def test_forward_and_backward_by_hand():
    # 2x2 windows, stride 2: maxima 5 (top left), 4 (top right, a tie of two 4s),
    # 6 (bottom left, a tie of two 6s), 7 (bottom right).
    pool = MaxPool2D(2)
    dy = [[10.0, 20.0], [30.0, 40.0]]
    y, dx = run(pool, _nhwc(X), _nhwc(dy))
    assert_close([[5, 4], [6, 7]], y[0, :, :, 0], "Y")
    # ties: the first maximum in reading order (row by row, left to right) wins:
    #   top right window [[2, 0], [4, 4]]: the 4 at (1, 2), not (1, 3)
    #   bottom left [[0, 2], [6, 6]]: the 6 at (3, 0), not (3, 1)
    assert_close([[0, 10, 0, 0],
                  [0, 0, 20, 0],
                  [0, 0, 40, 0],
                  [30, 0, 0, 0]], dx[0, :, :, 0], "δX")


def test_tie_in_reading_order_not_memory_order():
    # All four equal: reading order picks the top-left element (i=0, j=0); a
    # column tie [[1, 3], [2, 3]] picks (0, 1) over (1, 1).
    y, dx = run(MaxPool2D(2), _nhwc([[2.0, 2.0], [2.0, 2.0]]), _nhwc([[1.0]]))
    assert_close([[1, 0], [0, 0]], dx[0, :, :, 0], "δX all tied")
    _, dx = run(MaxPool2D(2), _nhwc([[1.0, 3.0], [2.0, 3.0]]), _nhwc([[1.0]]))
    assert_close([[0, 1], [0, 0]], dx[0, :, :, 0], "δX column tie")
    # and with a row tie [[1, 2], [3, 3]]: (1, 0) over (1, 1)
    _, dx = run(MaxPool2D(2), _nhwc([[1.0, 2.0], [3.0, 3.0]]), _nhwc([[1.0]]))
    assert_close([[0, 0], [1, 0]], dx[0, :, :, 0], "δX row tie")


def test_border_windows_that_do_not_fit_are_dropped():
    # 5x5 input, 2x2 windows, stride 2: Ho = Wo = (5 − 2)//2 + 1 = 2; row 4 and
    # column 4 belong to no window: the 100s there are ignored and get δ = 0.
    img = np.arange(25.0).reshape(5, 5)
    img[4, :] = 100.0
    img[:, 4] = 100.0
    pool = MaxPool2D(2)
    y, dx = run(pool, _nhwc(img), np.ones((1, 2, 2, 1)))
    # windows' bottom-right elements: 6, 8, 16, 18
    assert_close([[6, 8], [16, 18]], y[0, :, :, 0], "Y")
    assert dx[0, 4, :, 0].tolist() == [0.0] * 5 and dx[0, :, 4, 0].tolist() == [0.0] * 5
    assert dx.sum() == 4.0


def test_overlapping_windows_add_up():
    # 1x3 input, window 1x2, stride 1: windows [3, 5] and [5, 1] both pick the 5.
    y, dx = run(MaxPool2D((1, 2), stride=1), _nhwc([[3.0, 5.0, 1.0]]), _nhwc([[1.5, 2.0]]))
    assert_close([[5, 5]], y[0, :, :, 0], "Y")
    assert_close([[0, 3.5, 0]], dx[0, :, :, 0], "δX")


def test_channels_and_batch_are_independent():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 4, 2))
    y, _ = run(MaxPool2D((3, 2)), x, dtype=np.float64)
    ref = x.reshape(3, 2, 3, 2, 2, 2).max(axis=(2, 4))
    assert_close(ref, y, "Y", atol=0)


@pytest.mark.parametrize("pool, shape", [
    (MaxPool2D(2), (1, 4, 4, 1)),
    (MaxPool2D(2), (3, 5, 4, 2)),
    (MaxPool2D(3, stride=2), (2, 7, 6, 3)),
    (MaxPool2D((2, 3), stride=(1, 2)), (2, 5, 7, 2)),
])
def test_gradient_check(pool, shape):
    check_layer(pool, shape)


def test_float32_matches_float64():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 9, 7, 3))
    pool = MaxPool2D(3, stride=2)
    y64, _ = run(pool, x, dtype=np.float64)
    dy = rng.standard_normal(y64.shape)
    y32, dx32 = run(pool, x, dy)
    y64, dx64 = run(pool, x, dy, dtype=np.float64)
    assert_close(y64, y32, "Y", atol=1e-6)
    assert_close(dx64, dx32, "δX", atol=1e-6)


def test_repr_and_errors():
    assert repr(MaxPool2D(2)) == "MaxPool2D(2x2, stride 2)"
    assert repr(MaxPool2D((3, 2), stride=(1, 2))) == "MaxPool2D(3x2, stride 1x2)"
    with pytest.raises(ValueError, match=r"MaxPool2D\(3x3, stride 3\): input 2x5 is smaller than the pooling window 3x3"):
        MaxPool2D(3).output_shape((1, 2, 5, 1))
    with pytest.raises(ValueError, match=r"input must be 4-D images \[N, H, W, C\], got Shape\[4, 16\]"):
        MaxPool2D(2).output_shape((4, 16))
    with pytest.raises(ValueError, match="MaxPool2D: stride must be a positive int"):
        MaxPool2D(2, stride=0)
    with pytest.raises(ValueError, match="MaxPool2D: pool_size must be a positive int"):
        MaxPool2D(0)
