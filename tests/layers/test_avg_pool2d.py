"""AvgPool2D: window means; backward spreads δ/(ph·pw) over each window."""
import numpy as np
import pytest

from framework import check_layer
from framework.compare import assert_close
from framework.layers.avg_pool2d import AvgPool2D

from helpers import run


def _nhwc(img):
    return np.asarray(img, dtype=np.float64)[np.newaxis, :, :, np.newaxis]


def test_forward_and_backward_by_hand():
    x = [[1.0, 5.0, 2.0, 0.0],
         [3.0, -1.0, 4.0, 4.0],
         [0.0, 2.0, 7.0, 1.0],
         [6.0, 6.0, 1.0, 3.0]]
    # means of the 2x2 windows: (1+5+3−1)/4 = 2, (2+0+4+4)/4 = 2.5,
    #                           (0+2+6+6)/4 = 3.5, (7+1+1+3)/4 = 3
    y, dx = run(AvgPool2D(2), _nhwc(x), _nhwc([[4.0, 8.0], [-4.0, 2.0]]))
    assert_close([[2, 2.5], [3.5, 3]], y[0, :, :, 0], "Y")
    # δ/4 to every element of its window
    assert_close([[1, 1, 2, 2],
                  [1, 1, 2, 2],
                  [-1, -1, 0.5, 0.5],
                  [-1, -1, 0.5, 0.5]], dx[0, :, :, 0], "δX")


def test_border_drop_and_overlap_by_hand():
    # 1x5 input, window 1x2, stride 2: windows [1, 2] and [3, 4]; the 5 is in
    # no window (dropped border) and gets δ = 0.
    y, dx = run(AvgPool2D((1, 2)), _nhwc([[1.0, 2.0, 3.0, 4.0, 5.0]]), _nhwc([[2.0, 6.0]]))
    assert_close([[1.5, 3.5]], y[0, :, :, 0], "Y")
    assert_close([[1, 1, 3, 3, 0]], dx[0, :, :, 0], "δX")
    # stride 1, window 1x3 on 1x4: windows [1,2,3], [2,3,4]; the middle two get
    # both deltas: δ = [a, a+b, a+b, b]/3 with a = 3, b = 6
    y, dx = run(AvgPool2D((1, 3), stride=1), _nhwc([[1.0, 2.0, 3.0, 4.0]]), _nhwc([[3.0, 6.0]]))
    assert_close([[2, 3]], y[0, :, :, 0], "Y")
    assert_close([[1, 3, 3, 2]], dx[0, :, :, 0], "δX")


@pytest.mark.parametrize("pool, shape", [
    (AvgPool2D(2), (1, 4, 4, 1)),
    (AvgPool2D(2), (3, 5, 4, 2)),
    (AvgPool2D(3, stride=2), (2, 7, 6, 3)),
    (AvgPool2D((2, 3), stride=(1, 2)), (2, 5, 7, 2)),
])
def test_gradient_check(pool, shape):
    check_layer(pool, shape)


def test_float32_matches_float64_and_channels_independent():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 6, 4, 2))
    y64, _ = run(AvgPool2D((3, 2)), x, dtype=np.float64)
    assert_close(x.reshape(3, 2, 3, 2, 2, 2).mean(axis=(2, 4)), y64, "Y", atol=1e-12)
    dy = rng.standard_normal(y64.shape)
    y32, dx32 = run(AvgPool2D((3, 2)), x, dy)
    _, dx64 = run(AvgPool2D((3, 2)), x, dy, dtype=np.float64)
    assert_close(y64, y32, "Y", atol=1e-6)
    assert_close(dx64, dx32, "δX", atol=1e-6)


def test_repr_and_errors():
    assert repr(AvgPool2D(2, stride=1)) == "AvgPool2D(2x2, stride 1)"
    with pytest.raises(ValueError, match=r"AvgPool2D\(4x4, stride 4\): input 3x8 is smaller than the pooling window 4x4"):
        AvgPool2D(4).output_shape((2, 3, 8, 1))
    with pytest.raises(ValueError, match=r"AvgPool2D\(2x2, stride 2\): input must be 4-D"):
        AvgPool2D(2).output_shape((2, 3, 8))
    with pytest.raises(ValueError, match="AvgPool2D: stride must be a positive int"):
        AvgPool2D(2, stride=(1, 0))
